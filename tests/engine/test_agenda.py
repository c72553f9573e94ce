"""The calendars' view of runs: categories, run lengths, day bands over DST days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from custom_components.reef_scheduler.engine.agenda import (
    Band,
    Category,
    Occurrence,
    category_of,
    drawn,
    effect_length,
    local_midnights,
    plan,
    recorded,
    upcoming,
)
from custom_components.reef_scheduler.engine.ledger import RunRecord, RunStatus, Trigger
from custom_components.reef_scheduler.engine.model import (
    Action,
    ActionType,
    Frequency,
    IntervalTiming,
    RecurringTiming,
)
from custom_components.reef_scheduler.engine.timeline import runs_between

from .engine_helpers import at, make, wall

BERLIN = "Europe/Berlin"
ZONE = ZoneInfo(BERLIN)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("action", "domains", "expected"),
    [
        (ActionType.RAMP, ["light", "light"], Category.LIGHTS),
        (ActionType.SET_PWM, ["light", "sensor"], Category.LIGHTS),
        (ActionType.ON, ["switch", "input_boolean", "fan"], Category.EQUIPMENT),
        (ActionType.SET_LEVEL, ["number"], Category.EQUIPMENT),
        (ActionType.OFF, ["light", "switch"], Category.OTHER),
        (ActionType.ON, ["script"], Category.OTHER),
        (ActionType.ON, [], Category.OTHER),
        (ActionType.CUSTOM, ["light"], Category.OTHER),
        # A light profile dims lights, also those Home Assistant has as numbers or fans.
        (ActionType.PROFILE, ["light", "number", "fan"], Category.LIGHTS),
        # A wave pattern drives pumps, also those that are numbers or fans.
        (ActionType.WAVE, ["number", "fan"], Category.EQUIPMENT),
    ],
)
def test_categories(action: ActionType, domains: list[str], expected: Category) -> None:
    assert category_of(action, domains) is expected


def test_runs_last_for_their_effect() -> None:
    ramp = Action(ActionType.RAMP, level=50, duration=timedelta(hours=1))
    assert effect_length(ramp) == timedelta(hours=1)
    assert effect_length(Action(ActionType.OFF)) == timedelta(0)
    assert effect_length(Action(ActionType.PROFILE)) == timedelta(days=1)
    assert effect_length(Action(ActionType.WAVE)) == timedelta(days=1)
    due = at(BERLIN, 2026, 5, 1, 9)
    assert upcoming(due, timedelta(0)) == Occurrence(due, due + SECOND)
    assert upcoming(due, timedelta(hours=1)).end == due + timedelta(hours=1)
    # A recorded run lasts from its start until it finished, at least its effect's length.
    slow = RunRecord(
        0, due, Trigger.TIMER, RunStatus.SUCCESS, due + SECOND, due + timedelta(seconds=30)
    )
    shown = recorded(slow, timedelta(0))
    assert shown is not None
    assert (shown.start, shown.end, shown.result) == (due + SECOND, slow.finished, "success")
    ramped = recorded(slow, timedelta(hours=1))
    assert ramped is not None
    assert ramped.end == due + SECOND + timedelta(hours=1)
    skipped = RunRecord(1, due, Trigger.SERVICE, RunStatus.SKIPPED, finished=due - SECOND)
    assert recorded(skipped, timedelta(0)) == Occurrence(due, due + SECOND, skipped)
    assert recorded(RunRecord(2, None, Trigger.MANUAL, RunStatus.PENDING), timedelta(0)) is None
    assert upcoming(due, timedelta(0)).result == "upcoming"


@pytest.mark.parametrize(
    ("day", "hours"), [((2026, 3, 29), 23), ((2026, 10, 25), 25), ((2026, 5, 1), 24)]
)
def test_a_profile_run_is_drawn_for_its_whole_local_day(
    day: tuple[int, int, int], hours: int
) -> None:
    midnight = at(BERLIN, *day, 0)
    for kind in (ActionType.PROFILE, ActionType.WAVE):
        profile = Action(kind)
        run = drawn(profile, upcoming(midnight, effect_length(profile)), ZONE)
        assert run.end - run.start == timedelta(hours=hours)
        assert run.end.astimezone(ZONE).time() == time(0)
    ramp = Action(ActionType.RAMP, level=50, duration=timedelta(hours=1))
    assert drawn(ramp, upcoming(midnight, effect_length(ramp)), ZONE).end == midnight + (
        timedelta(hours=1)
    )


def _pulse_days(first: date, days: int) -> dict[date, int]:
    """Return the runs a 15-minute pulse has on each Berlin day, counted as a band."""
    schedule = make(IntervalTiming(timedelta(minutes=15), anchor=datetime(2026, 1, 1, tzinfo=UTC)))
    start = at(BERLIN, first.year, first.month, first.day)
    stop = first + timedelta(days=days)
    end = at(BERLIN, stop.year, stop.month, stop.day)
    midnights = local_midnights(start, end, ZONE)
    runs = [
        upcoming(run, timedelta(minutes=5))
        for begin, finish in pairwise(midnights)
        for run in runs_between(schedule, begin, finish, tz=ZONE)
    ]
    bands = plan(runs, ZONE, start, end)
    assert all(isinstance(band, Band) for band in bands)
    return {band.day: band.runs for band in bands if isinstance(band, Band)}


def test_a_pulse_is_a_band_per_day_also_across_dst() -> None:
    # Spring forward on Sunday 29 March 2026 (23 hours), fall back on 25 October (25 hours).
    assert _pulse_days(date(2026, 3, 28), 3) == {
        date(2026, 3, 28): 96,
        date(2026, 3, 29): 92,
        date(2026, 3, 30): 96,
    }
    assert _pulse_days(date(2026, 10, 25), 1) == {date(2026, 10, 25): 100}


def test_midnights_of_dst_days() -> None:
    start = at(BERLIN, 2026, 3, 29, 12)
    assert wall(local_midnights(start, start + timedelta(hours=1), ZONE), BERLIN) == [
        "2026-03-29 00:00+0100",
        "2026-03-30 00:00+0200",
    ]
    # A date that never existed has no midnight: its neighbours' days are kept.
    apia = ZoneInfo("Pacific/Apia")
    begin = datetime(2011, 12, 29, 12, tzinfo=apia).astimezone(UTC)
    days = local_midnights(begin, begin + timedelta(days=1), apia)
    assert [m.astimezone(apia).date().isoformat() for m in days] == [
        "2011-12-29",
        "2011-12-31",
        "2012-01-01",
    ]


def test_a_day_band_counts_results_and_runs_to_come() -> None:
    day = at(BERLIN, 2026, 5, 1)
    runs: list[Occurrence] = []
    for index in range(14):
        due = day + timedelta(hours=index + 1)
        status = RunStatus.FAILED if index in (2, 5) else RunStatus.SUCCESS
        record = RunRecord(index, due, Trigger.TIMER, status, due, due + SECOND)
        shown = recorded(record, timedelta(0))
        assert shown is not None
        runs.append(shown)
    runs += [upcoming(day + timedelta(hours=h), timedelta(minutes=10)) for h in (20, 21)]
    (band,) = plan(runs, ZONE, day, day + timedelta(days=1))
    assert band == Band(
        date(2026, 5, 1),
        day + timedelta(hours=1),
        day + timedelta(hours=21, minutes=10),
        16,
        (("success", 12), ("failed", 2), ("upcoming", 2)),
    )
    # A window that only touches the band's day outside it shows nothing.
    assert plan(runs, ZONE, day + timedelta(hours=22), day + timedelta(days=1)) == []


def test_few_runs_stay_single_and_only_those_in_the_window() -> None:
    schedule = make(RecurringTiming(Frequency.DAILY, (time(8), time(20))))
    start = at(BERLIN, 2026, 5, 1)
    runs = [
        upcoming(run, timedelta(0))
        for run in runs_between(schedule, start, start + timedelta(days=2), tz=ZONE)
    ]
    window = (start + timedelta(hours=12), start + timedelta(days=2))
    assert [item.start for item in plan(runs, ZONE, *window)] == [  # type: ignore[union-attr]
        at(BERLIN, 2026, 5, 1, 20),
        at(BERLIN, 2026, 5, 2, 8),
        at(BERLIN, 2026, 5, 2, 20),
    ]
    # Fewer runs than the threshold still become a band on a day whose runs were capped.
    capped = {date(2026, 5, 2): at(BERLIN, 2026, 5, 3)}
    items = plan(runs, ZONE, *window, capped=capped)
    assert items[-1] == Band(
        date(2026, 5, 2),
        at(BERLIN, 2026, 5, 2, 8),
        at(BERLIN, 2026, 5, 3),
        2,
        (("upcoming", 2),),
        more=True,
    )
