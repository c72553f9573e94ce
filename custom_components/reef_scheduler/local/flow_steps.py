"""The steps that add or edit one schedule, shared by the subentry, options and repair flows.

kind (name and kind) → timing_<kind> → action → action_<type> → targets (not for custom) →
policy; a light profile, a wave pattern and a dosing have steps of their own after the kind
(profile_steps, wave_steps, dosing_steps). Each step shows
only the fields of the chosen kind or action and checks what it asked with the engine's
validator (placeholders stand in for later steps); a refused value stays in its field beside
its error. Nothing is saved before the last step: the flow using the steps says how (a new
subentry, an update, a repaired issue). The runner's store holds definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
import math
from typing import Any, cast

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.data_entry_flow import FlowResult
from homeassistant.helpers import selector
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
import voluptuous as vol

from ..const import DOMAIN
from ..engine.model import ActionType, Frequency, Schedule, ScheduleType, SunEvent
from ..engine.presets import MAX_SUN_OFFSET, PRESETS, expand_preset
from ..engine.profile import Curve
from ..engine.timeline import get_zone, is_zone, load_zones
from ..engine.validate import (
    MAX_CATCH_UP,
    MAX_EVERY,
    MAX_HOLD,
    MAX_INTERVAL,
    MAX_RAMP,
    MAX_RETRIES,
    MAX_TIMEOUT,
    MAX_TRANSITION,
    PRESET_TYPE,
    TIMING_KEYS,
    WEEKDAY_NAMES,
    ScheduleInvalid,
    check_runs,
    schedule_to_dict,
    validate_schedule,
)
from .backend import LocalBackend
from .data import LocalConfigEntry
from .dosing_steps import DOSING_STEPS, DosingSteps
from .flow_errors import KEPT_TIMING_KEYS, placed
from .flow_fields import (
    DOSING,
    KINDS,
    LIGHT_PROFILE,
    MONTH_DAYS,
    NTH_WEEKDAYS,
    PLAN_KINDS,
    WAVE,
    kind_keys,
    kind_of,
    minutes_box,
    month_day,
    month_day_option,
    nth_option,
    nth_weekday,
    number,
    options_of,
    parse_times,
    select,
    times_box,
    times_text,
    to_minutes,
    to_seconds,
    weekday_option,
    weekdays_select,
    whole,
)
from .options import LocalOptions
from .profile_steps import PROFILE, ProfileSteps, channels_of, profile_of, template_error
from .wave_steps import WAVE_STEPS, WaveSteps

PREVIEW_COUNT = 5
# A light profile is a kind of schedule of its own, not an action of the other kinds.
# A plan-carrying action (profile, wave, dose) comes with its own schedule kind.
_PLAN_ACTIONS = frozenset({ActionType.PROFILE, ActionType.WAVE, ActionType.DOSE})
ACTIONS: tuple[ActionType, ...] = tuple(t for t in ActionType if t not in _PLAN_ACTIONS)
_LEVEL_ACTIONS = frozenset({ActionType.SET_LEVEL, ActionType.SET_PWM, ActionType.RAMP})
_HOLD_ACTIONS: tuple[ActionType, ...] = (ActionType.ON, ActionType.SET_LEVEL, ActionType.SET_PWM)
_PLACEHOLDER_TARGET = {"entity_id": ["switch.placeholder"]}
_PLACEHOLDER_ACTION = {"type": "on", "target": _PLACEHOLDER_TARGET}
_PLACEHOLDER_TIMING = {"type": "cron", "cron": "0 0 * * *"}
# What a change of kind drops: the old kind's timing, or its profile.
_TYPE_OWN = TIMING_KEYS | {PROFILE}
_ACTION_KEYS = ("level", "start_level", "curve", "transition")
_LEVEL = number(0, 100, "%", 0.1)
_STAGES = ("kind", "timing", "action", "details", "targets", "policy")
# The preview's words, looked up in the translations.
_PREVIEW_NONE = f"component.{DOMAIN}.config_subentries.schedule.preview.none"
_WEEKDAY = f"component.{DOMAIN}.selector.weekday.options.{{}}"


def _stage(step_id: str) -> str:
    """Return which stage of the flow a step is (for the step counter)."""
    if step_id.startswith("timing_"):
        return "timing"
    if step_id.startswith("action_"):
        return "details"
    return step_id


def _prefixes(step_id: str, channel: int) -> tuple[str, ...]:
    """Return the spec paths whose errors a step shows on its fields (after the prefix)."""
    if step_id == "profile_channel":
        return (f"profile.channels.{channel}.",)
    if step_id == "profile_template":
        return ()  # template_error says which errors it shows
    if step_id.startswith("profile_"):
        return ("profile.",)
    if step_id in ("wave", "wave_settings"):
        return ("wave.",)
    if step_id == "dosing":
        return ("dosing.",)
    return ("params.", "action.", "retry.")


class ScheduleSteps[ResultT: FlowResult[Any, Any]](
    ProfileSteps[ResultT], WaveSteps[ResultT], DosingSteps[ResultT]
):
    """The schedule steps; a flow says which entry they edit and how the result is saved."""

    def __init__(self) -> None:
        """Start with an empty spec (a new schedule)."""
        self._spec: dict[str, Any] = {}
        self._schedule_id: str | None = None
        self._before: Schedule | None = None  # the stored schedule being edited
        self._stored_invalid = False
        self._action_type: ActionType | None = None
        self._preview = ""

    # ----- what the flow provides -----------------------------------------------------------

    def _schedule_entry(self) -> ConfigEntry | None:
        """Return the local entry whose schedules the steps add or edit."""
        raise NotImplementedError

    async def _async_save(self, spec: dict[str, Any]) -> ResultT:
        """Save the checked spec and finish the flow (the store may still refuse it)."""
        raise NotImplementedError

    # ----- starting -------------------------------------------------------------------------

    @property
    def _backend(self) -> LocalBackend:
        """Return the local entry's backend (the flow checked that it is loaded)."""
        entry = cast(LocalConfigEntry | None, self._schedule_entry())
        assert entry is not None
        return entry.runtime_data.backend

    def _not_loaded(self) -> ResultT | None:
        """Return the abort of a flow whose local entry is not loaded, else None."""
        entry = self._schedule_entry()
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        return None

    def _start_edit(self, schedule_id: str) -> bool:
        """Load a stored schedule (valid or not) to edit; False when there is none."""
        runner = self._backend.runner
        if (schedule := runner.schedules.get(schedule_id)) is not None:
            self._spec = schedule_to_dict(schedule)
            self._before = schedule
        elif (invalid := runner.invalid.get(schedule_id)) is not None:
            self._spec = dict(invalid.fields)
            self._stored_invalid = True
        else:
            return False
        self._schedule_id = schedule_id
        return True

    @property
    def _name(self) -> str:
        """Return the name of the schedule being edited."""
        name = self._spec.get("name")
        return name if isinstance(name, str) and name else str(self._schedule_id)

    # ----- the steps ------------------------------------------------------------------------

    async def async_step_kind(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Ask for the name and the kind of schedule (a preset is a kind of its own)."""
        fields: dict[vol.Marker, Any] = {
            vol.Required("name"): selector.TextSelector(),
            vol.Required("kind"): select(list(KINDS), "schedule_kind"),
        }
        # A profile being edited keeps its channels unless a template is asked for.
        if kind_of(self._spec) == LIGHT_PROFILE and channels_of(profile_of(self._spec)):
            fields[vol.Optional("template")] = selector.BooleanSelector()
        schema = vol.Schema(fields)
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            kind = user_input["kind"]
            trial = dict(self._spec)
            if kind_of(trial) != kind:
                trial = {key: value for key, value in trial.items() if key not in _TYPE_OWN}
                trial |= kind_keys(kind)
            if kind in PLAN_KINDS:
                trial.pop("action", None)  # a plan's lights or pumps are its action
            trial["name"] = user_input["name"]
            errors, placeholders = await self._async_errors("kind", trial, schema)
            if not errors and self._backend.name_taken(trial["name"], self._schedule_id):
                errors = {"name": "name_taken"}
            if not errors and kind == DOSING and not self._dosers():
                errors = {"kind": "no_dosers"}
            if not errors:
                self._spec = trial
                if kind == LIGHT_PROFILE:
                    return await self._async_profile_start(bool(user_input.get("template")))
                if kind == WAVE:
                    return await self.async_step_wave()
                if kind == DOSING:
                    return await self.async_step_dosing()
                return await self._async_timing_step(kind, None)
        values = user_input or {
            "name": self._spec.get("name"),
            "kind": kind_of(self._spec) or Frequency.DAILY.value,
        }
        return await self._async_form("kind", schema, values, errors, placeholders)

    async def _async_timing_step(self, kind: str, user_input: dict[str, Any] | None) -> ResultT:
        """Ask for the timing fields of one kind of schedule."""
        step_id = f"timing_{kind}"
        schema = vol.Schema(self._timing_fields(kind))
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            # The form's answers replace the timing; what it does not ask (anchors) stays.
            trial = {
                key: value
                for key, value in self._spec.items()
                if key not in TIMING_KEYS or key in KEPT_TIMING_KEYS
            }
            trial |= kind_keys(kind) | _timing_keys(kind, user_input)
            errors, placeholders = await self._async_errors(step_id, trial, schema)
            if not errors:
                self._spec = trial
                await self._async_update_preview()
                return await self.async_step_action()
        values = user_input or self._timing_values(kind)
        return await self._async_form(step_id, schema, values, errors, placeholders)

    async def async_step_action(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Ask what a run does; the next step asks that action's own fields."""
        choices = self._action_choices()
        if user_input is not None:
            self._action_type = ActionType(user_input["action"])
            return await self._async_action_step(self._action_type, None)
        schema = vol.Schema({vol.Required("action"): select(list(choices), "action_type")})
        current = self._action_kind()
        values = {"action": current if current in choices else choices[0]}
        return await self._async_form("action", schema, values, {}, {})

    async def _async_action_step(
        self, kind: ActionType, user_input: dict[str, Any] | None
    ) -> ResultT:
        """Ask for the fields of one action."""
        step_id = f"action_{kind}"
        schema = vol.Schema(self._action_fields(kind))
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        old = self._old_action()
        if user_input is not None:
            action: dict[str, Any] = {"type": kind.value}
            action |= {key: user_input[key] for key in _ACTION_KEYS if key in user_input}
            if "duration" in user_input:
                action["duration"] = to_seconds(user_input["duration"])
            if kind is ActionType.CUSTOM:
                sequence = user_input.get("sequence")
                action["sequence"] = [sequence] if isinstance(sequence, Mapping) else sequence
            elif old.get("target") is not None:
                action["target"] = old["target"]
            trial = self._spec | {"action": action}
            errors, placeholders = await self._async_errors(step_id, trial, schema)
            if not errors:
                self._spec = trial
                if kind is ActionType.CUSTOM:
                    return await self.async_step_policy()
                return await self.async_step_targets()
        values = user_input or {key: old.get(key) for key in (*_ACTION_KEYS, "sequence")} | {
            "duration": to_minutes(old.get("duration")),
            "curve": old.get("curve") or Curve.LINEAR.value,
        }
        return await self._async_form(step_id, schema, values, errors, placeholders)

    async def async_step_targets(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Ask which entities, devices or areas the action reaches."""
        schema = vol.Schema({vol.Required("target"): selector.TargetSelector()})
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        action = self._old_action()
        if user_input is not None:
            trial = self._spec | {"action": action | {"target": dict(user_input["target"])}}
            errors, placeholders = await self._async_errors("targets", trial, schema)
            if not errors:
                self._spec = trial
                return await self.async_step_policy()
        target = action.get("target")
        shown = {k: v for k, v in target.items() if v} if isinstance(target, Mapping) else {}
        values = user_input or {"target": shown or None}
        return await self._async_form("targets", schema, values, errors, placeholders)

    async def async_step_policy(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Ask what happens to missed and failing runs, then save."""
        return await self._async_policy_step("policy", user_input)

    async def _async_policy_step(self, step_id: str, user_input: dict[str, Any] | None) -> ResultT:
        """Ask the policy (the last step of every kind), then save."""
        schema = vol.Schema(
            {
                vol.Required("enabled"): selector.BooleanSelector(),
                vol.Required("catch_up"): minutes_box(0, MAX_CATCH_UP.total_seconds()),
                vol.Required("retries"): number(0, MAX_RETRIES),
                vol.Required("timeout"): number(0.1, MAX_TIMEOUT, "s", 0.1),
            }
        )
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        retry = self._spec.get("retry")
        retry = dict(retry) if isinstance(retry, Mapping) else {}
        if user_input is not None:
            retry |= {"retries": whole(user_input["retries"]), "timeout": user_input["timeout"]}
            trial = self._spec | {
                "enabled": user_input["enabled"],
                "catch_up": to_seconds(user_input["catch_up"]),
                "retry": retry,
            }
            errors, placeholders = await self._async_errors(step_id, trial, schema, final=True)
            if not errors:
                try:
                    return await self._async_save(trial)
                except ScheduleInvalid as err:  # a name taken meanwhile
                    errors, placeholders = placed(err.errors, (), (), final=True)
        # A new schedule shows the entry's defaults, in the options' units.
        options = LocalOptions.from_entry(cast(ConfigEntry, self._schedule_entry()))
        values = user_input or {
            "enabled": self._spec.get("enabled", True),
            "catch_up": to_minutes(self._spec.get("catch_up", options.catch_up_minutes * 60)),
            "retries": retry.get("retries", options.retries),
            "timeout": retry.get("timeout", options.retry_timeout),
        }
        return await self._async_form(step_id, schema, values, errors, placeholders)

    # ----- fields ---------------------------------------------------------------------------

    def _timing_fields(self, kind: str) -> dict[vol.Marker, Any]:
        """Return the fields of a kind's timing step."""
        every = vol.Required("every")
        match kind:
            case Frequency.DAILY:
                fields: dict[vol.Marker, Any] = {
                    vol.Required("times"): times_box(),
                    every: number(1, MAX_EVERY),
                }
                # Only a daily schedule stored with weekdays shows them (so they can go).
                if self._spec.get("weekdays"):
                    fields[vol.Optional("weekdays")] = weekdays_select()
                return fields
            case Frequency.WEEKLY:
                return {
                    vol.Required("times"): times_box(),
                    vol.Required("weekdays"): weekdays_select(),
                    every: number(1, MAX_EVERY),
                }
            case Frequency.MONTHLY:
                return {
                    vol.Required("times"): times_box(),
                    vol.Optional("month_days"): select(MONTH_DAYS, "month_day", multiple=True),
                    vol.Optional("nth_weekdays"): select(
                        NTH_WEEKDAYS, "nth_weekday", multiple=True
                    ),
                    every: number(1, MAX_EVERY),
                }
            case ScheduleType.INTERVAL:
                return {every: minutes_box(1, MAX_INTERVAL.total_seconds())}
            case ScheduleType.CRON:
                return {vol.Required("cron"): selector.TextSelector()}
            case ScheduleType.SUN:
                return {
                    vol.Required("event"): select(list(SunEvent), "sun_event"),
                    vol.Optional("offset"): minutes_box(-MAX_SUN_OFFSET, MAX_SUN_OFFSET),
                    vol.Optional("weekdays"): weekdays_select(),
                }
            case "photoperiod":
                return {vol.Required(key): selector.TimeSelector() for key in ("on", "off")}
            case "hourly_pulse":
                return {
                    vol.Required("minute"): number(0, 59, "min"),
                    vol.Required("minutes"): number(1, 59, "min"),
                }
            case "dawn_lights":
                return {vol.Optional("offset"): minutes_box(-MAX_SUN_OFFSET, MAX_SUN_OFFSET)}
        return {vol.Required("at"): selector.DateTimeSelector()}  # once

    def _timing_values(self, kind: str) -> dict[str, Any]:
        """Return a kind's timing form filled from the spec."""
        spec = self._spec
        params = spec.get("params")
        params = params if isinstance(params, Mapping) else {}
        offset = params.get("offset") if kind in PRESETS else spec.get("offset")
        return {
            "times": times_text(spec.get("times")),
            "every": to_minutes(spec.get("every"))
            if kind == ScheduleType.INTERVAL
            else spec.get("every", 1),
            "weekdays": options_of(spec.get("weekdays"), weekday_option, list(WEEKDAY_NAMES)),
            "month_days": options_of(spec.get("month_days"), month_day_option, MONTH_DAYS),
            "nth_weekdays": options_of(spec.get("nth_weekdays"), nth_option, NTH_WEEKDAYS),
            "cron": spec.get("cron"),
            "event": spec.get("event", SunEvent.SUNRISE.value),
            "offset": to_minutes(offset),
            "at": self._local_text(spec.get("at")),
            "on": params.get("on"),
            "off": params.get("off"),
            "minute": params.get("minute", 0),
            "minutes": params.get("minutes"),
        }

    def _local_text(self, value: Any) -> str | None:
        """Return a stored instant as the date-time picker shows it: local, without a zone."""
        if not isinstance(value, str):
            return None
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
        if instant.tzinfo is None:
            return instant.strftime("%Y-%m-%d %H:%M:%S")
        return instant.astimezone(get_zone(self._zone_key())).strftime("%Y-%m-%d %H:%M:%S")

    def _zone_key(self) -> str:
        """Return the zone the spec's wall-clock fields are read in."""
        zone = self._spec.get("timezone")
        return (
            zone if isinstance(zone, str) and is_zone(zone) else self._backend.runner.default_zone
        )

    def _preset_holds(self) -> bool:
        """Return True when the timing is a preset that holds its targets (it sets the hold)."""
        spec = self._spec
        if spec.get("type") != PRESET_TYPE:
            return False
        try:
            params = dict(spec.get("params") or {})
            return expand_preset(str(spec.get("preset")), params)[1] is not None
        except ScheduleInvalid:  # pragma: no cover - the timing step checked the params
            return False

    def _action_choices(self) -> tuple[ActionType, ...]:
        """Return the actions the timing allows: a preset that holds needs a holding action."""
        return _HOLD_ACTIONS if self._preset_holds() else ACTIONS

    def _action_kind(self) -> ActionType | None:
        """Return the action chosen in this flow, else the stored one."""
        if self._action_type is not None:
            return self._action_type
        try:
            return ActionType(str(self._old_action().get("type")))
        except ValueError:
            return None

    def _old_action(self) -> dict[str, Any]:
        """Return the spec's action (empty when there is none yet or it is no mapping)."""
        action = self._spec.get("action")
        return dict(action) if isinstance(action, Mapping) else {}

    def _action_fields(self, kind: ActionType) -> dict[vol.Marker, Any]:
        """Return the fields of one action."""
        if kind is ActionType.CUSTOM:
            return {vol.Required("sequence"): selector.ActionSelector()}
        fields: dict[vol.Marker, Any] = {}
        if kind is ActionType.RAMP:
            fields[vol.Optional("start_level")] = _LEVEL
        if kind in _LEVEL_ACTIONS:
            fields[vol.Required("level")] = _LEVEL
        if kind is ActionType.RAMP:
            fields[vol.Required("duration")] = minutes_box(1, MAX_RAMP.total_seconds())
            fields[vol.Required("curve")] = select(list(Curve), "ramp_curve")
        elif kind in _HOLD_ACTIONS and not self._preset_holds():
            fields[vol.Optional("duration")] = minutes_box(1, MAX_HOLD.total_seconds())
        fields[vol.Optional("transition")] = number(0, MAX_TRANSITION, "s", 0.1)
        return fields

    # ----- checks, preview, form ------------------------------------------------------------

    async def _async_errors(
        self, step_id: str, spec: dict[str, Any], schema: vol.Schema, *, final: bool = False
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Validate a spec (placeholders for what later steps ask); return the step's errors.

        The runner validates like the store will: the engine's checks, then Home Assistant's
        check of a custom action's sequence; then a new or re-timed schedule must run before
        the engine's horizon (check_runs).
        """
        trial = dict(spec)
        trial.setdefault("id", self._schedule_id or "new")
        if not final and step_id == "kind":
            trial = {key: value for key, value in trial.items() if key not in _TYPE_OWN}
            trial |= _PLACEHOLDER_TIMING
        # A plan has no action: a profile's channels, a wave's pumps, a dosing's doser.
        if not final and trial.get("type") not in PLAN_KINDS:
            action = trial.get("action")
            action = dict(action) if isinstance(action, Mapping) else dict(_PLACEHOLDER_ACTION)
            if action.get("target") is None and action.get("type") != ActionType.CUSTOM:
                action["target"] = _PLACEHOLDER_TARGET
            trial["action"] = action
        runner = self._backend.runner
        if isinstance(trial.get("timezone"), str):
            await self.hass.async_add_executor_job(load_zones, [trial["timezone"]])
        try:
            schedule = await runner.async_validate(trial)
            check_runs(schedule, dt_util.utcnow(), tz=runner.zone(schedule), before=self._before)
        except ScheduleInvalid as err:
            prefixes = _prefixes(step_id, self._channel)
            shown = [str(key) for key in schema.schema]
            errors = err.errors
            if step_id == "profile_template":  # a template's channel names come from "names"
                errors = tuple(template_error(error) for error in errors)
            return placed(errors, shown, prefixes, final=final)
        return {}, {}

    async def _async_update_preview(self) -> None:
        """Describe the next runs of the spec's timing: a Markdown list, or a sentence."""
        trial = dict(self._spec) | {"id": "preview"}
        if trial.get("type") not in PLAN_KINDS:
            trial["action"] = _PLACEHOLDER_ACTION
        runner = self._backend.runner
        texts = await self._async_texts()
        lines = []
        try:
            schedule = validate_schedule(trial, default_timezone=runner.default_zone)
        except ScheduleInvalid:  # a stored schedule invalid in a field no step asks for
            pass
        else:
            zone = runner.zone(schedule)
            for run in runner.next_runs(schedule, PREVIEW_COUNT):
                local = run.astimezone(zone)
                day = texts.get(_WEEKDAY.format(WEEKDAY_NAMES[local.weekday()]), "")
                clock = local.strftime("%H:%M:%S" if local.second else "%H:%M")
                lines.append(f"- {day} {local:%Y-%m-%d} {clock} {local:%Z}")
        # A sentence, never a lone "-": after a line of text Markdown makes that a heading.
        self._preview = "\n".join(lines) or texts.get(_PREVIEW_NONE, "—")

    async def _async_texts(self) -> dict[str, str]:
        """Return the translations the preview uses, in Home Assistant's language.

        A flow does not know its user's language: the preview's words follow the system's.
        """
        texts: dict[str, str] = {}
        for category in ("config_subentries", "selector"):
            texts |= await async_get_translations(
                self.hass, self.hass.config.language, category, [DOMAIN]
            )
        return texts

    async def _async_form(
        self,
        step_id: str,
        schema: vol.Schema,
        values: Mapping[str, Any],
        errors: dict[str, str],
        placeholders: dict[str, str],
    ) -> ResultT:
        """Show a step with its values (as typed, after an error), counter and preview.

        Editing a stored schedule that no longer validates shows its problems on first sight.
        """
        # Shown again after an answer only with errors: without, it is the first sight.
        if not errors and self._stored_invalid:
            found, extra = await self._async_errors(step_id, self._spec, schema)
            errors = {field: code for field, code in found.items() if code != "required"}
            placeholders = placeholders | extra
        shown = {key: _without_none(value) for key, value in values.items() if value is not None}
        step, steps = self._counter(step_id)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, shown),
            errors=errors,
            description_placeholders={
                "value": "",  # what an error quotes; none without an error
                **placeholders,
                "step": str(step),
                "steps": str(steps),
                "preview": self._preview,
            },
            last_step=step == steps,
        )

    def _counter(self, step_id: str) -> tuple[int, int]:
        """Return "step k of n" of a step."""
        kind = kind_of(self._spec)
        if step_id.startswith("profile_") or (step_id == "kind" and kind == LIGHT_PROFILE):
            return self._profile_counter(step_id)
        plan_steps = {WAVE: WAVE_STEPS, DOSING: DOSING_STEPS}.get(str(kind))
        if plan_steps is not None and step_id in plan_steps:
            return plan_steps.index(step_id) + 1, len(plan_steps)
        custom = self._action_kind() is ActionType.CUSTOM
        stages = [stage for stage in _STAGES if not (custom and stage == "targets")]
        return stages.index(_stage(step_id)) + 1, len(stages)


def _without_none(value: Any) -> Any:
    """Return a form value; a section's values without the empty ones."""
    if isinstance(value, Mapping):
        return {key: item for key, item in value.items() if item is not None}
    return value


def _timing_keys(kind: str, user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the timing keys of a spec from a kind's timing form."""
    if kind in Frequency:
        days = {
            "weekdays": list(user_input.get("weekdays") or []),
            "month_days": [month_day(day) for day in user_input.get("month_days") or []],
            "nth_weekdays": [nth_weekday(value) for value in user_input.get("nth_weekdays") or []],
        }
        spec = {"times": parse_times(user_input["times"]), "every": whole(user_input["every"])}
        if kind == Frequency.WEEKLY:
            spec["weekdays"] = days["weekdays"]
        return spec | {key: value for key, value in days.items() if value}
    match kind:
        case ScheduleType.INTERVAL:
            return {"every": to_seconds(user_input["every"])}
        case ScheduleType.CRON:
            return {"cron": user_input["cron"]}
        case ScheduleType.SUN:
            return {
                "event": user_input["event"],
                "offset": to_seconds(user_input.get("offset")) or 0,
                "weekdays": list(user_input.get("weekdays") or []),
            }
        case "photoperiod":
            return {"params": {"on": user_input["on"], "off": user_input["off"]}}
        case "hourly_pulse":
            return {"params": {key: whole(user_input[key]) for key in ("minute", "minutes")}}
        case "dawn_lights":
            offset = to_seconds(user_input.get("offset"))
            if isinstance(offset, float) and math.isfinite(offset):
                offset = round(offset)  # the preset takes whole seconds
            return {"params": {} if offset is None else {"offset": offset}}
    return {"at": user_input["at"]}


def _timing_step(kind: str) -> Any:
    """Return the step method of one kind's timing (the flow manager calls it by step id)."""

    async def step(self: ScheduleSteps[Any], user_input: dict[str, Any] | None = None) -> Any:
        return await self._async_timing_step(kind, user_input)

    step.__doc__ = f"Ask for the timing of a {kind} schedule."
    return step


def _action_step(kind: ActionType) -> Any:
    """Return the step method of one action's fields (the flow manager calls it by step id)."""

    async def step(self: ScheduleSteps[Any], user_input: dict[str, Any] | None = None) -> Any:
        return await self._async_action_step(kind, user_input)

    step.__doc__ = f"Ask for the fields of the {kind} action."
    return step


def _add_steps() -> None:
    """Give the steps one method per kind's timing and per action's fields."""
    for kind in KINDS:
        if kind in PLAN_KINDS:
            continue
        setattr(ScheduleSteps, f"async_step_timing_{kind}", _timing_step(kind))
    for action in ACTIONS:
        setattr(ScheduleSteps, f"async_step_action_{action}", _action_step(action))


_add_steps()
