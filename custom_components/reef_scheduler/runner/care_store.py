"""The care store: feed mode and maintenance periods, written at once and atomically.

The periods are the only truth: a restart reads them and continues an active period or
restores an expired one. The store also keeps, per schedule care pauses, the user's own pause
of it (None: none), so that ending care never shortens or clears a pause the user asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from ..const import DOMAIN, LOGGER
from ..engine.care_model import CareKind, CarePeriod, DeviceHold

CARE_KEY = f"{DOMAIN}.care"
CARE_VERSION = 1


@dataclass(slots=True)
class CareData:
    """What the care store holds."""

    periods: dict[CareKind, CarePeriod] = field(default_factory=dict)
    # Schedule id -> the user's own pause end (None: the user did not pause it).
    paused: dict[str, datetime | None] = field(default_factory=dict)


def period_to_dict(period: CarePeriod) -> dict[str, Any]:
    """Return the JSON form of a period."""
    return {
        "kind": period.kind,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "devices": [
            {
                "entity_id": d.entity_id,
                "level": d.level,
                "restore_after": d.restore_after.total_seconds(),
            }
            for d in period.devices
        ],
        "schedule_ids": sorted(period.schedule_ids),
        "tags": sorted(period.tags),
        "before": dict(period.before),
    }


def care_data_to_dict(data: CareData) -> dict[str, Any]:
    """Return the JSON form of the periods and the user's pauses (as stored)."""
    return {
        "periods": [period_to_dict(p) for p in data.periods.values()],
        "paused": {
            sid: None if until is None else until.isoformat() for sid, until in data.paused.items()
        },
    }


def period_from_dict(data: Mapping[str, Any]) -> CarePeriod:
    """Read the JSON form of a period (raises ValueError, TypeError or KeyError)."""
    return CarePeriod(
        kind=CareKind(data["kind"]),
        start=datetime.fromisoformat(data["start"]),
        end=datetime.fromisoformat(data["end"]),
        devices=tuple(
            DeviceHold(
                str(d["entity_id"]),
                float(d["level"]),
                timedelta(seconds=float(d["restore_after"])),
            )
            for d in data["devices"]
        ),
        schedule_ids=frozenset(data.get("schedule_ids", ())),
        tags=frozenset(data.get("tags", ())),
        before=MappingProxyType(
            {k: None if v is None else float(v) for k, v in data.get("before", {}).items()}
        ),
    )


class CareStore:
    """Reads and writes the care periods (each write replaces the file atomically)."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Create the store."""
        self._store: Store[dict[str, Any]] = Store(hass, CARE_VERSION, CARE_KEY, atomic_writes=True)

    async def async_load(self) -> CareData:
        """Return what was stored (a period that cannot be read is dropped and logged)."""
        raw = await self._store.async_load() or {}
        data = CareData()
        for item in raw.get("periods", ()):
            try:
                period = period_from_dict(item)
            except (ValueError, TypeError, KeyError, AttributeError) as err:
                LOGGER.warning("A stored feed mode or maintenance period is unreadable: %s", err)
                continue
            data.periods[period.kind] = period
        for sid, until in raw.get("paused", {}).items():
            data.paused[sid] = None if until is None else datetime.fromisoformat(until)
        return data

    async def async_save(self, data: CareData) -> None:
        """Write the periods and the user's pauses; return once on disk."""
        await self._store.async_save(care_data_to_dict(data))

    async def async_remove(self) -> None:
        """Delete the file (the entry is removed)."""
        await self._store.async_remove()
