"""sensor platform of Reef Scheduler."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .const import CONF_ENTRY_KIND, ENTRY_KIND_BELLAS_REEF
from .data import ReefSchedulerConfigEntry
from .remote_entities import async_setup_remote_platform

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ReefSchedulerConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up the entry's sensor entities."""
    if entry.data.get(CONF_ENTRY_KIND) == ENTRY_KIND_BELLAS_REEF:
        await async_setup_remote_platform(hass, entry, async_add_entities, Platform.SENSOR)
        return
