"""What a reconcile reaches follows the registries and the schedules as they are now.

Each schedule's devices and areas are expanded once and kept; these tests change the entity,
device and area registries and the schedules, then let a reconcile happen (a target comes
back, or a schedule's pause ends) and check where the devices land.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.engine.model import Target
from custom_components.reef_scheduler.runner.target_index import TargetIndex

from .surface import HEATER, PUMP, T0, reef_tank, start_runner

type Move = Callable[[HomeAssistant, str, str, str | None], None]


@pytest.fixture(autouse=True)
async def tank(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Freeze time at T0 (10:00 in Berlin) with the reef tank's devices."""
    freezer.move_to(T0)
    await reef_tank(hass)


def daily(name: str, at: str, action: str, target: dict[str, Any]) -> dict[str, Any]:
    """Return a daily schedule switching its target at a time of day."""
    return {
        "name": name,
        "type": "recurring",
        "frequency": "daily",
        "times": [at],
        "action": {"type": action, "target": target},
    }


async def create(hass: HomeAssistant, schedule: dict[str, Any]) -> str:
    """Create a schedule through the service; return its id."""
    result = await hass.services.async_call(
        DOMAIN, "create_schedule", {"schedule": schedule}, blocking=True, return_response=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert result is not None
    return str(result["schedule_id"])


async def call(hass: HomeAssistant, service: str, **data: Any) -> None:
    """Call one of the integration's services and let what it starts finish."""
    await hass.services.async_call(DOMAIN, service, data, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)


async def switch(hass: HomeAssistant, entity_id: str, state: str) -> None:
    """Switch an input_boolean by hand."""
    service = "turn_on" if state == "on" else "turn_off"
    await hass.services.async_call(
        "input_boolean", service, {"entity_id": entity_id}, blocking=True
    )
    assert hass.states.get(entity_id).state == state


async def comes_back(hass: HomeAssistant, entity_id: str) -> None:
    """Make an entity unavailable, then available (as it is): the reconcile of a return."""
    state = hass.states.get(entity_id).state
    hass.states.async_set(entity_id, "unavailable")
    hass.states.async_set(entity_id, state)
    await hass.async_block_till_done(wait_background_tasks=True)


def tank_device(hass: HomeAssistant) -> str:
    """Return a device (of another integration) that entities can be put on."""
    entry = MockConfigEntry(domain="test")
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("test", "tank")}, name="Tank controller"
    )
    return device.id


def entity_area(hass: HomeAssistant, device_id: str, area_id: str, to: str | None) -> None:
    """Put the pump in the area itself (None: in no area)."""
    er.async_get(hass).async_update_entity(PUMP, area_id=to)


def entity_device(hass: HomeAssistant, device_id: str, area_id: str, to: str | None) -> None:
    """Put the pump on the device (None: on no device)."""
    er.async_get(hass).async_update_entity(PUMP, device_id=to)


def device_area(hass: HomeAssistant, device_id: str, area_id: str, to: str | None) -> None:
    """Put the pump's device in the area (None: in no area)."""
    er.async_get(hass).async_update_entity(PUMP, device_id=device_id)
    dr.async_get(hass).async_update_device(device_id, area_id=to)


@pytest.mark.parametrize(
    ("target_kind", "move"),
    [
        pytest.param("area_id", entity_area, id="entity-into-area"),
        pytest.param("device_id", entity_device, id="entity-onto-device"),
        pytest.param("area_id", device_area, id="device-into-area"),
    ],
)
async def test_an_entity_moved_into_a_target_is_reconciled_and_one_moved_out_is_not(
    hass: HomeAssistant, target_kind: str, move: Move
) -> None:
    await start_runner(hass)
    device_id = tank_device(hass)
    area_id = ar.async_get(hass).async_create("Tank").id
    move(hass, device_id, area_id, None)
    target = {target_kind: device_id if target_kind == "device_id" else area_id}
    await create(hass, daily("Circulation", "08:00", "on", target))
    # The target reaches nothing yet: the pump stays off, also when it comes back.
    await comes_back(hass, PUMP)
    assert hass.states.get(PUMP).state == "off"

    move(hass, device_id, area_id, device_id if target_kind == "device_id" else area_id)
    await hass.async_block_till_done()
    await comes_back(hass, PUMP)
    assert hass.states.get(PUMP).state == "on"

    move(hass, device_id, area_id, None)
    await hass.async_block_till_done()
    await switch(hass, PUMP, "off")
    await comes_back(hass, PUMP)
    assert hass.states.get(PUMP).state == "off"


