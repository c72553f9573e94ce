"""Tests for the wave spec: validation, errors and the round trip."""

from __future__ import annotations

from datetime import time, timedelta
import json
import pathlib
import re
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.reef_scheduler.engine import validate, validate_wave
from custom_components.reef_scheduler.engine.model import (
    Action,
    ActionType,
    Frequency,
    RecurringTiming,
    Schedule,
    Target,
)
from custom_components.reef_scheduler.engine.validate import schedule_to_dict, validate_schedule
from custom_components.reef_scheduler.engine.wave_model import (
    WaveMode,
    WaveNight,
    WavePattern,
    WaveSettings,
)

from .engine_helpers import errors_of, plan_spec_errors, spec_with

ZONE = "Europe/Berlin"
PUMPS = ["switch.wave_left", "switch.wave_right"]
FANS = ["fan.left", "number.right"]
S = timedelta(seconds=1)


def wave_spec(**changes: Any) -> dict[str, Any]:
    """Return a valid wave spec whose wave has some keys changed (None deletes)."""
    wave: dict[str, Any] = {"pumps": PUMPS, "mode": "alternate", "on": 30}
    wave.update(changes)
    return {
        "id": "waves",
        "type": "wave",
        "wave": {key: value for key, value in wave.items() if value is not None},
    }


def test_minimal_wave() -> None:
    schedule = validate_schedule(wave_spec(), default_timezone=ZONE)
    pattern = WavePattern(tuple(PUMPS), WaveSettings(WaveMode.ALTERNATE, on=30 * S))
    assert schedule == Schedule(
        id="waves",
        name="waves",
        timing=RecurringTiming(Frequency.DAILY, (time(0),)),
        action=Action(ActionType.WAVE, Target(entity_ids=tuple(PUMPS)), plan=pattern),
    )
    assert schedule.action.wave == pattern


def test_full_wave() -> None:
    data = wave_spec(
        pumps=[*FANS, "input_number.third"],
        mode="random",
        on=10,
        off=20,
        on_max=60,
        off_max=90,
        max_speed=80,
        min_on=10,
        min_off=0,
        night={
            "start": "22:00",
            "end": "07:00",
            "mode": "sine",
            "period": 600,
            "min_speed": 20.5,
            "max_speed": 60,
        },
    )
    pattern = validate_schedule(data, default_timezone=ZONE).action.wave
    assert pattern == WavePattern(
        ("fan.left", "number.right", "input_number.third"),
        WaveSettings(
            WaveMode.RANDOM, on=10 * S, off=20 * S, on_max=60 * S, off_max=90 * S, max_speed=80
        ),
        WaveNight(
            time(22),
            time(7),
            WaveSettings(WaveMode.SINE, period=600 * S, min_speed=20.5, max_speed=60),
        ),
        min_on=10 * S,
        min_off=timedelta(0),
    )


def test_ramped_pulse_and_pulse() -> None:
    ramped = wave_spec(pumps=FANS, mode="ramped_pulse", on=20, off=10, ramp=5, min_speed=10)
    pattern = validate_schedule(ramped, default_timezone=ZONE).action.wave
    assert pattern is not None
    assert pattern.day == WaveSettings(
        WaveMode.RAMPED_PULSE, on=20 * S, off=10 * S, ramp=5 * S, min_speed=10
    )
    pulse = validate_schedule(
        wave_spec(pumps="switch.one", mode="pulse", on=5, off=5), default_timezone=ZONE
    ).action.wave
    assert pulse is not None
    assert (pulse.pumps, pulse.day) == (("switch.one",), WaveSettings(WaveMode.PULSE, 5 * S, 5 * S))


def test_stored_wave_has_no_action_and_names_its_type() -> None:
    stored = schedule_to_dict(validate_schedule(wave_spec(), default_timezone=ZONE))
    assert "action" not in stored
    assert (stored["type"], stored["wave"]) == (
        "wave",
        {
            "pumps": PUMPS,
            "mode": "alternate",
            "on": 30,
            "max_speed": 100,
            "min_on": 5,
            "min_off": 5,
        },
    )


