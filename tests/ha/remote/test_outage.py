"""Bella's Reef outages: run-here keeps running from its own copy; reports wait and arrive once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
import logging
from typing import Any
from unittest.mock import patch

from aiohttp import web
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest

from custom_components.reef_scheduler.api import ScheduleUpdate
from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.engine.model import FieldError, Schedule, ScheduleInvalid
from custom_components.reef_scheduler.remote.run_here import RunHere
from tests.api.server import FakeBellasReef, FakeEndpoints

from ..clock import Clock
from ..surface import kill
from .helpers import server_entry, setup_server_entry

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
PUMP = "input_boolean.pump"
SWITCH = "switch.pump_once_enabled"
CONNECTION = "binary_sensor.bella_s_reef_127_0_0_1_server_connection"
STATUS = "sensor.bella_s_reef_127_0_0_1_server_status"
OPTIONS = {"run_here": True, "device_map": {"2": [PUMP]}}
POLL = 31
RUN_HERE = "custom_components.reef_scheduler.remote.run_here"


@pytest.fixture(autouse=True)
async def reef(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Berlin at T0 with a pump."""
    freezer.move_to(T0)
    await hass.config.async_set_time_zone("Europe/Berlin")
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {"pump": {}}})


@asynccontextmanager
async def serving(app: web.Application, port: int) -> AsyncIterator[None]:
    """Serve a fake service again on its old port (it is back)."""
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        yield
    finally:
        await server.close()


def pump_once(fake: FakeBellasReef) -> datetime:
    """Add a server one-off turning the pump on in ten minutes; return its instant."""
    due = T0 + timedelta(minutes=10)
    fake.add_schedule(
        name="Pump once", schedule_type="one_off", interval_seconds=None, start_time=due
    )
    fake.schedules[1]["device_ids"] = [2]
    return due


async def server_down(endpoints: FakeEndpoints) -> tuple[int, int]:
    """Stop both services of the server; return their ports (to serve them again)."""
    ports = (endpoints.core_server.port, endpoints.scheduler_server.port)
    await endpoints.core_server.close()
    await endpoints.scheduler_server.close()
    return ports


async def restart(hass: HomeAssistant, entry_id: str) -> RunHere:
    """Unload and set up the entry again (what a restart of Home Assistant does to it)."""
    assert await hass.config_entries.async_unload(entry_id)
    assert await hass.config_entries.async_setup(entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    assert entry.state is ConfigEntryState.LOADED
    run_here = entry.runtime_data.run_here
    assert run_here is not None
    return run_here


def stored_report(**fields: Any) -> dict[str, Any]:
    """Return a run report as run-here stores it."""
    report: dict[str, Any] = {
        "schedule_id": 1,
        "device_id": 2,
        "action_type": "on",
        "parameters": None,
        "scheduled": T0.isoformat(),
        "finished": T0.isoformat(),
        "success": True,
        "error": None,
        "result": {"executed_by": "home_assistant", "trigger": "timer"},
        "action_id": None,
        "executed": False,
        "queued": T0.isoformat(),
        "key": "k1",
    }
    return report | fields


def put_reports(
    hass_storage: dict[str, Any], entry_id: str, reports: list[dict[str, Any]], dropped: int = 0
) -> None:
    """Leave run reports in the entry's reports file, as an earlier run would have."""
    key = f"reef_scheduler.reports.remote.{entry_id}"
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {"reports": reports, "dropped": dropped},
    }


