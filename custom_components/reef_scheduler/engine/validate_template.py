"""A light profile's ``template`` -> ordinary channels: read its spec, expand it, never store it.

The actions accept ``profile: {template: {kind, channels, ...}, ...}`` and store what the
template expands to (light_templates.py), so the profile is edited like any other. Every
problem is a FieldError under ``profile.template.<key>``. Durations are seconds, like every
duration of a spec. ``follow_sun`` needs the caller's sunrise and sunset of today.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from .light_model import Channel
from .light_templates import TemplateChannel, diurnal, follow_sun, sine
from .model import FieldError, ScheduleInvalid
from .presets import MAX_SUN_OFFSET
from .spec_fields import Fields
from .validate_profile import (
    MAX_CHANNELS,
    PROFILE_KEY,
    channel_to_dict,
    read_channel_name,
    read_level,
    read_lights,
    read_time,
)

TEMPLATE_KEY = "template"
# A photoperiod lasts from a minute to a minute short of a day (seconds).
PHOTOPERIOD = (60, 86_340)


class TemplateKind(StrEnum):
    """The templates a profile can start from."""

    DIURNAL = "diurnal"
    FOLLOW_SUN = "follow_sun"
    SINE = "sine"


_KEYS: Mapping[TemplateKind, frozenset[str]] = {
    TemplateKind.DIURNAL: frozenset({"start", "ramp", "photoperiod"}),
    TemplateKind.FOLLOW_SUN: frozenset({"min_photoperiod", "max_photoperiod", "offset", "ramp"}),
    TemplateKind.SINE: frozenset({"start", "photoperiod"}),
}
_ALL_KEYS = frozenset({"kind", "channels"}).union(*_KEYS.values())
_CHANNEL_KEYS = frozenset({"name", "lights", "peak"})

type Sun = tuple[datetime, datetime] | None
"""Today's sunrise and sunset at Home Assistant's location (None: the sun does not set)."""


def template_kind(spec: Mapping[str, Any]) -> TemplateKind | None:
    """Return the kind of template a spec's profile names, if it is a known one."""
    profile = spec.get(PROFILE_KEY)
    template = profile.get(TEMPLATE_KEY) if isinstance(profile, Mapping) else None
    kind = template.get("kind") if isinstance(template, Mapping) else None
    return TemplateKind(kind) if kind in tuple(TemplateKind) else None


def expand_template(spec: Mapping[str, Any], *, zone: ZoneInfo, sun: Sun = None) -> dict[str, Any]:
    """Return the spec with its profile's template expanded to channels (or it unchanged).

    Raises ScheduleInvalid with every problem of the template.
    """
    profile = spec.get(PROFILE_KEY)
    if not isinstance(profile, Mapping) or profile.get(TEMPLATE_KEY) is None:
        return dict(spec)
    errors: list[FieldError] = []
    prefix = f"{PROFILE_KEY}."
    fields = Fields(profile, prefix, errors, profile.keys())
    fields.forbid("channels")  # the template makes them
    template = fields.sub(TEMPLATE_KEY, _ALL_KEYS)
    channels = None if template is None else _expand(template, zone, sun)
    if errors or channels is None:
        raise ScheduleInvalid(errors)
    rest = {key: value for key, value in profile.items() if key != TEMPLATE_KEY}
    expanded = [channel_to_dict(channel) for channel in channels]
    return {**spec, PROFILE_KEY: {**rest, "channels": expanded}}


def _expand(template: Fields, zone: ZoneInfo, sun: Sun) -> tuple[Channel, ...] | None:
    """Return the channels of a template, or None after an error."""
    kind = template.choice("kind", TemplateKind, "unknown_template")
    channels = _channels(template)
    if kind is None:
        return None
    template.forbid(*(_ALL_KEYS - _KEYS[kind] - {"kind", "channels"}))
    match kind:
        case TemplateKind.DIURNAL:
            start = read_time(template, "start", required=True)
            photoperiod = _photoperiod(template, "photoperiod", required=True)
            ramp = _ramp(template, photoperiod, required=True)
            if channels is None or start is None or photoperiod is None or ramp is None:
                return None
            return diurnal(channels, start=start, ramp=ramp, photoperiod=photoperiod)
        case TemplateKind.SINE:
            start = read_time(template, "start", required=True)
            photoperiod = _photoperiod(template, "photoperiod", required=True)
            if channels is None or start is None or photoperiod is None:
                return None
            return sine(channels, start=start, photoperiod=photoperiod)
        case TemplateKind.FOLLOW_SUN:
            return _follow_sun(template, channels, zone, sun)


def _follow_sun(
    template: Fields, channels: list[TemplateChannel] | None, zone: ZoneInfo, sun: Sun
) -> tuple[Channel, ...] | None:
    """Return a diurnal day around today's sun, clamped in length and shifted."""
    before = len(template.errors)
    low = _photoperiod(template, "min_photoperiod", required=True)
    high = _photoperiod(template, "max_photoperiod", required=True)
    if low is not None and high is not None and high < low:
        template.fail("max_photoperiod", "photoperiods_reversed")
    limit = MAX_SUN_OFFSET
    offset = template.seconds("offset", -limit, limit, code="offset_out_of_range")
    ramp = _ramp(template, None)  # at most half of the photoperiod follow_sun settles on
    if sun is None or sun[1] <= sun[0]:
        template.fail("kind", "no_sun_today")
    if channels is None or low is None or high is None or sun is None:
        return None
    if len(template.errors) > before:
        return None
    return follow_sun(
        channels,
        sunrise=sun[0],
        sunset=sun[1],
        zone=zone,
        min_photoperiod=low,
        max_photoperiod=high,
        offset=offset or timedelta(0),
        ramp=ramp or timedelta(hours=1),
    )


def _channels(template: Fields) -> list[TemplateChannel] | None:
    """Return the template's 1..MAX_CHANNELS channels: a name, lights and a peak level each."""
    before = len(template.errors)
    entries = template.required_entries(
        "channels", _CHANNEL_KEYS, MAX_CHANNELS, "too_many_channels"
    )
    if entries is None:
        return None
    found = []
    for entry in entries:
        name, owned = read_channel_name(entry), read_lights(entry)
        peak = read_level(entry, "peak", required=True)
        if name is not None and owned is not None and peak is not None:
            found.append(TemplateChannel(name, owned, peak))
    return found if len(template.errors) == before else None


def _photoperiod(template: Fields, key: str, *, required: bool = False) -> timedelta | None:
    """Return a photoperiod in seconds, from a minute to a minute short of a day."""
    low, high = PHOTOPERIOD
    return template.seconds(key, low, high, code="photoperiod_out_of_range", required=required)


def _ramp(
    template: Fields, photoperiod: timedelta | None, *, required: bool = False
) -> timedelta | None:
    """Return a ramp of at least a second and at most half the photoperiod."""
    high = PHOTOPERIOD[1] / 2 if photoperiod is None else photoperiod.total_seconds() / 2
    return template.seconds("ramp", 1, high, code="ramp_out_of_range", required=required)
