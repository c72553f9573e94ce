"""The doser subentry flow: guards, a calibration run of the real pump, refusals, editing."""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
import pytest

from custom_components.reef_scheduler.engine.ledger import RunStatus
from custom_components.reef_scheduler.local.dosers import entry_dosers

from .clock import Clock
from .flows import (
    ALK,
    CALCIUM,
    Result,
    add_doser,
    answer,
    doser_pumps,
    fields,
    reconfigure_doser,
    subentry_step,
    suggested,
)
from .surface import T0, setup_local

RELAY = "input_boolean.alk"
GUARDS = {"name": "Alkalinity", "pump": ALK, "daily_max_ml": 50, "container_ml": 1000}


@pytest.fixture(autouse=True)
async def pumps(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await hass.config.async_set_time_zone("Europe/Berlin")
    await doser_pumps(hass)


def is_on(hass: HomeAssistant, pump: str = ALK) -> bool:
    """Return whether a pump runs (its relay: the input boolean behind the template switch)."""
    relay = pump.replace("switch.", "input_boolean.").removesuffix("_doser")
    return hass.states.get(relay).state == "on"  # type: ignore[union-attr]


async def current(hass: HomeAssistant, result: Result) -> Result:
    """Return the step a flow shows now, fetched as the frontend does after a progress step."""
    return await hass.config_entries.subentries.async_configure(result["flow_id"])  # type: ignore[return-value]


async def advance(hass: HomeAssistant, clock: Clock, seconds: float) -> None:
    """Move the clock on; the calibration's background task is not waited for, its calls are."""
    await clock.advance(seconds, wait=False)
    await hass.async_block_till_done()


async def calibrated(hass: HomeAssistant, clock: Clock, result: Result, seconds: float) -> Result:
    """Run the calibration of a flow at its calibrate step; return the measured step."""
    result = await subentry_step(hass)(result["flow_id"], {"seconds": seconds})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await advance(hass, clock, seconds)
    return await current(hass, result)


def existing_doser(pump: str = ALK, **data: Any) -> ConfigSubentry:
    """Return a doser subentry as the flow writes it."""
    stored = {"pump": pump, "name": "Alkalinity", "ml_per_second": 0.5, "daily_max_ml": 50}
    stored |= {"container_ml": None, "low_ml": None} | data
    return ConfigSubentry(
        data=MappingProxyType(stored), subentry_type="doser", title=stored["name"], unique_id=pump
    )


async def test_a_doser_is_calibrated_with_its_pump(hass: HomeAssistant, clock: Clock) -> None:
    entry, _ = await setup_local(hass)
    step = subentry_step(hass)
    result = await add_doser(hass, entry)
    assert result["step_id"] == "user"
    assert fields(result) == ["name", "pump", "daily_max_ml", "container_ml", "low_ml"]

    result = await answer(step, result, GUARDS | {"low_ml": 100})
    assert result["step_id"] == "calibrate"
    assert suggested(result) == {"seconds": 30}
    assert result["description_placeholders"]["pump"] == ALK

    result = await step(result["flow_id"], {"seconds": 40})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["progress_action"] == "pump_running"
    assert result["description_placeholders"]["seconds"] == "40"
    await hass.async_block_till_done()
    assert is_on(hass)
    await advance(hass, clock, 39)
    assert is_on(hass)
    assert (await current(hass, result))["type"] is FlowResultType.SHOW_PROGRESS
    await advance(hass, clock, 1)
    assert not is_on(hass)
    result = await current(hass, result)
    assert result["step_id"] == "measured"
    assert result["description_placeholders"]["seconds"] == "40"

    result = await step(result["flow_id"], {"ml": 18})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = (s for s in entry.subentries.values() if s.subentry_type == "doser")
    assert subentry.unique_id == ALK
    assert subentry.title == "Alkalinity"
    assert dict(subentry.data) == {
        "pump": ALK,
        "name": "Alkalinity",
        "daily_max_ml": 50,
        "container_ml": 1000,
        "low_ml": 100,
        "ml_per_second": 0.45,
    }
    doser = entry_dosers(entry)[ALK]
    assert (doser.ml_per_second, doser.container_ml, doser.low_ml) == (0.45, 1000, 100)


async def test_container_and_low_mark_are_optional(hass: HomeAssistant, clock: Clock) -> None:
    entry, _ = await setup_local(hass)
    result = await add_doser(hass, entry)
    guards = {"name": " Calcium ", "pump": CALCIUM, "daily_max_ml": 20.5}
    result = await answer(subentry_step(hass), result, guards)
    result = await calibrated(hass, clock, result, 10)
    result = await subentry_step(hass)(result["flow_id"], {"ml": 5})
    doser = entry_dosers(entry)[CALCIUM]
    assert (doser.name, doser.daily_max_ml, doser.ml_per_second) == ("Calcium", 20.5, 0.5)
    assert (doser.container_ml, doser.low_ml) == (None, None)


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({"name": "  "}, {"name": "name_empty"}),
        ({"daily_max_ml": -5}, {"daily_max_ml": "not_positive"}),
        ({"daily_max_ml": 0}, {"daily_max_ml": "not_positive"}),
        ({"daily_max_ml": float("nan")}, {"daily_max_ml": "not_positive"}),
        ({"container_ml": -1}, {"container_ml": "not_positive"}),
        ({"low_ml": -1}, {"low_ml": "negative"}),
        ({"low_ml": 1001}, {"low_ml": "low_above_container"}),
        ({"container_ml": None, "low_ml": 10}, {"low_ml": "low_without_container"}),
        ({"pump": "switch.nowhere"}, {"pump": "pump_unavailable"}),
    ],
)
async def test_refused_guards_stay_in_the_form(
    hass: HomeAssistant, answers: dict[str, Any], errors: dict[str, str]
) -> None:
    entry, _ = await setup_local(hass)
    result = await add_doser(hass, entry)
    given = {key: value for key, value in (GUARDS | answers).items() if value is not None}
    result = await answer(subentry_step(hass), result, given)
    assert result["step_id"] == "user"
    assert result["errors"] == errors
    shown = suggested(result)
    assert all(shown[key] == value or math.isnan(value) for key, value in given.items())
    assert not is_on(hass)


