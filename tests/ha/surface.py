"""Shared helpers of the HA surface tests (services, entities, flows, calendar)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import CONF_ENTRY_KIND, DOMAIN, ENTRY_KIND_LOCAL
from custom_components.reef_scheduler.data import LocalData
from custom_components.reef_scheduler.local.backend import LocalBackend

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
PUMP = "input_boolean.return_pump"
HEATER = "input_boolean.heater"


async def reef_devices(hass: HomeAssistant) -> None:
    """Provide two switchable reef devices in Berlin."""
    await hass.config.async_set_time_zone("Europe/Berlin")
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"return_pump": {}, "heater": {}}}
    )


def spec(name: str = "Sunrise", **fields: Any) -> dict[str, Any]:
    """Return a daily 10:00 schedule turning the pump on."""
    base: dict[str, Any] = {
        "name": name,
        "type": "recurring",
        "frequency": "daily",
        "times": ["10:00"],
        "action": {"type": "on", "target": {"entity_id": [PUMP]}},
    }
    return base | fields


async def setup_local(hass: HomeAssistant) -> tuple[MockConfigEntry, LocalBackend]:
    """Set up the local entry; return it with its backend."""
    entry = MockConfigEntry(
        domain=DOMAIN, title="Reef Scheduler", data={CONF_ENTRY_KIND: ENTRY_KIND_LOCAL}
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    runtime = entry.runtime_data
    assert isinstance(runtime, LocalData)
    return entry, runtime.backend
