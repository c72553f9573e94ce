"""Tests for setting up and unloading the integration."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
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
