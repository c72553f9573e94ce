"""Entities, calendar and system health over a longer run history."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    get_system_health_info,
)

from custom_components.reef_scheduler.local.backend import EVENT_RUN_FINISHED

from .surface import T0, events, reef_devices, setup_local, spec


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)


@pytest.mark.usefixtures("all_enabled")
async def test_history_after_reload(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    entry, backend = await setup_local(hass)
    await backend.async_create(spec(id="s", name="S"))
    gone = {"type": "on", "target": {"entity_id": "switch.gone"}}
    await backend.async_create(spec(id="f", name="F", retry={"retries": 0}, action=gone))
    for _ in range(210):
        backend.runner.async_run_now("f")
    backend.runner.async_run_now("s")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("switch.f_enabled").attributes["runs"] == 210
    assert hass.states.get("switch.f_enabled").attributes["last_result"] == "failed"

    assert await async_setup_component(hass, "system_health", {})
    info = await get_system_health_info(hass, "reef_scheduler")
    assert info["failures_24h"] == 210

    # A reload announces only runs that finish later; the switch keeps the counts.
    finished = async_capture_events(hass, EVENT_RUN_FINISHED)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    backend = entry.runtime_data.backend
    backend.runner.async_run_now("s")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [(e.data["schedule_id"], e.data["slot"]) for e in finished] == [("s", 1)]
    assert hass.states.get("switch.f_enabled").attributes["runs"] == 210

    # Recorded runs, in one band for the day: they count as failed; windows before and after.
    found = await events(hass, T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    (failed,) = [e for e in found if e["summary"].startswith("F · ")]
    assert failed["summary"] == "F · Daily 10:00 (210 runs)"
    assert failed["description"] == "Daily 10:00 · Turn on switch.gone\n210 failed"
    assert await events(hass, T0 - timedelta(hours=2), T0 - timedelta(hours=1)) == []

    freezer.move_to(T0 + timedelta(hours=25))
    later = await events(hass, T0 + timedelta(hours=1), T0 + timedelta(hours=2))
    assert [e["summary"] for e in later] == []
    info = await get_system_health_info(hass, "reef_scheduler")
    assert info["failures_24h"] == 0
