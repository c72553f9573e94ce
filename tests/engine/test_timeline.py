"""Tests for run instants of each timing type, windows and expiry."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.reef_scheduler.engine import timeline
from custom_components.reef_scheduler.engine.model import (
    CronTiming,
    Frequency,
    IntervalTiming,
    OneOffTiming,
    RecurringTiming,
    SunEvent,
    SunTiming,
)
from custom_components.reef_scheduler.engine.timeline import (
    get_zone,
    is_expired,
    next_run,
    next_runs,
    resolve_local,
    runs_between,
)

from .engine_helpers import FakeSun, at, make, utc, wall

BERLIN = "Europe/Berlin"
TZ = ZoneInfo(BERLIN)
AFTER = at(BERLIN, 2024, 5, 6, 12, 0)  # a Monday


def daily(*hours: int, **fields: object) -> RecurringTiming:
    return RecurringTiming(Frequency.DAILY, tuple(time(h) for h in hours), **fields)  # type: ignore[arg-type]


def test_one_off() -> None:
    schedule = make(OneOffTiming(utc(2024, 5, 6, 11)))
    assert next_runs(schedule, utc(2024, 5, 6, 10), 3, tz=TZ) == [utc(2024, 5, 6, 11)]
    assert next_runs(schedule, utc(2024, 5, 6, 11), 3, tz=TZ) == []
    assert is_expired(schedule, utc(2024, 5, 6, 11), tz=TZ)
    assert not is_expired(schedule, utc(2024, 5, 6, 10), tz=TZ)


def test_interval_grid_from_anchor_created_start_or_epoch() -> None:
    anchor = utc(2024, 5, 6, 9, 7)
    timing = IntervalTiming(timedelta(minutes=45), anchor)
    assert next_runs(make(timing), utc(2024, 5, 6, 10, 37), 3, tz=TZ) == [
        utc(2024, 5, 6, 11, 22),
        utc(2024, 5, 6, 12, 7),
        utc(2024, 5, 6, 12, 52),
    ]
    # Nothing before the anchor: the grid starts there.
    assert next_run(make(timing), utc(2024, 1, 1), tz=TZ) == anchor
    created = make(IntervalTiming(timedelta(hours=5)), created=utc(2024, 5, 6, 1, 30))
    assert next_run(created, utc(2024, 5, 6, 6, 30), tz=TZ) == utc(2024, 5, 6, 11, 30)
    started = make(IntervalTiming(timedelta(hours=5)), start=utc(2024, 5, 6, 2))
    assert next_run(started, utc(2024, 5, 6, 6), tz=TZ) == utc(2024, 5, 6, 7)
    epoch = make(IntervalTiming(timedelta(hours=7)))
    assert next_run(epoch, utc(1970, 1, 1, 8), tz=TZ) == utc(1970, 1, 1, 14)


def test_interval_ignores_dst() -> None:
    schedule = make(IntervalTiming(timedelta(hours=1), utc(2024, 1, 1)))
    runs = next_runs(schedule, at(BERLIN, 2024, 3, 31, 1, 30), 2, tz=TZ)
    assert wall(runs, BERLIN) == ["2024-03-31 03:00+0200", "2024-03-31 04:00+0200"]


def test_cron_local_time_and_seconds_field() -> None:
    weekdays = make(CronTiming("30 7 * * 1-5"))
    assert wall(next_runs(weekdays, at(BERLIN, 2024, 5, 10, 8), 3, tz=TZ), BERLIN) == [
        "2024-05-13 07:30+0200",
        "2024-05-14 07:30+0200",
        "2024-05-15 07:30+0200",
    ]
    seconds = make(CronTiming("0 8 * * * 30"))
    assert next_run(seconds, AFTER, tz=TZ) == at(BERLIN, 2024, 5, 7, 8, 0, 30)


def test_cron_microseconds_after_a_match() -> None:
    schedule = make(CronTiming("* * * * *"))
    after = at(BERLIN, 2024, 5, 6, 12, 0).replace(microsecond=1)
    assert next_run(schedule, after, tz=TZ) == at(BERLIN, 2024, 5, 6, 12, 1)


def test_recurring_daily_several_times_and_every_n() -> None:
    assert wall(next_runs(make(daily(20, 8)), AFTER, 3, tz=TZ), BERLIN) == [
        "2024-05-06 20:00+0200",
        "2024-05-07 08:00+0200",
        "2024-05-07 20:00+0200",
    ]
    every3 = make(daily(8, every=3, anchor_date=date(2024, 5, 5)))
    assert wall(next_runs(every3, AFTER, 2, tz=TZ), BERLIN) == [
        "2024-05-08 08:00+0200",
        "2024-05-11 08:00+0200",
    ]
    created = make(daily(8, every=2), created=at(BERLIN, 2024, 5, 7, 23))
    assert wall(next_runs(created, AFTER, 1, tz=TZ), BERLIN) == ["2024-05-07 08:00+0200"]


def test_recurring_daily_weekday_filter() -> None:
    schedule = make(daily(9, weekdays=frozenset({5, 6})))
    assert wall(next_runs(schedule, AFTER, 3, tz=TZ), BERLIN) == [
        "2024-05-11 09:00+0200",
        "2024-05-12 09:00+0200",
        "2024-05-18 09:00+0200",
    ]


def test_recurring_weekly_every_two_weeks() -> None:
    timing = RecurringTiming(
        Frequency.WEEKLY, (time(18),), frozenset({0, 3}), every=2, anchor_date=date(2024, 4, 29)
    )
    assert wall(next_runs(make(timing), AFTER, 4, tz=TZ), BERLIN) == [
        "2024-05-13 18:00+0200",
        "2024-05-16 18:00+0200",
        "2024-05-27 18:00+0200",
        "2024-05-30 18:00+0200",
    ]


def test_recurring_monthly_days_and_nth_weekdays() -> None:
    timing = RecurringTiming(
        Frequency.MONTHLY, (time(10),), month_days=(-1, 31), nth_weekdays=((1, 0), (-1, 6))
    )
    assert wall(next_runs(make(timing), at(BERLIN, 2024, 1, 31, 11), 6, tz=TZ), BERLIN) == [
        "2024-02-05 10:00+0100",  # first Monday
        "2024-02-25 10:00+0100",  # last Sunday
        "2024-02-29 10:00+0100",  # last day (31 does not exist in February)
        "2024-03-04 10:00+0100",
        "2024-03-31 10:00+0200",  # last Sunday and last day and the 31st: once
        "2024-04-01 10:00+0200",
    ]


def test_recurring_monthly_every_three_months_fifth_weekday() -> None:
    timing = RecurringTiming(
        Frequency.MONTHLY, (time(6),), nth_weekdays=((5, 4),), every=3, anchor_date=date(2024, 1, 1)
    )
    assert wall(next_runs(make(timing), AFTER, 3, tz=TZ), BERLIN) == [
        "2025-01-31 06:00+0100",  # Jul and Oct 2024 have no fifth Friday
        "2025-10-31 06:00+0100",
        "2026-01-30 06:00+0100",
    ]


def test_recurring_monthly_same_month_respects_after() -> None:
    timing = RecurringTiming(Frequency.MONTHLY, (time(10),), month_days=(1, 6, 20))
    assert wall(next_runs(make(timing), AFTER, 2, tz=TZ), BERLIN) == [
        "2024-05-20 10:00+0200",
        "2024-06-01 10:00+0200",
    ]


def test_recurring_that_never_matches_ends() -> None:
    timing = RecurringTiming(
        Frequency.MONTHLY, (time(6),), month_days=(30,), every=12, anchor_date=date(2024, 2, 1)
    )
    assert next_runs(make(timing), AFTER, 2, tz=TZ) == []
    never = make(daily(8, weekdays=frozenset({1}), every=7, anchor_date=date(2024, 5, 6)))
    assert next_run(never, AFTER, tz=TZ) is None


def test_sun_with_offset_weekdays_and_missing_days() -> None:
    sun = FakeSun(BERLIN, {SunEvent.SUNSET: time(21, 10)}, missing={date(2024, 5, 7)})
    timing = SunTiming(SunEvent.SUNSET, timedelta(minutes=-30), frozenset({0, 1, 2}))
    assert wall(next_runs(make(timing), AFTER, 3, tz=TZ, sun=sun), BERLIN) == [
        "2024-05-06 20:40+0200",
        "2024-05-08 20:40+0200",
        "2024-05-13 20:40+0200",
    ]


def test_sun_positive_offset_crossing_midnight_from_yesterday() -> None:
    sun = FakeSun(BERLIN, {SunEvent.SUNSET: time(21)})
    schedule = make(SunTiming(SunEvent.SUNSET, timedelta(hours=4)))
    after = at(BERLIN, 2024, 5, 7, 0, 30)
    assert wall(next_runs(schedule, after, 2, tz=TZ, sun=sun), BERLIN) == [
        "2024-05-07 01:00+0200",
        "2024-05-08 01:00+0200",
    ]


def test_sun_polar_night_ends_and_needs_calculator() -> None:
    sun = FakeSun(BERLIN, {})
    schedule = make(SunTiming(SunEvent.DAWN))
    assert next_run(schedule, AFTER, tz=TZ, sun=sun) is None
    with pytest.raises(ValueError, match="SunCalculator"):
        next_run(schedule, AFTER, tz=TZ)
    assert not is_expired(schedule, AFTER, tz=TZ)
    assert is_expired(schedule, AFTER, tz=TZ, sun=sun)


def test_window_inclusive_bounds() -> None:
    schedule = make(daily(8), start=at(BERLIN, 2024, 5, 8, 8), end=at(BERLIN, 2024, 5, 10, 8))
    assert wall(next_runs(schedule, AFTER, 5, tz=TZ), BERLIN) == [
        "2024-05-08 08:00+0200",
        "2024-05-09 08:00+0200",
        "2024-05-10 08:00+0200",
    ]
    assert not is_expired(schedule, at(BERLIN, 2024, 5, 10, 7), tz=TZ)
    assert is_expired(schedule, at(BERLIN, 2024, 5, 10, 8), tz=TZ)
    assert is_expired(schedule, at(BERLIN, 2024, 5, 11), tz=TZ)
    # The window is still open but no run remains in it.
    tight = make(daily(8), end=at(BERLIN, 2024, 5, 10, 9))
    assert is_expired(tight, at(BERLIN, 2024, 5, 10, 8, 30), tz=TZ)


def test_runs_between_is_half_open_and_limited() -> None:
    schedule = make(CronTiming("0 * * * *"))
    start, end = at(BERLIN, 2024, 5, 6, 10), at(BERLIN, 2024, 5, 6, 13)
    assert wall(runs_between(schedule, start, end, tz=TZ), BERLIN) == [
        "2024-05-06 10:00+0200",
        "2024-05-06 11:00+0200",
        "2024-05-06 12:00+0200",
    ]
    assert len(runs_between(schedule, start, end, tz=TZ, limit=2)) == 2


def test_count_and_naive_after() -> None:
    schedule = make(daily(8))
    assert next_runs(schedule, AFTER, 0, tz=TZ) == []
    with pytest.raises(ValueError, match="aware"):
        next_runs(schedule, AFTER.replace(tzinfo=None), 1, tz=TZ)


def test_end_of_calendar_stops_quietly() -> None:
    schedule = make(IntervalTiming(timedelta(days=300), utc(9999, 1, 1)))
    assert next_runs(schedule, utc(9999, 1, 1), 3, tz=TZ) == [utc(9999, 10, 28)]


def test_resolve_local_and_get_zone() -> None:
    from datetime import datetime

    assert get_zone(BERLIN) is get_zone(BERLIN)
    assert resolve_local(datetime(2024, 3, 31, 2, 30), TZ) == utc(2024, 3, 31, 1)
    assert resolve_local(datetime(2024, 10, 27, 2, 30), TZ) == utc(2024, 10, 27, 0, 30)
    apia = ZoneInfo("Pacific/Apia")
    assert resolve_local(datetime(2011, 12, 30, 12), apia) is None


def test_zone_lookups_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key is read from the tz database once, found or not (load_zones does it off the loop)."""
    looked_up: list[str] = []

    def zone_info(key: str) -> ZoneInfo:
        looked_up.append(key)
        return ZoneInfo(key)

    monkeypatch.setattr(timeline, "ZoneInfo", zone_info)
    timeline.load_zones(["Mars/Olympus", "America/Santiago", 5, None])
    assert looked_up == ["Mars/Olympus", "America/Santiago"]
    assert not timeline.is_zone("Mars/Olympus")
    assert timeline.get_zone("America/Santiago").key == "America/Santiago"
    assert not timeline.is_zone("x" * (timeline.MAX_ZONE_KEY_LENGTH + 1))
    with pytest.raises(KeyError):
        timeline.get_zone("Mars/Olympus")
    assert looked_up == ["Mars/Olympus", "America/Santiago"]
    # Unknown keys are remembered in a bounded list: the oldest is forgotten first.
    timeline.load_zones(f"Mars/Crater_{index}" for index in range(300))
    looked_up.clear()
    assert not timeline.is_zone("Mars/Olympus")
    assert looked_up == ["Mars/Olympus"]
