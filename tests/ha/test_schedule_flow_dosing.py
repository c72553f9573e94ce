"""The dosing kind in the schedule steps: a doser of the entry, daily volume, doses, first and
last dose; refused values, no doser, edits and the repair flow of a doser that is gone."""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.engine.validate import schedule_to_dict

from .clock import Clock
from .flows import (
    ALK,
    CALCIUM,
    add_doser as add_doser_flow,
    add_schedule,
    answer,
    counter,
    doser_pumps,
    fields,
    fix_issue,
    options,
    reconfigure,
    subentry_step,
    suggested,
)
from .surface import T0, run_records, seed, setup_local

RELAY = "input_boolean.alk"
POLICY = {"enabled": True, "catch_up": 15, "retries": 3, "timeout": 10}
FOUR = {"doser": ALK, "daily_ml": 24, "doses": 4, "start": "08:00:00", "end": "20:00:00"}


@pytest.fixture(autouse=True)
async def pumps(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)  # Monday 2026-03-02 10:00 in Berlin
    await hass.config.async_set_time_zone("Europe/Berlin")
    await doser_pumps(hass)


def add_doser(hass: HomeAssistant, entry: ConfigEntry, pump: str, name: str) -> None:
    """Add a calibrated doser as its subentry flow would."""
    data = {"pump": pump, "name": name, "ml_per_second": 0.5, "daily_max_ml": 50}
    data |= {"container_ml": None, "low_ml": None}
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(
            data=MappingProxyType(data), subentry_type="doser", title=name, unique_id=pump
        ),
    )


def stored_dosing(sid: str = "alk", **dosing: Any) -> dict[str, Any]:
    """Return a stored dosing schedule of four doses."""
    plan = {"doser": ALK, "daily_ml": 24, "doses": 4, "start": "08:00", "end": "20:00"} | dosing
    return {"id": sid, "name": "Alkalinity", "type": "dosing", "dosing": plan}


async def to_dosing(hass: HomeAssistant, entry: ConfigEntry) -> Any:
    """Start adding a dosing schedule; return its dosing step."""
    result = await add_schedule(hass, entry)
    return await answer(subentry_step(hass), result, {"name": "Alkalinity", "kind": "dosing"})


