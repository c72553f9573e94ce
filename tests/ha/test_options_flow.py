"""Options flow of the local entry and the typed LocalOptions helper."""

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
    }
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], data | {"max_concurrent_runs": 0}
        )
    result = await hass.config_entries.options.async_configure(result["flow_id"], data)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert LocalOptions.from_entry(entry) == LocalOptions(30, 5, 2.5, 500, 7, 4)
    assert entry.options == data
