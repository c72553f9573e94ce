"""The prescribed state of light profiles: each light its own curve, the latest run wins."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from custom_components.reef_scheduler.engine.light_curve import light_curve
from custom_components.reef_scheduler.engine.light_model import Channel, LightProfile, Moonlight
from custom_components.reef_scheduler.engine.model import (
    Action,
    ActionType,
    Frequency,
    OneOffTiming,
    RecurringTiming,
    Schedule,
    Target,
)
from custom_components.reef_scheduler.engine.prescribed import (
    Steady,
    effect_of,
    prescribe,
)
from custom_components.reef_scheduler.engine.profile import round_level
from custom_components.reef_scheduler.engine.timeline import get_zone

from .engine_helpers import berlin as local

BERLIN = "Europe/Berlin"
ZONE = get_zone(BERLIN)
BLUE = "light.blue"
WHITE = "light.white"


def points(*pairs: tuple[str, float]) -> tuple[tuple[time, float], ...]:
    return tuple((time.fromisoformat(t), level) for t, level in pairs)


PROFILE = LightProfile(
    channels=(
        Channel(
            "Blue",
            (BLUE,),
            points(("08:00", 0), ("10:00", 80), ("18:00", 80), ("20:00", 0)),
        ),
        Channel("White", (WHITE,), points(("10:00", 0), ("12:00", 60), ("16:00", 0))),
    ),
    moon=Moonlight((BLUE,), 5, time(21), time(7)),
)


def profile_schedule(sid: str = "reef", profile: LightProfile = PROFILE) -> Schedule:
    action = Action(ActionType.PROFILE, Target(entity_ids=profile.lights), plan=profile)
    return Schedule(sid, "Reef light", RecurringTiming(Frequency.DAILY, (time(0),)), action)


def test_each_light_follows_its_own_curve_of_the_days_run() -> None:
    schedule = profile_schedule()
    now = local(2026, 3, 4, 9)
    answer = prescribe([schedule], now, default_zone=BERLIN)
    assert set(answer) == {BLUE, WHITE}
    midnight = local(2026, 3, 4, 0)
    for light, prescription in answer.items():
        assert (prescription.schedule_id, prescription.due) == ("reef", midnight)
        assert prescription.action is ActionType.PROFILE
        curve = light_curve(PROFILE, light, midnight, zone=ZONE, seed="reef")
        for instant in (now, local(2026, 3, 4, 11), local(2026, 3, 4, 19)):
            assert prescription.effect.level_at(instant) == curve.level_at(instant)
        assert prescription.plan(0.0) is prescription.effect
        assert prescription.next_change() == curve.next_change(now)
    assert round_level(answer[BLUE].level or 0) == 40
    assert answer[WHITE].level == 0
    assert answer[BLUE].until is not None


def test_another_schedules_later_run_wins_until_the_next_local_midnight() -> None:
    dim = Action(ActionType.SET_LEVEL, Target(entity_ids=(BLUE,)), level=30)
    schedules = [
        profile_schedule(),
        Schedule("dim", "Dim", OneOffTiming(local(2026, 3, 4, 14)), dim),
    ]

    def blue(instant: datetime) -> tuple[str, float | None]:
        found = prescribe(schedules, instant, default_zone=BERLIN)[BLUE]
        return found.schedule_id, found.level

    assert blue(local(2026, 3, 4, 13)) == ("reef", 80)
    assert blue(local(2026, 3, 4, 19)) == ("dim", 30)
    assert blue(local(2026, 3, 4, 23, 59)) == ("dim", 30)
    assert blue(local(2026, 3, 5, 9)) == ("reef", pytest.approx(40))
    # The white light was never the other schedule's.
    assert prescribe(schedules, local(2026, 3, 4, 19), default_zone=BERLIN)[WHITE].schedule_id == (
        "reef"
    )


def test_a_ramp_without_start_level_starts_from_the_curve() -> None:
    ramp = Action(ActionType.RAMP, Target(entity_ids=(BLUE,)), level=0, duration=timedelta(hours=1))
    schedules = [
        profile_schedule(),
        Schedule("fade", "Fade", OneOffTiming(local(2026, 3, 4, 9)), ramp),
    ]
    found = prescribe(schedules, local(2026, 3, 4, 9, 30), default_zone=BERLIN)[BLUE]
    assert found.schedule_id == "fade"
    assert found.level == pytest.approx(20)  # from 40 % at 09:00 to 0 over an hour


def test_the_moon_window_reaches_the_curve() -> None:
    moonrise = {date(2026, 3, 4): (local(2026, 3, 4, 22), local(2026, 3, 5, 6))}
    seen: list[object] = []

    def windows(zone: object) -> object:
        seen.append(zone)
        return lambda day: moonrise.get(day)

    bright = LightProfile(PROFILE.channels, moon=Moonlight((BLUE,), 100))
    schedule = profile_schedule(profile=bright)
    at_night = local(2026, 3, 4, 23)
    found = prescribe([schedule], at_night, default_zone=BERLIN, moon_windows=windows)[BLUE]
    expected = light_curve(
        bright,
        BLUE,
        local(2026, 3, 4, 0),
        zone=ZONE,
        seed="reef",
        moon_window=lambda day: moonrise.get(day),
    )
    assert found.level == expected.level_at(at_night)
    assert set(seen) == {ZONE}
    assert found.level is not None
    assert found.level > 0


def test_a_disabled_profile_prescribes_nothing_and_others_are_unchanged() -> None:
    disabled = profile_schedule()
    disabled = Schedule(disabled.id, disabled.name, disabled.timing, disabled.action, enabled=False)
    assert prescribe([disabled], local(2026, 3, 4, 9), default_zone=BERLIN) == {}
    on = Action(ActionType.ON, Target(entity_ids=(BLUE,)))
    assert effect_of(on, local(2026, 3, 4, 9)) == Steady(100)


def test_a_profile_effect_needs_its_light() -> None:
    action = profile_schedule().action
    with pytest.raises(ValueError, match="profile"):
        effect_of(action, local(2026, 3, 4))
