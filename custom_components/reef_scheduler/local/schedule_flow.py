"""Subentry flow that adds and edits schedules: type → timing → action → targets → policy.

The runner's store holds the definition; the subentry only holds ``{"schedule_id": id}``.
Each step validates what it asked for with the engine's validator (placeholders stand in for
later steps) and shows the engine's error codes on its own fields; nothing is saved until the
last step succeeds. A new or re-timed schedule must also run before the engine's horizon (a
one-off in the past is refused on its date field).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
import re
from typing import Any, cast

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryFlow, SubentryFlowResult
from homeassistant.helpers import config_validation as cv, selector
from homeassistant.util import dt as dt_util
import voluptuous as vol

from ..engine.model import ActionType, Frequency, Schedule, ScheduleType, SunEvent
from ..engine.presets import PRESETS
from ..engine.timeline import load_zones
from ..engine.validate import (
    PRESET_TYPE,
    TIMING_KEYS,
    WEEKDAY_NAMES,
    FieldError,
    ScheduleInvalid,
    check_runs,
    schedule_to_dict,
    validate_schedule,
)
from .backend import CONF_SCHEDULE_ID, LocalBackend
from .data import LocalConfigEntry

PREVIEW_COUNT = 5
FLOW_TYPES = [
    ScheduleType.RECURRING,
    ScheduleType.INTERVAL,
    ScheduleType.CRON,
    ScheduleType.SUN,
    ScheduleType.ONE_OFF,
    *PRESETS,
]
FLOW_ACTIONS = [
    ActionType.ON,
    ActionType.OFF,
    ActionType.TOGGLE,
    ActionType.SET_LEVEL,
    ActionType.SET_PWM,
    ActionType.RAMP,
    ActionType.CUSTOM,
]
MONTH_DAYS = [*(str(day) for day in range(1, 32)), "last"]
# "1_mon" .. "5_sun", "last_mon" .. "last_sun": the nth weekday of a month.
NTH_NAMES = {1: "1", 2: "2", 3: "3", 4: "4", 5: "5", -1: "last"}
NTH_WEEKDAYS = [f"{nth}_{day}" for nth in NTH_NAMES.values() for day in WEEKDAY_NAMES]
_SHORT_HOUR = re.compile(r"\d:\d\d(:\d\d)?")
# Timing keys the timing form does not ask for; they stay as they are.
_KEPT_TIMING_KEYS = frozenset({"anchor", "anchor_date", "preset"})
_PLACEHOLDER_ACTION = {"type": "on", "target": {"entity_id": ["switch.placeholder"]}}
_ACTION_FIELDS = {
    "type": "action_type",
    "level": "level",
    "start_level": "start_level",
    "duration": "duration",
    "transition": "transition",
    "curve": "action_type",
    "sequence": "sequence",
}
# Which form field (of which step) an error of the engine belongs to, by dotted path.
_STEP_FIELDS: dict[str, dict[str, str]] = {
    "user": {"name": "name", "type": "type", "id": "name"},
    "timing": {
        "times": "times",
        "weekdays": "weekdays",
        "every": "every",
        "cron": "cron",
        "event": "event",
        "offset": "offset",
        "at": "at",
        "frequency": "frequency",
        "month_days": "month_days",
        "nth_weekdays": "nth_weekdays",
        "anchor_date": "base",
        "preset": "base",
    },
    "policy": {"catch_up": "catch_up", "retry": "retries", "enabled": "enabled"},
}


def _field(step: str, path: str) -> str | None:
    """Return the form field of a step that an error path belongs to."""
    head, _, rest = path.partition(".")
    if head == "action":
        part = rest.partition(".")[0]
        if step == "targets" and part == "target":
            return "target"
        if step == "action" and part in _ACTION_FIELDS:
            return _ACTION_FIELDS[part]
        return None
    if step == "policy" and head == "retry":
        return "timeout" if rest == "timeout" else "retries"
    if step == "timing" and head == "params":
        return rest.partition(".")[0]
    return _STEP_FIELDS.get(step, {}).get(head)


def _form_errors(step: str, errors: tuple[FieldError, ...], *, final: bool) -> dict[str, str]:
    """Return the form errors of a step (on the last step every error counts)."""
    found: dict[str, str] = {}
    for error in errors:
        field = _field(step, error.field)
        if field is None and final:
            field = "base"
        if field is not None:
            found.setdefault(field, error.code)
    return found


# Seconds standing for a duration beyond what Python holds: the engine refuses it by its range.
_TOO_LONG = 1e300


class _DurationBox(selector.DurationSelector):
    """A duration selector that lets an overlong value through to the engine's range check."""

    def __call__(self, data: Any) -> dict[str, float]:
        """Validate like the duration selector; a value too long for Python is left to us."""
        try:
            return super().__call__(data)
        except OverflowError:
            return cast(dict[str, float], data)


