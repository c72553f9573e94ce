"""The prescribed state of wave patterns: each pump its own curve over the local day."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from custom_components.reef_scheduler.engine.light_curve import day_end
from custom_components.reef_scheduler.engine.model import (
    Action,
    ActionType,
    Frequency,
    OneOffTiming,
    RecurringTiming,
    Schedule,
    Target,
)
from custom_components.reef_scheduler.engine.prescribed import effect_of, prescribe
from custom_components.reef_scheduler.engine.timeline import get_zone
from custom_components.reef_scheduler.engine.wave import wave_curve
from custom_components.reef_scheduler.engine.wave_model import WaveMode, WavePattern, WaveSettings

from .engine_helpers import at

BERLIN = "Europe/Berlin"
ZONE = get_zone(BERLIN)
S = timedelta(seconds=1)
PATTERN = WavePattern(
    ("switch.left", "fan.right"),
    WaveSettings(WaveMode.RANDOM, 10 * S, 20 * S, 60 * S, 90 * S, max_speed=80),
)
WAVES = Schedule(
    "waves",
    "Waves",
    RecurringTiming(Frequency.DAILY, (time(0),)),
    Action(ActionType.WAVE, Target(entity_ids=PATTERN.pumps), plan=PATTERN),
)


def test_each_pump_follows_its_curve_from_local_midnight() -> None:
    now = at(BERLIN, 2026, 11, 29, 13, 7, 31)
    found = prescribe([WAVES], now, default_zone=BERLIN)
    midnight = at(BERLIN, 2026, 11, 29, 0)
    for pump in PATTERN.pumps:
        prescription = found[pump]
        assert (prescription.action, prescription.due) == (ActionType.WAVE, midnight)
        curve = wave_curve(
            PATTERN, pump, midnight, day_end(midnight, ZONE), zone=ZONE, seed="waves"
        )
        assert prescription.level == curve.level_at(now)
        assert prescription.next_change() == curve.next_change(now)
        # A wave keeps changing until midnight: it is followed, never set once.
        assert prescription.until == at(BERLIN, 2026, 11, 30, 0)
        assert prescription.plan(0.0) is prescription.effect


def test_a_later_run_on_a_pump_wins_until_the_next_day() -> None:
    off = Schedule(
        "off",
        "Pump off",
        OneOffTiming(at(BERLIN, 2026, 11, 29, 12)),
        Action(ActionType.OFF, Target(entity_ids=("switch.left",))),
    )
    now = at(BERLIN, 2026, 11, 29, 13)
    found = prescribe([WAVES, off], now, default_zone=BERLIN)
    assert (found["switch.left"].schedule_id, found["fan.right"].schedule_id) == ("off", "waves")
    tomorrow = prescribe([WAVES, off], now + timedelta(days=1), default_zone=BERLIN)
    assert tomorrow["switch.left"].schedule_id == "waves"


def test_a_wave_effect_needs_its_pattern_and_a_pump() -> None:
    due = at(BERLIN, 2026, 11, 29, 0)
    with pytest.raises(ValueError, match="pump"):
        effect_of(WAVES.action, due)
    with pytest.raises(ValueError, match="pump"):
        effect_of(Action(ActionType.WAVE, Target(entity_ids=PATTERN.pumps)), due)
