"""Options flow of the local entry (its main action): add a schedule, defaults and limits."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from custom_components.reef_scheduler.const import SUBENTRY_TYPE_SCHEDULE, device_identifier
from custom_components.reef_scheduler.local.options import LocalOptions

from .flows import answer, counter, options_step, suggested
from .surface import PUMP, T0, copy_of, reef_devices, setup_local


async def test_the_menu_offers_adding_a_schedule_first(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "init"
    assert result["menu_options"] == ["add_schedule", "defaults", "care"]


async def test_adding_a_schedule_from_the_options(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)
    entry, backend = await setup_local(hass)
    step = options_step(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await answer(step, result, {"next_step_id": "add_schedule"})
    assert (result["step_id"], counter(result)) == ("kind", ("1", "6"))
    result = await answer(
        step,
        result,
        {"name": "Skimmer", "kind": "cron"},
        {"cron": "0 */2 * * *"},
        {"action": "off"},
        {},
        {"target": {"entity_id": [PUMP]}},
    )
    assert (result["step_id"], result["last_step"]) == ("policy", True)
    result = await answer(step, result, suggested(result))
    assert result["type"] is FlowResultType.ABORT
    assert (result["reason"], result["description_placeholders"]) == (
        "schedule_added",
        {"name": "Skimmer"},
    )
    await hass.async_block_till_done()
    # As the subentry flow makes it: the subentry, the device and the Enabled switch.
    (sid,) = backend.runner.schedules
    (subentry,) = entry.subentries.values()
    assert (subentry.subentry_type, subentry.title, subentry.unique_id) == (
        SUBENTRY_TYPE_SCHEDULE,
        "Skimmer",
        sid,
    )
    assert subentry.data["schedule_id"] == sid
    assert copy_of(subentry)["cron"] == "0 */2 * * *"
    device = dr.async_get(hass).async_get_device({device_identifier(entry.entry_id, sid)})
    assert device is not None
    assert device.name == "Skimmer"
    switch = er.async_get(hass).async_get("switch.skimmer_enabled")
    assert switch is not None
    assert switch.config_subentry_id == subentry.subentry_id
    assert hass.states.get("switch.skimmer_enabled").state == "on"
    # The options themselves are left as they were.
    assert entry.options == {}


async def test_adding_needs_the_entry_loaded(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    await hass.config_entries.async_unload(entry.entry_id)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await answer(options_step(hass), result, {"next_step_id": "add_schedule"})
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "not_loaded")


async def test_defaults_and_limits(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    assert LocalOptions.from_entry(entry) == LocalOptions()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await answer(options_step(hass), result, {"next_step_id": "defaults"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "defaults"
    data = {
        "catch_up_minutes": 30,
        "retries": 5,
        "retry_timeout": 2.5,
        "ledger_records": 500,
        "ledger_days": 7,
        "max_concurrent_runs": 4,
        "target_wait_minutes": 20,
    }
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], data | {"max_concurrent_runs": 0}
        )
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], data | {"target_wait_minutes": 61}
        )
    result = await hass.config_entries.options.async_configure(result["flow_id"], data)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert LocalOptions.from_entry(entry) == LocalOptions(30, 5, 2.5, 500, 7, 4, 20)
    assert entry.options == data
    # Applied without a reload: start-up work waits this long for a target next time.
    assert entry.runtime_data.runner.target_wait == timedelta(minutes=20)
