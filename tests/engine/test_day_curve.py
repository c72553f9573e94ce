"""The day card's curves: effects over a window as ``prescribe`` sees them, care holds, points."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.reef_scheduler.engine.care_model import CareKind, CarePeriod, DeviceHold
from custom_components.reef_scheduler.engine.day_curve import (
    MAX_POINTS,
    DayCurve,
    WindowRun,
    effects_over,
    held_at,
    holds_of,
)
from custom_components.reef_scheduler.engine.model import (
    Action,
    ActionType,
    IntervalTiming,
    Schedule,
    Target,
    Timing,
)
from custom_components.reef_scheduler.engine.prescribed import (
    MAX_CHAIN,
    LightRun,
    prescribe_entity,
)
from custom_components.reef_scheduler.engine.timeline import runs_between
from custom_components.reef_scheduler.engine.validate_wave import wave_action
from custom_components.reef_scheduler.engine.wave_model import WaveMode, WavePattern, WaveSettings

from .engine_helpers import berlin as local, daily_at as daily

BERLIN = "Europe/Berlin"
ZONE = ZoneInfo(BERLIN)
LIGHT = "light.reef"
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def sched(sid: str, timing: Timing, kind: ActionType, **fields: Any) -> Schedule:
    return Schedule(sid, sid, timing, Action(kind, Target(entity_ids=(LIGHT,)), **fields))


def curve_of(
    schedules: list[Schedule], start: datetime, end: datetime, periods: list[CarePeriod] = ()
) -> DayCurve:
    """Return a light's curve over a window as the day card builds it."""
    first = prescribe_entity(LIGHT, schedules, start, default_zone=BERLIN)
    runs = sorted(
        (
            WindowRun(due, schedule.id, schedule.action, LightRun(LIGHT, ZONE, schedule.id))
            for schedule in schedules
            for due in runs_between(schedule, start + timedelta(microseconds=1), end, tz=ZONE)
        ),
        key=lambda run: (run.due, run.schedule_id),
    )
    return DayCurve(effects_over(first, runs), holds_of(periods, LIGHT), start, end)


DAY = (local(2026, 3, 29), local(2026, 3, 30))  # spring forward: 23 hours
SCHEDULES = [
    sched("a_on", daily("06:00"), ActionType.ON),
    # Two ramps without start level, the second while the first moves: a chain.
    sched("b_up", daily("08:00"), ActionType.RAMP, level=80, duration=2 * HOUR),
    sched("c_down", daily("09:00"), ActionType.RAMP, level=20, duration=2 * HOUR),
    sched("d_hold", daily("13:00"), ActionType.SET_LEVEL, level=50, duration=HOUR),
    sched("e_off", daily("22:00"), ActionType.OFF),
    # The same instant as the hold: the greater id wins.
    sched("f_dim", daily("13:00"), ActionType.SET_LEVEL, level=30),
]


def assert_follows_prescribe(
    schedules: list[Schedule], start: datetime, end: datetime, step: timedelta
) -> None:
    """Assert the curve over [start, end) is what prescribe says, every step."""
    curve = curve_of(schedules, start, end)
    instant = start
    while instant < end:
        expected = prescribe_entity(LIGHT, schedules, instant, default_zone=BERLIN)
        assert expected is not None
        assert curve.level_at(instant) == expected.level, instant
        instant += step


def test_the_curve_is_what_prescribe_says_at_every_instant() -> None:
    assert_follows_prescribe(SCHEDULES, local(2026, 3, 28, 18), local(2026, 3, 30, 6), 7 * MINUTE)


def test_points_jump_at_instants_and_sample_what_moves() -> None:
    points = curve_of(SCHEDULES, *DAY).points()

    assert points[0] == (DAY[0], 0.0)
    assert points[-1] == (DAY[1], 0.0)
    assert [level for instant, level in points if instant == local(2026, 3, 29, 6)] == [0.0, 100.0]
    assert [level for instant, level in points if instant == local(2026, 3, 29, 13)] == [
        pytest.approx(20.0),
        30.0,
    ]
    moving = [
        level
        for instant, level in points
        if local(2026, 3, 29, 8) < instant < local(2026, 3, 29, 11)
    ]
    assert len(moving) > 20
    assert all(level is not None and 20 <= level <= 100 for level in moving)
    assert len(points) <= MAX_POINTS
    assert all(a[0] <= b[0] for a, b in pairwise(points))
    # Flat stretches by their ends only.
    ten_pm = local(2026, 3, 29, 22)
    flat = [p for p in points if local(2026, 3, 29, 13) < p[0] <= ten_pm]
    assert flat == [(ten_pm, 30.0), (ten_pm, 0.0)]


