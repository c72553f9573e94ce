"""Run here: server schedules run by the local engine and reported back as device actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
from pathlib import Path
from unittest.mock import MagicMock, patch

from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest

from custom_components.reef_scheduler.engine.ledger import RunStatus, Trigger
from custom_components.reef_scheduler.engine.model import CronTiming
from custom_components.reef_scheduler.remote.run_here import (
    ReportingExecutor,
    RunHere,
    async_remove_store,
)
from custom_components.reef_scheduler.runner.runner import RunResult
from tests.api.server import FakeBellasReef, FakeEndpoints

from ..clock import Clock
from .helpers import (
    setup_server_entry,
)

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
PUMP = "input_boolean.pump"
LED = "input_number.led"
SWITCH = "switch.pump_on_enabled"
OPTIONS = {"run_here": True, "device_map": {"2": [PUMP], "3": [LED]}}


@pytest.fixture(autouse=True)
async def reef(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Berlin at T0 with a pump and a dimmable LED channel."""
    freezer.move_to(T0)
    await hass.config.async_set_time_zone("Europe/Berlin")
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {"pump": {}}})
    assert await async_setup_component(
        hass, "input_number", {"input_number": {"led": {"min": 0, "max": 100, "step": 1}}}
    )


async def test_one_off_fires_here_on_time_and_is_reported(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    clock: Clock,
) -> None:
    due = T0 + timedelta(minutes=5)
    fake.add_schedule(
        name="Pump on",
        schedule_type="one_off",
        interval_seconds=None,
        start_time=due,
        device_ids=[2],
    )
    entry = await setup_server_entry(hass, endpoints, OPTIONS)
    run_here = entry.runtime_data.run_here
    assert isinstance(run_here, RunHere)
    assert run_here.runner.states["1"].next_due == due
    assert hass.states.get(SWITCH).attributes["next_run"] == due.isoformat()

    await clock.move_to(due - timedelta(milliseconds=1))
    assert hass.states.get(PUMP).state == "off"
    assert not fake.device_actions

    await clock.move_to(due)
    assert hass.states.get(PUMP).state == "on"
    records, _ = run_here.runner.ledger_page("1")
    assert [(r.status, r.trigger, r.due) for r in records] == [
        (RunStatus.SUCCESS, Trigger.TIMER, due)
    ]
    [action] = fake.device_actions.values()
    assert action["schedule_id"] == 1
    assert action["device_id"] == 2
    assert action["status"] == "success"
    assert action["scheduled_time"] == due
    assert action["executed_time"] == due
    assert action["result"]["executed_by"] == "home_assistant"
    assert action["result"]["trigger"] == "timer"
    attributes = hass.states.get(SWITCH).attributes
    assert (attributes["last_result"], attributes["last_run"]) == ("success", due.isoformat())
    assert (attributes["runs"], attributes["next_run"]) == (1, None)
    assert await hass.config_entries.async_unload(entry.entry_id)


def test_the_reporting_executor_hands_prepares_and_edits_to_the_local_one() -> None:
    inner = MagicMock()
    executor = ReportingExecutor(inner, MagicMock())
    schedule = MagicMock()
    executor.prepare(schedule)
    executor.forget("1")
    inner.prepare.assert_called_once_with(schedule)
    inner.forget.assert_called_once_with("1")


