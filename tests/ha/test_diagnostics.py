"""Diagnostics, system health and logbook description."""

from __future__ import annotations

from typing import Any, ClassVar

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import get_system_health_info
from syrupy.assertion import SnapshotAssertion

from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.diagnostics import async_get_config_entry_diagnostics
from custom_components.reef_scheduler.local.backend import EVENT_RUN
from custom_components.reef_scheduler.logbook import async_describe_events

from .surface import T0, reef_devices, setup_local, spec


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)


async def test_diagnostics(hass: HomeAssistant, snapshot: SnapshotAssertion) -> None:
    entry, backend = await setup_local(hass)
    await backend.async_create(spec(id="sunrise", created=T0.isoformat()))
    backend.runner.async_run_now("sunrise")
    # A feed mode period shows with each device's release and its level before.
    devices = [{"entity_id": "input_boolean.return_pump", "restore_after": 5}]
    await hass.services.async_call(
        DOMAIN, "feed_mode", {"minutes": 10, "devices": devices}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    data = await async_get_config_entry_diagnostics(hass, entry)
    for record in data["schedules"]["sunrise"]["recent_runs"]:
        record["context_id"] = "<context>"
    assert data == snapshot


async def test_system_health(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    assert await async_setup_component(hass, "system_health", {})
    await hass.async_block_till_done()
    await backend.async_create(
        spec(
            id="a",
            retry={"retries": 0},
            action={"type": "on", "target": {"entity_id": "switch.gone"}},
        )
    )
    backend.runner.async_run_now("a")
    backend.runner.async_run_now("a")
    await hass.async_block_till_done(wait_background_tasks=True)
    info = await get_system_health_info(hass, "reef_scheduler")
    assert info["schedules"] == 1
    assert info["invalid_schedules"] == 0
    assert info["armed_timers"] == 1
    assert info["failures_24h"] == 2
    assert info["last_lateness"] == "-"
    await hass.config_entries.async_unload(entry.entry_id)
    assert await get_system_health_info(hass, "reef_scheduler") == {"schedules": 0}


async def test_logbook_description(hass: HomeAssistant) -> None:
    described: dict[str, Any] = {}

    def register(domain: str, event_type: str, describe: Any) -> None:
        described[event_type] = describe

    async_describe_events(hass, register)

    class FakeEvent:
        data: ClassVar[dict[str, str]] = {"name": "Sunrise", "trigger": "timer"}

    assert described[EVENT_RUN](FakeEvent()) == {
        "name": "schedule Sunrise",
        "message": "ran on time",
    }