NIGHT = {"start": "22:00", "end": "07:00", "mode": "pulse", "on": 10, "off": 50}

WAVE_ERRORS: list[tuple[dict[str, Any], set[tuple[str, str]]]] = [
    ({"pumps": None}, {("wave.pumps", "required")}),
    ({"pumps": []}, {("wave.pumps", "required")}),
    ({"pumps": {"a": 1}}, {("wave.pumps", "invalid_type")}),
    ({"pumps": [f"switch.p{i}" for i in range(9)]}, {("wave.pumps", "too_many_pumps")}),
    (
        {"pumps": ["light.pump", "switch", 5, "switch.ok"]},
        {
            ("wave.pumps.0", "invalid_pump"),
            ("wave.pumps.1", "invalid_pump"),
            ("wave.pumps.2", "invalid_pump"),
        },
    ),
    ({"mode": "storm"}, {("wave.mode", "invalid_wave_mode")}),
    ({"mode": None}, {("wave.mode", "required")}),
    ({"on": None}, {("wave.on", "required")}),
    ({"on": 0}, {("wave.on", "wave_length_out_of_range")}),
    ({"on": 3601}, {("wave.on", "wave_length_out_of_range")}),
    ({"on": 2.5}, {("wave.on", "invalid_type")}),
    ({"off": 30, "period": 60}, {("wave.off", "not_allowed"), ("wave.period", "not_allowed")}),
    ({"min_speed": 10}, {("wave.min_speed", "not_allowed")}),
    ({"max_speed": 0}, {("wave.max_speed", "level_out_of_range")}),
    (
        {"min_on": 601, "min_off": -1},
        {
            ("wave.min_on", "wave_protection_out_of_range"),
            ("wave.min_off", "wave_protection_out_of_range"),
        },
    ),
    # Two pumps alternating 4 s turns are each on and off for 4 s.
    ({"on": 4}, {("wave.on", "wave_below_min_on"), ("wave.on", "wave_below_min_off")}),
    ({"min_off": 40}, {("wave.on", "wave_below_min_off")}),
    ({"pumps": ["switch.one"]}, {("wave.mode", "wave_alternate_pumps")}),
    ({"mode": "pulse", "off": 4}, {("wave.off", "wave_below_min_off")}),
    ({"mode": "pulse"}, {("wave.off", "required")}),
    (
        {"mode": "random", "on": 10, "off": 10, "on_max": 5, "off_max": 1801},
        {("wave.on_max", "wave_length_out_of_range"), ("wave.off_max", "wave_length_out_of_range")},
    ),
    (
        {"mode": "random", "on": 1801, "off": 10, "on_max": 1801, "off_max": 10},
        {
            ("wave.on", "wave_length_out_of_range"),
            ("wave.on_max", "wave_length_out_of_range"),
        },
    ),
    (
        # 7 + 7 s pairs cannot fill 3600 s.
        {"mode": "random", "on": 7, "off": 7, "on_max": 7, "off_max": 7},
        {("wave.on_max", "wave_random_block")},
    ),
    (
        {"pumps": FANS, "mode": "sine", "on": None, "period": 9},
        {("wave.period", "wave_length_out_of_range")},
    ),
    ({"mode": "sine", "on": None, "period": 60}, {("wave.mode", "wave_switch_pump")}),
    (
        {"pumps": FANS, "mode": "sine", "on": None, "period": 60, "min_speed": 50, "max_speed": 40},
        {("wave.max_speed", "max_below_min")},
    ),
    (
        {"pumps": FANS, "mode": "ramped_pulse", "off": 30},
        {("wave.ramp", "required")},
    ),
    ({"night": {**NIGHT, "end": "22:00"}}, {("wave.night.end", "wave_night_hours")}),
    (
        {"night": {**NIGHT, "start": "25:00", "end": None}},
        {
            ("wave.night.start", "invalid_time"),
            ("wave.night.end", "required"),
        },
    ),
    ({"night": {**NIGHT, "pumps": PUMPS}}, {("wave.night.pumps", "unknown_key")}),
    (
        {"night": {**NIGHT, "mode": "sine", "on": None, "off": None, "period": 60}},
        {("wave.night.mode", "wave_switch_pump")},
    ),
    ({"night": {**NIGHT, "on": 2}}, {("wave.night.on", "wave_below_min_on")}),
    # A night of 2 h 30 min is shorter than 3 h + 50 s.
    ({"night": {**NIGHT, "end": "00:30"}}, {("wave.night.end", "wave_window_too_short")}),
    # A day of 2 h is too short as well.
    (
        {"night": {**NIGHT, "start": "07:00", "end": "05:00"}},
        {("wave.night.start", "wave_window_too_short")},
    ),
    ({"night": 5}, {("wave.night", "invalid_type")}),
]


