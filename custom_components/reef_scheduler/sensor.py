"""sensor platform of Reef Scheduler: the status of Bella's Reef servers."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .remote.data import RemoteConfigEntry
from .remote.entities import async_setup_remote_platform

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RemoteConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up a server entry's sensors (only server entries forward this platform)."""
    async_setup_remote_platform(entry, async_add_entities, Platform.SENSOR)