async def test_a_pump_already_a_doser_unavailable_or_running_is_refused(
    hass: HomeAssistant,
) -> None:
    entry, _ = await setup_local(hass)
    hass.config_entries.async_add_subentry(entry, existing_doser())
    result = await add_doser(hass, entry)
    result = await answer(subentry_step(hass), result, GUARDS)
    assert result["errors"] == {"pump": "pump_taken"}

    hass.states.async_set(CALCIUM, "unavailable")
    result = await answer(subentry_step(hass), result, GUARDS | {"pump": CALCIUM})
    assert result["errors"] == {"pump": "pump_unavailable"}
    hass.states.async_set(CALCIUM, "on")
    result = await answer(subentry_step(hass), result, GUARDS | {"pump": CALCIUM})
    assert result["errors"] == {"pump": "pump_on"}


async def test_refused_calibration_values(hass: HomeAssistant, clock: Clock) -> None:
    entry, _ = await setup_local(hass)
    step = subentry_step(hass)
    result = await answer(step, await add_doser(hass, entry), GUARDS)
    for seconds in (0, 0.5, 601, -3, float("nan")):
        result = await step(result["flow_id"], {"seconds": seconds})
        assert result["step_id"] == "calibrate"
        assert result["errors"] == {"seconds": "seconds_out_of_range"}
    assert not is_on(hass)
    # The pump went away, or runs already, between the steps: nothing runs.
    hass.states.async_set(ALK, "unavailable")
    result = await step(result["flow_id"], {"seconds": 30})
    assert result["errors"] == {"base": "pump_unavailable"}
    hass.states.async_set(ALK, "on")
    result = await step(result["flow_id"], {"seconds": 30})
    assert result["errors"] == {"base": "pump_on"}

    hass.states.async_set(ALK, "off")
    result = await calibrated(hass, clock, result, 30)
    for ml in (0, -2, float("nan")):
        result = await step(result["flow_id"], {"ml": ml})
        assert result["step_id"] == "measured"
        assert result["errors"] == {"ml": "not_positive"}
    assert entry_dosers(entry) == {}


async def test_closing_the_flow_turns_the_pump_off(hass: HomeAssistant, clock: Clock) -> None:
    entry, _ = await setup_local(hass)
    result = await answer(subentry_step(hass), await add_doser(hass, entry), GUARDS)
    result = await subentry_step(hass)(result["flow_id"], {"seconds": 60})
    await hass.async_block_till_done()
    assert is_on(hass)
    await advance(hass, clock, 20)
    assert is_on(hass)

    hass.config_entries.subentries.async_abort(result["flow_id"])
    await hass.async_block_till_done()
    assert not is_on(hass)
    await advance(hass, clock, 60)
    assert not is_on(hass)
    assert entry_dosers(entry) == {}


