"""The steps of a light profile, a kind of schedule of its own (see flow_steps).

kind → profile_template (a new profile, or an edit that asks for it) → profile_channel, once per
channel ("Channel 2 of 3: White") → profile_extras (curve, moonlight, acclimation, clouds and
storm, each optional, in collapsible sections) → profile_policy (the policy step, with the
levels of each channel today as its preview). Each step checks the whole profile with the
engine's validator and shows the errors of its own fields; what later steps ask is already in
the spec (a template's channels), and the template step fills in lights and points for the
check alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
import math
import re
from typing import TYPE_CHECKING, Any
import uuid
from zoneinfo import ZoneInfo

from homeassistant.data_entry_flow import FlowResult, section
from homeassistant.helpers import selector
from homeassistant.util import dt as dt_util
import voluptuous as vol

from ..const import DOMAIN
from ..engine.light_curve import MoonWindow, channel_curve, day_end
from ..engine.light_model import MOON, LightProfile
from ..engine.model import FieldError
from ..engine.presets import MAX_SUN_OFFSET, format_time_of_day, parse_time_of_day
from ..engine.profile import Curve
from ..engine.timeline import get_zone, resolve_local
from ..engine.validate import WEEKDAY_NAMES, ScheduleInvalid
from ..engine.validate_profile import (
    CLOUD_MINUTES,
    MAX_ACCLIMATION_DAYS,
    MAX_CHANNELS,
    MAX_CLOUDS_PER_HOUR,
    MAX_DEPTH,
    PROFILE_KEY,
    STORM_MINUTES,
)
from ..engine.validate_template import TEMPLATE_KEY, TemplateKind, expand_template
from ..runner.moon import moon_windows
from ..runner.sun import sun_today
from .flow_errors import placed
from .flow_fields import (
    lights_select,
    minutes_box,
    number,
    options_of,
    parse_points,
    points_text,
    select,
    weekday_option,
    weekdays_select,
    whole,
)
from .kind_steps import KindSteps

if TYPE_CHECKING:
    from .backend import LocalBackend

PROFILE = PROFILE_KEY
TEMPLATES = ("diurnal", "follow_sun", "sine", "empty")
# The template step's answers when nothing was chosen yet (names come from the translations).
TEMPLATE_DEFAULTS: dict[str, Any] = {
    "template": "diurnal",
    "channels": 3,
    "start": "08:00:00",
    "ramp": 120,
    "photoperiod": 10,
    "peak": 80,
    "min_photoperiod": 8,
    "max_photoperiod": 12,
    "offset": 0,
}
_CHANNEL_KEYS = ("name", "lights", "points", "min_level", "max_level", "acclimate", "weather")
_SECTIONS = ("moon", "acclimation", "clouds", "storm")
_SECTION_TIMES = frozenset({"start", "end"})
_LEVEL = number(0, 100, "%", 0.1)
# Every three hours from local midnight: the instants of the preview's table.
PREVIEW_HOURS = tuple(range(0, 24, 3))
_TEXT = f"component.{DOMAIN}.config_subentries.schedule.preview.{{}}"
_PLACEHOLDER_POINT = {"time": "00:00", "level": 0}
_CHANNEL_INDEX = re.compile(r"\.channels\.\d+\.")
# Where the template step shows an error of the template or of the channels it gave.
_TEMPLATE_FIELDS = {
    "profile.template.kind": "template",
    "profile.template.channels.*.name": "names",
    "profile.template.channels.*.peak": "peak",
    "profile.channels.*.name": "names",
}
# The params of each template, and the form's units (minutes, hours) in seconds.
_TEMPLATE_PARAMS: dict[str, tuple[str, ...]] = {
    "diurnal": ("start", "ramp", "photoperiod"),
    "follow_sun": ("min_photoperiod", "max_photoperiod", "offset", "ramp"),
    "sine": ("start", "photoperiod"),
}
_SECONDS = {"ramp": 60, "offset": 60, "photoperiod": 3600}
_SECONDS |= {"min_photoperiod": 3600, "max_photoperiod": 3600}


def profile_of(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a spec's profile (empty when there is none or it is no mapping)."""
    profile = spec.get(PROFILE)
    return dict(profile) if isinstance(profile, Mapping) else {}


