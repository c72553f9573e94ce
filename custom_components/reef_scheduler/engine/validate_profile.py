"""The ``profile`` of a ``light_profile`` spec <-> LightProfile.

A light profile is one schedule: validate.py gives it a daily run at local midnight and an
action of type profile whose target is every light of the profile. Every problem is a
FieldError under ``profile.<path>`` with a translated code. A stored spec (``Fields.stored``)
is read without the documented counts (channels, lights, points, acclimation days); levels,
percentages and weather figures keep their ranges, which the curve maths relies on.
"""

from __future__ import annotations

from datetime import datetime, time
import math
from typing import Any
from zoneinfo import ZoneInfo

from .light_model import (
    MOON,
    Acclimation,
    Channel,
    Clouds,
    LightProfile,
    Moonlight,
    Storm,
)
from .model import Action, ActionType, Frequency, RecurringTiming, Target
from .presets import format_time_of_day, parse_time_of_day
from .profile import Curve
from .spec_fields import (
    ENTITY_ID_RE,
    MISSING,
    SAFE_COUNT,
    Fields,
    iso_utc,
    weekday_names,
)

PROFILE_TYPE = "light_profile"
PROFILE_KEY = "profile"
# One run per local day at local midnight (DESIGN §2 decides the instant on DST days).
PROFILE_TIMING = RecurringTiming(Frequency.DAILY, (time(0),))
# The documented limits (README "Limits").
MAX_CHANNELS = 8
MAX_CHANNEL_NAME = 40
MAX_LIGHTS = 20
MAX_POINTS = 48
MAX_ACCLIMATION_DAYS = 365
MAX_CLOUDS_PER_HOUR = 12
MAX_DEPTH = 90
CLOUD_MINUTES = (0.5, 60.0)
STORM_MINUTES = (1.0, 240.0)
MAX_FLASHES_PER_MINUTE = 30
LIGHT_DOMAINS = frozenset({"light", "number", "input_number", "fan"})

_PROFILE_KEYS = frozenset(
    {"curve", "channels", "moon", "acclimation", "clouds", "storm", "weather", "storm_now"}
)
_CHANNEL_KEYS = frozenset(
    {"name", "lights", "points", "min_level", "max_level", "acclimate", "weather"}
)
_POINT_KEYS = frozenset({"time", "level"})
_MOON_KEYS = frozenset({"lights", "max_level", "start", "end"})
_ACCLIMATION_KEYS = frozenset({"start_date", "days", "start_percent", "paused_on"})
_CLOUD_KEYS = frozenset({"per_hour", "depth", "minutes", "weekdays"})
_STORM_KEYS = frozenset(
    {"minutes", "depth", "start", "weekdays", "flash_channel", "flashes_per_minute"}
)
_WINDOW_KEYS = frozenset({"start", "end"})


def profile_action(profile: LightProfile) -> Action:
    """Return the action of a light profile schedule: its lights are the target."""
    return Action(ActionType.PROFILE, Target(entity_ids=profile.lights), plan=profile)


def read_profile(spec: Fields, zone: ZoneInfo) -> LightProfile | None:
    """Return the light profile under the spec's ``profile`` key, or None after an error."""
    fields = spec.sub(PROFILE_KEY, _PROFILE_KEYS, required=True)
    if fields is None:
        return None
    before = len(fields.errors)
    curve = Curve.LINEAR
    if fields.get("curve") is not MISSING:
        curve = fields.choice("curve", Curve, "invalid_curve") or Curve.LINEAR
    channels = _channels(fields)
    moon = _moon(fields)
    acclimation = _acclimation(fields)
    clouds = _clouds(fields)
    storm = _storm(fields, channels or ())
    weather = fields.typed("weather", bool)
    storm_now = _storm_now(fields, zone)
    if channels is None or len(fields.errors) > before:
        return None
    return LightProfile(
        channels=channels,
        curve=curve,
        moon=moon,
        acclimation=acclimation,
        clouds=clouds,
        storm=storm,
        weather=True if weather is None else weather,
        storm_now=storm_now,
    )


