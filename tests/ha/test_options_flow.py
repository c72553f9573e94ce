"""Options flow of the local entry and the typed LocalOptions helper."""

from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest

from custom_components.reef_scheduler.local.options_flow import LocalOptions

from .surface import setup_local


async def test_options_flow(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    assert LocalOptions.from_entry(entry) == LocalOptions()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
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