def _duration(value: Any) -> float | None:
    """Return seconds from a duration selector value."""
    if value is None:
        return None
    try:
        period: timedelta = cv.time_period_dict(value)
    except OverflowError:
        return _TOO_LONG
    return period.total_seconds()


def _duration_default(seconds: Any) -> dict[str, int] | None:
    """Return a duration selector value from seconds."""
    if not isinstance(seconds, int | float):
        return None
    total = abs(int(seconds))
    sign = -1 if seconds < 0 else 1
    hours, rest = divmod(total, 3600)
    return {"hours": sign * hours, "minutes": sign * (rest // 60), "seconds": sign * (rest % 60)}


def _select(options: list[str], key: str, *, multiple: bool = False) -> selector.SelectSelector:
    """Return a translated drop-down."""
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=options,
            translation_key=key,
            multiple=multiple,
            mode=selector.SelectSelectorMode.DROPDOWN,
        )
    )


def _number(low: float, high: float, unit: str, step: float = 1) -> selector.NumberSelector:
    """Return a number box with a unit."""
    return selector.NumberSelector(
        selector.NumberSelectorConfig(
            min=low,
            max=high,
            step=step,
            unit_of_measurement=unit,
            mode=selector.NumberSelectorMode.BOX,
        )
    )


def _optional(key: str, default: Any) -> vol.Optional:
    """Return an optional key suggesting its current value."""
    if default is None:
        return vol.Optional(key)
    return vol.Optional(key, description={"suggested_value": default})


def _kind(spec: Mapping[str, Any]) -> str | None:
    """Return what the type step shows: the schedule type, or a preset's name."""
    kind = spec.get("type")
    if kind == PRESET_TYPE:
        preset = spec.get("preset")
        return preset if isinstance(preset, str) else None
    return kind if isinstance(kind, str) else None


def _time_text(value: str) -> str:
    """Return a typed time of day without blanks, with a leading zero added ("7:30")."""
    value = value.strip()
    return f"0{value}" if _SHORT_HOUR.fullmatch(value) else value


def _integer(value: Any) -> Any:
    """Return a whole number box value as an int (the engine wants integers)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _month_day(value: str) -> int:
    """Return a month day option as the engine's number (-1 = last)."""
    return -1 if value == "last" else int(value)


def _nth_weekday(value: str) -> dict[str, Any]:
    """Return an nth weekday option ("last_fri") as the engine's mapping."""
    nth, _, day = value.partition("_")
    return {"n": -1 if nth == "last" else int(nth), "weekday": day}


def _nth_option(value: Any) -> str | None:
    """Return the option of an nth weekday mapping, if the form can show it."""
    if not isinstance(value, Mapping):
        return None
    nth = value.get("n")
    option = f"{NTH_NAMES.get(nth) if isinstance(nth, int) else None}_{value.get('weekday')}"
    return option if option in NTH_WEEKDAYS else None


