"""Reef Scheduler: reef aquarium schedules for Home Assistant."""

import asyncio
from datetime import timedelta
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .actions import ActionExecutor
from .const import CONF_ENTRY_KIND, DOMAIN, ENTRY_KIND_BELLAS_REEF
from .data import LocalData, ReefSchedulerConfigEntry
from .local_backend import LocalBackend
from .options_flow import LocalOptions
from .remote_setup import async_setup_remote_entry, async_unload_remote_entry
from .run_here import async_remove_store
from .runner import ScheduleRunner
from .services import async_setup_services
from .store import ReefStore
from .sun import sun_calculator

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
LOCAL_PLATFORMS = [
    Platform.BUTTON,
    Platform.CALENDAR,
    Platform.EVENT,
    Platform.SENSOR,
    Platform.SWITCH,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the services, once for every entry."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> bool:
    """Set up the local entry or a Bella's Reef server entry."""
    if entry.data.get(CONF_ENTRY_KIND) == ENTRY_KIND_BELLAS_REEF:
        return await async_setup_remote_entry(hass, entry)

    def background(coro: Any, name: str) -> asyncio.Task[Any]:
        return entry.async_create_background_task(hass, coro, name)

    runner = ScheduleRunner(
        hass,
        ReefStore(hass),
        ActionExecutor(hass, background=background),
        sun=sun_calculator(hass),
        background=background,
    )
    _apply_options(runner, entry)
    await runner.async_start()
    entry.async_on_unload(entry.add_update_listener(_async_options_changed))
    backend = LocalBackend(hass, entry, runner)
    entry.runtime_data = LocalData(runner=runner, backend=backend)
    await backend.async_start()
    await hass.config_entries.async_forward_entry_setups(entry, LOCAL_PLATFORMS)
    return True


def _apply_options(runner: ScheduleRunner, entry: ReefSchedulerConfigEntry) -> None:
    """Hand the entry's retention and concurrency options to the runner."""
    options = LocalOptions.from_entry(entry)
    runner.async_set_limits(
        max_records=options.ledger_records,
        max_age=timedelta(days=options.ledger_days),
        max_concurrent_runs=options.max_concurrent_runs,
    )
    runner.new_schedule_defaults = {
        "catch_up": options.catch_up_minutes * 60,
        "retry": {"retries": options.retries, "timeout": options.retry_timeout},
    }


async def _async_options_changed(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> None:
    """Apply changed options without a reload (subentry changes also land here)."""
    runtime = entry.runtime_data
    assert isinstance(runtime, LocalData)
    _apply_options(runtime.runner, entry)


async def async_unload_entry(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> bool:
    """Unload an entry; the local one stops its timers and writes what is pending."""
    if entry.data.get(CONF_ENTRY_KIND) == ENTRY_KIND_BELLAS_REEF:
        return await async_unload_remote_entry(hass, entry)
    unloaded = await hass.config_entries.async_unload_platforms(entry, LOCAL_PLATFORMS)
    runtime = entry.runtime_data
    assert isinstance(runtime, LocalData)
    if unloaded:
        await runtime.runner.async_stop()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> None:
    """Delete the entry's stored schedules, run state and ledger: nothing is left behind."""
    if entry.data.get(CONF_ENTRY_KIND) == ENTRY_KIND_BELLAS_REEF:
        await async_remove_store(hass, entry.entry_id)
        return
    await ReefStore(hass).async_remove()
