"""Schedule names are unique among the local entry's schedules (trimmed, any case)."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.reef_scheduler.const import DOMAIN

from .surface import T0, reef_devices, seed, setup_local, spec


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)


async def call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=service == "create_schedule"
    )


async def test_actions_refuse_a_name_another_schedule_has(hass: HomeAssistant) -> None:
    _, backend = await setup_local(hass)
    await call(hass, "create_schedule", {"schedule": spec(id="a", name="Sunrise")})
    with pytest.raises(ServiceValidationError) as refused:
        await call(hass, "create_schedule", {"schedule": spec(id="b", name="  SUNRISE ")})
    assert refused.value.translation_key == "name_taken"
    assert refused.value.translation_placeholders["name"] == "  SUNRISE "
    assert list(backend.runner.schedules) == ["a"]

    await call(hass, "create_schedule", {"schedule": spec(id="b", name="Sunset")})
    with pytest.raises(ServiceValidationError) as refused:
        await call(hass, "update_schedule", {"schedule_id": "b", "schedule": {"name": "sunrise"}})
    assert refused.value.translation_key == "name_taken"
    assert backend.runner.schedules["b"].name == "Sunset"
    # Its own name, in another case, is no conflict.
    await call(hass, "update_schedule", {"schedule_id": "a", "schedule": {"name": "SUNRISE"}})
    assert backend.runner.schedules["a"].name == "SUNRISE"
    # Without a name a schedule is named by its id.
    without = {key: value for key, value in spec(id="c").items() if key != "name"}
    await call(hass, "create_schedule", {"schedule": without})
    assert backend.runner.schedules["c"].name == "c"


async def test_names_shared_before_the_rule_are_kept(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    seed(hass_storage, [spec(id="a", name="Pump"), spec(id="b", name="pump")])
    _, backend = await setup_local(hass)
    # An edit that keeps the shared name is not refused; once given up, it cannot come back.
    await call(hass, "update_schedule", {"schedule_id": "b", "schedule": {"times": ["11:00"]}})
    assert backend.runner.schedules["b"].name == "pump"
    await call(hass, "update_schedule", {"schedule_id": "b", "schedule": {"name": "Pump 2"}})
    with pytest.raises(ServiceValidationError):
        await call(hass, "update_schedule", {"schedule_id": "b", "schedule": {"name": "PUMP "}})


async def test_a_name_given_up_is_free_again(hass: HomeAssistant) -> None:
    _, backend = await setup_local(hass)
    await call(hass, "create_schedule", {"schedule": spec(id="a", name="Sunrise")})
    await call(hass, "create_schedule", {"schedule": spec(id="b", name="Sunset")})
    # Renamed: the old name is free, the new one taken.
    await call(hass, "update_schedule", {"schedule_id": "a", "schedule": {"name": "Dawn"}})
    await call(hass, "create_schedule", {"schedule": spec(id="c", name="sunrise")})
    with pytest.raises(ServiceValidationError):
        await call(hass, "create_schedule", {"schedule": spec(id="d", name="DAWN")})
    # Deleted: its name is free.
    await call(hass, "delete_schedule", {"schedule_id": "b"})
    await call(hass, "create_schedule", {"schedule": spec(id="d", name="Sunset")})
    assert {sid: s.name for sid, s in backend.runner.schedules.items()} == {
        "a": "Dawn",
        "c": "sunrise",
        "d": "Sunset",
    }
    with pytest.raises(ServiceValidationError):
        await call(hass, "create_schedule", {"schedule": spec(id="e", name="sunset ")})