def _channels(fields: Fields) -> tuple[Channel, ...] | None:
    """Return 1..MAX_CHANNELS day channels with unique names, each light in one of them."""
    entries = fields.required_entries("channels", _CHANNEL_KEYS, MAX_CHANNELS, "too_many_channels")
    if entries is None:
        return None
    channels = []
    names: set[str] = set()
    owners: dict[str, str] = {}
    for entry in entries:
        channel = _channel(entry)
        if channel is None:
            continue
        if channel.name.casefold() in names:
            entry.fail("name", "duplicate_channel", name=channel.name)
        names.add(channel.name.casefold())
        for light in channel.lights:
            if light in owners:
                entry.fail("lights", "shared_light", value=light, channel=owners[light])
            owners.setdefault(light, channel.name)
        channels.append(channel)
    return tuple(channels)


def _channel(entry: Fields) -> Channel | None:
    """Return one day channel."""
    before = len(entry.errors)
    name = read_channel_name(entry)
    lights = read_lights(entry)
    points = _points(entry)
    min_level = read_level(entry, "min_level")
    max_level = read_level(entry, "max_level")
    if min_level is not None and max_level is not None and max_level < min_level:
        entry.fail("max_level", "max_below_min")
    acclimate = entry.typed("acclimate", bool)
    weather = entry.typed("weather", bool)
    if name is None or lights is None or points is None or len(entry.errors) > before:
        return None
    return Channel(
        name=name,
        lights=lights,
        points=points,
        min_level=0.0 if min_level is None else min_level,
        max_level=100.0 if max_level is None else max_level,
        acclimate=True if acclimate is None else acclimate,
        weather=True if weather is None else weather,
    )


def read_channel_name(entry: Fields) -> str | None:
    """Return a channel's name: 1..MAX_CHANNEL_NAME characters, not the moon's key."""
    name = entry.typed("name", str, required=True)
    if name is None:
        return None
    limit = entry.most(MAX_CHANNEL_NAME, math.inf)
    if not name.strip() or len(name) > limit or name.strip().casefold() == MOON:
        entry.fail("name", "invalid_channel_name", max=str(MAX_CHANNEL_NAME))
        return None
    return name


def read_lights(fields: Fields) -> tuple[str, ...] | None:
    """Return 1..MAX_LIGHTS entity ids of lights, numbers or fans, each once."""
    values = fields.items("lights", MAX_LIGHTS, "too_many_lights")
    if values is None:
        fields.get("lights", required=True)
        return None
    if not values:
        fields.fail("lights", "required")
        return None
    before = len(fields.errors)
    found: dict[str, None] = {}
    for index, value in enumerate(values):
        if isinstance(value, str) and _is_light(value):
            found[value] = None
        else:
            fields.fail(f"lights.{index}", "invalid_light", value=str(value))
    return tuple(found) if len(fields.errors) == before else None


def _is_light(entity_id: str) -> bool:
    """Return True for an entity id of a domain a profile can dim."""
    return bool(ENTITY_ID_RE.fullmatch(entity_id)) and entity_id.split(".")[0] in LIGHT_DOMAINS


def _points(entry: Fields) -> tuple[tuple[time, float], ...] | None:
    """Return 1..MAX_POINTS (time of day, level) points with distinct times, sorted."""
    before = len(entry.errors)
    items = entry.required_entries("points", _POINT_KEYS, MAX_POINTS, "too_many_points")
    if items is None:
        return None
    points: dict[time, float] = {}
    for item in items:
        at = read_time(item, "time", required=True)
        level = read_level(item, "level", required=True)
        if at is not None and at in points:
            item.fail("time", "duplicate_point_time", value=format_time_of_day(at))
        elif at is not None and level is not None:
            points[at] = level
    if len(entry.errors) > before:
        return None
    return tuple(sorted(points.items()))