async def test_sync_follows_the_server_and_reports_failures(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.add_schedule(
        name="LED 40",
        interval_seconds=600,
        start_time=T0,
        device_ids=[3],
        action_type="set_pwm",
        action_params={"target": 40},
    )
    fake.add_schedule(name="Unmapped", device_ids=[4])
    fake.add_schedule(name="Custom", device_ids=[2], action_type="custom")
    entry = await setup_server_entry(hass, endpoints, OPTIONS)
    run_here = entry.runtime_data.run_here
    assert set(run_here.runner.schedules) == {"1"}
    assert set(run_here.skipped) == {"2", "3"}
    assert caplog.text.count("Run here skips server schedule Unmapped") == 1

    await clock.move_to(T0 + timedelta(minutes=10))
    assert float(hass.states.get(LED).state) == 40.0

    # Changed on the server: the runner follows at the next poll; the skip is not re-logged.
    fake.schedules[1]["action_params"] = {"target": 70}
    await clock.move_to(T0 + timedelta(minutes=10, seconds=31))
    assert run_here.runner.schedules["1"].action.level == 70
    assert caplog.text.count("Run here skips server schedule Unmapped") == 1

    # A failing run is reported as failed.
    failed = RunResult(RunStatus.FAILED, error="led is unavailable")
    with patch(
        "custom_components.reef_scheduler.remote.run_here.ActionExecutor.async_execute",
        return_value=failed,
    ):
        await clock.move_to(T0 + timedelta(minutes=20))
    statuses = [(a["status"], a["error_message"]) for a in fake.device_actions.values()]
    assert statuses == [("success", None), ("failed", "led is unavailable")]

    # Deleted on the server: the runner drops it.
    del fake.schedules[1]
    await clock.move_to(T0 + timedelta(minutes=21))
    assert run_here.runner.schedules == {}
    assert await hass.config_entries.async_unload(entry.entry_id)
    storage = Path(hass.config.path(".storage"))
    assert (storage / f"reef_scheduler.journal.remote.{entry.entry_id}.jsonl").exists()
    await async_remove_store(hass, entry.entry_id)
    assert not list(storage.glob("reef_scheduler.journal*"))


async def test_reports_wait_for_the_server(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.add_schedule(
        name="Pulse", interval_seconds=60, start_time=T0, device_ids=[2], action_type="on"
    )
    entry = await setup_server_entry(hass, endpoints, OPTIONS)
    run_here = entry.runtime_data.run_here
    port = endpoints.scheduler_server.port
    await endpoints.scheduler_server.close()

    await clock.move_to(T0 + timedelta(minutes=1))
    assert hass.states.get(PUMP).state == "on"  # runs here although the server is down
    assert len(run_here.pending) == 1
    await clock.move_to(T0 + timedelta(minutes=2))
    assert len(run_here.pending) == 2
    assert not fake.device_actions

    server = TestServer(fake.scheduler_app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        await clock.move_to(T0 + timedelta(minutes=2, seconds=40))
        assert run_here.pending == []
        scheduled = sorted(a["scheduled_time"] for a in fake.device_actions.values())
        assert scheduled[:2] == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
        assert {a["status"] for a in fake.device_actions.values()} == {"success"}

        # A report the server refuses (device gone) is dropped with a warning.
        del fake.devices[2]
        caplog.set_level(logging.WARNING)
        await clock.move_to(T0 + timedelta(minutes=3))
        assert run_here.pending == []
        assert "refused the report" in caplog.text

        # Run now through the backend runs here.
        await entry.runtime_data.backend.async_run_now("1")
        await hass.async_block_till_done(wait_background_tasks=True)
        records, _ = run_here.runner.ledger_page("1", newest_first=True)
        assert records[0].trigger is Trigger.MANUAL
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await server.close()


async def test_created_cron_runs_here_in_local_time(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    entry = await setup_server_entry(hass, endpoints, OPTIONS)
    backend = entry.runtime_data.backend
    sid = await backend.async_create(
        {
            "name": "Morning",
            "type": "cron",
            "cron": "30 7 * * *",
            "action": {"type": "on", "target": {"entity_id": PUMP}},
        }
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    runner = entry.runtime_data.run_here.runner
    schedule = runner.schedules[sid]
    assert schedule.timing == CronTiming("30 7 * * *")
    assert schedule.timezone == "Europe/Berlin"
    assert fake.schedules[int(sid)]["cron_expression"] == "30 6 * * *"
    assert runner.states[sid].next_due == datetime(2026, 1, 13, 6, 30, tzinfo=UTC)
    assert await hass.config_entries.async_unload(entry.entry_id)