async def test_a_pause_ending_reconciles_what_the_area_holds_now(hass: HomeAssistant) -> None:
    await start_runner(hass)
    device_id = tank_device(hass)
    area_id = ar.async_get(hass).async_create("Tank").id
    er.async_get(hass).async_update_entity(HEATER, device_id=device_id)
    sid = await create(hass, daily("Heating", "08:00", "on", {"area_id": area_id}))
    assert hass.states.get(HEATER).state == "off"
    await call(hass, "pause", schedule_id=sid, until=(T0.replace(hour=20)).isoformat())

    dr.async_get(hass).async_update_device(device_id, area_id=area_id)
    await call(hass, "resume", schedule_id=sid)
    assert hass.states.get(HEATER).state == "on"


async def test_a_removed_schedule_no_longer_prescribes(hass: HomeAssistant) -> None:
    await start_runner(hass)
    await create(hass, daily("Day", "08:00", "on", {"entity_id": PUMP}))
    night = await create(hass, daily("Night", "09:00", "off", {"entity_id": PUMP}))
    await switch(hass, PUMP, "on")
    await comes_back(hass, PUMP)
    assert hass.states.get(PUMP).state == "off"  # 09:00 "off" is the latest run

    await call(hass, "delete_schedule", schedule_id=night)
    await comes_back(hass, PUMP)
    assert hass.states.get(PUMP).state == "on"  # only 08:00 "on" is left


async def test_an_edited_target_is_reconciled_and_the_old_one_is_left_alone(
    hass: HomeAssistant,
) -> None:
    await start_runner(hass)
    sid = await create(hass, daily("Circulation", "08:00", "on", {"entity_id": PUMP}))
    assert hass.states.get(PUMP).state == "on"

    await call(
        hass,
        "update_schedule",
        schedule_id=sid,
        schedule={"action": {"type": "on", "target": {"entity_id": HEATER}}},
    )
    assert hass.states.get(HEATER).state == "on"
    await switch(hass, PUMP, "off")
    await comes_back(hass, PUMP)
    assert hass.states.get(PUMP).state == "off"


async def test_the_index_follows_renames_removals_and_shared_targets(
    hass: HomeAssistant,
) -> None:
    device_id = tank_device(hass)
    entities = er.async_get(hass)
    entities.async_update_entity(PUMP, device_id=device_id)
    index = TargetIndex(hass)
    on_device = Target(device_ids=(device_id,))
    index.track("a", on_device)
    index.track("b", on_device)
    index.refresh()
    assert dict(index) == {"a": (PUMP,), "b": (PUMP,)}
    index.track("a", None)
    assert (len(index), index.schedules([PUMP])) == (1, {"b"})

    # Renamed and taken off the device in one update: the old id is no longer reached.
    renamed = "input_boolean.main_pump"
    entities.async_update_entity(PUMP, new_entity_id=renamed, device_id=None)
    assert index.entity_changed(
        {"action": "update", "entity_id": renamed, "old_entity_id": PUMP, "changes": {}}
    )
    index.refresh()
    assert (index["b"], index.reaches(PUMP)) == ((), False)

    entities.async_update_entity(renamed, device_id=device_id)
    index.entity_changed({"action": "update", "entity_id": renamed, "changes": {}})
    index.refresh()
    assert index["b"] == (renamed,)
    entities.async_remove(renamed)
    assert index.entity_changed({"action": "remove", "entity_id": renamed})
    index.refresh()
    assert index["b"] == ()
