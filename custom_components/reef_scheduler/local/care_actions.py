"""Starting, extending and ending feed mode and maintenance (the actions and the entities).

Each builds the new period from the options (or the values given), merges it with the one
under way and hands it to the care owner, which stores it before it returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from homeassistant.util import dt as dt_util

from ..engine.care_model import CareKind, CarePeriod, DeviceHold
from ..engine.care_periods import ended, merged
from ..runner.care import CareOwner
from .care_options import CareOptions


def _with_waves(care: CareOwner, devices: Sequence[DeviceHold]) -> tuple[DeviceHold, ...]:
    """Return the devices plus every enabled wave pattern's pumps (held off, no delay)."""
    chosen = {device.entity_id for device in devices}
    waves = [DeviceHold(pump) for pump in care.wave_pumps() if pump not in chosen]
    return (*devices, *waves)


def _second(at: datetime) -> datetime:
    """Return an instant cut to the second (periods are told to the second)."""
    return at.replace(microsecond=0)


async def async_feed_mode(
    care: CareOwner,
    options: CareOptions,
    minutes: int | None = None,
    devices: Sequence[DeviceHold] | None = None,
) -> CarePeriod:
    """Start feed mode, or extend the one under way (devices given add to its devices)."""
    now = _second(dt_util.utcnow())
    new = CarePeriod(
        CareKind.FEED,
        now,
        now + timedelta(minutes=minutes or options.feed_minutes),
        _with_waves(care, options.feed_devices if devices is None else devices),
    )
    period = merged(care.period(CareKind.FEED), new, now)
    await care.async_set(CareKind.FEED, period)
    return care.period(CareKind.FEED) or period


async def async_feed_mode_cancel(care: CareOwner) -> None:
    """End feed mode now: its devices are restored in their stages from now."""
    await _async_end(care, CareKind.FEED)


async def async_maintenance(
    care: CareOwner,
    options: CareOptions,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    minutes: int | None = None,
    devices: Sequence[DeviceHold] | None = None,
    schedule_ids: Iterable[str] = (),
    tags: Iterable[str] | None = None,
) -> CarePeriod:
    """Start maintenance now for some minutes, or over a range (which may lie ahead)."""
    now = _second(dt_util.utcnow())
    begin = now if start is None or start <= now else start
    finish = end or begin + timedelta(minutes=minutes or options.maintenance_minutes)
    new = CarePeriod(
        CareKind.MAINTENANCE,
        begin,
        finish,
        _with_waves(care, options.maintenance_devices if devices is None else devices),
        schedule_ids=frozenset(schedule_ids),
        tags=frozenset(options.maintenance_tags if tags is None else tags),
    )
    period = merged(care.period(CareKind.MAINTENANCE), new, now)
    await care.async_set(CareKind.MAINTENANCE, period)
    return care.period(CareKind.MAINTENANCE) or period


async def async_maintenance_end(care: CareOwner) -> None:
    """End maintenance now (one not begun yet is dropped)."""
    await _async_end(care, CareKind.MAINTENANCE)


async def _async_end(care: CareOwner, kind: CareKind) -> None:
    """End a period now; nothing to end is no error."""
    period = care.period(kind)
    if period is None or (period.start <= dt_util.utcnow() and period.end <= dt_util.utcnow()):
        return
    await care.async_set(kind, ended(period, dt_util.utcnow()))
