"""Helpers of the Bella's Reef server entry tests (the `fake` fixtures: tests/conftest.py)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import CONF_ENTRY_KIND, DOMAIN, ENTRY_KIND_BELLAS_REEF
from tests.api.server import PASSWORD, USERNAME, FakeEndpoints


def entry_data(endpoints: FakeEndpoints, **overrides: Any) -> dict[str, Any]:
    """Return the data of a server entry for the fake."""
    return {
        CONF_ENTRY_KIND: ENTRY_KIND_BELLAS_REEF,
        "core_url": endpoints.core_url.rstrip("/"),
        "scheduler_url": endpoints.scheduler_url.rstrip("/"),
        "username": USERNAME,
        "password": PASSWORD,
        "verify_ssl": True,
    } | overrides


def host(url: str) -> str:
    """Return host:port of a fake URL."""
    return url.split("//", 1)[1].rstrip("/")


def server_entry(
    hass: HomeAssistant, endpoints: FakeEndpoints, options: dict[str, Any] | None = None
) -> MockConfigEntry:
    """Add (not set up) a server entry for the fake."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Bella's Reef 127.0.0.1",
        data=entry_data(endpoints),
        options=options or {},
        unique_id=f"{host(endpoints.core_url)}_1",
    )
    entry.add_to_hass(hass)
    return entry


async def setup_server_entry(
    hass: HomeAssistant, endpoints: FakeEndpoints, options: dict[str, Any] | None = None
) -> MockConfigEntry:
    """Add and set up a server entry; wait for its background work."""
    entry = server_entry(hass, endpoints, options)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry
