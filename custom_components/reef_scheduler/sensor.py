"""sensor platform of Reef Scheduler: Bella's Reef server status, light profile levels."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import ReefSchedulerConfigEntry, by_kind
from .entities import async_setup_schedule_platform
from .local.care_entities import care_sensors
from .local.light_entities import profile_sensors

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ReefSchedulerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a server entry's sensors, or the local entry's light profile sensors."""
    async_setup_schedule_platform(entry, async_add_entities, Platform.SENSOR, profile_sensors)
    by_kind(entry, lambda local: async_add_entities(care_sensors(local)), lambda _remote: None)
