"""Reef Scheduler: reef aquarium schedules for Home Assistant."""

from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .data import ReefSchedulerConfigEntry, ReefSchedulerData

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration (services are registered here, once)."""
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> bool:
    """Set up a Reef Scheduler entry."""
    entry.runtime_data = ReefSchedulerData()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> bool:
    """Unload a Reef Scheduler entry."""
    return True