async def test_restart_during_an_outage_runs_from_the_copy_and_reports_later(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    due = pump_once(fake)
    entry = await setup_server_entry(hass, endpoints, OPTIONS)
    assert hass.states.get(STATUS).state == "connected"
    assert "stale" not in hass.states.get(SWITCH).attributes

    # The server goes away; Home Assistant restarts meanwhile.
    ports = await server_down(endpoints)
    await clock.advance(60)
    caplog.set_level(logging.WARNING)
    run_here = await restart(hass, entry.entry_id)
    assert "running 1 schedules here from the copy read at 2026-01-12T09:00:00" in caplog.text

    assert hass.states.get(CONNECTION).state == "off"
    status = hass.states.get(STATUS)
    assert status.state == "unreachable"
    assert status.attributes["last_contact"] == T0.isoformat()
    switch = hass.states.get(SWITCH)
    assert switch.state == "on"
    assert switch.attributes["next_run"] == due.isoformat()
    assert (switch.attributes["stale"], switch.attributes["last_contact"]) == (True, T0.isoformat())

    # Due during the outage: it runs here, on time.
    await clock.move_to(due - timedelta(milliseconds=1))
    assert hass.states.get(PUMP).state == "off"
    await clock.move_to(due)
    assert hass.states.get(PUMP).state == "on"
    assert len(run_here.pending) == 1

    # Another restart, still down: the report waits in the run-here store.
    run_here = await restart(hass, entry.entry_id)
    assert len(run_here.pending) == 1
    assert not fake.device_actions

    async with serving(fake.core_app, ports[0]), serving(fake.scheduler_app, ports[1]):
        await clock.advance(POLL)
        await clock.advance(POLL)  # the breaker's cool-down may take one more poll
        assert hass.states.get(STATUS).state == "connected"
        assert "stale" not in hass.states.get(SWITCH).attributes
        assert run_here.pending == []
        [action] = fake.device_actions.values()
        assert (action["scheduled_time"], action["status"]) == (due, "success")
        # Delivered once, also across another reload.
        run_here = await restart(hass, entry.entry_id)
        assert run_here.pending == []
        assert len(fake.device_actions) == 1
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_without_a_copy_the_set_up_retries(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    await endpoints.scheduler_server.close()
    entry = server_entry(hass, endpoints, OPTIONS)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_refused_credentials_with_a_copy_keep_running_and_start_reauth(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    fake.add_schedule(name="Pump once", device_ids=[2])
    entry = await setup_server_entry(hass, endpoints, OPTIONS)
    fake.users["bellas"]["password"] = "rotated-password"
    fake.expire_tokens()
    run_here = await restart(hass, entry.entry_id)
    assert set(run_here.runner.schedules) == {"1"}
    assert hass.states.get(STATUS).state == "auth_failed"
    assert hass.states.get(CONNECTION).state == "on"
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_damaged_copy_is_no_copy(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    hass_storage: dict[str, Any],
) -> None:
    entry = server_entry(hass, endpoints, OPTIONS)
    key = f"reef_scheduler.server_copy.remote.{entry.entry_id}"
    good = {"id": 1, "name": "Pump once", "schedule_type": "interval", "interval_seconds": 60}
    good |= {"is_enabled": True, "action_type": "on", "created_at": T0.isoformat()}
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {"last_contact": T0.isoformat(), "schedules": [good, {"id": "x"}]},
    }
    await endpoints.scheduler_server.close()
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert list(entry.runtime_data.coordinator.data) == [1]
    assert await hass.config_entries.async_unload(entry.entry_id)

    hass_storage[key]["data"] = {"schedules": "not a list"}
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_a_report_sent_again_counts_once(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    hass_storage: dict[str, Any],
) -> None:
    fake.add_schedule(name="Pump once", device_ids=[2])
    # Delivered before the restart, but the queue's removal of it was never written.
    fake.add_device_action(
        device_id=2, schedule_id=1, scheduled_time=T0, status="success", action_type="on"
    )
    entry = server_entry(hass, endpoints, OPTIONS)
    put_reports(
        hass_storage,
        entry.entry_id,
        [
            stored_report(action_id=1),
            stored_report(key="k2", scheduled=(T0 + timedelta(minutes=1)).isoformat()),
            {"damaged": True},
        ],
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    run_here = entry.runtime_data.run_here
    assert run_here.pending == []
    actions = sorted(fake.device_actions.values(), key=lambda a: a["id"])
    assert [(a["id"], a["status"], a["scheduled_time"]) for a in actions] == [
        (1, "success", T0),
        (2, "success", T0 + timedelta(minutes=1)),
    ]
    assert actions[0]["executed_time"] == T0
    assert await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[f"reef_scheduler.reports.remote.{entry.entry_id}"]["data"]
    assert stored == {"reports": [], "dropped": 0}


async def test_reports_dropped_by_a_limit_raise_an_issue_with_the_count(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    clock: Clock,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.add_schedule(name="Pump once", device_ids=[2], start_time=T0)
    entry = await setup_server_entry(hass, endpoints, OPTIONS)
    assert await hass.config_entries.async_unload(entry.entry_id)
    # Queued two days ago: older than the queue keeps reports.
    old = (T0 - timedelta(days=2)).isoformat()
    put_reports(hass_storage, entry.entry_id, [stored_report(queued=old)])
    await endpoints.scheduler_server.close()
    caplog.set_level(logging.WARNING)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    ident = f"run_reports_dropped_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, ident)
    assert issue is not None
    assert issue.translation_placeholders["count"] == "1"
    assert "Dropped 1 reports of runs made here" in caplog.text

    # Past the count limit (2 here), the oldest go.
    run_here = entry.runtime_data.run_here
    with patch("custom_components.reef_scheduler.remote.run_here.MAX_PENDING_REPORTS", 2):
        for minute in (1, 2, 3):
            await clock.move_to(T0 + timedelta(minutes=minute))
    assert len(run_here.pending) == 2
    issue = ir.async_get(hass).async_get_issue(DOMAIN, ident)
    assert issue.translation_placeholders["count"] == "2"

    # Acknowledged: the issue goes, and the count starts again.
    assert await async_setup_component(hass, "repairs", {})
    flows = repairs_flow_manager(hass)
    assert flows is not None
    result = await flows.async_init(DOMAIN, data={"issue_id": ident})
    result = await flows.async_configure(result["flow_id"], {})
    assert ir.async_get(hass).async_get_issue(DOMAIN, ident) is None
    assert await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[f"reef_scheduler.reports.remote.{entry.entry_id}"]["data"]
    assert (len(stored["reports"]), stored["dropped"]) == (2, 2)


async def test_a_server_data_error_keeps_the_last_good_data(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    clock: Clock,
) -> None:
    fake.add_schedule(name="Pump once", device_ids=[2])
    entry = await setup_server_entry(hass, endpoints)  # mirror only
    # A row the server's own response model rejects: every list answer is 500 (Q3).
    bad = fake.add_schedule(name="Broken", schedule_type="cron", interval_seconds=None)
    await clock.advance(POLL)
    switch = hass.states.get(SWITCH)
    assert switch.state == "on"
    assert (switch.attributes["stale"], switch.attributes["last_contact"]) == (True, T0.isoformat())
    assert hass.states.get(CONNECTION).state == "on"
    assert hass.states.get(STATUS).state == "server_error"
    ident = f"server_data_error_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, ident)
    assert issue is not None
    assert issue.translation_placeholders["error"] == (
        "GET /api/v1/schedules/ -> 500: Internal Server Error"
    )

    # The server then becomes unreachable: told apart, and a mirror shows nothing stale.
    port = endpoints.scheduler_server.port
    await endpoints.scheduler_server.close()
    await clock.advance(POLL)
    assert hass.states.get(STATUS).state == "unreachable"
    assert hass.states.get(CONNECTION).state == "off"
    assert hass.states.get(SWITCH).state == "unavailable"

    del fake.schedules[bad["id"]]
    async with serving(fake.scheduler_app, port):
        await clock.advance(POLL)
        await clock.advance(POLL)
        assert hass.states.get(STATUS).state == "connected"
        assert ir.async_get(hass).async_get_issue(DOMAIN, ident) is None
        assert "stale" not in hass.states.get(SWITCH).attributes
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_server_schedules_beyond_our_limits_run_and_invalid_ones_raise_an_issue(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef, clock: Clock
) -> None:
    # Every 400 days: beyond the limit for new input (365 days), loaded like a stored one.
    fake.add_schedule(name="Rare", device_ids=[2], interval_seconds=400 * 86400, start_time=T0)
    fake.add_schedule(name="Nonsense", device_ids=[2], schedule_type="cron")
    fake.schedules[2]["cron_expression"] = "not a cron"
    entry = await setup_server_entry(hass, endpoints, OPTIONS)
    run_here = entry.runtime_data.run_here
    assert set(run_here.runner.schedules) == {"1"}
    ident = f"remote_schedule_invalid_{entry.entry_id}_2"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, ident)
    assert issue is not None
    assert issue.translation_placeholders["name"] == "Nonsense"
    assert issue.translation_placeholders["errors"] == (
        "- cron: Not a valid cron expression (minute hour day month weekday)."
    )

    fake.schedules[2]["cron_expression"] = "0 8 * * *"
    await clock.advance(POLL)
    assert set(run_here.runner.schedules) == {"1", "2"}
    assert ir.async_get(hass).async_get_issue(DOMAIN, ident) is None

    # Invalid again, then deleted on the server: the issue goes with it.
    fake.schedules[2]["cron_expression"] = "61 8 * * *"
    await clock.advance(POLL)
    assert ir.async_get(hass).async_get_issue(DOMAIN, ident) is not None
    del fake.schedules[2]
    await clock.advance(POLL)
    assert ir.async_get(hass).async_get_issue(DOMAIN, ident) is None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_an_update_that_would_break_the_server_row_is_refused_here(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    fake.add_schedule(name="Pump once", device_ids=[2])
    entry = await setup_server_entry(hass, endpoints, {"device_map": {"2": [PUMP]}})
    sent = len(fake.requests)
    spec = {"name": "Pump", "type": "interval", "every": 60}
    spec["action"] = {"type": "on", "target": {"entity_id": PUMP}}
    with (
        patch(
            "custom_components.reef_scheduler.remote.backend.update_of",
            side_effect=lambda create: ScheduleUpdate(interval_seconds=None),
        ),
        pytest.raises(ServiceValidationError) as err,
    ):
        await hass.services.async_call(
            DOMAIN, "update_schedule", {"schedule_id": "1", "schedule": spec}, blocking=True
        )
    assert err.value.translation_key == "remote_request_invalid"
    assert "interval_seconds cannot be cleared" in str(err.value)
    assert len(fake.requests) == sent
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_schedule_the_runner_refuses_is_skipped_once_and_the_others_run(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.add_schedule(name="Refused", device_ids=[2])
    fake.add_schedule(name="Fine", device_ids=[2])

    async def validate(_: object, schedule: Schedule) -> None:
        if schedule.id == "1":
            raise ScheduleInvalid([FieldError("action.target", "invalid_entity_id")])

    caplog.set_level(logging.WARNING)
    with patch(f"{RUN_HERE}.ActionExecutor.async_validate", validate):
        entry = await setup_server_entry(hass, endpoints, OPTIONS)
        await clock.advance(POLL)
        await clock.advance(POLL)
    run_here = entry.runtime_data.run_here
    assert set(run_here.runner.schedules) == {"2"}
    ident = f"remote_schedule_invalid_{entry.entry_id}_1"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, ident)
    assert issue.translation_placeholders["errors"] == "- action.target: Not a valid entity id."
    assert caplog.text.count("Run here cannot run server schedule Refused") == 1

    await clock.advance(POLL)
    assert set(run_here.runner.schedules) == {"1", "2"}
    assert ir.async_get(hass).async_get_issue(DOMAIN, ident) is None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_reports_of_an_outage_survive_a_kill(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    clock: Clock,
    hass_storage: dict[str, Any],
) -> None:
    due = pump_once(fake)
    entry = await setup_server_entry(hass, endpoints, OPTIONS)
    ports = await server_down(endpoints)
    await clock.move_to(due)
    assert hass.states.get(PUMP).state == "on"
    await clock.advance(2)  # the queue is on disk a second after it changed

    # Killed: only what was on disk survives; the next start finds the report and sends it.
    await kill(hass, entry, hass_storage)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    run_here = entry.runtime_data.run_here
    assert run_here is not None
    assert len(run_here.pending) == 1
    async with serving(fake.core_app, ports[0]), serving(fake.scheduler_app, ports[1]):
        await clock.advance(POLL)
        await clock.advance(POLL)
        assert run_here.pending == []
        [action] = fake.device_actions.values()
        assert (action["scheduled_time"], action["status"]) == (due, "success")
        assert await hass.config_entries.async_unload(entry.entry_id)
