"""Tests for setting up and unloading the integration."""

from datetime import timedelta

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.data import LocalData


async def test_setup_and_unload(hass: HomeAssistant, local_entry: MockConfigEntry) -> None:
    local_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(local_entry.entry_id)
    await hass.async_block_till_done()
    assert local_entry.state is ConfigEntryState.LOADED
    assert isinstance(local_entry.runtime_data, LocalData)

    assert await hass.config_entries.async_unload(local_entry.entry_id)
    await hass.async_block_till_done()
    assert local_entry.state is ConfigEntryState.NOT_LOADED


async def test_removing_the_entry_deletes_its_stores(
    hass: HomeAssistant, local_entry: MockConfigEntry, hass_storage: dict
) -> None:
    local_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(local_entry.entry_id)
    await hass.async_block_till_done()
    runner = local_entry.runtime_data.runner
    await runner.async_add(
        {
            "id": "pump",
            "name": "Pump",
            "type": "interval",
            "every": 60,
            "action": {"type": "on", "target": {"entity_id": "switch.pump"}},
        }
    )
    assert "reef_scheduler.schedules" in hass_storage
    await hass.config_entries.async_remove(local_entry.entry_id)
    await hass.async_block_till_done()
    assert not [key for key in hass_storage if key.startswith("reef_scheduler.")]


async def test_options_change_applies_without_reload(
    hass: HomeAssistant, local_entry: MockConfigEntry
) -> None:
    local_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(local_entry.entry_id)
    runner = local_entry.runtime_data.runner
    hass.config_entries.async_update_entry(
        local_entry, options={"ledger_records": 50, "catch_up_minutes": 0, "retries": 1}
    )
    await hass.async_block_till_done()
    assert runner.max_records == 50
    assert local_entry.runtime_data.runner is runner
    action = {"type": "toggle", "target": {"entity_id": "switch.pump"}}
    new = await runner.async_add(
        {"id": "new", "name": "New", "type": "interval", "every": 60, "action": action}
    )
    assert new.catch_up == timedelta(0)
    assert (new.retry.retries, new.retry.timeout) == (1, 10.0)
    own = await runner.async_add(
        {
            "id": "own",
            "name": "Own",
            "type": "interval",
            "every": 60,
            "catch_up": 600,
            "retry": {"retries": 5},
            "action": action,
        }
    )
    assert own.catch_up == timedelta(minutes=10)
    assert own.retry.retries == 5


async def test_removing_a_server_entry_deletes_its_run_here_stores(
    hass: HomeAssistant, hass_storage: dict
) -> None:
    from custom_components.reef_scheduler import async_remove_entry
    from custom_components.reef_scheduler.remote.run_here import store_suffix

    entry = MockConfigEntry(domain="reef_scheduler", data={"kind": "bellas_reef"})
    keys = [
        f"reef_scheduler.{kind}{store_suffix(entry.entry_id)}"
        for kind in ("schedules", "server_copy", "reports")
    ]
    for key in keys:
        hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": {}}
    issues = [f"server_data_error_{entry.entry_id}", f"remote_schedule_invalid_{entry.entry_id}_1"]
    for ident in [*issues, "server_data_error_other"]:
        ir.async_create_issue(
            hass,
            "reef_scheduler",
            ident,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="server_data_error",
        )
    await async_remove_entry(hass, entry)
    assert [key for key in keys if key in hass_storage] == []
    left = [ident for _, ident in ir.async_get(hass).issues]
    assert left == ["server_data_error_other"]


async def test_failed_platform_unload_keeps_the_runner(
    hass: HomeAssistant, local_entry: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(local_entry.entry_id)
    runner = local_entry.runtime_data.runner

    async def refuse(*_: object) -> bool:
        return False

    monkeypatch.setattr(hass.config_entries, "async_unload_platforms", refuse)
    assert not await hass.config_entries.async_unload(local_entry.entry_id)
    # Entities are still there, so the schedules keep running (Home Assistant's rule).
    assert runner._timer is not None
    await runner.async_stop()
