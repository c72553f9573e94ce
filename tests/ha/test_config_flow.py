"""Tests for the config flow."""

from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import CONF_ENTRY_KIND, DOMAIN, ENTRY_KIND_LOCAL


async def test_user_flow_creates_local_entry(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["local", "bellas_reef"]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "local"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "local"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Reef Scheduler"
    assert result["data"] == {CONF_ENTRY_KIND: ENTRY_KIND_LOCAL}
    entries = hass.config_entries.async_entries(DOMAIN)
    assert len(entries) == 1
    assert entries[0].state is config_entries.ConfigEntryState.LOADED


async def test_second_local_entry_aborts(hass: HomeAssistant, local_entry: MockConfigEntry) -> None:
    local_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "local"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "single_instance_allowed"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_only_the_local_entry_has_schedule_and_doser_subentries(hass: HomeAssistant) -> None:
    from custom_components.reef_scheduler.config_flow import ReefSchedulerConfigFlow

    local = MockConfigEntry(domain=DOMAIN, data={CONF_ENTRY_KIND: ENTRY_KIND_LOCAL})
    remote = MockConfigEntry(domain=DOMAIN, data={CONF_ENTRY_KIND: "bellas_reef"})
    assert list(ReefSchedulerConfigFlow.async_get_supported_subentry_types(local)) == [
        "schedule",
        "doser",
    ]
    assert ReefSchedulerConfigFlow.async_get_supported_subentry_types(remote) == {}
