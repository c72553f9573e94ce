"""DST policy tests (DESIGN.md §2) across zones, plus properties of generated runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.reef_scheduler.engine.model import (
    CronTiming,
    Frequency,
    RecurringTiming,
    SunEvent,
    SunTiming,
    Timing,
)
from custom_components.reef_scheduler.engine.timeline import next_runs, resolve_local

from .engine_helpers import FakeSun, at, make, wall


def daily(*times: str, weekdays: frozenset[int] = frozenset()) -> RecurringTiming:
    return RecurringTiming(Frequency.DAILY, tuple(time.fromisoformat(t) for t in times), weekdays)


CASES: list[tuple[str, Timing, tuple[int, ...], int, list[str]]] = [
    # zone, timing, local "after" (y, m, d, h, mi), fold of "after", expected local runs
    (
        "Europe/Berlin",
        daily("02:30"),
        (2024, 3, 30, 12, 0),
        0,
        ["2024-03-31 03:00+0200", "2024-04-01 02:30+0200", "2024-04-02 02:30+0200"],
    ),
    (
        "Europe/Berlin",
        CronTiming("30 2 * * *"),
        (2024, 3, 30, 12, 0),
        0,
        ["2024-03-31 03:00+0200", "2024-04-01 02:30+0200", "2024-04-02 02:30+0200"],
    ),
    (
        "Europe/Berlin",
        daily("02:00", "02:30"),
        (2024, 3, 30, 12, 0),
        0,
        ["2024-03-31 03:00+0200", "2024-04-01 02:00+0200", "2024-04-01 02:30+0200"],
    ),
    (
        "Europe/Berlin",
        CronTiming("*/15 2 * * *"),
        (2024, 3, 31, 1, 0),
        0,
        ["2024-03-31 03:00+0200", "2024-04-01 02:00+0200", "2024-04-01 02:15+0200"],
    ),
    (
        "Europe/Berlin",
        CronTiming("0 * * * *"),
        (2024, 3, 31, 0, 30),
        0,
        ["2024-03-31 01:00+0100", "2024-03-31 03:00+0200", "2024-03-31 04:00+0200"],
    ),
    (
        "Europe/Berlin",
        CronTiming("*/15 * * * *"),
        (2024, 3, 31, 1, 30),
        0,
        ["2024-03-31 01:45+0100", "2024-03-31 03:00+0200", "2024-03-31 03:15+0200"],
    ),
    (
        "Europe/Berlin",
        daily("02:30"),
        (2024, 10, 26, 12, 0),
        0,
        ["2024-10-27 02:30+0200", "2024-10-28 02:30+0100", "2024-10-29 02:30+0100"],
    ),
    (
        "Europe/Berlin",
        CronTiming("30 2 * * *"),
        (2024, 10, 26, 12, 0),
        0,
        ["2024-10-27 02:30+0200", "2024-10-28 02:30+0100", "2024-10-29 02:30+0100"],
    ),
    (
        "Europe/Berlin",
        CronTiming("*/20 2 * * *"),
        (2024, 10, 27, 1, 0),
        0,
        [
            "2024-10-27 02:00+0200",
            "2024-10-27 02:20+0200",
            "2024-10-27 02:40+0200",
            "2024-10-28 02:00+0100",
        ],
    ),
    (
        "Europe/Berlin",
        CronTiming("0 * * * *"),
        (2024, 10, 27, 1, 30),
        0,
        ["2024-10-27 02:00+0200", "2024-10-27 02:00+0100", "2024-10-27 03:00+0100"],
    ),
    (
        "Europe/Berlin",
        CronTiming("*/15 * * * *"),
        (2024, 10, 27, 2, 40),
        0,
        ["2024-10-27 02:45+0200", "2024-10-27 02:00+0100", "2024-10-27 02:15+0100"],
    ),
    # Restart inside the repeated hour: the second 02:30 is never a run.
    ("Europe/Berlin", daily("02:30"), (2024, 10, 27, 2, 10), 1, ["2024-10-28 02:30+0100"]),
    (
        "Europe/Berlin",
        CronTiming("30 2 * * *"),
        (2024, 10, 27, 2, 40),
        1,
        ["2024-10-28 02:30+0100"],
    ),
    ("Europe/Berlin", daily("02:30"), (2024, 10, 27, 2, 40), 0, ["2024-10-28 02:30+0100"]),
    (
        "America/New_York",
        daily("02:30"),
        (2024, 3, 9, 12, 0),
        0,
        ["2024-03-10 03:00-0400", "2024-03-11 02:30-0400"],
    ),
    (
        "America/New_York",
        CronTiming("30 2 * * *"),
        (2024, 3, 9, 12, 0),
        0,
        ["2024-03-10 03:00-0400", "2024-03-11 02:30-0400"],
    ),
    (
        "America/New_York",
        CronTiming("0 * * * *"),
        (2024, 3, 10, 1, 30),
        0,
        ["2024-03-10 03:00-0400", "2024-03-10 04:00-0400"],
    ),
    (
        "America/New_York",
        CronTiming("*/15 * * * *"),
        (2024, 3, 10, 1, 40),
        0,
        ["2024-03-10 01:45-0500", "2024-03-10 03:00-0400", "2024-03-10 03:15-0400"],
    ),
    (
        "America/New_York",
        daily("01:30"),
        (2024, 11, 2, 12, 0),
        0,
        ["2024-11-03 01:30-0400", "2024-11-04 01:30-0500"],
    ),
    (
        "America/New_York",
        CronTiming("30 1 * * *"),
        (2024, 11, 3, 1, 45),
        1,
        ["2024-11-04 01:30-0500"],
    ),
    (
        "America/New_York",
        CronTiming("0 * * * *"),
        (2024, 11, 3, 0, 30),
        0,
        ["2024-11-03 01:00-0400", "2024-11-03 01:00-0500", "2024-11-03 02:00-0500"],
    ),
    (
        "America/New_York",
        CronTiming("*/15 * * * *"),
        (2024, 11, 3, 1, 50),
        0,
        ["2024-11-03 01:00-0500", "2024-11-03 01:15-0500", "2024-11-03 01:30-0500"],
    ),
    (
        "Australia/Sydney",
        daily("02:30"),
        (2024, 10, 5, 12, 0),
        0,
        ["2024-10-06 03:00+1100", "2024-10-07 02:30+1100"],
    ),
    (
        "Australia/Sydney",
        CronTiming("30 2 * * *"),
        (2024, 4, 6, 12, 0),
        0,
        ["2024-04-07 02:30+1100", "2024-04-08 02:30+1000"],
    ),
    (
        "Australia/Sydney",
        daily("02:30"),
        (2024, 4, 6, 12, 0),
        0,
        ["2024-04-07 02:30+1100", "2024-04-08 02:30+1000"],
    ),
    (
        "Australia/Sydney",
        CronTiming("0 * * * *"),
        (2024, 4, 7, 1, 30),
        0,
        ["2024-04-07 02:00+1100", "2024-04-07 02:00+1000", "2024-04-07 03:00+1000"],
    ),
    (
        "Australia/Sydney",
        CronTiming("*/15 * * * *"),
        (2024, 10, 6, 1, 40),
        0,
        ["2024-10-06 01:45+1000", "2024-10-06 03:00+1100", "2024-10-06 03:15+1100"],
    ),
    (
        "Australia/Lord_Howe",
        daily("02:15"),
        (2024, 10, 5, 12, 0),
        0,
        ["2024-10-06 02:30+1100", "2024-10-07 02:15+1100"],
    ),
    (
        "Australia/Lord_Howe",
        CronTiming("30 2 * * *"),
        (2024, 10, 5, 12, 0),
        0,
        ["2024-10-06 02:30+1100", "2024-10-07 02:30+1100"],
    ),
    (
        "Australia/Lord_Howe",
        CronTiming("0 * * * *"),
        (2024, 10, 6, 1, 30),
        0,
        ["2024-10-06 02:30+1100", "2024-10-06 03:00+1100"],
    ),
    (
        "Australia/Lord_Howe",
        CronTiming("*/15 * * * *"),
        (2024, 10, 6, 1, 40),
        0,
        ["2024-10-06 01:45+1030", "2024-10-06 02:30+1100", "2024-10-06 02:45+1100"],
    ),
    (
        "Australia/Lord_Howe",
        daily("01:45"),
        (2024, 4, 6, 12, 0),
        0,
        ["2024-04-07 01:45+1100", "2024-04-08 01:45+1030"],
    ),
    (
        "Australia/Lord_Howe",
        CronTiming("0 * * * *"),
        (2024, 4, 7, 0, 30),
        0,
        ["2024-04-07 01:00+1100", "2024-04-07 02:00+1030", "2024-04-07 03:00+1030"],
    ),
    (
        "Australia/Lord_Howe",
        CronTiming("*/15 * * * *"),
        (2024, 4, 7, 1, 40),
        0,
        [
            "2024-04-07 01:45+1100",
            "2024-04-07 01:30+1030",
            "2024-04-07 01:45+1030",
            "2024-04-07 02:00+1030",
        ],
    ),
    (
        "Europe/Dublin",
        daily("01:30"),
        (2024, 3, 30, 12, 0),
        0,
        ["2024-03-31 02:00+0100", "2024-04-01 01:30+0100"],
    ),
    (
        "Europe/Dublin",
        daily("01:30"),
        (2024, 10, 26, 12, 0),
        0,
        ["2024-10-27 01:30+0100", "2024-10-28 01:30+0000"],
    ),
    (
        "Europe/Dublin",
        CronTiming("0 * * * *"),
        (2024, 10, 27, 0, 30),
        0,
        ["2024-10-27 01:00+0100", "2024-10-27 01:00+0000", "2024-10-27 02:00+0000"],
    ),
    (
        "Antarctica/Troll",
        daily("01:00", "02:30"),
        (2024, 3, 30, 12, 0),
        0,
        ["2024-03-31 03:00+0200", "2024-04-01 01:00+0200", "2024-04-01 02:30+0200"],
    ),
    (
        "Antarctica/Troll",
        daily("02:30"),
        (2024, 10, 26, 12, 0),
        0,
        ["2024-10-27 02:30+0200", "2024-10-28 02:30+0000"],
    ),
    ("Antarctica/Troll", daily("02:30"), (2024, 10, 27, 1, 10), 1, ["2024-10-28 02:30+0000"]),
    (
        "Antarctica/Troll",
        CronTiming("0 * * * *"),
        (2024, 10, 27, 2, 30),
        0,
        # 03:00+0200 never exists: at 01:00 UTC the clock goes from 03:00 back to 01:00.
        [
            "2024-10-27 01:00+0000",
            "2024-10-27 02:00+0000",
            "2024-10-27 03:00+0000",
            "2024-10-27 04:00+0000",
        ],
    ),
    (
        "Pacific/Apia",
        daily("10:00"),
        (2011, 12, 28, 12, 0),
        0,
        ["2011-12-29 10:00-1000", "2011-12-31 10:00+1400", "2012-01-01 10:00+1400"],
    ),
    (
        "Pacific/Apia",
        CronTiming("0 10 * * *"),
        (2011, 12, 28, 12, 0),
        0,
        ["2011-12-29 10:00-1000", "2011-12-31 10:00+1400"],
    ),
    (
        "Pacific/Apia",
        daily("10:00", weekdays=frozenset({4})),
        (2011, 12, 28, 12, 0),
        0,
        ["2012-01-06 10:00+1400"],
    ),
]


@pytest.mark.parametrize(("zone", "timing", "after", "fold", "expected"), CASES)
def test_dst_policy(
    zone: str, timing: Timing, after: tuple[int, ...], fold: int, expected: list[str]
) -> None:
    tz = ZoneInfo(zone)
    runs = next_runs(make(timing), at(zone, *after, fold=fold), len(expected), tz=tz)
    assert wall(runs, zone) == expected


def test_gap_run_keeps_its_local_date_for_filters() -> None:
    # 2024-03-31 is a Sunday and the last day of March in Berlin.
    zone = "Europe/Berlin"
    sunday = daily("02:30", weekdays=frozenset({6}))
    last_day = RecurringTiming(Frequency.MONTHLY, (time(2, 30),), month_days=(-1,))
    for timing in (sunday, last_day):
        runs = next_runs(make(timing), at(zone, 2024, 3, 30, 12), 1, tz=ZoneInfo(zone))
        assert wall(runs, zone) == ["2024-03-31 03:00+0200"]


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        (
            "Europe/Berlin",
            date(2024, 3, 30),
            ["2024-03-30 06:20+0100", "2024-03-31 06:20+0200", "2024-04-01 06:20+0200"],
        ),
        (
            "Europe/Berlin",
            date(2024, 10, 26),
            ["2024-10-26 06:20+0200", "2024-10-27 06:20+0100", "2024-10-28 06:20+0100"],
        ),
        (
            "America/New_York",
            date(2024, 3, 9),
            ["2024-03-09 06:20-0500", "2024-03-10 06:20-0400", "2024-03-11 06:20-0400"],
        ),
        (
            "Australia/Sydney",
            date(2024, 10, 5),
            ["2024-10-05 06:20+1000", "2024-10-06 06:20+1100", "2024-10-07 06:20+1100"],
        ),
        (
            "Australia/Lord_Howe",
            date(2024, 4, 6),
            ["2024-04-06 06:20+1100", "2024-04-07 06:20+1030", "2024-04-08 06:20+1030"],
        ),
    ],
)
def test_sun_across_dst(zone: str, day: date, expected: list[str]) -> None:
    sun = FakeSun(zone, {SunEvent.SUNRISE: time(6, 50)})
    schedule = make(SunTiming(SunEvent.SUNRISE, timedelta(minutes=-30)))
    after = at(zone, day.year, day.month, day.day, 0, 0)
    assert wall(next_runs(schedule, after, 3, tz=ZoneInfo(zone), sun=sun), zone) == expected


# --- properties -------------------------------------------------------------------------------

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Europe/Dublin",
    "Antarctica/Troll",
    "Pacific/Apia",
    "UTC",
]
zones = st.sampled_from(ZONES)
# Times near transitions are the interesting ones, so favour the small hours.
times = st.builds(
    time,
    st.sampled_from([0, 1, 2, 3, 23]) | st.integers(0, 23),
    st.sampled_from([0, 15, 30, 45]) | st.integers(0, 59),
)
afters = st.datetimes(datetime(2011, 12, 1), datetime(2025, 12, 31), timezones=st.just(UTC))


@st.composite
def recurring(draw: st.DrawFn) -> RecurringTiming:
    frequency = draw(st.sampled_from([Frequency.DAILY, Frequency.WEEKLY]))
    weekdays = draw(st.frozensets(st.integers(0, 6), min_size=int(frequency is Frequency.WEEKLY)))
    chosen = draw(st.lists(times, min_size=1, max_size=4))
    return RecurringTiming(frequency, tuple(chosen), weekdays)


def _local(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def _reference(timing: RecurringTiming, after: datetime, last: datetime, tz: ZoneInfo) -> list:
    """Brute force: map every matching local date+time independently and sort."""
    found = set()
    day = _local(after, tz).date() - timedelta(days=2)
    while day <= _local(last, tz).date() + timedelta(days=1):
        if not timing.weekdays or day.weekday() in timing.weekdays:
            for at_time in timing.times:
                instant = resolve_local(datetime.combine(day, at_time), tz)
                if instant is not None and after < instant <= last:
                    found.add(instant)
        day += timedelta(days=1)
    return sorted(found)


@settings(max_examples=300, deadline=None)
@given(zones, recurring(), afters, st.none() | afters, st.none() | st.integers(1, 400))
def test_recurring_properties(
    zone: str,
    timing: RecurringTiming,
    after: datetime,
    start: datetime | None,
    length: int | None,
) -> None:
    tz = ZoneInfo(zone)
    end = None if start is None or length is None else start + timedelta(days=length)
    runs = next_runs(make(timing, start=start, end=end), after, 30, tz=tz)
    assert all(a < b for a, b in pairwise(runs))
    assert all(run > after for run in runs)
    assert all(start is None or run >= start for run in runs)
    assert all(end is None or run <= end for run in runs)
    locals_ = [_local(run, tz) for run in runs]
    assert len(set(locals_)) == len(locals_), "a wall-clock time ran twice"
    for run, local in zip(runs, locals_, strict=True):
        if local.time() not in timing.times:  # moved to the end of a gap
            assert local - timedelta(hours=3) < _local(run - timedelta(microseconds=1), tz)
            assert (
                run.astimezone(tz).utcoffset()
                != (run - timedelta(seconds=1)).astimezone(tz).utcoffset()
            )
    if runs and start is None and end is None:
        assert len(runs) == 30
        assert runs == _reference(timing, after, runs[-1], tz)


@settings(max_examples=200, deadline=None)
@given(zones, afters, st.sampled_from([("*/15 * * * *", 15), ("*/30 * * * *", 30)]))
def test_sub_hour_cron_follows_real_time(
    zone: str, after: datetime, pattern: tuple[str, int]
) -> None:
    expression, minutes = pattern
    tz = ZoneInfo(zone)
    runs = next_runs(make(CronTiming(expression)), after, 12, tz=tz)
    assert runs[0] > after
    assert runs[0] - after <= timedelta(minutes=minutes)
    if zone != "Pacific/Apia" or after.year != 2011:
        steps = {b - a for a, b in pairwise(runs)}
        assert steps <= {timedelta(minutes=minutes)} | (
            {timedelta(minutes=30)} if zone == "Australia/Lord_Howe" else set()
        )
    assert all(_local(run, tz).minute % minutes == 0 for run in runs)


@settings(max_examples=200, deadline=None)
@given(zones, afters, st.integers(0, 23), st.integers(0, 59))
def test_daily_cron_matches_daily_recurring(
    zone: str, after: datetime, hour: int, minute: int
) -> None:
    tz = ZoneInfo(zone)
    cron = next_runs(make(CronTiming(f"{minute} {hour} * * *")), after, 5, tz=tz)
    recurring_runs = next_runs(
        make(RecurringTiming(Frequency.DAILY, (time(hour, minute),))), after, 5, tz=tz
    )
    assert cron == recurring_runs
