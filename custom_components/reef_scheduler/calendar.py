"""calendar platform of Reef Scheduler: the local entry's calendars, one per category."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .engine.agenda import Category
from .local.calendar import ReefCalendar
from .local.data import LocalConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LocalConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the local entry's calendars (server entries do not forward this platform)."""
    backend = entry.runtime_data.backend
    async_add_entities(ReefCalendar(backend, kind) for kind in Category)