def read_time(fields: Fields, key: str, *, required: bool = False) -> time | None:
    """Return a time of day ("HH:MM" or "HH:MM:SS"), else None."""
    value = fields.get(key, required=required)
    if value is MISSING:
        return None
    at = parse_time_of_day(value)
    if at is None:
        fields.fail(key, "invalid_time", value=str(value))
    return at


def read_level(fields: Fields, key: str, *, required: bool = False) -> float | None:
    """Return a level in percent (0..100)."""
    value = fields.number(key, 0, 100, code="level_out_of_range", required=required)
    return None if value is None else float(value)


def _moon(fields: Fields) -> Moonlight | None:
    """Return the moonlight channel: its own hours (both or neither) or moonrise to moonset."""
    moon = fields.sub("moon", _MOON_KEYS)
    if moon is None:
        return None
    before = len(moon.errors)
    lights = read_lights(moon)
    max_level = read_level(moon, "max_level", required=True)
    start, end = read_time(moon, "start"), read_time(moon, "end")
    given = (moon.get("start") is not MISSING, moon.get("end") is not MISSING)
    if given[0] != given[1] or (start is not None and start == end):
        moon.fail("end" if given[0] else "start", "moon_hours")
    if lights is None or max_level is None or len(moon.errors) > before:
        return None
    return Moonlight(lights, max_level, start, end)


def _acclimation(fields: Fields) -> Acclimation | None:
    """Return the acclimation: start_percent to 100 % over 1..MAX_ACCLIMATION_DAYS days."""
    section = fields.sub("acclimation", _ACCLIMATION_KEYS)
    if section is None:
        return None
    before = len(section.errors)
    start_date = section.day("start_date", required=True)
    high = int(section.most(MAX_ACCLIMATION_DAYS, SAFE_COUNT))
    days = section.integer("days", 1, high, code="days_out_of_range", required=True)
    start_percent = section.number(
        "start_percent", 1, 100, code="percent_out_of_range", required=True
    )
    paused_on = section.day("paused_on")
    if start_date is None or days is None or start_percent is None:
        return None
    if len(section.errors) > before:
        return None
    return Acclimation(start_date, days, float(start_percent), paused_on)


def _clouds(fields: Fields) -> Clouds | None:
    """Return the clouds: how many per hour, how deep and how long."""
    section = fields.sub("clouds", _CLOUD_KEYS)
    if section is None:
        return None
    before = len(section.errors)
    per_hour = section.number(
        "per_hour", 0, MAX_CLOUDS_PER_HOUR, code="per_hour_out_of_range", required=True
    )
    depth = _depth(section)
    low, high = CLOUD_MINUTES
    minutes = section.number("minutes", low, high, code="cloud_minutes_out_of_range", required=True)
    weekdays = section.weekdays("weekdays")
    if per_hour is None or depth is None or minutes is None or len(section.errors) > before:
        return None
    return Clouds(float(per_hour), depth, float(minutes), weekdays)


def _depth(section: Fields) -> float | None:
    """Return how deep a cloud or storm dims the weather channels (0..MAX_DEPTH %)."""
    value = section.number("depth", 0, MAX_DEPTH, code="depth_out_of_range", required=True)
    return None if value is None else float(value)


