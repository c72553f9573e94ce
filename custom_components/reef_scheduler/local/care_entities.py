"""The "Reef care" device of the local entry: Feed mode button, Feed mode end, Maintenance.

Three entities for the whole entry (no schedule pays for them); they follow the care owner's
changes and never poll.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from ..const import DOMAIN
from ..engine.care_model import CareKind
from ..runner.care import CareOwner
from .care_actions import async_feed_mode, async_maintenance, async_maintenance_end
from .care_options import CareOptions
from .data import LocalConfigEntry

MANUFACTURER = "Reef Scheduler"
FEED_MODE = ButtonEntityDescription(key="feed_mode", translation_key="feed_mode")
FEED_MODE_END = SensorEntityDescription(
    key="feed_mode_end", translation_key="feed_mode_end", device_class=SensorDeviceClass.TIMESTAMP
)
MAINTENANCE = SwitchEntityDescription(key="maintenance", translation_key="maintenance")


def care_identifier(entry_id: str) -> tuple[str, str]:
    """Return the care device's identifier (no schedule's: those are ``<entry>_<id>``)."""
    return (DOMAIN, f"{entry_id}:care")


class CareEntity(Entity):
    """An entity of the Reef care device; it listens to the care owner."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: LocalConfigEntry, description: EntityDescription) -> None:
        """Describe the entity."""
        self.entity_description = description
        self._entry = entry
        self._attr_unique_id = f"{entry.entry_id}:care_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={care_identifier(entry.entry_id)},
            translation_key="care",
            manufacturer=MANUFACTURER,
            entry_type=DeviceEntryType.SERVICE,
        )

    @property
    def care(self) -> CareOwner:
        """Return the entry's care owner."""
        return self._entry.runtime_data.care

    @property
    def care_options(self) -> CareOptions:
        """Return the entry's feed mode and maintenance options."""
        return CareOptions.from_mapping(self._entry.options)

    async def async_added_to_hass(self) -> None:
        """Follow the care periods."""
        await super().async_added_to_hass()
        self.async_on_remove(self.care.async_listen(self._handle_change))

    @callback
    def _handle_change(self) -> None:
        """Write the new state."""
        self.async_write_ha_state()


class FeedModeButton(CareEntity, ButtonEntity):
    """Start feed mode with the options (again while it runs: extend it)."""

    async def async_press(self) -> None:
        """Start or extend feed mode."""
        options = self.care_options
        if not (options.feed_devices or self.care.wave_pumps()):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="care_no_devices",
                translation_placeholders={"field": "feed_devices"},
            )
        await async_feed_mode(self.care, options)


class FeedModeEndSensor(CareEntity, SensorEntity):
    """When feed mode ends (unknown when it is off): the frontend counts down."""

    @property
    def native_value(self) -> datetime | None:
        """Return the end of the feed mode under way."""
        period = self.care.active(CareKind.FEED)
        return None if period is None else period.end


class MaintenanceSwitch(CareEntity, SwitchEntity):
    """On while maintenance runs; on starts it with the options, off ends it."""

    @property
    def is_on(self) -> bool:
        """Return True while maintenance runs."""
        return self.care.active(CareKind.MAINTENANCE) is not None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return when maintenance starts and ends (also one planned ahead)."""
        period = self.care.period(CareKind.MAINTENANCE)
        if period is None or period.end <= self.care.now():
            return {"start": None, "end": None}
        return {"start": period.start.isoformat(), "end": period.end.isoformat()}

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Start maintenance for the options' minutes with their devices and tags."""
        await async_maintenance(self.care, self.care_options)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """End maintenance now."""
        await async_maintenance_end(self.care)


def care_buttons(entry: LocalConfigEntry) -> list[ButtonEntity]:
    """Return the care device's buttons."""
    return [FeedModeButton(entry, FEED_MODE)]


def care_sensors(entry: LocalConfigEntry) -> list[SensorEntity]:
    """Return the care device's sensors."""
    return [FeedModeEndSensor(entry, FEED_MODE_END)]


def care_switches(entry: LocalConfigEntry) -> list[SwitchEntity]:
    """Return the care device's switches."""
    return [MaintenanceSwitch(entry, MAINTENANCE)]
