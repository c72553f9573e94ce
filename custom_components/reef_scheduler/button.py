"""button platform of Reef Scheduler: the local entry's Feed mode button."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .local.care_entities import care_buttons
from .local.data import LocalConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LocalConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the local entry's buttons (server entries do not forward this platform)."""
    async_add_entities(care_buttons(entry))
