"""Bella's Reef server schedules as action targets: their devices and Enabled switches.

The actions that act on server schedules (run_now, update_schedule, delete_schedule) take them
as a target like local ones; the actions that need a schedule run by Home Assistant refuse them
by name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest

from custom_components.reef_scheduler.const import DOMAIN
from tests.api.server import FakeBellasReef, FakeEndpoints

from ..surface import setup_local
from .helpers import setup_server_entry

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
SWITCH = "switch.wave_pulse_enabled"


@pytest.fixture(autouse=True)
def frozen(freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)


async def call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def test_server_schedules_by_device_and_switch(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    await setup_local(hass)  # its schedule ids may be the server's: the target tells them apart
    row = fake.add_schedule(name="Wave pulse", device_ids=[2])
    entry = await setup_server_entry(hass, endpoints)
    sid = str(row["id"])
    device = dr.async_get(hass).async_get_device({(DOMAIN, f"{entry.entry_id}_{sid}")})
    assert device is not None
    named = {"schedules": [{"schedule_id": sid, "name": "Wave pulse"}]}

    assert await call(hass, "run_now", {"device_id": device.id}) == named
    actions = list(fake.device_actions.values())
    assert [(a["device_id"], a["schedule_id"], a["status"]) for a in actions] == [
        (2, row["id"], "success")
    ]

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "skip_next", {"entity_id": SWITCH})
    assert err.value.translation_key == "local_only"
    assert err.value.translation_placeholders == {"schedule_id": sid, "name": "Wave pulse"}

    # The server's own device is no schedule.
    server = dr.async_get(hass).async_get_device({(DOMAIN, entry.entry_id)})
    assert server is not None
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "run_now", {"device_id": server.id})
    assert err.value.translation_key == "not_a_schedule"
    assert err.value.translation_placeholders == {"target": entry.title}

    assert await call(hass, "delete_schedule", {"entity_id": SWITCH}) == named
    assert row["id"] not in fake.schedules
    await hass.config_entries.async_unload(entry.entry_id)
