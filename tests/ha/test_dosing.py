"""Dosing by volume in Home Assistant: doses, guards, a kill mid-dose, the container.

The doser is a template switch over an input boolean (its pump) in Berlin. Its calibration is
0.5 ml/s: a 6 ml dose runs the pump for 12 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from datetime import UTC, datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.event import EventStateChangedData, async_track_state_change_event
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.diagnostics import async_get_config_entry_diagnostics
from custom_components.reef_scheduler.engine.ledger import RunStatus, Trigger
from custom_components.reef_scheduler.engine.model import ScheduleInvalid
from custom_components.reef_scheduler.engine.validate import validate_schedule
from custom_components.reef_scheduler.local.doser_entities import doser_identifier
from custom_components.reef_scheduler.runner.actions import ActionExecutor
from custom_components.reef_scheduler.runner.runner import RunRequest, ScheduleRunner

from .clock import Clock
from .surface import kill, run_records, start_runner

DOSER = "switch.alk_doser"
PUMP_POWER = "input_boolean.alk_pump"
SID = "alk"
DOSED_TODAY = "sensor.alk_doser_dosed_today"
REMAINING = "sensor.alk_doser_container_remaining"
NEXT_DOSE = "sensor.alk_doser_next_dose"


def berlin(day: int, hour: int, minute: int = 0, second: float = 0) -> datetime:
    """Return an instant of March 2026 on Berlin's wall clock (UTC+1 all month long here)."""
    whole = int(second)
    micro = round((second - whole) * 1_000_000)
    text = f"2026-03-{day:02d}T{hour:02d}:{minute:02d}:{whole:02d}.{micro:06d}+01:00"
    return datetime.fromisoformat(text)


