"""What a set of care periods says at an instant: held levels, pauses, the next change.

Pure functions over ``care_model.CarePeriod`` (at most one period of each kind). When feed mode
and maintenance hold the same device, maintenance's level wins (it is the one chosen for
working in the tank); the device is released when neither holds it any more, and returns to
the level it had before the first of them began.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
import dataclasses
from datetime import datetime
from types import MappingProxyType

from .care_model import CareKind, CarePeriod, DeviceHold

# Maintenance first: its level wins where both hold a device.
_ORDER = (CareKind.MAINTENANCE, CareKind.FEED)


def began(period: CarePeriod) -> bool:
    """Return True once a period's devices' levels before it were taken (it has begun)."""
    return all(device.entity_id in period.before for device in period.devices)


def held_levels(periods: Mapping[CareKind, CarePeriod], at: datetime) -> dict[str, float]:
    """Return each device held at ``at`` with its held level."""
    held: dict[str, float] = {}
    for kind in _ORDER:
        if (period := periods.get(kind)) is None:
            continue
        for device in period.devices:
            level = period.held_level(device.entity_id, at)
            if level is not None:
                held.setdefault(device.entity_id, level)
    return held


def level_before(periods: Mapping[CareKind, CarePeriod], entity_id: str) -> float | None:
    """Return a device's level before the earliest period holding it began (None: unknown)."""
    holding = sorted((p for p in periods.values() if entity_id in p.before), key=lambda p: p.start)
    return holding[0].before[entity_id] if holding else None


def with_before(
    period: CarePeriod,
    periods: Mapping[CareKind, CarePeriod],
    current: Mapping[str, float | None],
    at: datetime,
) -> CarePeriod:
    """Return a period that begins at ``at``: each device's level before it noted.

    A device another period holds at ``at`` keeps that period's level before (its current
    level is the held one); any other takes its ``current`` level (None: it has none).
    """
    held = held_levels({k: p for k, p in periods.items() if k != period.kind}, at)
    before = dict(period.before)
    for device in period.devices:
        entity_id = device.entity_id
        if entity_id in before:
            continue
        before[entity_id] = (
            level_before(periods, entity_id) if entity_id in held else current.get(entity_id)
        )
    return dataclasses.replace(period, before=MappingProxyType(before))


def merged(old: CarePeriod | None, new: CarePeriod, at: datetime) -> CarePeriod:
    """Return the period after asking for ``new`` while ``old`` exists (extend, add devices).

    A period under way (begun, not over) goes on from its start to the later end, with the
    new devices added (a device in both takes the new level and delay); its devices still
    held keep their level before. Otherwise ``new`` replaces it.
    """
    if old is None or old.start > at or old.last_release <= at:
        return new
    devices: dict[str, DeviceHold] = {d.entity_id: d for d in old.devices}
    devices.update({d.entity_id: d for d in new.devices})
    still = {d.entity_id for d in old.devices if old.held_level(d.entity_id, at) is not None}
    before = {k: v for k, v in old.before.items() if k in still}
    return dataclasses.replace(
        new,
        start=old.start if old.end > at else at,
        end=max(old.end, new.end),
        devices=tuple(devices.values()),
        schedule_ids=old.schedule_ids | new.schedule_ids,
        tags=old.tags | new.tags,
        before=MappingProxyType(before),
    )


def ended(period: CarePeriod, at: datetime) -> CarePeriod | None:
    """Return a period ended at ``at`` (its stages run from then), or None when not yet begun."""
    if period.start > at:
        return None
    return dataclasses.replace(period, end=min(period.end, at))


def set_back(period: CarePeriod, at: datetime) -> CarePeriod | None:
    """Return a begun period the clock was set back before, ended at ``at``; else None.

    It never begins a second time: its stages run from ``at``, as if cancelled then.
    """
    if period.start <= at or not began(period):
        return None
    return dataclasses.replace(period, start=at, end=at)


def pause_end(
    periods: Iterable[CarePeriod],
    schedule_id: str,
    tags: Collection[str],
    entity_ids: Collection[str],
    at: datetime,
) -> datetime | None:
    """Return until when care pauses a schedule, seen at ``at`` (None: it does not).

    A schedule chosen by id or tag is paused until its period's end, one targeting a held
    device until that device's release (the latest of them).
    """
    end: datetime | None = None
    for period in periods:
        if period.start > at:
            continue
        candidates = [
            release
            for device in period.devices
            if device.entity_id in entity_ids
            and (release := period.release(device.entity_id)) is not None
        ]
        if schedule_id in period.schedule_ids or period.tags.intersection(tags):
            candidates.append(period.end)
        for candidate in candidates:
            if candidate > at and (end is None or candidate > end):
                end = candidate
    return end


def next_change(periods: Iterable[CarePeriod], after: datetime) -> datetime | None:
    """Return the first instant after ``after`` something of the periods changes."""
    instants = [
        instant
        for period in periods
        for instant in (
            period.start,
            period.end,
            *(period.end + device.restore_after for device in period.devices),
        )
        if instant > after
    ]
    return min(instants, default=None)
