"""Dosing by volume in Home Assistant: doses, guards, a kill mid-dose, the container.

The doser is a template switch over an input boolean (its pump) in Berlin. Its calibration is
0.5 ml/s: a 6 ml dose runs the pump for 12 s.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.event import EventStateChangedData, async_track_state_change_event
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.local.doser_entities import doser_identifier

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
    """Provide the Alk doser's pump: a switch over an input boolean, in Berlin at 07:00."""
    freezer.move_to(berlin(4, 7))
    await hass.config.async_set_time_zone("Europe/Berlin")
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {"alk_pump": {}}})
    power = {"entity_id": PUMP_POWER}
    switch = {
        "friendly_name": "Alk doser",
        "value_template": f"{{{{ is_state('{PUMP_POWER}', 'on') }}}}",
        "turn_on": {"action": "input_boolean.turn_on", "target": power},
        "turn_off": {"action": "input_boolean.turn_off", "target": power},
    }
    assert await async_setup_component(
        hass, "switch", {"switch": [{"platform": "template", "switches": {"alk_doser": switch}}]}
    )
    await hass.async_block_till_done()


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
        unique_id=DOSER,
    )
    hass.config_entries.async_add_subentry(entry, subentry)
    return subentry


def dosing_spec(**dosing: Any) -> dict[str, Any]:
    """Return the README's schedule: 24 ml of alkalinity a day in 4 doses from 08:00 to 20:00."""
    plan = {"doser": DOSER, "daily_ml": 24, "doses": 4, "start": "08:00", "end": "20:00"}
    return {"id": SID, "name": "Alkalinity", "type": "dosing", "dosing": plan | dosing}


async def test_a_dosing_schedule_needs_a_configured_doser(hass: HomeAssistant) -> None:
    entry, runner = await start_runner(hass)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "create_schedule",
            {"config_entry_id": entry.entry_id, "schedule": dosing_spec()},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "unknown_doser"
    assert runner.schedules == {}
    add_doser(hass, entry)
    await hass.async_block_till_done()
    await hass.services.async_call(
        DOMAIN,
        "create_schedule",
        {"config_entry_id": entry.entry_id, "schedule": dosing_spec()},
        blocking=True,
        return_response=True,
    )
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
        await hass.services.async_call(
            DOMAIN,
            "create_schedule",
            {"config_entry_id": entry.entry_id, "schedule": plain},
            blocking=True,
            return_response=True,
        )
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
    # Local midnight: a new day, nothing dosed yet.
    await clock.move_to(berlin(5, 0))
    assert float(value(hass, DOSED_TODAY)) == 0


async def run_now(hass: HomeAssistant) -> None:
    """Call the run_now action on the dosing schedule and wait for its pump to go on.

    A run now's start is on disk before its first call (a file write in a worker thread):
    the pump goes on a moment later, then the dose waits for the frozen clock.
    """
    on = asyncio.Event()

    @callback
    def changed(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None and new.state == "on":
            on.set()

    unsub = async_track_state_change_event(hass, [PUMP_POWER], changed)
    await hass.services.async_call(DOMAIN, "run_now", {"schedule_id": SID}, blocking=True)
    async with asyncio.timeout(10):  # a bound on a hang, not a measurement
        await on.wait()
    unsub()
    await hass.async_block_till_done()


async def test_the_daily_maximum_refuses_run_now_and_skips_timed_and_catch_up_doses(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    calls = PumpCalls(hass)
    entry, runner = await start_runner(hass)
    add_doser(hass, entry, daily_max_ml=20)
    await hass.async_block_till_done()
    await runner.async_add(dosing_spec())
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
    entry, runner = await start_runner(hass)
    add_doser(hass, entry)
    await hass.async_block_till_done()
    await runner.async_add(dosing_spec())
    await clock.move_to(berlin(4, 8), wait=False)
    await clock.advance(5, wait=False)
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
