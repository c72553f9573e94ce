"""Config, reauth, reconfigure and options flows of a Bella's Reef server entry."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import DOMAIN
from tests.api.server import PASSWORD, USERNAME, FakeBellasReef, FakeEndpoints, running

from .helpers import (
    entry_data,
    host,
    setup_server_entry,
)

CLIENT = "custom_components.reef_scheduler.api.BellasReefClient"


def form(endpoints: FakeEndpoints, **overrides: object) -> dict[str, object]:
    """Return the user step's input for the fake."""
    return {
        "core_url": endpoints.core_url,
        "scheduler_url": endpoints.scheduler_url,
        "username": USERNAME,
        "password": PASSWORD,
        "verify_ssl": True,
    } | overrides


async def start_flow(hass: HomeAssistant) -> str:
    """Open the flow and choose the Bella's Reef menu option."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "bellas_reef"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "bellas_reef"
    return result["flow_id"]


async def test_user_flow_errors_then_success(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    flow_id = await start_flow(hass)
    configure = hass.config_entries.flow.async_configure

    result = await configure(flow_id, form(endpoints, core_url="bellas", scheduler_url="ftp://x"))
    assert result["errors"] == {"core_url": "invalid_url", "scheduler_url": "invalid_url"}

    result = await configure(flow_id, form(endpoints, password="wrong"))
    assert result["errors"] == {"password": "invalid_auth"}

    result = await configure(flow_id, form(endpoints, core_url="http://127.0.0.1:9"))
    assert result["errors"] == {"core_url": "cannot_connect"}

    result = await configure(flow_id, form(endpoints, scheduler_url="http://127.0.0.1:9"))
    assert result["errors"] == {"scheduler_url": "cannot_connect"}

    # Core's address in the scheduler field: it answers, but has no schedule routes.
    result = await configure(flow_id, form(endpoints, scheduler_url=endpoints.core_url))
    assert result["errors"] == {"scheduler_url": "not_scheduler"}

    with patch(f"{CLIENT}.login", side_effect=RuntimeError("boom")):
        result = await configure(flow_id, form(endpoints))
    assert result["errors"] == {"base": "unknown"}

    # The scheduler refuses the token (another SECRET_KEY): invalid_auth too.
    fake.inject(
        service="scheduler",
        status=401,
        body='{"detail":"x"}',
        content_type="application/json",
        times=2,
    )
    result = await configure(flow_id, form(endpoints))
    assert result["errors"] == {"base": "invalid_auth"}

    result = await configure(flow_id, form(endpoints, core_url=endpoints.core_url + "/"))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Bella's Reef 127.0.0.1"
    assert result["data"] == entry_data(endpoints)
    assert result["result"].unique_id == f"{host(endpoints.core_url)}_1"
    await hass.async_block_till_done(wait_background_tasks=True)

    flow_id = await start_flow(hass)
    result = await configure(flow_id, form(endpoints))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    for entry in hass.config_entries.async_entries(DOMAIN):
        await hass.config_entries.async_unload(entry.entry_id)


async def test_reauth(hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef) -> None:
    entry = await setup_server_entry(hass, endpoints)
    fake.users[USERNAME]["password"] = "new-password-1"
    fake.expire_tokens()
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    flow_id = flows[0]["flow_id"]
    configure = hass.config_entries.flow.async_configure

    result = await configure(flow_id, {"username": USERNAME, "password": "still-wrong"})
    assert result["errors"] == {"password": "invalid_auth"}
    fake.add_user("other", "other-password")
    result = await configure(flow_id, {"username": "other", "password": "other-password"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"

    result = await entry.start_reauth_flow(hass)
    result = await configure(
        result["flow_id"], {"username": USERNAME, "password": "new-password-1"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["password"] == "new-password-1"
    await hass.async_block_till_done(wait_background_tasks=True)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    entry = await setup_server_entry(hass, endpoints)
    configure = hass.config_entries.flow.async_configure
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await configure(
        result["flow_id"],
        {"core_url": endpoints.core_url, "scheduler_url": "nope", "verify_ssl": False},
    )
    assert result["errors"] == {"scheduler_url": "invalid_url"}
    # This form has no password field: a refused login is the form's error.
    fake.users[USERNAME]["password"] = "changed-elsewhere"
    result = await configure(
        result["flow_id"],
        {"core_url": endpoints.core_url, "scheduler_url": endpoints.scheduler_url},
    )
    assert result["errors"] == {"base": "invalid_auth"}
    fake.users[USERNAME]["password"] = PASSWORD
    result = await configure(
        result["flow_id"],
        {
            "core_url": endpoints.core_url,
            "scheduler_url": endpoints.scheduler_url + "/",
            "verify_ssl": False,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["verify_ssl"] is False
    assert entry.data["scheduler_url"] == endpoints.scheduler_url.rstrip("/")
    await hass.async_block_till_done(wait_background_tasks=True)

    # Another server (new address) for the same user id: the unique id follows the address.
    other = FakeBellasReef()
    other.add_user(USERNAME, PASSWORD)
    async with running(other) as moved:
        result = await entry.start_reconfigure_flow(hass)
        result = await configure(
            result["flow_id"],
            {"core_url": moved.core_url, "scheduler_url": moved.scheduler_url, "verify_ssl": True},
        )
        assert result["reason"] == "reconfigure_successful"
        assert entry.unique_id == f"{host(moved.core_url)}_1"
        await hass.async_block_till_done(wait_background_tasks=True)

        # A server where this username is another user (id 2): refused.
        third = FakeBellasReef()
        third.add_user("someone", "x")
        third.add_user(USERNAME, PASSWORD)
        async with running(third) as wrong:
            result = await entry.start_reconfigure_flow(hass)
            result = await configure(
                result["flow_id"],
                {
                    "core_url": wrong.core_url,
                    "scheduler_url": wrong.scheduler_url,
                    "verify_ssl": True,
                },
            )
            assert result["reason"] == "wrong_account"

        # Moving onto an address another entry already uses.
        result = await entry.start_reconfigure_flow(hass)
        taken = MockConfigEntry(domain=DOMAIN, data={}, unique_id=f"{host(endpoints.core_url)}_1")
        taken.add_to_hass(hass)
        result = await configure(
            result["flow_id"],
            {
                "core_url": endpoints.core_url,
                "scheduler_url": endpoints.scheduler_url,
                "verify_ssl": True,
            },
        )
        assert result["reason"] == "already_configured"
        await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure_local_entry_is_not_supported(
    hass: HomeAssistant, local_entry: MockConfigEntry
) -> None:
    local_entry.add_to_hass(hass)
    result = await local_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_supported"


async def test_options_flow_with_device_mapping(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {"pump": {}}})
    fake.add_schedule(name="Pump", device_ids=[2, 3])
    entry = await setup_server_entry(hass, endpoints)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "server"
    schema = result["data_schema"].schema
    defaults = {str(key): key.default() for key in schema}
    assert defaults == {"scan_interval": 30, "run_here": False, "device_ids": "2, 3"}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"scan_interval": 60, "run_here": True, "device_ids": "2, x"}
    )
    assert result["errors"] == {"device_ids": "invalid_device_ids"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"scan_interval": 60, "run_here": True, "device_ids": "2, 3"}
    )
    assert result["step_id"] == "devices"
    assert result["description_placeholders"] == {"devices": "2, 3"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"device_2": ["input_boolean.pump"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        "scan_interval": 60,
        "run_here": True,
        "device_map": {"2": ["input_boolean.pump"]},
    }
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data.run_here is not None
    assert entry.runtime_data.coordinator.update_interval.total_seconds() == 60

    # No device ids: the mapping step is skipped and the mapping emptied.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"scan_interval": 30, "run_here": False, "device_ids": ""}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["device_map"] == {}
    await hass.async_block_till_done(wait_background_tasks=True)
    await hass.config_entries.async_unload(entry.entry_id)


def test_url_check_refuses_what_is_no_http_url() -> None:
    from custom_components.reef_scheduler.remote.flow import _valid_url

    assert _valid_url(" http://reef.local:8000 ")
    assert not _valid_url("ftp://reef.local")
    assert not _valid_url("http://[::1")
    assert not _valid_url("reef.local")


def test_clean_strips_urls_and_leaves_the_rest() -> None:
    from custom_components.reef_scheduler.remote.flow import _clean

    assert _clean({"core_url": " http://reef:8000/ ", "username": "bella"}) == {
        "core_url": "http://reef:8000",
        "username": "bella",
    }