@pytest.fixture(autouse=True)
async def pump(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Provide the doser pumps in Berlin at 07:00: switches over input booleans.

    The Alk doser is available while its power is on. The stuck doser's pump cannot be
    switched off, the dead doser's not on (their calls reach a service that does not exist).
    """
    freezer.move_to(berlin(4, 7))
    await hass.config.async_set_time_zone("Europe/Berlin")
    booleans = {"alk_pump": {}, "alk_power": {"initial": True}, "stuck_pump": {}, "dead_pump": {}}
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": booleans})
    switches = {
        "alk_doser": pump_switch("Alk doser", "alk_pump")
        | {"availability_template": "{{ is_state('input_boolean.alk_power', 'on') }}"},
        "stuck_doser": pump_switch("Stuck doser", "stuck_pump", off="reef_test.broken"),
        "dead_doser": pump_switch("Dead doser", "dead_pump", on="reef_test.broken"),
    }
    assert await async_setup_component(
        hass, "switch", {"switch": [{"platform": "template", "switches": switches}]}
    )
    await hass.async_block_till_done()


def pump_switch(
    name: str, boolean: str, on: str = "input_boolean.turn_on", off: str = "input_boolean.turn_off"
) -> dict[str, Any]:
    """Return a template switch over an input boolean, with the actions it calls."""
    target = {"entity_id": f"input_boolean.{boolean}"}
    return {
        "friendly_name": name,
        "value_template": f"{{{{ is_state('input_boolean.{boolean}', 'on') }}}}",
        "turn_on": {"action": on, "target": target},
        "turn_off": {"action": off, "target": target},
    }


def add_doser(hass: HomeAssistant, entry: MockConfigEntry, **changes: Any) -> ConfigSubentry:
    """Add the Alk doser (0.5 ml/s, at most 30 ml a day, a 500 ml container) to the entry."""
    data = {
        "pump": DOSER,
        "name": "Alk doser",
        "ml_per_second": 0.5,
        "daily_max_ml": 30,
        "container_ml": 500,
        "low_ml": 100,
    } | changes
    subentry = ConfigSubentry(
        data={key: value for key, value in data.items() if value is not None},
        subentry_type="doser",
        title=str(data["name"]),
        unique_id=str(data["pump"]),
    )
    hass.config_entries.async_add_subentry(entry, subentry)
    return subentry


def dosing_spec(**dosing: Any) -> dict[str, Any]:
    """Return the README's schedule: 24 ml of alkalinity a day in 4 doses from 08:00 to 20:00."""
    plan = {"doser": DOSER, "daily_ml": 24, "doses": 4, "start": "08:00", "end": "20:00"}
    return {"id": SID, "name": "Alkalinity", "type": "dosing", "dosing": plan | dosing}


async def create(hass: HomeAssistant, entry: MockConfigEntry, spec: dict[str, Any]) -> None:
    """Create a schedule in the entry through the action, as a user does."""
    await hass.services.async_call(
        DOMAIN,
        "create_schedule",
        {"config_entry_id": entry.entry_id, "schedule": spec},
        blocking=True,
        return_response=True,
    )


async def test_a_dosing_schedule_needs_a_configured_doser(hass: HomeAssistant) -> None:
    entry, runner = await start_runner(hass)
    with pytest.raises(ServiceValidationError) as err:
        await create(hass, entry, dosing_spec())
    assert err.value.translation_key == "unknown_doser"
    assert runner.schedules == {}
    doser = add_doser(hass, entry, daily_max_ml=20)
    await hass.async_block_till_done()
    # 24 ml a day would be skipped every day past the doser's 20 ml: refused, nothing stored.
    with pytest.raises(ServiceValidationError) as err:
        await create(hass, entry, dosing_spec())
    assert err.value.translation_key == "daily_ml_over_max"
    assert err.value.translation_placeholders["max"] == "20"
    assert runner.schedules == {}
    await create(hass, entry, dosing_spec(daily_ml=20))
    await hass.services.async_call(DOMAIN, "delete_schedule", {"schedule_id": SID}, blocking=True)
    hass.config_entries.async_update_subentry(entry, doser, data=doser.data | {"daily_max_ml": 30})
    await hass.async_block_till_done()
    await create(hass, entry, dosing_spec())
    schedule = runner.schedules[SID]
    assert schedule.action.dosing is not None
    assert schedule.action.dosing.dose_ml == 6
    # A dose is no action of the other kinds of schedule.
    plain = {
        "name": "Plain dose",
        "type": "recurring",
        "frequency": "daily",
        "times": ["09:00"],
        "action": {"type": "dose", "target": {"entity_id": DOSER}},
    }
    with pytest.raises(ServiceValidationError) as err:
        await create(hass, entry, plain)
    assert err.value.translation_key == "dose_action_type"


class PumpCalls:
    """The doser pump's switch calls: (instant, service)."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen to every switch service call."""
        self.made: list[tuple[datetime, str]] = []
        hass.bus.async_listen(EVENT_CALL_SERVICE, self._on_call)

    def _on_call(self, event: Event) -> None:
        data = event.data
        if data["domain"] == "switch" and data["service_data"].get("entity_id") == DOSER:
            self.made.append((event.time_fired, event.data["service"]))


async def dosing_5_s_in(
    hass: HomeAssistant, clock: Clock
) -> tuple[MockConfigEntry, ScheduleRunner]:
    """Start the README's dosing schedule and move 5 s into its 08:00 dose (12 s long)."""
    entry, runner = await start_runner(hass)
    add_doser(hass, entry)
    await hass.async_block_till_done()
    await runner.async_add(dosing_spec())
    await clock.move_to(berlin(4, 8), wait=False)
    await clock.advance(5, wait=False)
    return entry, runner


async def dose_at(clock: Clock, when: datetime, seconds: float) -> None:
    """Let the dose due at `when` run: the pump goes on then, and off `seconds` later."""
    await clock.move_to(when, wait=False)
    await clock.advance(seconds)


def value(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def test_four_doses_over_a_day_give_the_daily_volume(
    hass: HomeAssistant, clock: Clock
) -> None:
    calls = PumpCalls(hass)
    entry, runner = await start_runner(hass)
    add_doser(hass, entry)
    await hass.async_block_till_done()
    await runner.async_add(dosing_spec())
    await hass.async_block_till_done()
    assert value(hass, NEXT_DOSE) == berlin(4, 8).astimezone(UTC).isoformat()
    for hour in (8, 12, 16, 20):
        await dose_at(clock, berlin(4, hour), 12)
        assert value(hass, PUMP_POWER) == "off"
    assert calls.made == [
        (at, service)
        for hour in (8, 12, 16, 20)
        for at, service in ((berlin(4, hour), "turn_on"), (berlin(4, hour, 0, 12), "turn_off"))
    ]
    records = await run_records(hass, SID)
    assert [(r["status"], r["error"]) for r in records] == [("success", "6 ml dosed (12 s)")] * 4
    assert float(value(hass, DOSED_TODAY)) == 24
    assert float(value(hass, REMAINING)) == 476
    assert value(hass, NEXT_DOSE) == berlin(5, 8).astimezone(UTC).isoformat()
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["dosing"]["dosers"][DOSER] == {
        "days": {"2026-03-04": 24.0},
        "remaining_ml": 476.0,
        "under_way": None,
    }
    # Local midnight: a new day, nothing dosed yet.
    await clock.move_to(berlin(5, 0))
    assert float(value(hass, DOSED_TODAY)) == 0


@contextlib.asynccontextmanager
async def reaching(hass: HomeAssistant, entity_id: str, state: str) -> AsyncIterator[None]:
    """Wait, after the block, until an entity's state changes to `state`."""
    reached = asyncio.Event()

    @callback
    def changed(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None and new.state == state:
            reached.set()

    unsub = async_track_state_change_event(hass, [entity_id], changed)
    try:
        yield
        async with asyncio.timeout(10):  # a bound on a hang, not a measurement
            await reached.wait()
    finally:
        unsub()
    await hass.async_block_till_done()


async def run_now(hass: HomeAssistant, sid: str = SID, pump: str = PUMP_POWER) -> None:
    """Call the run_now action on a dosing schedule and wait for its pump to go on.

    A run now's start is on disk before its first call (a file write in a worker thread):
    the pump goes on a moment later, then the dose waits for the frozen clock.
    """
    async with reaching(hass, pump, "on"):
        await hass.services.async_call(DOMAIN, "run_now", {"schedule_id": sid}, blocking=True)


async def test_the_daily_maximum_refuses_run_now_and_skips_timed_and_catch_up_doses(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    calls = PumpCalls(hass)
    entry, runner = await start_runner(hass)
    doser = add_doser(hass, entry, daily_max_ml=24)
    await hass.async_block_till_done()
    await runner.async_add(dosing_spec())
    # The keeper lowers the maximum below the schedule's 24 ml a day afterwards.
    hass.config_entries.async_update_subentry(entry, doser, data=doser.data | {"daily_max_ml": 20})
    await hass.async_block_till_done()
    for hour in (8, 12, 16):
        await dose_at(clock, berlin(4, hour), 12)
    assert float(value(hass, DOSED_TODAY)) == 18
    # 16:30: another 6 ml would make 24 ml, past the 20 ml a day: refused, nothing changes.
    await clock.move_to(berlin(4, 16, 30))
    made = list(calls.made)
    with pytest.raises(ServiceValidationError) as err:
        await run_now(hass)
    assert err.value.translation_key == "dose_past_daily_max"
    assert err.value.translation_placeholders == {
        "doser": "Alk doser",
        "ml": "6",
        "dosed": "18",
        "max": "20",
    }
    assert calls.made == made
    assert len(await run_records(hass, SID)) == 3

    # Home Assistant is down from 16:31 to 20:05: the 20:00 dose is caught up, and skipped.
    await clock.advance(12)
    await kill(hass, entry, hass_storage)
    await clock.move_to(berlin(4, 20, 5))
    await start_runner(hass, entry)
    records = await run_records(hass, SID)
    assert [(r["trigger"], r["status"]) for r in records[3:]] == [("catch_up", "skipped")]
    assert records[3]["error"] == (
        "Skipped: 6 ml more would take Alk doser past its daily maximum of 20 ml "
        "(18 ml dosed today)"
    )
    assert calls.made[len(made) :] == [(berlin(4, 20, 5), "turn_off")]  # off at the start
    assert float(value(hass, DOSED_TODAY)) == 18

    # The next day: three doses run now make 18 ml; the 08:00 dose would pass 20 ml.
    await clock.move_to(berlin(5, 7))
    for second in (0, 20, 40):
        await clock.move_to(berlin(5, 7, 0, second), wait=False)
        await run_now(hass)
        await clock.advance(12)
    assert float(value(hass, DOSED_TODAY)) == 18
    await dose_at(clock, berlin(5, 8), 12)
    records = await run_records(hass, SID)
    assert [(r["trigger"], r["status"]) for r in records[4:]] == [
        ("manual", "success"),
        ("manual", "success"),
        ("manual", "success"),
        ("timer", "skipped"),
    ]
    assert float(value(hass, DOSED_TODAY)) == 18
    assert value(hass, PUMP_POWER) == "off"


@pytest.mark.parametrize("pump_left_on", [True, False])
async def test_a_kill_mid_dose_is_booked_once_and_never_repeated(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any], pump_left_on: bool
) -> None:
    calls = PumpCalls(hass)
    entry, runner = await dosing_5_s_in(hass, clock)
    assert value(hass, PUMP_POWER) == "on"  # 5 s into its 12 s
    stored = hass_storage["reef_scheduler.dosing"]["data"]["dosers"][DOSER]
    assert stored["under_way"] == {
        "schedule": SID,
        "slot": 0,
        "started": berlin(4, 8).astimezone(UTC).isoformat(),
        "seconds": 12.0,
        "ml": 6.0,
        "ended": None,
    }
    await kill(hass, entry, hass_storage)
    # A kill leaves the pump as it was (or it stopped by itself); the unload switched it off.
    if pump_left_on:
        await hass.services.async_call("input_boolean", "turn_on", power(), blocking=True)
    # Home Assistant starts again 30 s after the dose began.
    await clock.move_to(berlin(4, 8, 0, 30))
    made = len(calls.made)
    await start_runner(hass, entry)
    assert value(hass, PUMP_POWER) == "off"
    assert calls.made[made:] == [(berlin(4, 8, 0, 30), "turn_off")]
    records = await run_records(hass, SID)
    stopped = "Home Assistant stopped during the run"
    if pump_left_on:  # it ran for 30 s: 15 ml
        note, dosed = f"{stopped}: 15 ml dosed (the pump was found on and switched off)", 15.0
    else:  # it may have run its 12 s: at most 6 ml count
        note, dosed = f"{stopped}: at most 6 ml dosed", 6.0
    assert [(r["slot"], r["status"], r["error"]) for r in records] == [(0, "interrupted", note)]
    assert float(value(hass, DOSED_TODAY)) == dosed
    assert float(value(hass, REMAINING)) == 500 - dosed
    # The next dose comes at 12:00; the interrupted one never again.
    await clock.advance(13)
    await kill(hass, entry, hass_storage)
    await start_runner(hass, entry)
    await dose_at(clock, berlin(4, 12), 12)
    records = await run_records(hass, SID)
    assert [(r["slot"], r["due"], r["status"]) for r in records] == [
        (0, berlin(4, 8).astimezone(UTC).isoformat(), "interrupted"),
        (1, berlin(4, 12).astimezone(UTC).isoformat(), "success"),
    ]
    assert float(value(hass, DOSED_TODAY)) == dosed + 6
    ons = [at for at, service in calls.made if service == "turn_on"]
    assert ons == [berlin(4, 8), berlin(4, 12)]


def power() -> dict[str, str]:
    """Return the target of the pump's own input boolean."""
    return {"entity_id": PUMP_POWER}


async def test_the_container_counts_down_and_a_refill_clears_the_low_issue(
    hass: HomeAssistant, clock: Clock
) -> None:
    entry, runner = await start_runner(hass)
    add_doser(hass, entry, container_ml=110)
    await hass.async_block_till_done()
    await runner.async_add(dosing_spec())
    assert float(value(hass, REMAINING)) == 110
    issues = ir.async_get(hass)
    low = ("reef_scheduler", f"doser_low_{DOSER}")
    await dose_at(clock, berlin(4, 8), 12)
    assert float(value(hass, REMAINING)) == 104
    assert issues.async_get_issue(*low) is None
    await dose_at(clock, berlin(4, 12), 12)
    assert float(value(hass, REMAINING)) == 98
    issue = issues.async_get_issue(*low)
    assert issue is not None
    assert issue.translation_key == "doser_low"
    assert issue.translation_placeholders == {"doser": "Alk doser", "remaining": "98", "low": "100"}

    answer = await hass.services.async_call(
        DOMAIN, "refill", {"doser": DOSER}, blocking=True, return_response=True
    )
    assert answer == {"doser": DOSER, "remaining_ml": 110}
    assert float(value(hass, REMAINING)) == 110
    assert issues.async_get_issue(*low) is None
    # Named by the doser's device, with what it holds now.
    device = dr.async_get(hass).async_get_device({doser_identifier(entry.entry_id, DOSER)})
    assert device is not None
    assert device.name == "Alk doser"
    await hass.services.async_call(DOMAIN, "refill", {"doser": device.id, "ml": 50}, blocking=True)
    assert float(value(hass, REMAINING)) == 50
    assert issues.async_get_issue(*low) is not None
    # What names no doser is refused.
    for doser in ("switch.heater", "not-a-device"):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(DOMAIN, "refill", {"doser": doser}, blocking=True)
        assert err.value.translation_key == "unknown_doser_target"


# --- failures, stops and odd set-ups --------------------------------------------------------


async def test_a_pump_that_does_not_switch_on_fails_the_dose_and_books_nothing(
    hass: HomeAssistant, clock: Clock
) -> None:
    entry, runner = await start_runner(hass)
    add_doser(hass, entry, pump="switch.dead_doser", name="Dead doser")
    add_doser(hass, entry)
    await hass.async_block_till_done()
    await runner.async_add(dosing_spec(doser="switch.dead_doser") | {"id": "dead"})
    await runner.async_add(dosing_spec())
    await hass.services.async_call(DOMAIN, "run_now", {"schedule_id": "dead"}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    (record,) = await run_records(hass, "dead")
    assert record["status"] == "failed"
    assert record["error"].startswith("switch.dead_doser: ")
    assert ir.async_get(hass).async_get_issue(DOMAIN, "run_failed_dead") is not None
    assert value(hass, "sensor.dead_doser_dosed_today") == "0.0"
    # An unavailable pump is not switched at all.
    alk_power = {"entity_id": "input_boolean.alk_power"}
    await hass.services.async_call("input_boolean", "turn_off", alk_power, blocking=True)
    await hass.services.async_call(DOMAIN, "run_now", {"schedule_id": SID}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    (record,) = await run_records(hass, SID)
    assert (record["status"], record["error"]) == ("failed", f"{DOSER} is unavailable")


async def test_a_pump_that_does_not_switch_off_books_what_it_gave_until_then(
    hass: HomeAssistant, clock: Clock
) -> None:
    entry, runner = await start_runner(hass)
    add_doser(hass, entry, pump="switch.stuck_doser", name="Stuck doser")
    await hass.async_block_till_done()
    spec = dosing_spec(doser="switch.stuck_doser") | {"retry": {"retries": 1, "base": 1, "cap": 1}}
    await runner.async_add(spec)
    await run_now(hass, pump="input_boolean.stuck_pump")
    await clock.advance(12, wait=False)  # off fails; the retry waits up to a second
    await hass.async_block_till_done()
    await clock.advance(2)
    (record,) = await run_records(hass, SID)
    assert record["status"] == "failed"
    assert record["error"].startswith("7 ml dosed; switch.stuck_doser could not be switched off: ")
    assert value(hass, "sensor.stuck_doser_dosed_today") == "7.0"
    assert value(hass, "input_boolean.stuck_pump") == "on"


async def test_a_stop_mid_dose_switches_the_pump_off_and_books_what_it_gave(
    hass: HomeAssistant, clock: Clock
) -> None:
    entry, runner = await dosing_5_s_in(hass, clock)
    assert value(hass, PUMP_POWER) == "on"
    await hass.config_entries.async_unload(entry.entry_id)  # a reload or a clean stop
    await hass.async_block_till_done()
    assert value(hass, PUMP_POWER) == "off"
    await clock.move_to(berlin(4, 8, 1))
    await start_runner(hass, entry)
    (record,) = await run_records(hass, SID)
    assert (record["status"], record["error"]) == (
        "interrupted",
        "Home Assistant stopped during the run: 2.5 ml dosed",
    )
    assert float(value(hass, DOSED_TODAY)) == 2.5


async def test_a_dose_under_way_waits_for_its_pump_to_come_back_to_be_settled(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    entry, runner = await dosing_5_s_in(hass, clock)
    await kill(hass, entry, hass_storage)
    alk_power = {"entity_id": "input_boolean.alk_power"}
    await hass.services.async_call("input_boolean", "turn_off", alk_power, blocking=True)
    await clock.move_to(berlin(4, 8, 1))
    await start_runner(hass, entry)
    (record,) = await run_records(hass, SID)
    assert record["error"] == "Home Assistant stopped during the run"
    assert float(value(hass, DOSED_TODAY)) == 0
    async with reaching(hass, DOSER, "off"):  # available again
        await hass.services.async_call("input_boolean", "turn_on", alk_power, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    (record,) = await run_records(hass, SID)
    assert record["error"] == "Home Assistant stopped during the run: at most 6 ml dosed"
    assert float(value(hass, DOSED_TODAY)) == 6


async def test_a_damaged_dosing_record_starts_afresh(
    hass: HomeAssistant, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    hass_storage["reef_scheduler.dosing"] = {
        "version": 1,
        "minor_version": 1,
        "key": "reef_scheduler.dosing",
        "data": {"dosers": {DOSER: {"days": {"today": 5}}}},
    }
    entry = MockConfigEntry(domain=DOMAIN, data={"kind": "local"})
    entry.add_to_hass(hass)
    add_doser(hass, entry)
    await start_runner(hass, entry)
    assert "Dosing record of switch.alk_doser unreadable" in caplog.text
    assert float(value(hass, REMAINING)) == 500


async def test_a_schedule_whose_doser_is_gone_does_not_dose(
    hass: HomeAssistant, clock: Clock
) -> None:
    entry, runner = await start_runner(hass)
    subentry = add_doser(hass, entry)
    await hass.async_block_till_done()
    await runner.async_add(dosing_spec())
    hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await run_now(hass)
    assert err.value.translation_key == "doser_missing"
    await clock.move_to(berlin(4, 8))
    (record,) = await run_records(hass, SID)
    assert (record["status"], record["error"]) == ("failed", f"No doser uses {DOSER}")
    assert value(hass, PUMP_POWER) == "off"


async def test_a_dose_shorter_than_a_tenth_of_a_second_is_skipped(
    hass: HomeAssistant, clock: Clock
) -> None:
    entry, runner = await start_runner(hass)
    add_doser(hass, entry, ml_per_second=5)
    await hass.async_block_till_done()
    plan = {"daily_ml": 0.1, "doses": 48, "start": "08:00", "end": "07:30"}
    await runner.async_add(dosing_spec(**plan))
    await clock.move_to(berlin(4, 8))
    (record,) = await run_records(hass, SID)
    assert record["status"] == "skipped"
    assert record["error"] == "Skipped: 0.002 ml is less than 0.1 s of Alk doser"


async def test_refill_names_a_doser_by_its_pump_device_and_needs_a_container(
    hass: HomeAssistant,
) -> None:
    entry, _runner = await start_runner(hass)
    add_doser(hass, entry, container_ml=None, low_ml=None)
    await hass.async_block_till_done()
    assert hass.states.get(REMAINING) is None  # no container, no sensor
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "refill", {"doser": DOSER}, blocking=True)
    assert err.value.translation_key == "doser_no_container"
    # A pump's own device names its doser too.
    other = MockConfigEntry(domain="reef_test")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("reef_test", "calcium")}
    )
    pump = er.async_get(hass).async_get_or_create(
        "switch", "reef_test", "calcium", suggested_object_id="calcium_doser", device_id=device.id
    )
    add_doser(hass, entry, pump=pump.entity_id, name="Calcium doser", container_ml=None)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "refill", {"doser": device.id}, blocking=True)
    assert err.value.translation_key == "doser_no_container"
    assert err.value.translation_placeholders == {"doser": "Calcium doser"}


async def test_next_dose_follows_pauses_and_edits(hass: HomeAssistant, clock: Clock) -> None:
    entry, runner = await start_runner(hass)
    add_doser(hass, entry)
    await hass.async_block_till_done()
    await runner.async_add(dosing_spec())
    await hass.async_block_till_done()
    assert value(hass, NEXT_DOSE) == berlin(4, 8).astimezone(UTC).isoformat()
    await hass.services.async_call(
        DOMAIN,
        "pause",
        {"schedule_id": SID, "until": berlin(4, 13).isoformat()},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert value(hass, NEXT_DOSE) == berlin(4, 16).astimezone(UTC).isoformat()
    await hass.services.async_call(
        DOMAIN,
        "update_schedule",
        {"schedule_id": SID, "schedule": {"enabled": False}},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert value(hass, NEXT_DOSE) == "unknown"
    await hass.services.async_call(DOMAIN, "delete_schedule", {"schedule_id": SID}, blocking=True)
    await hass.async_block_till_done()
    assert value(hass, NEXT_DOSE) == "unknown"


async def test_a_server_runner_runs_no_doses(hass: HomeAssistant) -> None:
    """Bella's Reef entries refuse dosing schedules; their executor has no doser at all."""
    executor = ActionExecutor(hass)
    schedule = validate_schedule(dosing_spec(), default_timezone="Europe/Berlin")
    with pytest.raises(ScheduleInvalid) as err:
        await executor.async_validate(schedule)
    assert [e.code for e in err.value.errors] == ["unknown_doser"]
    request = RunRequest(schedule, 0, None, Trigger.MANUAL, "context")
    result = await executor.async_execute(request)
    assert (result.status, result.error) == (RunStatus.FAILED, "No doser here")
    await executor.async_stop()


@pytest.mark.parametrize(
    ("data", "key", "field"),
    [
        ({}, "required", "doser"),
        ({"doser": ["switch.alk_doser"]}, "expected_text", "doser"),
        ({"doser": DOSER, "ml": -1}, "out_of_range", "ml"),
        ({"doser": DOSER, "ml": "lots"}, "out_of_range", "ml"),
        ({"doser": DOSER, "volume": 5}, "unknown_key", "volume"),
    ],
)
async def test_refill_refuses_bad_input_before_anything_changes(
    hass: HomeAssistant, data: dict[str, Any], key: str, field: str
) -> None:
    entry, _runner = await start_runner(hass)
    add_doser(hass, entry)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "refill", data, blocking=True)
    assert (err.value.translation_key, err.value.translation_placeholders["field"]) == (key, field)
    assert float(value(hass, REMAINING)) == 500
