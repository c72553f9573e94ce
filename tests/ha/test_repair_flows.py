"""Repair issues whose fix is an edit: their fix flow runs the schedule's edit steps."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.reef_scheduler.const import DOMAIN

from .flows import answer, fields, fix_issue, suggested
from .surface import PUMP, T0, reef_devices, seed, setup_local

TARGET = {"target": {"entity_id": [PUMP]}}


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)


def stored(sid: str, **fields: Any) -> dict[str, Any]:
    """Return a stored cron schedule turning the pump on."""
    return {
        "id": sid,
        "name": sid.title(),
        "type": "cron",
        "cron": "0 9 * * *",
        "action": {"type": "on", "target": {"entity_id": [PUMP]}},
    } | fields


async def test_fixing_missing_targets_edits_the_schedule(
    hass: HomeAssistant, hass_storage: dict[str, Any], issue_registry: ir.IssueRegistry
) -> None:
    seed(
        hass_storage,
        [stored("ghost", action={"type": "on", "target": {"entity_id": ["light.gone"]}})],
    )
    _, backend = await setup_local(hass)
    issue = issue_registry.async_get_issue(DOMAIN, "targets_missing_ghost")
    assert issue is not None
    assert issue.is_fixable
    result, step = await fix_issue(hass, "targets_missing_ghost")
    assert (result["step_id"], suggested(result)) == ("kind", {"name": "Ghost", "kind": "cron"})
    result = await answer(
        step, result, suggested(result), {"cron": "0 9 * * *"}, {"action": "on"}, {}
    )
    assert (result["step_id"], suggested(result)) == (
        "targets",
        {"target": {"entity_id": ["light.gone"]}},
    )
    result = await answer(step, result, TARGET)
    assert (result["step_id"], result["last_step"]) == ("policy", True)
    assert fields(result) == ["enabled", "catch_up", "retries", "timeout"]
    result = await answer(step, result, suggested(result))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert issue_registry.async_get_issue(DOMAIN, "targets_missing_ghost") is None
    assert backend.runner.schedules["ghost"].action.target.entity_ids == (PUMP,)


async def test_fixing_an_invalid_schedule_edits_it(
    hass: HomeAssistant, hass_storage: dict[str, Any], issue_registry: ir.IssueRegistry
) -> None:
    seed(hass_storage, [stored("bad", cron="nope")])
    entry, backend = await setup_local(hass)
    assert issue_registry.async_get_issue(DOMAIN, "invalid_schedule_bad").is_fixable
    result, step = await fix_issue(hass, "invalid_schedule_bad")
    result = await answer(step, result, suggested(result))
    # The refused expression shows in its field with its error.
    assert (result["step_id"], result["errors"]) == ("timing_cron", {"cron": "invalid_cron"})
    assert suggested(result) == {"cron": "nope"}
    result = await answer(step, result, {"cron": "0 10 * * *"}, {"action": "on"}, {}, TARGET)
    result = await answer(step, result, suggested(result))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, "invalid_schedule_bad") is None
    assert backend.runner.schedules["bad"].timing.expression == "0 10 * * *"
    assert hass.states.get("switch.bad_enabled").state == "on"
    assert [subentry.unique_id for subentry in entry.subentries.values()] == ["bad"]


async def test_a_fix_flow_aborts_without_its_schedule_or_entry(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    seed(hass_storage, [stored("bad", cron="nope")])
    entry, _ = await setup_local(hass)
    # An issue outliving its schedule (nothing removes it then).
    ir.async_create_issue(
        hass,
        DOMAIN,
        "invalid_schedule_other",
        is_fixable=True,
        data={"schedule_id": "other"},
        severity=ir.IssueSeverity.ERROR,
        translation_key="invalid_schedule",
        translation_placeholders={"schedule_id": "other", "errors": "-"},
    )
    result, _ = await fix_issue(hass, "invalid_schedule_other")
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "schedule_not_found")

    await hass.config_entries.async_unload(entry.entry_id)
    result, _ = await fix_issue(hass, "invalid_schedule_other")
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "not_loaded")
    await hass.config_entries.async_remove(entry.entry_id)
    result, _ = await fix_issue(hass, "invalid_schedule_other")
    assert result["reason"] == "not_loaded"
