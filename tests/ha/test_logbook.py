"""The logbook names the schedule behind a change a run made, read from the real recorder."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from .surface import HEATER, PUMP, reef_devices, seed, setup_local


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """Prepare the recorder's database before hass starts, then allow custom integrations."""


def one_off(sid: str, name: str, at: datetime, action: str, entity_id: str) -> dict[str, Any]:
    """Return a one-off schedule spec."""
    return {
        "id": sid,
        "name": name,
        "type": "one_off",
        "at": at.isoformat(),
        "action": {"type": action, "target": {"entity_id": [entity_id]}},
    }


async def _logbook(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, start: datetime, entity_id: str
) -> list[dict[str, Any]]:
    """Return the logbook's entries of one entity since start, as the frontend reads them."""
    await async_wait_recording_done(hass)
    client = await hass_ws_client(hass)
    await client.send_json(
        {
            "id": 1,
            "type": "logbook/get_events",
            "start_time": start.isoformat(),
            "entity_ids": [entity_id],
        }
    )
    response = await client.receive_json()
    assert response["success"]
    entries: list[dict[str, Any]] = response["result"]
    return entries


async def _logbook_ready(hass: HomeAssistant) -> None:
    """Set up the reef devices and the logbook."""
    await reef_devices(hass)
    # The logbook's panel needs the frontend package, which the test venvs do not install.
    hass.config.components.add("frontend")
    assert await async_setup_component(hass, "logbook", {})


async def test_logbook_says_which_schedule_turned_the_pump_on(
    recorder_mock: Recorder, hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    await _logbook_ready(hass)
    start = dt_util.utcnow()
    _, backend = await setup_local(hass)
    # A one-off in the future prescribes nothing yet: creating it changes no device.
    later = dt_util.utcnow() + timedelta(days=1)
    await backend.async_create(one_off("sunrise", "Sunrise", later, "on", PUMP))
    await hass.async_block_till_done()
    assert hass.states.get(PUMP).state == "off"
    backend.runner.async_run_now("sunrise")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(PUMP).state == "on"

    entries = await _logbook(hass, hass_ws_client, start, PUMP)
    turned_on = [entry for entry in entries if entry.get("state") == "on"]
    assert len(turned_on) == 1
    # The frontend shows: "<pump> turned on triggered by schedule Sunrise ran manually".
    assert turned_on[0]["context_event_type"] == "reef_scheduler_run"
    assert turned_on[0]["context_name"] == "schedule Sunrise"
    assert turned_on[0]["context_message"] == "ran manually"


async def test_logbook_names_the_schedule_created_inside_its_window(
    recorder_mock: Recorder, hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    await _logbook_ready(hass)
    start = dt_util.utcnow()
    _, backend = await setup_local(hass)
    # A light period from an hour ago until in an hour: it applies its state at once.
    local = dt_util.now()
    params = {
        "on": (local - timedelta(hours=1)).strftime("%H:%M"),
        "off": (local + timedelta(hours=1)).strftime("%H:%M"),
    }
    await backend.async_create(
        {
            "id": "day",
            "name": "Daylight",
            "type": "preset",
            "preset": "photoperiod",
            "params": params,
            "action": {"type": "on", "target": {"entity_id": [PUMP]}},
        }
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(PUMP).state == "on"

    entries = await _logbook(hass, hass_ws_client, start, PUMP)
    turned_on = [entry for entry in entries if entry.get("state") == "on"]
    assert len(turned_on) == 1
    assert turned_on[0]["context_event_type"] == "reef_scheduler_reconcile"
    assert turned_on[0]["context_name"] == "schedule Daylight"
    assert turned_on[0]["context_message"] == "applied the state it prescribes"


async def test_logbook_names_the_schedules_of_catch_up_runs(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    hass_storage: dict[str, Any],
) -> None:
    await _logbook_ready(hass)
    start = dt_util.utcnow()
    missed = start - timedelta(minutes=5)
    seed(
        hass_storage,
        [
            one_off("pump", "Pump on", missed, "on", PUMP),
            one_off("heat", "Heater toggle", missed, "toggle", HEATER),
        ],
        state={sid: {"next_due": missed.isoformat()} for sid in ("pump", "heat")},
    )
    await setup_local(hass)
    assert hass.states.get(PUMP).state == "on"
    assert hass.states.get(HEATER).state == "on"

    for entity_id, name in ((PUMP, "Pump on"), (HEATER, "Heater toggle")):
        entries = await _logbook(hass, hass_ws_client, start, entity_id)
        turned_on = [entry for entry in entries if entry.get("state") == "on"]
        assert len(turned_on) == 1
        # The catch-up run starts once the backend listens: its run event names it.
        assert turned_on[0]["context_event_type"] == "reef_scheduler_run"
        assert turned_on[0]["context_name"] == f"schedule {name}"
        assert turned_on[0]["context_message"] == "ran to catch up"


async def test_the_switch_logbook_tells_why_a_run_failed(
    recorder_mock: Recorder, hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    """The device page's logbook (its Enabled switch) lists each result, a failure with why."""
    await _logbook_ready(hass)
    start = dt_util.utcnow()
    _, backend = await setup_local(hass)
    later = dt_util.utcnow() + timedelta(days=1)
    gone = one_off("feed", "Feed pause", later, "on", "switch.gone") | {"retry": {"retries": 0}}
    await backend.async_create(gone)
    await backend.async_create(one_off("sunrise", "Sunrise", later, "on", PUMP))
    await hass.async_block_till_done()
    for sid in ("feed", "sunrise"):
        backend.runner.async_run_now(sid)
        await hass.async_block_till_done(wait_background_tasks=True)

    feed = await _logbook(hass, hass_ws_client, start, "switch.feed_pause_enabled")
    finished = [e for e in feed if e.get("domain") == "reef_scheduler"]
    assert [(e["name"], e["message"]) for e in finished] == [
        ("schedule Feed pause", "failed: switch.gone: switch.gone is unavailable")
    ]
    sunrise = await _logbook(hass, hass_ws_client, start, "switch.sunrise_enabled")
    assert [e["message"] for e in sunrise if e.get("domain") == "reef_scheduler"] == ["finished"]