async def test_a_pump_that_fails_to_start_is_turned_off(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    result = await answer(subentry_step(hass), await add_doser(hass, entry), GUARDS)

    async def on_then_fail(call: ServiceCall) -> None:
        """A pump that starts but reports a failure."""
        await hass.services.async_call("input_boolean", "turn_on", {"entity_id": RELAY})
        raise HomeAssistantError("pump driver failed")

    hass.services.async_register("switch", "turn_on", on_then_fail)
    result = await subentry_step(hass)(result["flow_id"], {"seconds": 30})
    assert result["step_id"] == "calibrate"
    assert result["errors"] == {"base": "pump_failed"}
    await hass.async_block_till_done()
    assert not is_on(hass)


async def test_a_pump_that_fails_to_stop_is_reported(hass: HomeAssistant, clock: Clock) -> None:
    entry, _ = await setup_local(hass)
    result = await answer(subentry_step(hass), await add_doser(hass, entry), GUARDS)

    async def fail(call: ServiceCall) -> None:
        raise HomeAssistantError("pump driver failed")

    hass.services.async_register("switch", "turn_off", fail)
    result = await calibrated(hass, clock, result, 30)
    # Back to the calibration, saying so; shown again when the frontend fetches the step.
    assert result["step_id"] == "calibrate"
    assert result["errors"] == {"base": "pump_failed"}
    assert (await current(hass, result))["errors"] == {"base": "pump_failed"}
    result = await subentry_step(hass)(result["flow_id"], {"seconds": 0})
    assert result["errors"] == {"seconds": "seconds_out_of_range"}
    assert entry_dosers(entry) == {}


async def test_editing_the_guards_keeps_the_calibration(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    hass.config_entries.async_add_subentry(entry, existing_doser(container_ml=500, low_ml=50))
    (subentry_id,) = entry.subentries
    step = subentry_step(hass)
    result = await reconfigure_doser(hass, entry, subentry_id)
    assert result["step_id"] == "reconfigure"
    assert fields(result) == ["name", "daily_max_ml", "container_ml", "low_ml", "recalibrate"]
    assert suggested(result) == {
        "name": "Alkalinity",
        "daily_max_ml": 50,
        "container_ml": 500,
        "low_ml": 50,
        "recalibrate": False,
    }
    refused = {"name": "Alk", "daily_max_ml": 40, "container_ml": 500, "low_ml": 600}
    result = await step(result["flow_id"], refused | {"recalibrate": False})
    assert result["errors"] == {"low_ml": "low_above_container"}
    assert suggested(result)["low_ml"] == 600

    result = await step(
        result["flow_id"], {"name": "Alk", "daily_max_ml": 40, "recalibrate": False}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = entry.subentries[subentry_id]
    assert subentry.title == "Alk"
    doser = entry_dosers(entry)[ALK]
    assert (doser.name, doser.daily_max_ml, doser.ml_per_second) == ("Alk", 40, 0.5)
    assert (doser.container_ml, doser.low_ml) == (None, None)


async def test_calibrating_again(hass: HomeAssistant, clock: Clock) -> None:
    entry, _ = await setup_local(hass)
    hass.config_entries.async_add_subentry(entry, existing_doser())
    (subentry_id,) = entry.subentries
    step = subentry_step(hass)
    result = await reconfigure_doser(hass, entry, subentry_id)
    answers = {"name": "Alkalinity", "daily_max_ml": 50, "recalibrate": True}
    result = await step(result["flow_id"], answers)
    assert result["step_id"] == "calibrate"
    result = await calibrated(hass, clock, result, 60)
    assert not is_on(hass)
    result = await step(result["flow_id"], {"ml": 33})
    assert result["reason"] == "reconfigure_successful"
    assert entry_dosers(entry)[ALK].ml_per_second == 0.55
    assert len(entry.subentries) == 1


async def test_a_dose_waits_for_the_calibration_run_of_its_pump(
    hass: HomeAssistant, clock: Clock
) -> None:
    entry, backend = await setup_local(hass)
    hass.config_entries.async_add_subentry(entry, existing_doser())
    await hass.async_block_till_done()
    runner = entry.runtime_data.runner
    dosing = {"doser": ALK, "daily_ml": 10, "doses": 1, "start": "23:00"}  # 20 s at 0.5 ml/s
    await runner.async_add({"id": "alk", "name": "Alk", "type": "dosing", "dosing": dosing})
    (subentry_id,) = entry.subentries
    step = subentry_step(hass)
    result = await reconfigure_doser(hass, entry, subentry_id)
    answers = {"name": "Alkalinity", "daily_max_ml": 50, "recalibrate": True}
    result = await step(result["flow_id"], answers)
    result = await step(result["flow_id"], {"seconds": 30})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    runner.async_run_now("alk")
    await advance(hass, clock, 20)
    # The dose did not take the pump over: the calibration's 30 s are whole.
    assert is_on(hass)
    await advance(hass, clock, 10)
    assert (await current(hass, result))["step_id"] == "measured"
    # Then the dose runs its own 20 s.
    await advance(hass, clock, 0)
    assert is_on(hass)
    await advance(hass, clock, 19.9)
    assert is_on(hass)
    await advance(hass, clock, 0.1)
    assert not is_on(hass)
    (record,), _ = runner.ledger_page("alk")
    assert (record.status, record.error) == (RunStatus.SUCCESS, "10 ml dosed (20 s)")
