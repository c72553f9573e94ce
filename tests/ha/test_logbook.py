"""The logbook names the schedule behind a change a run made, read from the real recorder."""

from __future__ import annotations

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

from .surface import PUMP, reef_devices, setup_local, spec


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """Prepare the recorder's database before hass starts, then allow custom integrations."""


async def test_logbook_says_which_schedule_turned_the_pump_on(
    recorder_mock: Recorder, hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    await reef_devices(hass)
    # The logbook's panel needs the frontend package, which the test venvs do not install.
    hass.config.components.add("frontend")
    assert await async_setup_component(hass, "logbook", {})
    start = dt_util.utcnow()
    _, backend = await setup_local(hass)
    await backend.async_create(spec(id="sunrise", name="Sunrise"))
    backend.runner.async_run_now("sunrise")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(PUMP).state == "on"
    await async_wait_recording_done(hass)

    client = await hass_ws_client(hass)
    await client.send_json(
        {
            "id": 1,
            "type": "logbook/get_events",
            "start_time": start.isoformat(),
            "entity_ids": [PUMP],
        }
    )
    response = await client.receive_json()
    assert response["success"]
    entries: list[dict[str, Any]] = response["result"]
    turned_on = [entry for entry in entries if entry.get("state") == "on"]
    assert len(turned_on) == 1
    # The frontend shows: "<pump> turned on triggered by schedule Sunrise ran manually".
    assert turned_on[0]["context_event_type"] == "reef_scheduler_run"
    assert turned_on[0]["context_name"] == "schedule Sunrise"
    assert turned_on[0]["context_message"] == "ran manually"