class ScheduleSubentryFlow(ConfigSubentryFlow):
    """Add or reconfigure one schedule."""

    def __init__(self) -> None:
        """Start with an empty spec."""
        self._spec: dict[str, Any] = {}
        self._schedule_id: str | None = None
        self._before: Schedule | None = None  # the stored schedule being edited
        self._preview = "-"

    @property
    def _backend(self) -> LocalBackend:
        """Return the local entry's backend."""
        entry: LocalConfigEntry = self._get_entry()
        return entry.runtime_data.backend

    def _check_loaded(self) -> SubentryFlowResult | None:
        """Abort unless the local entry is loaded."""
        if self._get_entry().state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        return None

    # ----- entry points -------------------------------------------------------------------

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a schedule: name and type."""
        if (abort := self._check_loaded()) is not None:
            return abort
        return await self.async_step_type(user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Edit the schedule of a subentry (an invalid stored one is repaired this way)."""
        if (abort := self._check_loaded()) is not None:
            return abort
        sid = self._get_reconfigure_subentry().data[CONF_SCHEDULE_ID]
        runner = self._backend.runner
        if (schedule := runner.schedules.get(sid)) is not None:
            self._spec = schedule_to_dict(schedule)
            self._before = schedule
        elif (invalid := runner.invalid.get(sid)) is not None:
            self._spec = invalid.fields
        else:
            return self.async_abort(reason="schedule_not_found")
        self._schedule_id = sid
        self._update_preview(self._spec)
        return await self.async_step_type()

    # ----- steps --------------------------------------------------------------------------

    async def async_step_type(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the name and the kind of timing (a preset is a kind of its own)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            kind = user_input["type"]
            trial = dict(self._spec)
            if _kind(trial) != kind:
                for key in TIMING_KEYS:
                    trial.pop(key, None)
            trial["name"] = user_input["name"]
            if kind in PRESETS:
                trial |= {"type": PRESET_TYPE, "preset": kind}
            else:
                trial["type"] = kind
            errors = await self._async_check("user", trial)
            if not errors:
                self._spec = trial
                return await self.async_step_timing()
        kind = _kind(self._spec)
        schema = vol.Schema(
            {
                vol.Required("name", default=self._spec.get("name", "")): selector.TextSelector(),
                vol.Required(
                    "type", default=kind if kind in FLOW_TYPES else ScheduleType.RECURRING
                ): _select(list(FLOW_TYPES), "schedule_type"),
            }
        )
        return self.async_show_form(step_id="type", data_schema=schema, errors=errors)

    async def async_step_timing(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for the timing fields of the chosen type, or a preset's params."""
        kind = _kind(self._spec) or ScheduleType.RECURRING
        errors: dict[str, str] = {}
        if user_input is not None:
            # The form's answers replace the timing; what it does not ask (anchors) stays.
            trial = {
                key: value
                for key, value in self._spec.items()
                if key not in TIMING_KEYS or key in _KEPT_TIMING_KEYS
            } | self._timing_spec(kind, user_input)
            errors = await self._async_check("timing", trial)
            # Month fields on a daily or weekly schedule and the reverse.
            errors = {
                field: "not_for_frequency" if code == "not_allowed" else code
                for field, code in errors.items()
            }
            if not errors:
                self._spec = trial
                self._update_preview(trial)
                return await self.async_step_action()
        return self.async_show_form(
            step_id="timing",
            data_schema=self._timing_schema(kind),
            errors=errors,
            description_placeholders={"preview": self._preview},
        )

    async def async_step_action(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask what a run does: a built-in action, or a custom list of Home Assistant actions."""
        errors: dict[str, str] = {}
        action = dict(self._spec.get("action", {}))
        if user_input is not None:
            new: dict[str, Any] = {"type": user_input["action_type"]}
            if new["type"] == ActionType.CUSTOM:
                sequence = user_input.get("sequence")
                new["sequence"] = [sequence] if isinstance(sequence, Mapping) else sequence
            else:
                new["target"] = action.get("target")
            for key in ("level", "start_level", "transition"):
                if user_input.get(key) is not None:
                    new[key] = user_input[key]
            if (duration := _duration(user_input.get("duration"))) is not None:
                new["duration"] = duration
            if new["type"] == ActionType.RAMP:
                new["curve"] = action.get("curve", "linear")
            trial = dict(self._spec) | {"action": new}
            errors = await self._async_check("action", trial)
            if not errors:
                self._spec = trial
                if new["type"] == ActionType.CUSTOM:
                    return await self.async_step_policy()
                return await self.async_step_targets()
        kind = action.get("type")
        schema = vol.Schema(
            {
                vol.Required(
                    "action_type", default=kind if kind in FLOW_ACTIONS else ActionType.ON
                ): _select(list(FLOW_ACTIONS), "action_type"),
                _optional("level", action.get("level")): _number(0, 100, "%", 0.1),
                _optional("start_level", action.get("start_level")): _number(0, 100, "%", 0.1),
                _optional("duration", _duration_default(action.get("duration"))): _DurationBox(),
                _optional("transition", action.get("transition")): _number(0, 3600, "s", 0.1),
                _optional("sequence", action.get("sequence")): selector.ObjectSelector(),
            }
        )
        return self.async_show_form(
            step_id="action",
            data_schema=schema,
            errors=errors,
            description_placeholders={"preview": self._preview},
        )

    async def async_step_targets(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask which entities, devices or areas the action reaches."""
        errors: dict[str, str] = {}
        action = dict(self._spec["action"])
        if user_input is not None:
            trial = dict(self._spec) | {"action": action | {"target": dict(user_input["target"])}}
            errors = await self._async_check("targets", trial)
            if not errors:
                self._spec = trial
                return await self.async_step_policy()
        target = {key: value for key, value in (action.get("target") or {}).items() if value}
        schema = vol.Schema(
            {vol.Required("target", default=target or vol.UNDEFINED): selector.TargetSelector()}
        )
        return self.async_show_form(
            step_id="targets",
            data_schema=schema,
            errors=errors,
            description_placeholders={"preview": self._preview},
        )

    async def async_step_policy(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for catch-up and retries, then save."""
        errors: dict[str, str] = {}
        retry = dict(self._spec.get("retry", {}))
        if user_input is not None:
            trial = dict(self._spec) | {"enabled": user_input["enabled"]}
            if (catch_up := _duration(user_input.get("catch_up"))) is not None:
                trial["catch_up"] = catch_up
            for key in ("retries", "timeout"):
                if user_input.get(key) is not None:
                    retry[key] = _integer(user_input[key]) if key == "retries" else user_input[key]
            if retry:
                trial["retry"] = retry
            errors = await self._async_check("policy", trial, final=True)
            if not errors:
                return await self._async_save(trial)
        schema = vol.Schema(
            {
                vol.Required("enabled", default=self._spec.get("enabled", True)): bool,
                _optional(
                    "catch_up", _duration_default(self._spec.get("catch_up"))
                ): _DurationBox(),
                _optional("retries", retry.get("retries")): _number(0, 10, "retries"),
                _optional("timeout", retry.get("timeout")): _number(0.1, 600, "s", 0.1),
            }
        )
        return self.async_show_form(
            step_id="policy",
            data_schema=schema,
            errors=errors,
            description_placeholders={"preview": self._preview},
        )

    # ----- helpers ------------------------------------------------------------------------

    async def _async_save(self, spec: dict[str, Any]) -> SubentryFlowResult:
        """Store the schedule (errors were checked; the store may still refuse)."""
        backend = self._backend
        if self._schedule_id is None:
            sid = await backend.async_create(spec, subentry=False)
            return self.async_create_entry(
                title=spec["name"], data=backend.subentry_data(sid), unique_id=sid
            )
        spec = {key: value for key, value in spec.items() if key != "id"}
        await backend.async_update(self._schedule_id, spec)
        return self.async_update_and_abort(
            self._get_entry(), self._get_reconfigure_subentry(), title=spec["name"]
        )

    async def _async_check(
        self, step: str, spec: dict[str, Any], *, final: bool = False
    ) -> dict[str, str]:
        """Validate a spec (placeholders for what later steps ask); return the step's errors.

        The runner validates like the store will: the engine's checks, then Home Assistant's
        check of a custom action's sequence; then the schedule must run (check_runs).
        """
        trial = dict(spec)
        trial.setdefault("id", self._schedule_id or "new")
        if not final:
            action = dict(trial.get("action") or _PLACEHOLDER_ACTION)
            action.setdefault("type", "on")
            if action.get("target") is None and action["type"] != ActionType.CUSTOM:
                action["target"] = _PLACEHOLDER_ACTION["target"]
            trial["action"] = action
            trial.setdefault("type", ScheduleType.ONE_OFF)
            if step == "user":
                trial = {key: value for key, value in trial.items() if key not in TIMING_KEYS}
                trial |= {"type": "cron", "cron": "0 0 * * *"}
        runner = self._backend.runner
        if isinstance(trial.get("timezone"), str):
            await self.hass.async_add_executor_job(load_zones, [trial["timezone"]])
        try:
            schedule = await runner.async_validate(trial)
            check_runs(schedule, dt_util.utcnow(), tz=runner.zone(schedule), before=self._before)
        except ScheduleInvalid as err:
            return _form_errors(step, err.errors, final=final)
        return {}

    def _update_preview(self, spec: dict[str, Any]) -> None:
        """Describe the next runs of a spec's timing."""
        trial = dict(spec) | {"id": "preview", "action": _PLACEHOLDER_ACTION}
        runner = self._backend.runner
        try:
            schedule: Schedule = validate_schedule(trial, default_timezone=runner.default_zone)
        except ScheduleInvalid:
            self._preview = "-"
            return
        zone = runner.zone(schedule)
        runs = runner.next_runs(schedule, PREVIEW_COUNT)
        self._preview = (
            "\n".join(f"- {run.astimezone(zone):%a %Y-%m-%d %H:%M:%S %Z}" for run in runs) or "-"
        )

    def _timing_spec(self, kind: str, user_input: dict[str, Any]) -> dict[str, Any]:
        """Return the timing keys of a spec from the timing form."""
        match kind:
            case ScheduleType.RECURRING:
                days = {
                    "weekdays": list(user_input.get("weekdays") or []),
                    "month_days": [_month_day(day) for day in user_input.get("month_days") or []],
                    "nth_weekdays": [
                        _nth_weekday(value) for value in user_input.get("nth_weekdays") or []
                    ],
                }
                return {
                    "frequency": user_input["frequency"],
                    "times": [_time_text(value) for value in user_input.get("times") or []],
                    "every": _integer(user_input.get("every", 1)),
                } | {key: value for key, value in days.items() if value}
            case ScheduleType.INTERVAL:
                return {"every": _duration(user_input["every"])}
            case ScheduleType.CRON:
                return {"cron": user_input["cron"]}
            case ScheduleType.SUN:
                return {
                    "event": user_input["event"],
                    "offset": _duration(user_input.get("offset")) or 0,
                    "weekdays": list(user_input.get("weekdays") or []),
                }
            case ScheduleType.ONE_OFF:
                return {"at": user_input["at"]}
        params = {key: _integer(value) for key, value in user_input.items()}
        if "offset" in params:
            params["offset"] = _integer(_duration(params["offset"]))
        return {"params": params}

    def _timing_schema(self, kind: str) -> vol.Schema:
        """Return the timing form of a kind of schedule (or of a preset)."""
        spec = self._spec
        weekdays = _select(list(WEEKDAY_NAMES), "weekday", multiple=True)
        params = spec.get("params") or {}
        match kind:
            case ScheduleType.RECURRING:
                fields = self._recurring_fields(weekdays)
            case ScheduleType.INTERVAL:
                every = _duration_default(spec.get("every"))
                fields = {
                    vol.Required("every", default=every or vol.UNDEFINED): _DurationBox(
                        selector.DurationSelectorConfig(enable_day=True)
                    )
                }
            case ScheduleType.CRON:
                fields = {
                    vol.Required(
                        "cron", default=spec.get("cron", vol.UNDEFINED)
                    ): selector.TextSelector()
                }
            case ScheduleType.SUN:
                fields = {
                    vol.Required("event", default=spec.get("event", SunEvent.SUNRISE)): _select(
                        list(SunEvent), "sun_event"
                    ),
                    _optional("offset", _duration_default(spec.get("offset"))): (
                        _DurationBox(selector.DurationSelectorConfig(allow_negative=True))
                    ),
                    vol.Optional("weekdays", default=spec.get("weekdays", [])): weekdays,
                }
            case ScheduleType.ONE_OFF:
                fields = {
                    vol.Required(
                        "at", default=spec.get("at", vol.UNDEFINED)
                    ): selector.DateTimeSelector()
                }
            case "photoperiod":
                fields = {
                    vol.Required(key, default=params.get(key, vol.UNDEFINED)): (
                        selector.TimeSelector()
                    )
                    for key in ("on", "off")
                }
            case "hourly_pulse":
                fields = {
                    vol.Required("minute", default=params.get("minute", 0)): _number(0, 59, "min"),
                    vol.Required("minutes", default=params.get("minutes", vol.UNDEFINED)): (
                        _number(1, 59, "min")
                    ),
                }
            case _:  # dawn_lights
                fields = {
                    _optional("offset", _duration_default(params.get("offset"))): (
                        _DurationBox(selector.DurationSelectorConfig(allow_negative=True))
                    )
                }
        return vol.Schema(fields)

    def _recurring_fields(self, weekdays: selector.SelectSelector) -> dict[vol.Marker, Any]:
        """Return the fields of a daily, weekly or monthly timing."""
        spec = self._spec
        month_days = ["last" if day == -1 else str(day) for day in spec.get("month_days") or []]
        nth = [_nth_option(value) for value in spec.get("nth_weekdays") or []]
        return {
            vol.Required("times", default=spec.get("times") or vol.UNDEFINED): (
                selector.TextSelector(selector.TextSelectorConfig(multiple=True))
            ),
            vol.Required("frequency", default=spec.get("frequency", Frequency.DAILY)): _select(
                list(Frequency), "frequency"
            ),
            vol.Required("every", default=spec.get("every", 1)): selector.NumberSelector(
                selector.NumberSelectorConfig(
                    min=1, max=1000, step=1, mode=selector.NumberSelectorMode.BOX
                )
            ),
            vol.Optional("weekdays", default=spec.get("weekdays", [])): weekdays,
            vol.Optional("month_days", default=month_days): _select(
                MONTH_DAYS, "month_day", multiple=True
            ),
            vol.Optional("nth_weekdays", default=[o for o in nth if o]): _select(
                NTH_WEEKDAYS, "nth_weekday", multiple=True
            ),
        }
