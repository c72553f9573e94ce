"""Server entry setup: devices and entities of server schedules, polling, outages, auth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.setup import async_setup_component
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.reef_scheduler.api import RunStatus as ServerRunStatus
from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.data import RemoteData
from custom_components.reef_scheduler.engine.ledger import RESULTS, RunStatus, result_of
from custom_components.reef_scheduler.engine.summary import NO_REASON
from tests.api.server import FakeBellasReef, FakeEndpoints

from ..clock import Clock
from ..surface import runs_of, summary
from .helpers import (
    server_entry,
    setup_server_entry,
)

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
SERVER = "binary_sensor.bella_s_reef_127_0_0_1_server_connection"
STATUS = "sensor.bella_s_reef_127_0_0_1_server_status"
POLL = 31  # seconds: the coordinator polls again by then


@pytest.fixture(autouse=True)
def frozen(freezer: FrozenDateTimeFactory) -> None:
    """Start every test at T0."""
    freezer.move_to(T0)


async def test_schedules_become_devices_with_entities(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    clock: Clock,
) -> None:
    fake.add_schedule(
        name="Lights on",
        schedule_type="one_off",
        interval_seconds=None,
        start_time=T0 + timedelta(hours=1),
        device_ids=[2],
        last_run=T0 - timedelta(days=1),
        last_run_status="failed",
    )
    entry = await setup_server_entry(hass, endpoints)
    assert entry.state is ConfigEntryState.LOADED
    assert isinstance(entry.runtime_data, RemoteData)

    assert hass.states.get("switch.lights_on_enabled").state == STATE_ON
    # The server tells no error and no run count.
    assert runs_of(hass, "switch.lights_on_enabled") == {
        "status": None,  # the server leaves next_run empty: unknown
        "next_run": None,
        "last_run": (T0 - timedelta(days=1)).isoformat(),
        "last_result": "failed",
        "last_error": NO_REASON,
        "runs": None,
    }
    assert hass.states.get(SERVER).state == STATE_ON

    devices = dr.async_get(hass)
    schedule_device = devices.async_get_device(identifiers={(DOMAIN, f"{entry.entry_id}_1")})
    server_device = devices.async_get_device(identifiers={(DOMAIN, entry.entry_id)})
    assert schedule_device is not None
    assert server_device is not None
    assert schedule_device.via_device_id == server_device.id
    assert schedule_device.manufacturer == "Bella's Reef"
    assert server_device.configuration_url == endpoints.scheduler_url.rstrip("/")
    entity = er.async_get(hass).async_get("switch.lights_on_enabled")
    assert entity is not None
    assert entity.unique_id == f"{entry.entry_id}_1_enabled"

    # The switch disables and enables on the server.
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.lights_on_enabled"}, blocking=True
    )
    assert fake.schedules[1]["is_enabled"] is False
    assert hass.states.get("switch.lights_on_enabled").state == STATE_OFF
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.lights_on_enabled"}, blocking=True
    )
    assert fake.schedules[1]["is_enabled"] is True

    # Added on the server: appears at the next poll, without a reload.
    fake.add_schedule(name="Wave pulse", device_ids=[3])
    await clock.advance(POLL)
    assert hass.states.get("switch.wave_pulse_enabled").state == STATE_ON

    # Renamed on the server: the device follows.
    fake.schedules[2]["name"] = "Wave burst"
    await clock.advance(POLL)
    device = devices.async_get_device(identifiers={(DOMAIN, f"{entry.entry_id}_2")})
    assert device is not None
    assert device.name == "Wave burst"

    # Deleted on the server: device and entities go.
    del fake.schedules[1]
    await clock.advance(POLL)
    assert devices.async_get_device(identifiers={(DOMAIN, f"{entry.entry_id}_1")}) is None
    assert hass.states.get("switch.lights_on_enabled") is None
    assert er.async_get(hass).async_get("switch.lights_on_enabled") is None
    assert hass.states.get("switch.wave_pulse_enabled").state == STATE_ON

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_outage_makes_entities_unavailable_and_logs_once(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.add_schedule(name="Pump", device_ids=[2])
    entry = await setup_server_entry(hass, endpoints)
    caplog.clear()
    caplog.set_level(logging.INFO, logger="custom_components.reef_scheduler")

    port = endpoints.scheduler_server.port
    await endpoints.scheduler_server.close()
    for _ in range(5):
        await clock.advance(POLL)
    assert hass.states.get("switch.pump_enabled").state == STATE_UNAVAILABLE
    assert hass.states.get(SERVER).state == STATE_OFF
    failure = entry.runtime_data.coordinator.last_exception
    assert isinstance(failure, UpdateFailed)
    assert (failure.translation_domain, failure.translation_key) == (DOMAIN, "remote_unreachable")
    breaker = entry.runtime_data.client.breakers["scheduler"]
    assert breaker.failures >= 3

    from aiohttp.test_utils import TestServer

    server = TestServer(fake.scheduler_app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        for _ in range(3):
            await clock.advance(POLL)
        assert hass.states.get("switch.pump_enabled").state == STATE_ON
        assert hass.states.get(SERVER).state == STATE_ON
        ours = [
            r
            for r in caplog.records
            if r.name.startswith("custom_components.reef_scheduler") and r.levelno >= logging.INFO
        ]
        messages = [r.getMessage() for r in ours]
        assert len(messages) == 2, messages
        assert "The Bella's Reef server cannot be reached: " in messages[0]
        assert "recovered" in messages[1]
        assert "reef-secret-pw" not in caplog.text
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await server.close()


async def test_setup_retries_while_server_is_down(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    fake.fail_next(times=10, status=503, body="down for maintenance", service="scheduler")
    entry = server_entry(hass, endpoints)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason == (
        "The Bella's Reef server failed: GET /api/v1/schedules/ -> 503: down for maintenance"
    )


async def test_auth_failure_at_setup_starts_reauth(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    fake.users["bellas"]["password"] = "changed-password"
    entry = server_entry(hass, endpoints)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    # Home Assistant drops the final full stop of translated messages.
    assert entry.reason == "Bella's Reef refused the credentials; re-authenticate the server entry"
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_auth_failure_while_polling_starts_reauth(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    clock: Clock,
) -> None:
    fake.add_schedule(name="Pump", device_ids=[2])
    entry = await setup_server_entry(hass, endpoints)
    fake.expire_tokens()
    fake.users["bellas"]["password"] = "rotated-password"
    await clock.advance(POLL)
    assert hass.states.get("switch.pump_enabled").state == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_schedule_device_says_what_it_does(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    clock: Clock,
    device_registry: dr.DeviceRegistry,
) -> None:
    pump = {"name": "Return pump"}
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {"pump": pump}})
    fake.add_schedule(name="Pump", device_ids=[2])
    fake.add_schedule(name="Unmapped", device_ids=[9])
    entry = await setup_server_entry(hass, endpoints, {"device_map": {"2": ["input_boolean.pump"]}})

    def device(sid: int) -> dr.DeviceEntry:
        found = device_registry.async_get_device({(DOMAIN, f"{entry.entry_id}_{sid}")})
        assert found is not None
        return found

    assert (device(1).model, device(1).serial_number, device(1).configuration_url) == (
        "Every 1 min · Turn on Return pump",
        "1",
        f"homeassistant://config/integrations/integration/{DOMAIN}#config_entry={entry.entry_id}",
    )
    # One Reef Scheduler cannot read on Home Assistant's entities shows its kind only.
    assert device(2).model == "Schedule (interval)"
    # Changed on the server: the next poll describes it again.
    fake.schedules[1]["interval_seconds"] = 600
    await clock.advance(POLL)
    assert device(1).model == "Every 10 min · Turn on Return pump"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_entities_snapshot(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    fake.add_schedule(
        name="Lights on",
        schedule_type="one_off",
        interval_seconds=None,
        start_time=T0 + timedelta(hours=1),
        device_ids=[2],
        next_run=T0 + timedelta(hours=1),
        last_run=T0 - timedelta(days=1),
        last_run_status="failed",
    )
    fake.add_schedule(name="Wave pulse", device_ids=[3], is_enabled=False)
    entry = await setup_server_entry(hass, endpoints)
    devices = [
        {
            "identifiers": sorted(
                (domain, key.removeprefix(entry.entry_id)) for domain, key in device.identifiers
            ),
            "name": device.name,
            "manufacturer": device.manufacturer,
            "model": device.model,
            "via_device": None
            if device.via_device_id is None
            else device_registry.async_get(device.via_device_id).name,
        }
        for device in sorted(
            dr.async_entries_for_config_entry(device_registry, entry.entry_id),
            key=lambda device: device.name or "",
        )
    ]
    assert {
        "devices": devices,
        "entities": summary(hass, entity_registry, entry.entry_id),
    } == snapshot
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (None, None),
        (ServerRunStatus.SUCCESS, "success"),
        (ServerRunStatus.FAILED, "failed"),
        (ServerRunStatus.SKIPPED, "skipped"),
        (RunStatus.INTERRUPTED, "interrupted"),
        (RunStatus.PENDING, None),
        (RunStatus.IN_PROGRESS, None),
        ("cancelled", None),
    ],
)
def test_last_result_shows_finished_results_only(status: str | None, shown: str | None) -> None:
    assert result_of(status) == shown
    assert RESULTS == ("success", "failed", "skipped", "interrupted")
    # Every result the server reports is one the sensor offers.
    assert {status.value for status in ServerRunStatus} <= set(RESULTS)


async def test_old_server_entry_keeps_only_its_switches(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    entity_registry: er.EntityRegistry,
) -> None:
    fake.add_schedule(name="Pump", device_ids=[2])
    entry = server_entry(hass, endpoints)  # version 1.1: one switch and three sensors
    for platform, key in (
        ("switch", "enabled"),
        ("sensor", "next_run"),
        ("sensor", "last_run"),
        ("sensor", "last_result"),
    ):
        entity_registry.async_get_or_create(
            platform,
            DOMAIN,
            f"{entry.entry_id}_1_{key}",
            config_entry=entry,
            suggested_object_id=f"pump {key}",
        )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    kept = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    assert sorted(item.entity_id for item in kept) == [SERVER, STATUS, "switch.pump_enabled"]
    assert hass.states.get("switch.pump_enabled").attributes["last_result"] == "not_run"
    await hass.config_entries.async_unload(entry.entry_id)
