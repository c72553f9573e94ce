"""The day card's file: served by the integration, registered once as a dashboard resource."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from homeassistant.components.lovelace.const import LOVELACE_DATA
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.reef_scheduler.card_resource import (
    CARD_FILE,
    CARD_URL,
    FOLDER,
    async_register_resource,
)

from .surface import setup_local

RESOURCES_KEY = "lovelace_resources"


def version() -> str:
    """Return the card's version query: the integration's version and the file's digest."""
    digest = hashlib.sha256((FOLDER / CARD_FILE).read_bytes()).hexdigest()[:8]
    return f"{CARD_URL}?v=0.1.0-{digest}"


def stored_resources(*items: dict[str, Any]) -> dict[str, Any]:
    """Return the dashboards' stored resources as Home Assistant writes them."""
    return {"version": 1, "minor_version": 1, "key": RESOURCES_KEY, "data": {"items": list(items)}}


def resources(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Return the dashboards' resources."""
    return [dict(item) for item in hass.data[LOVELACE_DATA].resources.async_items()]


async def test_storage_mode_registers_the_card_once(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, "lovelace", {})
    await setup_local(hass)

    found = resources(hass)
    assert [(item["type"], item["url"]) for item in found] == [("module", version())]
    # Home Assistant started again: the same resource, not a second one.
    await async_register_resource(hass)
    assert resources(hass) == found


async def test_a_new_version_updates_the_url_in_place(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    hass_storage[RESOURCES_KEY] = stored_resources(
        {"id": "theirs", "type": "module", "url": "/local/other-card.js"},
        {"id": "ours", "type": "module", "url": f"{CARD_URL}?v=0.0.9-deadbeef"},
        {"id": "copy", "type": "js", "url": CARD_URL},
    )
    assert await async_setup_component(hass, "lovelace", {})
    await setup_local(hass)

    assert [(item["id"], item["url"]) for item in resources(hass)] == [
        ("theirs", "/local/other-card.js"),
        ("ours", version()),
    ]


async def test_yaml_mode_registers_nothing_and_says_so(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    assert await async_setup_component(hass, "lovelace", {"lovelace": {"mode": "yaml"}})
    with caplog.at_level(logging.INFO):
        await setup_local(hass)

    assert resources(hass) == []
    assert f"add the resource {version()} (type module)" in caplog.text


async def test_without_dashboards_nothing_is_registered(hass: HomeAssistant) -> None:
    await setup_local(hass)

    assert LOVELACE_DATA not in hass.data
    await async_register_resource(hass)  # nothing to register with, nothing fails


async def test_the_card_file_is_served(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    await setup_local(hass)
    client = await hass_client()

    response = await client.get(f"{version()}")
    assert response.status == 200
    assert "javascript" in response.headers["Content-Type"]
    assert await response.read() == (FOLDER / CARD_FILE).read_bytes()