def test_an_open_ramp_and_a_wave_break_the_line() -> None:
    first = local(2026, 3, 29, 7)
    up = sched("up", daily("08:00"), ActionType.RAMP, level=80, duration=2 * HOUR)
    ramp = [dataclasses.replace(up, start=first)]
    points = curve_of(ramp, *DAY).points()
    # Nothing before the first ramp: its start is unknown until it ends.
    assert points[0] == (DAY[0], None)
    assert points[-2:] == [(local(2026, 3, 29, 10), 80.0), (DAY[1], 80.0)]
    pattern = WavePattern((LIGHT,), WaveSettings(WaveMode.PULSE, on=MINUTE, off=MINUTE))
    wave = [Schedule("w", "w", daily("00:00"), wave_action(pattern))]
    curve = curve_of(wave, *DAY)
    assert not curve.known
    assert curve.level_at(local(2026, 3, 29, 12)) is None
    assert DayCurve([], [], *DAY).known is False


def test_a_chain_longer_than_max_chain_is_unknown() -> None:
    every = IntervalTiming(MINUTE, anchor=local(2026, 3, 29, 12))
    chain = [
        sched("a", daily("06:00"), ActionType.SET_LEVEL, level=10),
        Schedule(
            "r",
            "r",
            every,
            Action(ActionType.RAMP, Target(entity_ids=(LIGHT,)), level=90, duration=HOUR),
            end=local(2026, 3, 29, 12, MAX_CHAIN + 3),
        ),
    ]
    assert_follows_prescribe(chain, local(2026, 3, 29, 11), local(2026, 3, 29, 15), MINUTE / 2)


def test_care_holds_the_device_over_the_schedules() -> None:
    feed = CarePeriod(
        CareKind.FEED,
        local(2026, 3, 29, 12),
        local(2026, 3, 29, 12, 10),
        (DeviceHold(LIGHT, 0.0, 5 * MINUTE),),
    )
    maintenance = CarePeriod(
        CareKind.MAINTENANCE,
        local(2026, 3, 29, 12, 5),
        local(2026, 3, 29, 13),
        (DeviceHold(LIGHT, 25.0), DeviceHold("switch.other", 0.0)),
    )
    schedules = [sched("on", daily("06:00"), ActionType.ON)]
    curve = curve_of(schedules, *DAY, [feed, maintenance])
    holds = holds_of([feed, maintenance], LIGHT)

    assert curve.level_at(local(2026, 3, 29, 12, 1)) == 0.0
    assert held_at(holds, local(2026, 3, 29, 12, 1)) == (CareKind.FEED, 0.0)
    # Maintenance wins where both hold the light; then its release.
    assert curve.level_at(local(2026, 3, 29, 12, 7)) == 25.0
    assert held_at(holds, local(2026, 3, 29, 12, 7)) == (CareKind.MAINTENANCE, 25.0)
    assert curve.level_at(local(2026, 3, 29, 13)) == 100.0
    assert held_at(holds, local(2026, 3, 29, 13)) is None
    points = curve.points()
    assert [level for instant, level in points if instant == local(2026, 3, 29, 12)] == [100.0, 0.0]


def test_too_many_changes_are_sampled_on_the_grid() -> None:
    toggles = [
        Schedule(
            sid,
            sid,
            IntervalTiming(10 * MINUTE, anchor=local(2026, 3, 29, 0, offset)),
            Action(kind, Target(entity_ids=(LIGHT,))),
        )
        for sid, offset, kind in (("off", 5, ActionType.OFF), ("on", 0, ActionType.ON))
    ]
    points = curve_of(toggles, *DAY).points()

    assert len(points) == MAX_POINTS
    assert points[0][0] == DAY[0]
    assert points[-1][0] == DAY[1]
    assert {level for _, level in points} <= {0.0, 100.0}
