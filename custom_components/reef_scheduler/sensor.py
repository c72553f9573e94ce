"""sensor platform of Reef Scheduler: server status, light profile levels, dosers."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import ReefSchedulerConfigEntry, by_kind
from .entities import async_setup_schedule_platform
from .local.care_entities import care_sensors
from .local.doser_entities import async_setup_doser_sensors
from .local.light_entities import profile_sensors

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ReefSchedulerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a server entry's sensors, or the local entry's profile and doser sensors."""
    async_setup_schedule_platform(entry, async_add_entities, Platform.SENSOR, profile_sensors)
    by_kind(entry, lambda local: async_add_entities(care_sensors(local)), lambda _remote: None)
    by_kind(
        entry,
        lambda local: async_setup_doser_sensors(local, async_add_entities),
        lambda _remote: None,
    )
