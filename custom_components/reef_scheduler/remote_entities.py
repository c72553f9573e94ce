"""Entities of Bella's Reef server entries (placeholder until #6 lands)."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .data import ReefSchedulerConfigEntry


async def async_setup_remote_platform(
    hass: HomeAssistant,
    entry: ReefSchedulerConfigEntry,
    async_add_entities: AddEntitiesCallback,
    platform: Platform,
) -> None:
    """Add a server entry's entities of one platform."""
