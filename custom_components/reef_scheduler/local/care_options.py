"""The local entry's feed mode and maintenance options: minutes, devices, delays, tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..engine.care_model import DeviceHold

CONF_FEED_MINUTES = "feed_minutes"
CONF_FEED_DEVICES = "feed_devices"
CONF_MAINTENANCE_MINUTES = "maintenance_minutes"
CONF_MAINTENANCE_DEVICES = "maintenance_devices"
CONF_MAINTENANCE_TAGS = "maintenance_tags"
DEFAULT_FEED_MINUTES = 10
DEFAULT_MAINTENANCE_MINUTES = 60
MAX_FEED_MINUTES = 240
MAX_MAINTENANCE_MINUTES = 7 * 24 * 60
MAX_DELAY_MINUTES = 240
MAX_DEVICES = 32
# Domains a held device may have: a level (0 = off, 100 = on) goes to each as its call.
CARE_DOMAINS = ("switch", "input_boolean", "light", "fan", "number", "input_number")


@dataclass(frozen=True, slots=True)
class CareOptions:
    """Feed mode and maintenance defaults (feed devices are held off)."""

    feed_minutes: int = DEFAULT_FEED_MINUTES
    feed_devices: tuple[DeviceHold, ...] = ()
    maintenance_minutes: int = DEFAULT_MAINTENANCE_MINUTES
    maintenance_devices: tuple[DeviceHold, ...] = ()
    maintenance_tags: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> CareOptions:
        """Read the options (what was never set takes its default)."""
        return cls(
            feed_minutes=int(options.get(CONF_FEED_MINUTES, DEFAULT_FEED_MINUTES)),
            feed_devices=tuple(
                _hold({**item, "level": 0}) for item in options.get(CONF_FEED_DEVICES, ())
            ),
            maintenance_minutes=int(
                options.get(CONF_MAINTENANCE_MINUTES, DEFAULT_MAINTENANCE_MINUTES)
            ),
            maintenance_devices=tuple(
                _hold(item) for item in options.get(CONF_MAINTENANCE_DEVICES, ())
            ),
            maintenance_tags=tuple(options.get(CONF_MAINTENANCE_TAGS, ())),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the stored form (delays in minutes)."""
        return {
            CONF_FEED_MINUTES: self.feed_minutes,
            CONF_FEED_DEVICES: [
                {"entity_id": d.entity_id, "restore_after": _minutes(d.restore_after)}
                for d in self.feed_devices
            ],
            CONF_MAINTENANCE_MINUTES: self.maintenance_minutes,
            CONF_MAINTENANCE_DEVICES: [
                {
                    "entity_id": d.entity_id,
                    "level": d.level,
                    "restore_after": _minutes(d.restore_after),
                }
                for d in self.maintenance_devices
            ],
            CONF_MAINTENANCE_TAGS: list(self.maintenance_tags),
        }


def _hold(item: Mapping[str, Any]) -> DeviceHold:
    """Return a device hold from its stored form."""
    return DeviceHold(
        str(item["entity_id"]),
        float(item.get("level", 0)),
        timedelta(minutes=float(item.get("restore_after", 0))),
    )


def _minutes(delay: timedelta) -> float | int:
    """Return a delay in minutes (whole minutes as an int)."""
    minutes = delay.total_seconds() / 60
    return int(minutes) if minutes.is_integer() else minutes
