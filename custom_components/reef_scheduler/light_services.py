"""What the actions do with light profiles: preview levels and the acclimation and storm edits.

A profile's ``preview`` gives each channel's rounded-level steps over one local date: the run
that begins at that date's local midnight, read from the same curves the runner follows (so
the same clouds, seeded by the schedule's id). The acclimation and storm actions change the
definition, never a counter kept in memory: a new profile replaces the stored one through the
backend's update path, which stores it atomically and reconciles the lights to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
import dataclasses
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant

from .engine.acclimation import pause, reset, resume
from .engine.light_curve import MoonWindow, channel_curve
from .engine.light_model import Acclimation, LightProfile
from .engine.model import Schedule
from .engine.profile import Profile, steps
from .engine.timeline import get_zone, is_zone, resolve_local
from .engine.validate_template import TemplateKind, expand_template, template_kind
from .runner.sun import sun_today

# Steps of one channel a preview returns at most (a plain day has up to a few hundred).
MAX_PREVIEW_STEPS = 2000

type ProfileChange = Callable[[LightProfile, datetime, ZoneInfo], LightProfile]


def expanded(hass: HomeAssistant, spec: Mapping[str, Any]) -> dict[str, Any]:
    """Return a spec with its profile's template expanded (raises ScheduleInvalid).

    ``follow_sun`` takes today's sunrise and sunset at Home Assistant's location, today being
    the date in the schedule's zone. The zone must be loaded (services.py does it first).
    """
    timezone = spec.get("timezone")
    if not (isinstance(timezone, str) and is_zone(timezone)):
        timezone = hass.config.time_zone  # a wrong zone is the validator's to refuse
    zone = get_zone(timezone)
    sun = sun_today(hass, zone) if template_kind(spec) is TemplateKind.FOLLOW_SUN else None
    return expand_template(spec, zone=zone, sun=sun)


def preview_levels(
    schedule: Schedule, day: date, zone: ZoneInfo, moon: MoonWindow
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Return each channel's (local instant, rounded level) steps over a local date.

    Also return the channels cut at MAX_PREVIEW_STEPS (deep, frequent clouds make thousands).
    CPU-bound: the caller runs it in the executor.
    """
    profile = schedule.action.profile
    assert profile is not None

    def curve(name: str, start: datetime) -> Profile:
        return channel_curve(profile, name, start, zone=zone, seed=schedule.id, moon_window=moon)

    return preview_steps(profile.channel_names, curve, day, zone)


def preview_steps(
    names: Iterable[str],
    curve: Callable[[str, datetime], Profile],
    day: date,
    zone: ZoneInfo,
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Return each named curve's steps over the run at a local date's midnight, and those cut.

    ``curve(name, start)`` is the curve of one name (channel, pump) for the run at ``start``.
    """
    start = resolve_local(datetime.combine(day, time()), zone)
    levels: dict[str, list[dict[str, Any]]] = {}
    cut = []
    for name in names:
        if start is None:  # a date the zone skipped (Pacific/Apia, 2011-12-30) has no run
            levels[name] = []
            continue
        found = list(islice(steps(curve(name, start), start), MAX_PREVIEW_STEPS + 1))
        if len(found) > MAX_PREVIEW_STEPS:
            del found[MAX_PREVIEW_STEPS:]
            cut.append(name)
        levels[name] = [
            {"at": _local_text(instant, zone), "level": level} for instant, level in found
        ]
    return levels, cut


def _local_text(instant: datetime, zone: ZoneInfo) -> str:
    """Return an instant in the zone to the millisecond (a step may come up to 1 ms late)."""
    rounded = instant.replace(microsecond=0) + timedelta(
        milliseconds=round(instant.microsecond / 1000)
    )
    return rounded.astimezone(zone).isoformat(
        timespec="milliseconds" if rounded.microsecond else "seconds"
    )


def _local_date(now: datetime, zone: ZoneInfo) -> date:
    """Return the date in the schedule's zone."""
    return now.astimezone(zone).date()


def acclimation_change(edit: Callable[[Acclimation, date], Acclimation]) -> ProfileChange:
    """Return a change of the profile's acclimation by an engine edit (pause, resume, reset)."""

    def change(profile: LightProfile, now: datetime, zone: ZoneInfo) -> LightProfile:
        assert profile.acclimation is not None
        acclimation = edit(profile.acclimation, _local_date(now, zone))
        return dataclasses.replace(profile, acclimation=acclimation)

    return change


ACCLIMATION_CHANGES: dict[str, ProfileChange] = {
    "acclimation_pause": acclimation_change(pause),
    "acclimation_resume": acclimation_change(resume),
    "acclimation_reset": acclimation_change(reset),
}


def storm_change(minutes: int) -> ProfileChange:
    """Return the change that starts an on-demand storm now, or ends it (0 minutes)."""

    def change(profile: LightProfile, now: datetime, _zone: ZoneInfo) -> LightProfile:
        start = now.replace(microsecond=0)
        window = None if minutes == 0 else (start, start + timedelta(minutes=minutes))
        return dataclasses.replace(profile, storm_now=window)

    return change