@pytest.mark.parametrize(("changes", "expected"), WAVE_ERRORS)
def test_wave_errors(changes: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    assert errors_of(wave_spec(**changes)) == expected


SPEC_ERRORS = plan_spec_errors("wave", "switch.pump")


@pytest.mark.parametrize(("changes", "expected"), SPEC_ERRORS)
def test_spec_errors(changes: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    assert errors_of(spec_with(wave_spec(), changes)) == expected


def test_wave_is_no_plain_action_type() -> None:
    data = {
        "id": "s1",
        "type": "recurring",
        "frequency": "daily",
        "times": ["08:00"],
        "action": {"type": "wave", "target": {"entity_id": "switch.pump"}},
    }
    assert errors_of(data) == {("action.type", "wave_action_type")}
    assert errors_of(data | {"wave": wave_spec()["wave"]}) == {
        ("action.type", "wave_action_type"),
        ("wave", "unknown_key"),
    }


def test_a_stored_wave_is_read_without_the_documented_pump_count() -> None:
    many = [f"switch.p{i}" for i in range(9)]
    pattern = validate_schedule(wave_spec(pumps=many), default_timezone=ZONE, stored=True)
    assert pattern.action.wave is not None
    assert len(pattern.action.wave.pumps) == 9
    assert errors_of(wave_spec(on=3601), stored=True) == {("wave.on", "wave_length_out_of_range")}


def test_random_pair_counts() -> None:
    assert validate_wave.random_pairs(14, 14) is None
    assert validate_wave.random_pairs(60, 60) == 60
    assert validate_wave.random_pairs(20, 180) == 36
    assert validate_wave.random_pairs(3600, 3600) == 1


# --- every code is translated and exercised -------------------------------------------------


def _codes() -> set[str]:
    return {code for _, expected in WAVE_ERRORS + SPEC_ERRORS for _, code in expected} | {
        "wave_action_type"
    }


def test_every_code_is_translated() -> None:
    folder = pathlib.Path(validate.__file__).parent.parent / "translations"
    for language in ("en", "de"):
        data = json.loads((folder / f"{language}.json").read_text("utf-8"))
        form = data["config_subentries"]["schedule"]["error"]
        assert _codes() - set(data["exceptions"]) == set(), language
        assert _codes() - set(form) == set(), language


def test_every_defined_code_is_exercised() -> None:
    source = pathlib.Path(validate_wave.__file__).read_text()
    defined = set(re.findall(r'fail\([^,]+,\s*"([a-z_]+)"', source))
    defined |= set(re.findall(r'code="([a-z_]+)"', source))
    defined |= set(re.findall(r'MAX_\w+,\s*"([a-z_]+)"\)', source))
    defined |= set(re.findall(r'\.choice\([^)]*"([a-z_]+)"\)', source))
    assert {"too_many_pumps", "wave_random_block", "invalid_wave_mode"} <= defined
    assert defined <= _codes(), defined - _codes()


# --- round trip -----------------------------------------------------------------------------

seconds = st.integers(1, 600).map(lambda value: value * S)
speeds = st.integers(0, 100).map(float) | st.floats(0, 100, allow_nan=False)
clock = st.times().map(lambda at: at.replace(microsecond=0))


@st.composite
def wave_settings(draw: st.DrawFn, mode: WaveMode) -> WaveSettings:
    """Return settings of a mode within the limits (protection: 5 s, as defaults)."""
    low = draw(speeds) if mode.variable else 0.0
    high = draw(st.floats(max(low, 1.0), 100, allow_nan=False))
    on = draw(st.integers(5, 1800)) * S
    off = draw(st.integers(5, 1800)) * S
    match mode:
        case WaveMode.ALTERNATE:
            return WaveSettings(mode, on=on, max_speed=high)
        case WaveMode.PULSE:
            return WaveSettings(mode, on=on, off=off, max_speed=high)
        case WaveMode.RANDOM:
            on_max = draw(st.integers(int(on.total_seconds()), 1800)) * S
            off_max = draw(st.integers(int(off.total_seconds()), 1800)) * S
            return WaveSettings(mode, on, off, on_max, off_max, max_speed=high)
        case WaveMode.SINE:
            period = draw(st.integers(10, 86_400)) * S
            return WaveSettings(mode, period=period, min_speed=low, max_speed=high)
        case _:
            ramp = draw(seconds)
            return WaveSettings(mode, on, off, ramp=ramp, min_speed=low, max_speed=high)


@st.composite
def patterns(draw: st.DrawFn) -> WavePattern:
    """Return a wave pattern the validation accepts."""
    count = draw(st.integers(2, 8))
    domains = st.sampled_from(["fan", "number", "input_number"])
    pumps = tuple(f"{draw(domains)}.pump_{index}" for index in range(count))
    modes = st.sampled_from(WaveMode)
    day = draw(modes.flatmap(wave_settings))
    night = None
    if draw(st.booleans()):
        start = draw(clock)
        night_settings = draw(modes.flatmap(wave_settings))
        need = validate_wave.longest_segment(night_settings, count) + validate_wave.MIN_WINDOW
        room = timedelta(days=1) - need - validate_wave.longest_segment(day, count)
        room -= validate_wave.MIN_WINDOW
        if room >= timedelta(0):
            length = need + draw(st.integers(0, int(room.total_seconds()))) * S
            minutes = (
                start.hour * 3600 + start.minute * 60 + start.second + int(length.total_seconds())
            ) % 86_400
            end = time(minutes // 3600, minutes // 60 % 60, minutes % 60)
            night = WaveNight(start, end, night_settings)
    return WavePattern(pumps, day, night)


def _valid(pattern: WavePattern) -> bool:
    """Return True for a pattern whose random settings fill an hour (the others always do)."""
    settings_list = [pattern.day] + ([] if pattern.night is None else [pattern.night.settings])
    return all(
        validate_wave.random_pairs(*validate_wave.pair_bounds(one)) is not None
        for one in settings_list
        if one.mode is WaveMode.RANDOM
    )


@settings(max_examples=300)
@given(patterns().filter(_valid), st.sampled_from([None, "UTC", "Australia/Lord_Howe"]))
def test_round_trip(pattern: WavePattern, timezone: str | None) -> None:
    schedule = Schedule(
        id="waves",
        name="Waves",
        timing=validate.PROFILE_TIMING,
        action=validate_wave.wave_action(pattern),
        timezone=timezone,
    )
    data = json.loads(json.dumps(schedule_to_dict(schedule)))
    assert validate_schedule(data, default_timezone=ZONE) == schedule
    assert validate_schedule(data, default_timezone=ZONE, stored=True) == schedule
