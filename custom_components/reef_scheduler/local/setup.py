"""Setting up, unloading and removing the local entry."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from ..engine.model import RetryPolicy
from ..runner.actions import ActionExecutor
from ..runner.care import CareOwner
from ..runner.care_store import CareStore
from ..runner.describe import async_load_texts
from ..runner.dosing import DosingController
from ..runner.moon import moon_windows
from ..runner.runner import ScheduleRunner
from ..runner.store import ReefStore
from ..runner.sun import sun_calculator
from .backend import LocalBackend, stored_copies
from .data import LocalConfigEntry, LocalData
from .dosers import entry_dosers
from .options import LocalOptions

LOCAL_PLATFORMS = [Platform.BUTTON, Platform.CALENDAR, Platform.SENSOR, Platform.SWITCH]


async def async_setup_local_entry(hass: HomeAssistant, entry: LocalConfigEntry) -> bool:
    """Start the runner from the store, then the backend and the platforms."""

    def background(coro: Any, name: str) -> asyncio.Task[Any]:
        return entry.async_create_background_task(hass, coro, name)

    moon = moon_windows(hass)
    dosing = DosingController(hass, lambda: entry_dosers(entry))
    await dosing.async_load()
    executor = ActionExecutor(hass, background=background, moon_windows=moon, dosing=dosing)
    runner = ScheduleRunner(
        hass,
        ReefStore(hass),
        executor,
        sun=sun_calculator(hass),
        moon_windows=moon,
        background=background,
    )
    runner.run_now_guard = dosing.check_run_now
    care = CareOwner(hass, runner, executor, CareStore(hass), background)
    _apply_options(runner, care, entry)
    # Devices and calendars read their texts from Home Assistant's cache from now on.
    await async_load_texts(hass)
    # The subentries' copies rebuild what the store lost (a damaged or missing file).
    report = await runner.async_start(stored_copies(entry))
    # Feed mode and maintenance go on from their stored periods before anything is driven.
    await care.async_start()
    backend = LocalBackend(hass, entry, runner)
    entry.runtime_data = LocalData(
        runner=runner, backend=backend, dosing=dosing, care=care, executor=executor
    )
    await backend.async_start(report)
    # After the backend's start: the subentries it adds are no options change.
    entry.async_on_unload(entry.add_update_listener(_async_options_changed))
    # Catch-up runs and reconciles wait for Home Assistant's start and for their targets;
    # they begin only now that the backend announces runs (the logbook names the schedule).
    runner.async_start_reconciling()
    # Doses a kill left under way are settled, every doser's pump switched off.
    dosing.async_start(runner.note_run)
    await hass.config_entries.async_forward_entry_setups(entry, LOCAL_PLATFORMS)
    return True


def _apply_options(runner: ScheduleRunner, care: CareOwner, entry: LocalConfigEntry) -> None:
    """Hand the entry's retention, concurrency, wait and retry options to the runner and care."""
    options = LocalOptions.from_entry(entry)
    care.retry = RetryPolicy(retries=options.retries, timeout=options.retry_timeout)
    runner.async_set_limits(
        max_records=options.ledger_records,
        max_age=timedelta(days=options.ledger_days),
        max_concurrent_runs=options.max_concurrent_runs,
    )
    runner.target_wait = timedelta(minutes=options.target_wait_minutes)
    runner.new_schedule_defaults = {
        "catch_up": options.catch_up_minutes * 60,
        "retry": {"retries": options.retries, "timeout": options.retry_timeout},
    }


async def _async_options_changed(hass: HomeAssistant, entry: LocalConfigEntry) -> None:
    """Apply changed options without a reload (subentry changes also land here)."""
    _apply_options(entry.runtime_data.runner, entry.runtime_data.care, entry)


async def async_unload_local_entry(hass: HomeAssistant, entry: LocalConfigEntry) -> bool:
    """Unload the platforms, then stop the timers and write what is pending."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, LOCAL_PLATFORMS)
    if unloaded:
        entry.runtime_data.dosing.async_stop()
        await entry.runtime_data.care.async_stop()
        await entry.runtime_data.runner.async_stop()
    return unloaded


async def async_remove_local_entry(hass: HomeAssistant, entry: LocalConfigEntry) -> None:
    """Delete the stored schedules, run state and ledger: nothing is left behind."""
    await ReefStore(hass).async_remove()
    await CareStore(hass).async_remove()