async def test_four_doses_a_day_step_by_step(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    add_doser(hass, entry, ALK, "Alkalinity")
    add_doser(hass, entry, CALCIUM, "Calcium")
    step = subentry_step(hass)
    result = await to_dosing(hass, entry)

    assert result["step_id"] == "dosing"
    assert counter(result) == ("2", "3")
    assert fields(result) == ["doser", "daily_ml", "doses", "start", "end"]
    assert options(result, "doser") == [
        {"value": ALK, "label": "Alkalinity"},
        {"value": CALCIUM, "label": "Calcium"},
    ]
    assert suggested(result) == {"doses": 1, "start": "08:00"}
    result = await answer(step, result, FOUR)

    assert (result["step_id"], result["last_step"]) == ("dosing_policy", True)
    assert counter(result) == ("3", "3")
    # The next doses: today's 12:00 onwards (it is 10:00).
    preview = result["description_placeholders"]["preview"].splitlines()
    assert [line.split()[-2] for line in preview] == ["12:00", "16:00", "20:00", "08:00", "12:00"]
    result = await answer(step, result, POLICY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (schedule,) = backend.runner.schedules.values()
    stored = schedule_to_dict(schedule)
    assert "action" not in stored
    assert (stored["type"], stored["dosing"]) == (
        "dosing",
        {"doser": ALK, "daily_ml": 24, "doses": 4, "start": "08:00", "end": "20:00"},
    )


async def test_one_dose_needs_no_end(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    add_doser(hass, entry, ALK, "Alkalinity")
    result = await to_dosing(hass, entry)
    one = {"doser": ALK, "daily_ml": 2.5, "doses": 1, "start": "21:30:00"}
    result = await answer(subentry_step(hass), result, one, POLICY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (schedule,) = backend.runner.schedules.values()
    assert schedule_to_dict(schedule)["dosing"] == {
        "doser": ALK,
        "daily_ml": 2.5,
        "doses": 1,
        "start": "21:30",
    }


async def test_without_a_doser_the_kind_step_says_so(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    result = await to_dosing(hass, entry)
    assert result["step_id"] == "kind"
    assert result["errors"] == {"kind": "no_dosers"}
    assert suggested(result) == {"name": "Alkalinity", "kind": "dosing"}


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({"daily_ml": 0}, {"daily_ml": "daily_ml_out_of_range"}),
        ({"daily_ml": -3}, {"daily_ml": "daily_ml_out_of_range"}),
        ({"doses": 0}, {"doses": "doses_out_of_range"}),
        ({"doses": 49}, {"doses": "doses_out_of_range"}),
        ({"doses": 1}, {"end": "not_allowed"}),
        ({"end": "08:00:00"}, {"end": "dosing_end_is_start"}),
        ({"end": "08:02:00"}, {"end": "doses_too_close"}),
        ({"end": None}, {"end": "required"}),
    ],
)
async def test_refused_values_stay_in_their_field(
    hass: HomeAssistant, answers: dict[str, Any], errors: dict[str, str]
) -> None:
    entry, backend = await setup_local(hass)
    add_doser(hass, entry, ALK, "Alkalinity")
    result = await to_dosing(hass, entry)
    given = {key: value for key, value in (FOUR | answers).items() if value is not None}
    result = await answer(subentry_step(hass), result, given)
    assert result["step_id"] == "dosing"
    assert result["errors"] == errors
    assert suggested(result) == given
    assert backend.runner.schedules == {}


async def test_editing_opens_the_stored_doses(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    seed(hass_storage, [stored_dosing()])
    entry, backend = await setup_local(hass)
    add_doser(hass, entry, ALK, "Alkalinity")
    step = subentry_step(hass)
    subentry_id = next(s.subentry_id for s in entry.subentries.values() if s.unique_id == "alk")
    result = await reconfigure(hass, entry, subentry_id)
    result = await answer(step, result, {"next_step_id": "edit"})
    assert (suggested(result), counter(result)) == (
        {"name": "Alkalinity", "kind": "dosing"},
        ("1", "3"),
    )
    result = await answer(step, result, suggested(result))
    assert suggested(result) == {
        "doser": ALK,
        "daily_ml": 24,
        "doses": 4,
        "start": "08:00",
        "end": "20:00",
    }
    result = await answer(step, result, suggested(result) | {"daily_ml": 30, "doses": 3})
    result = await answer(step, result, suggested(result))
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reconfigure_successful")
    dosing = backend.runner.schedules["alk"].action.dosing
    assert dosing is not None
    assert (dosing.daily_ml, dosing.doses, dosing.dose_ml) == (30, 3, 10)


async def test_fixing_an_invalid_dosing(
    hass: HomeAssistant, hass_storage: dict[str, Any], issue_registry: ir.IssueRegistry
) -> None:
    seed(hass_storage, [stored_dosing(end="08:00")])
    entry, backend = await setup_local(hass)
    assert issue_registry.async_get_issue(DOMAIN, "invalid_schedule_alk").is_fixable
    result, step = await fix_issue(hass, "invalid_schedule_alk")
    result = await answer(step, result, suggested(result))
    # No doser at all: the kind step says so.
    assert (result["step_id"], result["errors"]) == ("kind", {"kind": "no_dosers"})

    add_doser(hass, entry, CALCIUM, "Calcium")
    result, step = await fix_issue(hass, "invalid_schedule_alk")
    result = await answer(step, result, suggested(result))
    # The refused value shows in its field on first sight; the doser that is gone is no option.
    assert result["errors"] == {"end": "dosing_end_is_start"}
    assert suggested(result) == {"daily_ml": 24, "doses": 4, "start": "08:00", "end": "08:00"}
    result = await answer(step, result, suggested(result) | {"doser": CALCIUM, "end": "20:00"})
    result = await answer(step, result, suggested(result))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert issue_registry.async_get_issue(DOMAIN, "invalid_schedule_alk") is None
    dosing = backend.runner.schedules["alk"].action.dosing
    assert dosing is not None
    assert dosing.doser == CALCIUM


async def test_a_doser_removed_meanwhile_is_refused(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    add_doser(hass, entry, ALK, "Alkalinity")
    result = await to_dosing(hass, entry)
    (doser,) = (s for s in entry.subentries.values() if s.subentry_type == "doser")
    hass.config_entries.async_remove_subentry(entry, doser.subentry_id)
    result = await answer(subentry_step(hass), result, FOUR)
    assert (result["step_id"], result["errors"]) == ("dosing", {"doser": "unknown_doser"})
    assert backend.runner.schedules == {}


async def test_a_doser_calibrated_and_scheduled_in_the_ui_doses_its_volume(
    hass: HomeAssistant, clock: Clock
) -> None:
    """End to end: the calibration's rate decides how long each dose runs the pump."""
    entry, _ = await setup_local(hass)
    step = subentry_step(hass)
    guards = {"name": "Alkalinity", "pump": ALK, "daily_max_ml": 30}
    result = await answer(step, await add_doser_flow(hass, entry), guards, {"seconds": 30})
    await clock.advance(30, wait=False)
    await hass.async_block_till_done()
    result = await step(result["flow_id"], {"ml": 12})  # 0.4 ml/s
    assert result["type"] is FlowResultType.CREATE_ENTRY
    result = await to_dosing(hass, entry)
    result = await answer(step, result, FOUR, POLICY)
    assert result["type"] is FlowResultType.CREATE_ENTRY

    # 10:00 now; the 12:00 dose is 6 ml: 15 s at 0.4 ml/s.
    await clock.move_to(datetime(2026, 3, 2, 11, 0, tzinfo=UTC), wait=False)
    assert hass.states.get(RELAY).state == "on"  # type: ignore[union-attr]
    await clock.advance(14, wait=False)
    assert hass.states.get(RELAY).state == "on"  # type: ignore[union-attr]
    await clock.advance(1)
    assert hass.states.get(RELAY).state == "off"  # type: ignore[union-attr]
    (schedule_id,) = (
        s.unique_id for s in entry.subentries.values() if s.subentry_type == "schedule"
    )
    records = await run_records(hass, str(schedule_id))
    assert [(r["status"], r["error"]) for r in records] == [("success", "6 ml dosed (15 s)")]


async def test_more_than_the_doser_s_daily_maximum_is_refused(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    add_doser(hass, entry, ALK, "Alkalinity")  # 50 ml a day at most
    result = await to_dosing(hass, entry)
    result = await answer(subentry_step(hass), result, FOUR | {"daily_ml": 60})
    assert (result["step_id"], result["errors"]) == ("dosing", {"daily_ml": "daily_ml_over_max"})
    assert backend.runner.schedules == {}
