"""Immutable feed mode and maintenance model: periods that hold devices in a safe state.

A care period holds chosen devices at a level (0 = off) from ``start`` until its ``end`` plus
each device's ``restore_after`` (the stages), and pauses the schedules that target them (and
the ones chosen by id or tag) as long as a device they target is held. When a device's hold
ends it is driven to what its schedules prescribe for that instant, or, when no schedule
prescribes it, to the level it had when the period began (``before``). A period is a
definition stored the moment it changes: a restart continues it, an expired one restores at
once. Never a counter in memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType


class CareKind(StrEnum):
    """Which period: at most one of each is active."""

    FEED = "feed"
    MAINTENANCE = "maintenance"


@dataclass(frozen=True, slots=True)
class DeviceHold:
    """One device held during a period, and when after the period's end it is restored."""

    entity_id: str
    level: float = 0.0  # held level in percent: 0 = off, 100 = on
    restore_after: timedelta = timedelta(0)  # the stage: restored this long after the end


@dataclass(frozen=True, slots=True)
class CarePeriod:
    """A feed mode or maintenance period."""

    kind: CareKind
    start: datetime
    end: datetime
    devices: tuple[DeviceHold, ...]
    # Schedules paused until the period's end whatever they target, by id and by tag.
    schedule_ids: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    # Each held device's level (percent) when the period began; None: it had none (unavailable).
    before: Mapping[str, float | None] = field(default_factory=lambda: MappingProxyType({}))

    def release(self, entity_id: str) -> datetime | None:
        """Return when the hold on a device ends (None: the period does not hold it)."""
        for device in self.devices:
            if device.entity_id == entity_id:
                return self.end + device.restore_after
        return None

    def held_level(self, entity_id: str, at: datetime) -> float | None:
        """Return the level a device is held at, at ``at`` (None: not held then)."""
        for device in self.devices:
            if device.entity_id == entity_id:
                held = self.start <= at < self.end + device.restore_after
                return device.level if held else None
        return None

    @property
    def last_release(self) -> datetime:
        """Return when the period's last device is restored."""
        return self.end + max((d.restore_after for d in self.devices), default=timedelta(0))
