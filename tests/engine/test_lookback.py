"""Tests for searching a schedule's runs backwards."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.reef_scheduler.engine import lookback
from custom_components.reef_scheduler.engine.lookback import (
    LOOKBACK,
    counted_runs_backwards,
    latest_run,
    runs_backwards,
)
from custom_components.reef_scheduler.engine.model import (
    CronTiming,
    Frequency,
    IntervalTiming,
    OneOffTiming,
    RecurringTiming,
    SunEvent,
    SunTiming,
    Timing,
)
from custom_components.reef_scheduler.engine.timeline import runs_between

from .engine_helpers import FakeSun, at, make, utc

BERLIN = "Europe/Berlin"
TZ = ZoneInfo(BERLIN)
US = timedelta(microseconds=1)


def daily(*hours: int) -> RecurringTiming:
    return RecurringTiming(Frequency.DAILY, tuple(time(h) for h in hours))


def test_latest_run_is_at_or_before() -> None:
    schedule = make(daily(8, 20))
    assert latest_run(schedule, at(BERLIN, 2024, 5, 6, 12), tz=TZ) == at(BERLIN, 2024, 5, 6, 8)
    assert latest_run(schedule, at(BERLIN, 2024, 5, 6, 8), tz=TZ) == at(BERLIN, 2024, 5, 6, 8)
    assert latest_run(schedule, at(BERLIN, 2024, 5, 6, 7), tz=TZ) == at(BERLIN, 2024, 5, 5, 20)


def test_backwards_is_forward_reversed() -> None:
    schedule = make(CronTiming("*/20 * * * *"))
    until = at(BERLIN, 2024, 10, 27, 4, 10)  # after the repeated hour of the fall-back day
    back = list(islice(runs_backwards(schedule, until, tz=TZ), 20))
    forward = runs_between(schedule, until - timedelta(hours=12), until + US, tz=TZ)
    assert back == forward[::-1][:20]
    # The repeated hour runs twice for a pattern finer than an hour.
    assert len({run for run in back if run.astimezone(TZ).hour == 2}) == 6


def test_dense_window_is_halved() -> None:
    # Every second on Sundays only, asked on a Wednesday: the window holding the latest run is
    # dense, so it is halved instead of scanned.
    schedule = make(CronTiming("* * * * 0 *"))
    until = at(BERLIN, 2024, 5, 8, 12)
    assert latest_run(schedule, until, tz=TZ) == at(BERLIN, 2024, 5, 5, 23, 59, 59)
    back = list(islice(runs_backwards(schedule, until, tz=TZ), 70))
    assert back == [at(BERLIN, 2024, 5, 5, 23, 59, 59) - timedelta(seconds=k) for k in range(70)]


def test_dense_interval_tail_ends_exactly_at_until() -> None:
    schedule = make(IntervalTiming(timedelta(seconds=1), utc(2024, 1, 1)))
    until = utc(2024, 5, 6, 12)
    assert list(islice(runs_backwards(schedule, until, tz=TZ), 3)) == [
        until,
        until - timedelta(seconds=1),
        until - timedelta(seconds=2),
    ]


def test_window_with_exactly_a_chunk_of_runs() -> None:
    # The 8 h window found holds 64 runs (10:01 .. 11:04), the last one not at its end: the
    # empty upper half is dropped and the latest run kept.
    schedule = make(CronTiming("* * * * *"), start=utc(2024, 5, 6, 9), end=utc(2024, 5, 6, 11, 4))
    until = utc(2024, 5, 6, 18)
    back = list(islice(runs_backwards(schedule, until, tz=TZ), 70))
    assert back == [utc(2024, 5, 6, 11, 4) - k * timedelta(minutes=1) for k in range(70)]


def test_start_bounds_the_search() -> None:
    schedule = make(daily(8), start=at(BERLIN, 2024, 5, 4, 8))
    until = at(BERLIN, 2024, 5, 6, 12)
    assert list(runs_backwards(schedule, until, tz=TZ)) == [
        at(BERLIN, 2024, 5, 6, 8),
        at(BERLIN, 2024, 5, 5, 8),
        at(BERLIN, 2024, 5, 4, 8),
    ]
    assert latest_run(schedule, at(BERLIN, 2024, 5, 4, 7), tz=TZ) is None


def test_one_off_far_back_and_in_the_future() -> None:
    past = make(OneOffTiming(utc(1990, 1, 1)))
    assert latest_run(past, utc(2024, 5, 6), tz=TZ) == utc(1990, 1, 1)
    future = make(OneOffTiming(utc(2030, 1, 1)))
    assert latest_run(future, utc(2024, 5, 6), tz=TZ) is None


def test_lookback_limit() -> None:
    schedule = make(OneOffTiming(utc(1600, 1, 1)))
    # The search covers (until - LOOKBACK, until].
    assert latest_run(schedule, utc(1600, 1, 1) + LOOKBACK - US, tz=TZ) == utc(1600, 1, 1)
    assert latest_run(schedule, utc(1600, 1, 1) + LOOKBACK, tz=TZ) is None
    # Near the start of the calendar the search stops there instead of overflowing.
    early = make(IntervalTiming(timedelta(days=1), datetime(1, 1, 3, tzinfo=UTC)))
    assert list(runs_backwards(early, datetime(1, 1, 5, tzinfo=UTC), tz=ZoneInfo("UTC"))) == [
        datetime(1, 1, day, tzinfo=UTC) for day in (5, 4, 3)
    ]


def test_sun_and_naive_until() -> None:
    sun = FakeSun(BERLIN, {SunEvent.SUNRISE: time(6)})
    schedule = make(SunTiming(SunEvent.SUNRISE, timedelta(minutes=30)))
    until = at(BERLIN, 2024, 5, 6, 6, 15)
    assert latest_run(schedule, until, tz=TZ, sun=sun) == at(BERLIN, 2024, 5, 5, 6, 30)
    with pytest.raises(ValueError, match="SunCalculator"):
        latest_run(schedule, until, tz=TZ)
    with pytest.raises(ValueError, match="aware"):
        next(runs_backwards(schedule, datetime(2024, 5, 6), tz=TZ, sun=sun))


def test_excluded_runs_are_skipped_up_to_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    schedule = make(daily(8))
    until = at(BERLIN, 2024, 5, 6, 12)
    skipped = {at(BERLIN, 2024, 5, 6, 8), at(BERLIN, 2024, 5, 5, 8)}

    def excluded(schedule_id: str, due: datetime) -> bool:
        assert schedule_id == "s1"
        return due in skipped

    assert latest_run(schedule, until, tz=TZ, excluded=excluded) == at(BERLIN, 2024, 5, 4, 8)
    runs = counted_runs_backwards(schedule, until, tz=TZ, excluded=excluded)
    assert list(islice(runs, 2)) == [at(BERLIN, 2024, 5, 4, 8), at(BERLIN, 2024, 5, 3, 8)]
    once = make(OneOffTiming(utc(2024, 5, 1)))
    assert list(counted_runs_backwards(once, until, tz=TZ, excluded=excluded)) == [utc(2024, 5, 1)]
    monkeypatch.setattr(lookback, "MAX_EXCLUDED", 2)
    assert latest_run(schedule, until, tz=TZ, excluded=excluded) is None


# Each timing with a span that holds more than five of its runs.
TIMINGS: list[tuple[Timing, timedelta]] = [
    (daily(2, 8, 20), timedelta(days=3)),
    (
        RecurringTiming(Frequency.WEEKLY, (time(2, 30),), weekdays=frozenset({6})),
        timedelta(weeks=6),
    ),
    (RecurringTiming(Frequency.MONTHLY, (time(9),), month_days=(-1,)), timedelta(days=190)),
    (CronTiming("*/15 * * * *"), timedelta(hours=2)),
    (CronTiming("30 2 * * *"), timedelta(days=6)),
    (CronTiming("0 8 1 1 *"), timedelta(days=2200)),
    (IntervalTiming(timedelta(minutes=7), utc(2024, 1, 1)), timedelta(hours=1)),
    (OneOffTiming(utc(2024, 3, 31, 1, 30)), timedelta(days=800)),
]


@settings(max_examples=60)
@given(
    case=st.sampled_from(TIMINGS),
    until=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2025, 12, 31), timezones=st.just(UTC)
    ),
)
def test_backwards_matches_forward(case: tuple[Timing, timedelta], until: datetime) -> None:
    """The first runs backwards are the last runs forward, in a zone with DST changes."""
    timing, span = case
    schedule = make(timing, start=utc(2018, 6, 1))
    back = list(islice(runs_backwards(schedule, until, tz=TZ), 5))
    forward = runs_between(schedule, until - span, until + US, tz=TZ, limit=10**6)
    assert back == forward[::-1][:5]
