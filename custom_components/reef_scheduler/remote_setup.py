"""Setting up and unloading a Bella's Reef server entry (placeholder until #6 lands)."""

from homeassistant.core import HomeAssistant

from .data import ReefSchedulerConfigEntry


async def async_setup_remote_entry(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> bool:
    """Set up a Bella's Reef server entry."""
    return False


async def async_unload_remote_entry(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> bool:
    """Unload a Bella's Reef server entry."""
    return True
