"""The steps of a wave pattern, a kind of schedule of its own (see flow_steps).

kind → wave (pumps and mode) → wave_settings (the mode's lengths in seconds and speeds, the
pumps' minimum on and off, and an optional night in a collapsible section) → wave_policy.
Each step checks the whole pattern with the engine's validator and shows the errors of its
own fields; a form shows only the fields of its mode, so a change of mode drops the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.data_entry_flow import FlowResult, section
from homeassistant.helpers import selector
import voluptuous as vol

from ..engine.presets import format_time_of_day, parse_time_of_day
from ..engine.validate_wave import PUMP_DOMAINS, WAVE_KEY
from ..engine.wave_model import WaveMode
from .flow_fields import free_number, select, whole
from .kind_steps import KindSteps

WAVE = WAVE_KEY
WAVE_STEPS = ("kind", "wave", "wave_settings", "wave_policy")
_SPEED = ("max_speed",)
# The fields each mode's form shows (the engine says which values are allowed).
MODE_FIELDS: dict[WaveMode, tuple[str, ...]] = {
    WaveMode.ALTERNATE: ("on", *_SPEED),
    WaveMode.PULSE: ("on", "off", *_SPEED),
    WaveMode.RANDOM: ("on", "on_max", "off", "off_max", *_SPEED),
    WaveMode.SINE: ("period", "min_speed", *_SPEED),
    WaveMode.RAMPED_PULSE: ("on", "off", "ramp", "min_speed", *_SPEED),
}
_PROTECTION = ("min_on", "min_off")
_ALL_SETTINGS = ("on", "on_max", "off", "off_max", "period", "ramp", "min_speed", "max_speed")
_NIGHT_TIMES = ("start", "end")
# What a new pattern's forms show.
DEFAULTS: dict[str, Any] = {
    "mode": WaveMode.ALTERNATE.value,
    "on": 30,
    "off": 30,
    "on_max": 60,
    "off_max": 60,
    "period": 600,
    "ramp": 10,
    "min_speed": 30,
    "max_speed": 100,
    "min_on": 5,
    "min_off": 5,
}


def wave_of(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a spec's wave (empty when there is none or it is no mapping)."""
    wave = spec.get(WAVE)
    return dict(wave) if isinstance(wave, Mapping) else {}


def _mode(value: Any) -> WaveMode:
    """Return a stored mode, the default one when it is none the form knows."""
    try:
        return WaveMode(value)
    except ValueError:
        return WaveMode(DEFAULTS["mode"])


def _box(key: str) -> selector.NumberSelector:
    """Return a setting's box: seconds, or a speed in % (no bounds: the engine checks)."""
    return free_number("%" if key.endswith("_speed") else "s")


def _settings_fields(keys: tuple[str, ...], marker: type[vol.Marker]) -> dict[vol.Marker, Any]:
    """Return the boxes of some settings."""
    return {marker(key): _box(key) for key in keys}


def _answers(keys: tuple[str, ...], answers: Mapping[str, Any]) -> dict[str, Any]:
    """Return the given settings among a form's answers (whole numbers as ints)."""
    return {key: whole(answers[key]) for key in keys if answers.get(key) is not None}


def _night_spec(answers: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the night of the night section's answers; None when the section is empty."""
    given = {key: value for key, value in answers.items() if value not in (None, "")}
    if not given:
        return None
    night = {key: _time_text(given[key]) for key in _NIGHT_TIMES if key in given}
    if "mode" in given:
        night["mode"] = given["mode"]
    return night | _answers(MODE_FIELDS.get(_mode(given.get("mode")), ()), given)


def _time_text(value: Any) -> Any:
    """Return a picked time of day as the spec writes it ("22:00:00" as "22:00")."""
    parsed = parse_time_of_day(value)
    return value if parsed is None else format_time_of_day(parsed)


class WaveSteps[ResultT: FlowResult[Any, Any]](KindSteps[ResultT]):
    """The wave pattern steps of the schedule steps (which provide checks and forms)."""

    async def async_step_wave(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Ask for the pumps and how they move."""
        schema = vol.Schema(
            {
                vol.Required("pumps"): selector.EntitySelector(
                    selector.EntitySelectorConfig(domain=sorted(PUMP_DOMAINS), multiple=True)
                ),
                vol.Required("mode"): select(list(WaveMode), "wave_mode"),
            }
        )
        wave = wave_of(self._spec)
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            answer = {"pumps": list(user_input["pumps"]), "mode": user_input["mode"]}
            trial = self._spec | {WAVE: wave | answer}
            errors, placeholders = await self._async_errors("wave", trial, schema)
            if not errors:
                self._spec = trial
                return await self.async_step_wave_settings()
        values = user_input or {
            "pumps": wave.get("pumps") or None,
            "mode": _mode(wave.get("mode")).value,
        }
        return await self._async_form("wave", schema, values, errors, placeholders)

    async def async_step_wave_settings(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Ask for the mode's lengths and speeds, the pumps' protection and the night."""
        wave = wave_of(self._spec)
        mode = _mode(wave.get("mode"))
        stored_night = wave.get("night")
        night = dict(stored_night) if isinstance(stored_night, Mapping) else {}
        night_fields: dict[vol.Marker, Any] = {
            vol.Optional("start"): selector.TimeSelector(),
            vol.Optional("end"): selector.TimeSelector(),
            vol.Optional("mode"): select(list(WaveMode), "wave_mode"),
        } | _settings_fields(_ALL_SETTINGS, vol.Optional)
        schema = vol.Schema(
            _settings_fields(MODE_FIELDS[mode] + _PROTECTION, vol.Required)
            | {vol.Required("night"): section(vol.Schema(night_fields), {"collapsed": not night})}
        )
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            answer = {"pumps": wave.get("pumps"), "mode": mode.value}
            answer |= _answers(MODE_FIELDS[mode] + _PROTECTION, user_input)
            if (night_answer := _night_spec(user_input["night"])) is not None:
                answer["night"] = night_answer
            trial = self._spec | {WAVE: answer}
            errors, placeholders = await self._async_errors("wave_settings", trial, schema)
            if not errors:
                self._spec = trial
                return await self.async_step_wave_policy()
        values = user_input or {
            key: wave.get(key, DEFAULTS[key]) for key in MODE_FIELDS[mode] + _PROTECTION
        } | {"night": {key: value for key, value in night.items() if value is not None}}
        return await self._async_form("wave_settings", schema, values, errors, placeholders)

    async def async_step_wave_policy(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Ask the policy of a wave pattern, then save."""
        return await self._async_policy_step("wave_policy", user_input)