def _storm(fields: Fields, channels: tuple[Channel, ...]) -> Storm | None:
    """Return the storm: its length and depth, when it comes, and the channel that flashes."""
    section = fields.sub("storm", _STORM_KEYS)
    if section is None:
        return None
    before = len(section.errors)
    low, high = STORM_MINUTES
    minutes = section.number("minutes", low, high, code="storm_minutes_out_of_range", required=True)
    depth = _depth(section)
    start = read_time(section, "start")
    if section.get("start") is MISSING:
        section.forbid("weekdays")
    weekdays = section.weekdays("weekdays")
    flash_channel = section.typed("flash_channel", str)
    names = {channel.name for channel in channels}
    if flash_channel is not None and channels and flash_channel not in names:
        section.fail("flash_channel", "unknown_flash_channel", value=flash_channel)
    flashes = section.number(
        "flashes_per_minute", 0, MAX_FLASHES_PER_MINUTE, code="flashes_out_of_range"
    )
    if minutes is None or depth is None or len(section.errors) > before:
        return None
    return Storm(
        minutes=float(minutes),
        depth=depth,
        start=start,
        weekdays=weekdays,
        flash_channel=flash_channel,
        flashes_per_minute=3.0 if flashes is None else float(flashes),
    )


def _storm_now(fields: Fields, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """Return the on-demand storm [start, end) the storm service wrote, if any."""
    section = fields.sub("storm_now", _WINDOW_KEYS)
    if section is None:
        return None
    start = section.instant("start", zone, required=True)
    end = section.instant("end", zone, required=True)
    if start is None or end is None:
        return None
    if end <= start:
        section.fail("end", "end_before_start")
        return None
    return start, end


# --- serialisation --------------------------------------------------------------------------


def profile_to_dict(profile: LightProfile) -> dict[str, Any]:
    """Return the spec of a light profile that reads back to an equal LightProfile."""
    spec: dict[str, Any] = {
        "curve": profile.curve.value,
        "channels": [channel_to_dict(channel) for channel in profile.channels],
        "weather": profile.weather,
    }
    if (moon := profile.moon) is not None:
        spec["moon"] = {"lights": list(moon.lights), "max_level": _plain(moon.max_level)}
        if moon.start is not None and moon.end is not None:
            spec["moon"] |= {
                "start": format_time_of_day(moon.start),
                "end": format_time_of_day(moon.end),
            }
    if (acclimation := profile.acclimation) is not None:
        spec["acclimation"] = {
            "start_date": acclimation.start_date.isoformat(),
            "days": acclimation.days,
            "start_percent": _plain(acclimation.start_percent),
        }
        if acclimation.paused_on is not None:
            spec["acclimation"]["paused_on"] = acclimation.paused_on.isoformat()
    if (clouds := profile.clouds) is not None:
        spec["clouds"] = {
            "per_hour": _plain(clouds.per_hour),
            "depth": _plain(clouds.depth),
            "minutes": _plain(clouds.minutes),
            "weekdays": weekday_names(clouds.weekdays),
        }
    if profile.storm is not None:
        spec["storm"] = _storm_to_dict(profile.storm)
    if profile.storm_now is not None:
        start, end = profile.storm_now
        spec["storm_now"] = {"start": iso_utc(start), "end": iso_utc(end)}
    return spec


def channel_to_dict(channel: Channel) -> dict[str, Any]:
    """Return the spec of one day channel."""
    return {
        "name": channel.name,
        "lights": list(channel.lights),
        "points": [
            {"time": format_time_of_day(at), "level": _plain(level)} for at, level in channel.points
        ],
        "min_level": _plain(channel.min_level),
        "max_level": _plain(channel.max_level),
        "acclimate": channel.acclimate,
        "weather": channel.weather,
    }


def _storm_to_dict(storm: Storm) -> dict[str, Any]:
    """Return the spec of a storm."""
    spec: dict[str, Any] = {
        "minutes": _plain(storm.minutes),
        "depth": _plain(storm.depth),
        "flashes_per_minute": _plain(storm.flashes_per_minute),
    }
    if storm.start is not None:
        spec |= {
            "start": format_time_of_day(storm.start),
            "weekdays": weekday_names(storm.weekdays),
        }
    if storm.flash_channel is not None:
        spec["flash_channel"] = storm.flash_channel
    return spec


def _plain(value: float) -> int | float:
    """Return a whole number as an int, so the stored spec reads like its input."""
    return int(value) if float(value).is_integer() else value
