"""Tests for the prescribed state: what the schedules say a target should be at an instant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import pytest

from custom_components.reef_scheduler.engine.model import (
    Action,
    ActionType,
    CronTiming,
    IntervalTiming,
    OneOffTiming,
    Schedule,
    SunEvent,
    SunTiming,
    Target,
    Timing,
)
from custom_components.reef_scheduler.engine.prescribed import (
    MAX_CHAIN,
    OpenRamp,
    Prescription,
    Steady,
    effect_of,
    prescribe,
    prescribe_entity,
)
from custom_components.reef_scheduler.engine.presets import expand_preset
from custom_components.reef_scheduler.engine.profile import Curve, Hold, Ramp
from custom_components.reef_scheduler.engine.timeline import SunCalculator, get_zone

from .engine_helpers import FakeSun, at, berlin as local, daily_at as daily, utc, wall

BERLIN = "Europe/Berlin"
LIGHT = "light.reef"
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def act(kind: ActionType, *entities: str, **fields: Any) -> Action:
    return Action(kind, Target(entity_ids=entities or (LIGHT,)), **fields)


def sched(sid: str, timing: Timing, action: Action, **fields: Any) -> Schedule:
    return Schedule(sid, sid, timing, action, **fields)


def ramp(level: float, duration: timedelta, start: float | None = None, **fields: Any) -> Action:
    return act(ActionType.RAMP, level=level, start_level=start, duration=duration, **fields)


def one(
    schedules: list[Schedule],
    instant: datetime,
    *,
    entity: str = LIGHT,
    sun: SunCalculator | None = None,
    excluded: Callable[[str, datetime], bool] | None = None,
) -> Prescription | None:
    return prescribe_entity(
        entity, schedules, instant, default_zone=BERLIN, sun=sun, excluded=excluded
    )


def level(schedules: list[Schedule], instant: datetime, **kwargs: Any) -> float | None:
    prescription = one(schedules, instant, **kwargs)
    assert prescription is not None
    return prescription.level


# --- what each action prescribes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (act(ActionType.OFF), 0.0),
        (act(ActionType.ON), 100.0),
        (act(ActionType.SET_LEVEL, level=42.5), 42.5),
        (act(ActionType.SET_PWM, level=7), 7.0),
    ],
)
def test_plain_actions_prescribe_a_steady_level(action: Action, expected: float) -> None:
    schedule = sched("s", daily("08:00"), action)
    prescription = one([schedule], local(2024, 5, 6, 12))
    assert prescription is not None
    assert prescription.level == expected
    assert prescription.effect == Steady(expected)
    assert (prescription.schedule_id, prescription.due) == ("s", local(2024, 5, 6, 8))
    assert prescription.action is action.type
    assert prescription.entity_id == LIGHT
    assert prescription.profile is None
    assert prescription.until is None
    assert prescription.next_change() is None
    assert prescription.plan(55.0) is None
    assert prescription.chain == 0


def test_hold_inside_and_after_its_window() -> None:
    schedule = sched("s", daily("10:00"), act(ActionType.SET_LEVEL, level=60, duration=8 * HOUR))
    inside = one([schedule], local(2024, 5, 6, 17, 59))
    assert inside is not None
    assert inside.level == 60
    hold = Hold(local(2024, 5, 6, 10), local(2024, 5, 6, 18), 60)
    assert inside.profile == hold
    assert inside.plan(0) == hold
    assert inside.until == local(2024, 5, 6, 18)
    assert inside.next_change() == local(2024, 5, 6, 18)
    after = one([schedule], local(2024, 5, 6, 18))
    assert after is not None
    # The hold's end switched the target off; the run still prescribes it.
    assert (after.level, after.due, after.profile, after.until) == (0, hold.start, None, None)
    before = one([schedule], local(2024, 5, 6, 9))
    assert before is not None
    assert (before.due, before.level) == (local(2024, 5, 5, 10), 0)


def test_on_with_hold_is_full_then_off() -> None:
    schedule = sched("s", daily("10:00"), act(ActionType.ON, duration=HOUR))
    assert level([schedule], local(2024, 5, 6, 10, 30)) == 100
    assert level([schedule], local(2024, 5, 6, 11)) == 0


@pytest.mark.parametrize(
    ("curve", "middle"),
    [(Curve.LINEAR, 35.0), (Curve.SMOOTH, 20.0 + 60.0 * 0.15625)],
)
def test_ramp_start_middle_end(curve: Curve, middle: float) -> None:
    action = ramp(80, 4 * HOUR, start=20, curve=curve)
    schedule = sched("s", daily("08:00"), action)
    expected = Ramp(local(2024, 5, 6, 8), 4 * HOUR, 20, 80, curve)
    start = one([schedule], local(2024, 5, 6, 8))
    assert start is not None
    assert (start.level, start.profile, start.until) == (20, expected, local(2024, 5, 6, 12))
    # Progress 1/4: linear 25 %, smooth 3u² - 2u³ = 0.15625.
    quarter = local(2024, 5, 6, 9)
    assert level([schedule], quarter) == pytest.approx(middle)
    mid = one([schedule], quarter)
    assert mid is not None
    assert mid.next_change() == expected.next_change(quarter)
    assert mid.next_change(current=0) == expected.next_change(quarter)
    end = one([schedule], local(2024, 5, 6, 12))
    assert end is not None
    assert (end.level, end.profile, end.next_change()) == (80, None, None)


def test_ramp_without_start_level_continues_from_the_set_level_before() -> None:
    schedules = [
        sched("a", daily("07:00"), act(ActionType.SET_LEVEL, level=10)),
        sched("b", daily("08:00"), ramp(90, 2 * HOUR)),
    ]
    prescription = one(schedules, local(2024, 5, 6, 9))
    assert prescription is not None
    assert prescription.effect == Ramp(local(2024, 5, 6, 8), 2 * HOUR, 10, 90, Curve.LINEAR)
    assert prescription.level == pytest.approx(50)
    assert prescription.chain == 1
    # Before 07:00 the latest run is yesterday's ramp, over and at its end level.
    assert level(schedules, local(2024, 5, 6, 6)) == 90


def test_ramp_without_start_after_a_hold_ending_at_its_due_starts_from_off() -> None:
    schedules = [
        sched("a", daily("06:00"), act(ActionType.ON, duration=2 * HOUR)),
        sched("b", daily("08:00"), ramp(40, 2 * HOUR)),
    ]
    prescription = one(schedules, local(2024, 5, 6, 9))
    assert prescription is not None
    assert prescription.effect == Ramp(local(2024, 5, 6, 8), 2 * HOUR, 0, 40, Curve.LINEAR)


def test_ramp_with_nothing_before_has_an_unknown_start() -> None:
    schedule = sched("s", OneOffTiming(local(2024, 5, 6, 8)), ramp(80, 4 * HOUR))
    prescription = one([schedule], local(2024, 5, 6, 9))
    assert prescription is not None
    assert prescription.effect == OpenRamp(local(2024, 5, 6, 8), 4 * HOUR, 80, Curve.LINEAR)
    assert prescription.level is None
    assert prescription.profile is None
    assert prescription.until == local(2024, 5, 6, 12)
    # The runner continues from the device's level over the remaining three hours.
    resumed = Ramp(local(2024, 5, 6, 9), 3 * HOUR, 20, 80, Curve.LINEAR)
    assert prescription.plan(20) == resumed
    assert prescription.plan(120) == Ramp(resumed.start, resumed.duration, 100, 80, Curve.LINEAR)
    assert prescription.next_change() == local(2024, 5, 6, 12)
    assert prescription.next_change(current=20) == resumed.next_change(resumed.start)
    assert prescription.chain == 1
    after = one([schedule], local(2024, 5, 6, 12))
    assert after is not None
    assert (after.level, after.plan(20), after.next_change(), after.until) == (80, None, None, None)


def test_open_ramp_resumed_before_its_start() -> None:
    ramp_ = OpenRamp(utc(2024, 5, 6, 8), HOUR, 50, Curve.SMOOTH)
    assert ramp_.resume(utc(2024, 5, 6, 7), 10) == Ramp(
        utc(2024, 5, 6, 8), HOUR, 10, 50, Curve.SMOOTH
    )
    assert ramp_.resume(utc(2024, 5, 6, 10), 10).duration == timedelta(0)


def test_chained_ramps_without_start_level() -> None:
    # Every 10 min a 30 min ramp from wherever the last one was: each starts while the
    # previous one still moves, so each start depends on the one before.
    schedules = [
        sched("a", OneOffTiming(local(2024, 5, 6, 7)), act(ActionType.SET_LEVEL, level=0)),
        sched("b", IntervalTiming(10 * MINUTE, local(2024, 5, 6, 8)), ramp(90, 30 * MINUTE)),
    ]
    # The first ramp starts from 0 and has reached 30 at 08:10 when the second starts.
    second = one(schedules, local(2024, 5, 6, 8, 10))
    assert second is not None
    assert second.chain == 2
    assert second.effect == Ramp(local(2024, 5, 6, 8, 10), 30 * MINUTE, 30, 90, Curve.LINEAR)
    last_known = local(2024, 5, 6, 8) + (MAX_CHAIN - 1) * 10 * MINUTE
    known = one(schedules, last_known + MINUTE)
    assert known is not None
    assert known.chain == MAX_CHAIN
    assert isinstance(known.effect, Ramp)
    # Replaying the chain by hand gives the same start.
    start = 0.0
    for _ in range(MAX_CHAIN - 1):
        start += (90 - start) / 3
    assert known.effect.start_level == pytest.approx(start)
    # One link more and the start is no longer computed.
    unknown = one(schedules, last_known + 10 * MINUTE)
    assert unknown is not None
    assert unknown.chain == MAX_CHAIN + 1
    assert isinstance(unknown.effect, OpenRamp)
    assert unknown.level is None
    # A ramp that ended before the next began breaks the chain: its end level is known.
    spaced = [
        sched("b", IntervalTiming(HOUR, local(2024, 5, 6, 8)), ramp(90, 30 * MINUTE)),
    ]
    third = one(spaced, local(2024, 5, 6, 10, 15))
    assert third is not None
    assert (third.chain, third.level) == (1, 90)


def test_latest_of_two_schedules_wins_and_ties_go_to_the_greater_id() -> None:
    schedules = [
        sched("a", daily("08:00", "20:00"), act(ActionType.SET_LEVEL, level=30)),
        sched("b", daily("12:00"), act(ActionType.SET_LEVEL, level=70)),
    ]
    assert level(schedules, local(2024, 5, 6, 11)) == 30
    assert level(schedules, local(2024, 5, 6, 13)) == 70
    assert level(schedules, local(2024, 5, 6, 21)) == 30
    tie = [
        sched("z", daily("08:00"), act(ActionType.OFF)),
        sched("m", daily("08:00"), act(ActionType.ON)),
    ]
    prescription = one(tie, local(2024, 5, 6, 9))
    assert prescription is not None
    assert (prescription.schedule_id, prescription.level) == ("z", 0)
    # A ramp without start level tied with a set_level starts from it when its id is greater.
    chained = [
        sched("a", daily("08:00"), act(ActionType.SET_LEVEL, level=40)),
        sched("b", daily("08:00"), ramp(80, HOUR)),
    ]
    prescription = one(chained, local(2024, 5, 6, 8, 30))
    assert prescription is not None
    assert prescription.level == pytest.approx(60)


def test_toggle_custom_and_disabled_schedules_prescribe_nothing() -> None:
    base = sched("a", daily("08:00"), act(ActionType.SET_LEVEL, level=30))
    others = [
        sched("b", daily("09:00"), act(ActionType.TOGGLE)),
        sched("c", daily("09:00"), Action(ActionType.CUSTOM, sequence=({"delay": 1},))),
        sched("d", daily("09:00"), act(ActionType.OFF), enabled=False),
    ]
    prescription = one([base, *others], local(2024, 5, 6, 10))
    assert prescription is not None
    assert prescription.schedule_id == "a"
    assert one(others, local(2024, 5, 6, 10)) is None
    assert effect_of(act(ActionType.TOGGLE), local(2024, 5, 6, 10)) is None


def test_window_start_and_end() -> None:
    schedule = sched(
        "s",
        daily("08:00"),
        act(ActionType.SET_LEVEL, level=30),
        start=local(2024, 5, 6, 8),
        end=local(2024, 5, 8, 7),
    )
    assert one([schedule], local(2024, 5, 6, 7, 59)) is None
    assert level([schedule], local(2024, 5, 6, 8)) == 30
    # The last run before the end keeps prescribing after the window.
    prescription = one([schedule], local(2024, 5, 20, 12))
    assert prescription is not None
    assert prescription.due == local(2024, 5, 7, 8)


def test_excluded_runs_did_not_happen() -> None:
    schedules = [
        sched("a", daily("08:00"), act(ActionType.SET_LEVEL, level=30)),
        sched("b", daily("12:00"), act(ActionType.SET_LEVEL, level=70)),
    ]
    skipped = {("b", local(2024, 5, 6, 12))}
    prescription = one(
        schedules, local(2024, 5, 6, 13), excluded=lambda sid, due: (sid, due) in skipped
    )
    assert prescription is not None
    assert (prescription.schedule_id, prescription.due) == ("a", local(2024, 5, 6, 8))


def test_photoperiod_preset_crossing_midnight() -> None:
    timing, hold = expand_preset("photoperiod", {"on": "20:00", "off": "08:00"})
    schedule = sched("p", timing, act(ActionType.ON, duration=hold), preset="photoperiod")
    night = one([schedule], local(2024, 5, 7, 2))
    assert night is not None
    assert (night.level, night.due) == (100, local(2024, 5, 6, 20))
    assert night.next_change() == local(2024, 5, 7, 8)
    assert level([schedule], local(2024, 5, 7, 8)) == 0
    assert level([schedule], local(2024, 5, 7, 19, 59)) == 0
    assert level([schedule], local(2024, 5, 7, 20)) == 100


def test_dst_spring_forward_hold_and_ramp() -> None:
    hold = sched("h", daily("02:30"), act(ActionType.ON, duration=HOUR))
    # 02:30 does not exist on 2024-03-31: the run is at 03:00 CEST and holds one real hour.
    prescription = one([hold], local(2024, 3, 31, 3, 30))
    assert prescription is not None
    assert wall([prescription.due], BERLIN) == ["2024-03-31 03:00+0200"]
    assert prescription.level == 100
    assert prescription.until is not None
    assert wall([prescription.until], BERLIN) == ["2024-03-31 04:00+0200"]
    # A ramp from 01:30 CET over two real hours ends at 04:30 CEST; at 03:30 CEST one hour
    # has passed.
    ramp_ = sched("r", daily("01:30"), ramp(100, 2 * HOUR, start=0))
    assert level([ramp_], local(2024, 3, 31, 3, 30)) == pytest.approx(50)
    after = one([ramp_], local(2024, 3, 31, 4, 30))
    assert after is not None
    assert after.level == 100
    assert after.profile is None


def test_dst_fall_back_hold_and_ramp() -> None:
    hold = sched("h", daily("02:30"), act(ActionType.ON, duration=HOUR))
    first = at(BERLIN, 2024, 10, 27, 2, 30)
    second = at(BERLIN, 2024, 10, 27, 2, 30, fold=1)
    # The repeated 02:30 runs once, at its first occurrence, and holds one real hour: it ends
    # at the second 02:30, and the second occurrence is not a run.
    inside = one([hold], first + 30 * MINUTE)
    assert inside is not None
    assert (inside.due, inside.level, inside.until) == (first, 100, second)
    later = one([hold], second + 10 * MINUTE)
    assert later is not None
    assert (later.due, later.level) == (first, 0)
    # A ramp from 01:30 CEST over two real hours ends at 02:30 CET.
    ramp_ = sched("r", daily("01:30"), ramp(100, 2 * HOUR, start=0))
    assert level([ramp_], first) == pytest.approx(50)
    assert level([ramp_], second - MINUTE) < 100
    assert level([ramp_], second) == 100


def test_interval_cron_and_sun_schedules() -> None:
    interval = sched(
        "i",
        IntervalTiming(45 * MINUTE, local(2024, 5, 6, 0)),
        act(ActionType.SET_LEVEL, level=20, duration=15 * MINUTE),
    )
    prescription = one([interval], local(2024, 5, 6, 12, 50))
    assert prescription is not None
    assert (prescription.due, prescription.level) == (local(2024, 5, 6, 12, 45), 20)
    assert level([interval], local(2024, 5, 6, 13, 0)) == 0
    cron = sched("c", CronTiming("15 8,20 * * 1-5"), act(ActionType.SET_PWM, level=35))
    prescription = one([cron], local(2024, 5, 6, 7))  # a Monday morning
    assert prescription is not None
    assert prescription.due == local(2024, 5, 3, 20, 15)  # Friday evening
    sun = FakeSun(BERLIN, {SunEvent.SUNSET: time(21, 10)})
    dusk = sched("d", SunTiming(SunEvent.SUNSET, -HOUR), ramp(0, HOUR, start=80))
    assert level([dusk], local(2024, 5, 6, 20, 40), sun=sun) == pytest.approx(40)
    with pytest.raises(ValueError, match="SunCalculator"):
        one([dusk], local(2024, 5, 6, 20, 40))


def test_no_run_yet() -> None:
    schedule = sched("s", OneOffTiming(local(2024, 5, 7, 8)), act(ActionType.ON))
    assert one([schedule], local(2024, 5, 6, 8)) is None
    assert prescribe([schedule], local(2024, 5, 6, 8), default_zone=BERLIN) == {}
    assert one([], local(2024, 5, 6, 8)) is None


def test_many_entities_with_expanded_targets() -> None:
    schedules = [
        # Targets a device: the caller expands it to its entities.
        sched(
            "a",
            daily("08:00"),
            Action(ActionType.SET_LEVEL, Target(device_ids=("dev",)), level=30),
        ),
        sched("b", daily("09:00"), act(ActionType.OFF, "switch.pump", "light.blue")),
        sched("c", daily("10:00"), act(ActionType.ON, "switch.pump")),
    ]
    targets = {"a": ["light.blue", "light.white", "light.white"]}
    instant = local(2024, 5, 6, 12)
    answer = prescribe(schedules, instant, default_zone=BERLIN, targets=targets)
    assert {entity: p.schedule_id for entity, p in answer.items()} == {
        "light.blue": "b",
        "light.white": "a",
        "switch.pump": "c",
    }
    for entity, prescription in answer.items():
        assert (
            prescribe_entity(entity, schedules, instant, default_zone=BERLIN, targets=targets)
            == prescription
        )
    only = prescribe(
        schedules,
        instant,
        default_zone=BERLIN,
        targets=targets,
        entity_ids=["switch.pump", "light.unknown"],
    )
    assert list(only) == ["switch.pump"]


def test_schedule_zone_is_used() -> None:
    tokyo = sched("t", daily("08:00"), act(ActionType.ON), timezone="Asia/Tokyo")
    prescription = one([tokyo], at("Asia/Tokyo", 2024, 5, 6, 9))
    assert prescription is not None
    assert prescription.due == at("Asia/Tokyo", 2024, 5, 6, 8)


def test_bad_input() -> None:
    schedule = sched("s", daily("08:00"), act(ActionType.ON))
    with pytest.raises(ValueError, match="duplicate"):
        prescribe([schedule, schedule], local(2024, 5, 6, 8), default_zone=BERLIN)
    with pytest.raises(ValueError, match="aware"):
        prescribe([schedule], datetime(2024, 5, 6, 8), default_zone=BERLIN)
    with pytest.raises(ValueError, match="ramp needs"):
        effect_of(act(ActionType.RAMP, level=50), local(2024, 5, 6, 8))


def test_source_pulls_runs_lazily_and_remembers_them() -> None:
    from custom_components.reef_scheduler.engine.prescribed import _Source

    schedule = sched("s", daily("08:00"), act(ActionType.ON))
    runs = [local(2024, 5, 6, 8), local(2024, 5, 5, 8), local(2024, 5, 4, 8)]
    source = _Source(schedule, get_zone(BERLIN), iter(runs))
    assert source.latest(local(2024, 5, 4, 12)) == runs[2]  # pulls past two later runs
    assert source.latest(local(2024, 5, 6, 9)) == runs[0]  # remembered
    assert source.latest(local(2024, 5, 5, 8)) == runs[1]
    assert source.latest(local(2024, 5, 1)) is None  # exhausts the iterator
    assert source.latest(local(2024, 5, 2)) is None  # without asking it again


def test_a_schedule_past_is_searched_once_for_all_its_entities() -> None:
    def calls(entities: int) -> int:
        sun = FakeSun(BERLIN, {SunEvent.SUNRISE: time(6)})
        names = [f"light.l{k}" for k in range(entities)]
        schedules = [
            sched("a", SunTiming(SunEvent.SUNRISE), act(ActionType.SET_LEVEL, *names, level=9)),
            sched("b", daily("05:00"), act(ActionType.OFF, *names)),
        ]
        answer = prescribe(schedules, local(2024, 5, 6, 12), default_zone=BERLIN, sun=sun)
        assert {p.schedule_id for p in answer.values()} == {"a"}
        assert len(answer) == entities
        return len(sun.calls)

    assert calls(50) == calls(1)
