"""The integration page: a service integration, its entries listed as the frontend asks for them.

The frontend labels the entries' section and its add button by the manifest's integration type
(service: "Services" / "Add service") and lists the entries of device, hub and service
integrations; entries made while the type was hub are listed the same.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.reef_scheduler.const import DOMAIN

from .surface import setup_local

# What the integrations dashboard asks for (frontend 20250411: ha-config-integrations).
DASHBOARD_TYPES = ["device", "hub", "service"]


async def test_a_service_integration_whose_entries_the_dashboard_lists(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    assert (await async_get_integration(hass, DOMAIN)).integration_type == "service"
    entry, _ = await setup_local(hass)
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)

    async def listed(types: list[str]) -> list[tuple[str, str]]:
        await client.send_json_auto_id({"type": "config_entries/get", "type_filter": types})
        reply = await client.receive_json()
        assert reply["success"], reply
        return [(row["entry_id"], row["title"]) for row in reply["result"]]

    assert await listed(DASHBOARD_TYPES) == [(entry.entry_id, "Reef Scheduler")]
    assert await listed(["hub"]) == []