def channels_of(profile: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return copies of a profile's channels (what is no mapping counts as an empty channel)."""
    channels = profile.get("channels")
    if not isinstance(channels, list | tuple):
        return []
    return [dict(channel) if isinstance(channel, Mapping) else {} for channel in channels]


def _time_text(value: Any) -> Any:
    """Return a picked time of day as the spec writes it ("21:00:00" as "21:00")."""
    parsed = parse_time_of_day(value)
    return value if parsed is None else format_time_of_day(parsed)


def _finite(values: Mapping[str, Any]) -> bool:
    """Return True when no number among the values is NaN or infinite."""
    return all(not isinstance(v, float) or math.isfinite(v) for v in values.values())


class ProfileSteps[ResultT: FlowResult[Any, Any]](KindSteps[ResultT]):
    """The light profile steps of the schedule steps (which provide checks and forms)."""

    _preview: str
    _channel = 0  # the channel step shown
    _template_shown = False  # this run of the steps includes the template step

    if TYPE_CHECKING:

        async def _async_texts(self) -> dict[str, str]: ...

        @property
        def _backend(self) -> LocalBackend: ...

        def _zone_key(self) -> str: ...

    # ----- where the kind step goes -------------------------------------------------------

    async def _async_profile_start(self, template: bool) -> ResultT:
        """Open the template step (asked for, or nothing to edit yet), else the first channel."""
        self._channel = 0
        if template or not channels_of(profile_of(self._spec)):
            self._template_shown = True
            return await self.async_step_profile_template()
        return await self.async_step_profile_channel()

    def _profile_counter(self, step_id: str) -> tuple[int, int]:
        """Return "step k of n" of a profile step (channels as the spec has them so far)."""
        channels = len(channels_of(profile_of(self._spec))) or TEMPLATE_DEFAULTS["channels"]
        stages = ["kind", *(["profile_template"] if self._template_shown else [])]
        stages += ["profile_channel"] * channels + ["profile_extras", "profile_policy"]
        if step_id == "profile_channel":
            return stages.index(step_id) + self._channel + 1, len(stages)
        return stages.index(step_id) + 1, len(stages)

    # ----- template -----------------------------------------------------------------------

    async def async_step_profile_template(
        self, user_input: dict[str, Any] | None = None
    ) -> ResultT:
        """Start the channels from a template: a day curve, the sun's day, a sine, or empty."""
        schema = vol.Schema(
            {
                vol.Required("template"): select(list(TEMPLATES), "profile_template"),
                vol.Required("channels"): number(1, MAX_CHANNELS),
                vol.Optional("names"): selector.TextSelector(),
                vol.Optional("start"): selector.TimeSelector(),
                vol.Optional("ramp"): number(1, 720, "min"),
                vol.Optional("photoperiod"): number(1, 23.5, "h", 0.5),
                vol.Optional("peak"): _LEVEL,
                vol.Optional("min_photoperiod"): number(1, 23.5, "h", 0.5),
                vol.Optional("max_photoperiod"): number(1, 23.5, "h", 0.5),
                vol.Optional("offset"): minutes_box(-MAX_SUN_OFFSET, MAX_SUN_OFFSET),
            }
        )
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        texts = await self._async_texts()
        if user_input is not None:
            shown = [str(key) for key in schema.schema]
            channels, errors, placeholders = self._template_answer(user_input, texts, shown)
            if channels is not None:
                trial = self._spec | {PROFILE: profile_of(self._spec) | {"channels": channels}}
                errors, placeholders = await self._async_errors(
                    "profile_template", _with_placeholders(trial), schema
                )
                if not errors:
                    self._spec = trial
                    self._channel = 0
                    return await self.async_step_profile_channel()
        values = user_input or TEMPLATE_DEFAULTS | {
            "names": texts.get(_TEXT.format("channel_names")),
        }
        return await self._async_form("profile_template", schema, values, errors, placeholders)

    def _template_answer(
        self, user_input: Mapping[str, Any], texts: Mapping[str, str], shown: list[str]
    ) -> tuple[list[dict[str, Any]] | None, dict[str, str], dict[str, str]]:
        """Return the channels the template step's answer gives, else its errors."""
        if not _finite(user_input):
            return None, {"base": "not_a_number"}, {}
        count = int(user_input["channels"])
        names = [n.strip() for n in str(user_input.get("names") or "").split(",") if n.strip()]
        if len(names) > count:
            return None, {"names": "too_many_names"}, {"count": str(count)}
        # Channels without a name are numbered, in the system's language.
        numbered = texts.get(_TEXT.format("channel"), "{number}")
        names += [numbered.replace("{number}", str(n + 1)) for n in range(len(names), count)]
        params = TEMPLATE_DEFAULTS | {k: v for k, v in user_input.items() if v is not None}
        try:
            return self._template_expansion(str(user_input["template"]), params, names), {}, {}
        except ScheduleInvalid as err:
            errors = tuple(template_error(error) for error in err.errors)
            return None, *placed(errors, shown, (), final=False)

    # ----- channels -----------------------------------------------------------------------

    async def async_step_profile_channel(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Ask for one channel's name, lights, points, levels and switches."""
        schema = vol.Schema(
            {
                vol.Required("name"): selector.TextSelector(),
                vol.Required("lights"): lights_select(),
                vol.Required("points"): selector.TextSelector(),
                vol.Required("min_level"): _LEVEL,
                vol.Required("max_level"): _LEVEL,
                vol.Required("acclimate"): selector.BooleanSelector(),
                vol.Required("weather"): selector.BooleanSelector(),
            }
        )
        index = self._channel
        profile = profile_of(self._spec)
        channels = channels_of(profile)
        old = channels[index]
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                points = parse_points(user_input["points"])
            except ValueError as err:
                errors, placeholders = {"points": "invalid_point"}, {"value": str(err)}
            else:
                channels[index] = old | {key: user_input[key] for key in _CHANNEL_KEYS}
                channels[index] |= {"lights": list(user_input["lights"]), "points": points}
                profile = _renamed(
                    profile | {"channels": channels}, old.get("name"), user_input["name"]
                )
                trial = self._spec | {PROFILE: profile}
                errors, placeholders = await self._async_errors("profile_channel", trial, schema)
                if not errors:
                    self._spec = trial
                    self._channel += 1
                    if self._channel < len(channels):
                        return await self.async_step_profile_channel()
                    return await self.async_step_profile_extras()
        values = user_input or {key: old.get(key) for key in _CHANNEL_KEYS} | {
            "lights": old.get("lights") or None,
            "points": points_text(old.get("points")),
            "min_level": old.get("min_level", 0),
            "max_level": old.get("max_level", 100),
            "acclimate": old.get("acclimate", True),
            "weather": old.get("weather", True),
        }
        name = values.get("name") if isinstance(values.get("name"), str) else ""
        placeholders |= {
            "channel": str(index + 1),
            "channels": str(len(channels)),
            "channel_name": name or str(index + 1),
        }
        return await self._async_form("profile_channel", schema, values, errors, placeholders)

    # ----- moonlight, acclimation, weather ------------------------------------------------

    async def async_step_profile_extras(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Ask for the curve and the optional moonlight, acclimation, clouds and storm."""
        profile = profile_of(self._spec)
        names = [str(c.get("name")) for c in channels_of(profile) if isinstance(c.get("name"), str)]
        stored = {key: _section_values(key, profile.get(key)) for key in _SECTIONS}
        fields: dict[str, dict[vol.Marker, Any]] = {
            "moon": {
                vol.Optional("lights"): lights_select(),
                vol.Optional("max_level"): _LEVEL,
                vol.Optional("start"): selector.TimeSelector(),
                vol.Optional("end"): selector.TimeSelector(),
            },
            "acclimation": {
                vol.Optional("start_date"): selector.DateSelector(),
                vol.Optional("days"): number(1, MAX_ACCLIMATION_DAYS, "d"),
                vol.Optional("start_percent"): number(1, 100, "%"),
            },
            "clouds": {
                vol.Optional("per_hour"): number(0, MAX_CLOUDS_PER_HOUR, None, 0.1),
                vol.Optional("depth"): number(0, MAX_DEPTH, "%"),
                vol.Optional("minutes"): number(*CLOUD_MINUTES, "min", 0.5),
                vol.Optional("weekdays"): weekdays_select(),
            },
            "storm": {
                vol.Optional("start"): selector.TimeSelector(),
                vol.Optional("minutes"): number(*STORM_MINUTES, "min"),
                vol.Optional("depth"): number(0, MAX_DEPTH, "%"),
                vol.Optional("weekdays"): weekdays_select(),
                vol.Optional("flash_channel"): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=names, mode=selector.SelectSelectorMode.DROPDOWN
                    )
                ),
            },
        }
        schema = vol.Schema(
            {vol.Required("curve"): select(list(Curve), "ramp_curve")}
            | {
                vol.Required(key): section(
                    vol.Schema(fields[key]), {"collapsed": not any(stored[key].values())}
                )
                for key in _SECTIONS
            }
        )
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            trial_profile = profile | {"curve": user_input["curve"]}
            for key in _SECTIONS:
                part = _section_spec(key, user_input[key], profile.get(key), self._today()[0])
                if part is None:
                    trial_profile.pop(key, None)
                else:
                    trial_profile[key] = part
            trial = self._spec | {PROFILE: trial_profile}
            errors, placeholders = await self._async_errors("profile_extras", trial, schema)
            if not errors:
                # A new profile gets its id now: it seeds the clouds the preview shows.
                self._spec = {"id": uuid.uuid4().hex} | trial
                await self._async_update_profile_preview()
                return await self.async_step_profile_policy()
        values = user_input or {"curve": profile.get("curve", Curve.LINEAR.value)} | stored
        return await self._async_form("profile_extras", schema, values, errors, placeholders)

    async def async_step_profile_policy(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Ask the policy of a profile, its levels today shown, then save."""
        return await self._async_policy_step("profile_policy", user_input)

    # ----- template, today, preview -------------------------------------------------------

    def _template_expansion(
        self, kind: str, params: Mapping[str, Any], names: list[str]
    ) -> list[dict[str, Any]]:
        """Return the channels a template gives, as the spec writes them (no lights yet).

        Raises ScheduleInvalid with the template's problems (under ``profile.template``).
        """
        if kind == "empty":
            return [{"name": name, "lights": [], "points": []} for name in names]
        zone = get_zone(self._zone_key())
        sun = sun_today(self.hass, zone) if kind == TemplateKind.FOLLOW_SUN else None
        template = {PROFILE: {TEMPLATE_KEY: _template_spec(kind, params, names)}}
        channels = channels_of(profile_of(expand_template(template, zone=zone, sun=sun)))
        for channel in channels:
            channel["lights"] = []  # the placeholders the template needed: the next steps ask
            # A sine's levels to a tenth: the points box shows them, and that is precise enough.
            for point in channel["points"]:
                point["level"] = whole(round(point["level"], 1))
        return channels

    def _today(self) -> tuple[date, Callable[[time], datetime | None]]:
        """Return today's local date and the instant of a time of day today (DST policy)."""
        zone = get_zone(self._zone_key())
        today = dt_util.utcnow().astimezone(zone).date()
        return today, lambda at: resolve_local(datetime.combine(today, at), zone)

    async def _async_preview_levels(self, instants: list[datetime]) -> dict[str, list[float]]:
        """Return each channel's levels at today's instants (empty when the profile is not valid).

        The seed is the schedule's id, so the clouds are those the profile will have.
        """
        runner = self._backend.runner
        try:
            schedule = await runner.async_validate(self._spec)
        except ScheduleInvalid:  # a stored field no step asks for (the policy step names it)
            return {}
        profile = schedule.action.profile
        assert profile is not None  # the action of a light profile schedule
        zone = runner.zone(schedule)
        moon = moon_windows(self.hass)(zone)  # moonrise to moonset, as the runner reads it
        # Up to a few hundred milliseconds for eight channels with clouds and storm flashes.
        return await self.hass.async_add_executor_job(
            _levels, profile, schedule.id, zone, moon, instants
        )

    async def _async_update_profile_preview(self) -> None:
        """Show the levels of each channel today, every three hours, as a Markdown table."""
        texts = await self._async_texts()
        local = self._today()[1]
        instants = [local(time(hour)) for hour in PREVIEW_HOURS]
        levels = await self._async_preview_levels([i for i in instants if i is not None])
        if not levels:
            self._preview = texts.get(_TEXT.format("no_levels"), "—")
            return
        moon = texts.get(_TEXT.format("moon"), "moon")
        names = (moon if name == MOON else name for name in levels)
        header = [texts.get(_TEXT.format("time"), ""), *names]
        rows = [f"| {' | '.join(header)} |", f"|{'---|' * len(header)}"]
        hours = [hour for hour, instant in zip(PREVIEW_HOURS, instants, strict=True) if instant]
        for row, hour in enumerate(hours):
            cells = [f"{hour:02d}:00", *(f"{round(v[row])}" for v in levels.values())]
            rows.append(f"| {' | '.join(cells)} |")
        self._preview = "\n".join(rows)


def _levels(
    profile: LightProfile, seed: str, zone: ZoneInfo, moon: MoonWindow, instants: list[datetime]
) -> dict[str, list[float]]:
    """Return each channel's levels at instants of one day (the run of its local midnight)."""
    start = day_end(instants[0] - timedelta(days=1), zone)
    levels = {}
    for name in profile.channel_names:
        curve = channel_curve(profile, name, start, zone=zone, seed=seed, moon_window=moon)
        levels[name] = [curve.level_at(at) for at in instants]
    return levels


def template_error(error: FieldError) -> FieldError:
    """Return an error as the template step shows it: on its own field, a name on the names."""
    path = _CHANNEL_INDEX.sub(".channels.*.", error.field)
    field = _TEMPLATE_FIELDS.get(path, path.removeprefix(f"{PROFILE}.{TEMPLATE_KEY}."))
    return FieldError(field, error.code, error.placeholders)


def _template_spec(kind: str, params: Mapping[str, Any], names: list[str]) -> dict[str, Any]:
    """Return the spec's template of the template step's answers (durations in seconds).

    Each channel gets a placeholder light: the template wants lights, the next steps ask.
    """
    channels = [
        {"name": name, "lights": [f"light.placeholder_{index}"], "peak": params["peak"]}
        for index, name in enumerate(names)
    ]
    template = {"kind": kind, "channels": channels}
    for key in _TEMPLATE_PARAMS[kind]:
        value = params[key]
        template[key] = value * _SECONDS[key] if key in _SECONDS else value
    return template


def _with_placeholders(spec: dict[str, Any]) -> dict[str, Any]:
    """Return a spec whose channels have lights and points (the channel steps ask for them).

    The validator checks names against each other only among complete channels.
    """
    profile = profile_of(spec)
    channels = [
        channel
        | {
            "lights": channel.get("lights") or [f"light.placeholder_{index}"],
            "points": channel.get("points") or [_PLACEHOLDER_POINT],
        }
        for index, channel in enumerate(channels_of(profile))
    ]
    return spec | {PROFILE: profile | {"channels": channels}}


def _renamed(profile: dict[str, Any], before: Any, after: Any) -> dict[str, Any]:
    """Return the profile with a renamed flash channel's storm following the new name."""
    storm = profile.get("storm")
    if isinstance(storm, Mapping) and before != after and storm.get("flash_channel") == before:
        profile["storm"] = dict(storm) | {"flash_channel": after}
    return profile


def _section_values(key: str, stored: Any) -> dict[str, Any]:
    """Return a section's form values from the stored part of the profile."""
    if not isinstance(stored, Mapping):
        return {}
    values = {name: value for name, value in stored.items() if value is not None}
    if "weekdays" in values:
        values["weekdays"] = options_of(values["weekdays"], weekday_option, list(WEEKDAY_NAMES))
    return {
        name: value for name, value in values.items() if name not in _KEPT.get(key, frozenset())
    }


# Stored keys no form shows: they stay as they are (a pause, the flashes' rate).
_KEPT: dict[str, frozenset[str]] = {
    "acclimation": frozenset({"paused_on"}),
    "storm": frozenset({"flashes_per_minute"}),
}


def _section_spec(key: str, answers: Mapping[str, Any], stored: Any, today: date) -> Any:
    """Return the profile's part from a section's answers; None when all are empty."""
    given = {
        name: _time_text(value) if name in _SECTION_TIMES else whole(value)
        for name, value in answers.items()
        if value not in (None, "", [])
    }
    if not given:
        return None
    kept = stored if isinstance(stored, Mapping) else {}
    part = {name: kept[name] for name in _KEPT.get(key, frozenset()) if name in kept}
    if key == "acclimation":
        part["start_date"] = today.isoformat()
    return part | given
