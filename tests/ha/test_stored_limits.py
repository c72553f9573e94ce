"""Limits hold for new input: what was stored before a limit existed keeps loading and running."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.local.options import LocalOptions

from .clock import Clock
from .surface import PUMP, T0, reef_devices, seed, setup_local, spec, start_runner

# Stored by a version without limits: each of these is now beyond its documented maximum.
BEYOND = {
    "catch_up": 8 * 86_400,
    "tags": [f"t{index}" for index in range(25)],
    "retry": {"retries": 12},
    "end": "2150-01-01T00:00:00+00:00",
}
# Daily at 11:00 Berlin: one hour after T0 (10:00 Berlin).
OLD = spec("Old", id="old", times=["11:00"]) | BEYOND


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, clock: Clock) -> None:
    await clock.move_to(T0)
    await reef_devices(hass)


async def test_a_stored_schedule_beyond_the_limits_loads_and_runs(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    seed(hass_storage, [OLD])
    _, runner = await start_runner(hass)
    assert set(runner.schedules) == {"old"}
    assert not runner.invalid
    old = runner.schedules["old"]
    assert (old.catch_up, len(old.tags), old.retry.retries) == (timedelta(days=8), 25, 12)
    assert old.end == datetime(2150, 1, 1, tzinfo=UTC)

    due = T0 + timedelta(hours=1)
    assert runner.states["old"].next_due == due
    # Start-up drove the pump to the state of yesterday's run; switched off, the run turns it on.
    await hass.services.async_call("input_boolean", "turn_off", {"entity_id": PUMP}, blocking=True)
    await clock.move_to(due - timedelta(seconds=1))
    assert hass.states.get(PUMP).state == "off"
    await clock.move_to(due)
    assert hass.states.get(PUMP).state == "on"


async def test_the_same_definition_is_refused_as_new_input(hass: HomeAssistant) -> None:
    _, backend = await setup_local(hass)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "create_schedule", {"schedule": OLD}, blocking=True)
    assert err.value.translation_key == "date_out_of_range"
    assert str(err.value) == "end must lie between 1970-01-01 and 2100-01-01"
    assert err.value.translation_placeholders["errors"] == (
        "end: date_out_of_range, catch_up: catch_up_out_of_range, tags: too_many_tags, "
        "retry.retries: retries_out_of_range"
    )
    assert not backend.runner.schedules


async def test_an_edit_must_bring_it_within_the_limits(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """An edit of another field names the first field beyond its limit, and the limit."""
    seed(hass_storage, [spec("Old", id="old", catch_up=8 * 86_400)])
    _, runner = await start_runner(hass)
    rename = {"schedule_id": "old", "schedule": {"name": "New"}}
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "update_schedule", rename, blocking=True)
    assert str(err.value) == "catch_up: the catch-up window is 0 seconds to 7 days"
    assert runner.schedules["old"].name == "Old"

    rename["schedule"] |= {"catch_up": 7 * 86_400}
    await hass.services.async_call(DOMAIN, "update_schedule", rename, blocking=True)
    assert runner.schedules["old"].name == "New"
    assert runner.schedules["old"].catch_up == timedelta(days=7)


async def test_options_with_nan_are_refused_on_the_form(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    flow = await hass.config_entries.options.async_init(entry.entry_id)
    flow = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"next_step_id": "defaults"}
    )
    data = LocalOptions().as_dict() | {"retry_timeout": float("nan")}
    result = await hass.config_entries.options.async_configure(flow["flow_id"], data)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"retry_timeout": "not_a_number"}
    assert entry.options == {}
    assert LocalOptions.from_entry(entry) == LocalOptions()
