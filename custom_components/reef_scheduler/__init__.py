"""Reef Scheduler: reef aquarium schedules for Home Assistant."""

from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .actions import ActionExecutor
from .const import DOMAIN
from .data import ReefSchedulerConfigEntry, ReefSchedulerData
from .runner import ScheduleRunner
from .store import ReefStore
from .sun import sun_calculator

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration (services are registered here, once)."""
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> bool:
    """Load the schedules, recover from the last stop and arm the timer."""
    runner = ScheduleRunner(
        hass,
        ReefStore(hass),
        ActionExecutor(hass),
        sun=sun_calculator(hass),
        background=lambda coro, name: entry.async_create_background_task(hass, coro, name),
    )
    await runner.async_start()
    entry.runtime_data = ReefSchedulerData(runner=runner)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> bool:
    """Stop the timers and write what is pending."""
    await entry.runtime_data.runner.async_stop()
    return True
