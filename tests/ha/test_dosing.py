"""Dosing by volume in Home Assistant: doses, guards, a kill mid-dose, the container.

The doser is a template switch over an input boolean (its pump) in Berlin. Its calibration is
0.5 ml/s: a 6 ml dose runs the pump for 12 s.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import DOMAIN

from .clock import Clock
from .surface import run_records, start_runner

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
