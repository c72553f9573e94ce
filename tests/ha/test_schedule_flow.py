"""Schedule subentry flow: every step, every error followed by a successful retry, reconfigure."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.reef_scheduler.const import DOMAIN, SUBENTRY_TYPE_SCHEDULE

from .surface import PUMP, T0, reef_devices, setup_local, spec


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)


async def start(hass: HomeAssistant, entry_id: str) -> dict[str, Any]:
    return await hass.config_entries.subentries.async_init(
        (entry_id, SUBENTRY_TYPE_SCHEDULE), context={"source": SOURCE_USER}
    )


async def step(hass: HomeAssistant, result: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return await hass.config_entries.subentries.async_configure(result["flow_id"], data)


async def test_add_cron_schedule_with_every_error_retried(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    result = await start(hass, entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "type"

    result = await step(hass, result, {"name": "x" * 101, "type": "cron"})
    assert result["errors"] == {"name": "name_too_long"}
    result = await step(hass, result, {"name": "Feed pause", "type": "cron"})
    assert result["step_id"] == "timing"

    result = await step(hass, result, {"cron": "61 * * * *"})
    assert result["errors"] == {"cron": "invalid_cron"}
    result = await step(hass, result, {"cron": "0 12 * * mon-fri"})
    assert result["step_id"] == "action"
    # The next runs are shown in the description of the following steps.
    assert "Mon 2026-03-02 12:00:00 CET" in result["description_placeholders"]["preview"]

    result = await step(hass, result, {"action_type": "set_level"})
    assert result["errors"] == {"level": "required"}
    result = await step(hass, result, {"action_type": "off", "level": 20})
    assert result["errors"] == {"level": "not_allowed"}
    result = await step(
        hass, result, {"action_type": "ramp", "level": 80, "duration": {"minutes": 30}}
    )
    assert result["step_id"] == "targets"

    result = await step(hass, result, {"target": {}})
    assert result["errors"] == {"target": "empty_target"}
    result = await step(hass, result, {"target": {"entity_id": [PUMP]}})
    assert result["step_id"] == "policy"

    result = await step(
        hass, result, {"enabled": True, "catch_up": {"minutes": 5}, "retries": 2, "timeout": 5}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Feed pause"
    await hass.async_block_till_done()

    (sid,) = backend.runner.schedules
    schedule = backend.runner.schedules[sid]
    assert schedule.action.type == "ramp"
    assert schedule.retry.retries == 2
    subentry = next(iter(entry.subentries.values()))
    assert subentry.unique_id == sid
    assert dict(subentry.data) == {"schedule_id": sid}
    # Entities appear without a reload.
    assert hass.states.get("switch.feed_pause_enabled").state == "on"


@pytest.mark.parametrize(
    ("kind", "bad", "error", "good"),
    [
        ("recurring", None, None, {"time": "08:00:00", "weekdays": ["mon"]}),
        (
            "interval",
            {"every": {"seconds": 0}},
            {"every": "interval_too_small"},
            {"every": {"hours": 2}},
        ),
        (
            "sun",
            {"event": "sunrise", "offset": {"hours": 13}},
            {"offset": "offset_out_of_range"},
            {"event": "sunset", "offset": {"minutes": -30}},
        ),
        ("one_off", None, None, {"at": "2026-03-05 20:00:00"}),
    ],
)
async def test_timing_kinds(
    hass: HomeAssistant, kind: str, bad: Any, error: Any, good: dict[str, Any]
) -> None:
    entry, backend = await setup_local(hass)
    result = await start(hass, entry.entry_id)
    result = await step(hass, result, {"name": "Kind", "type": kind})
    if bad is not None:
        result = await step(hass, result, bad)
        assert result["errors"] == error
    result = await step(hass, result, good)
    assert result["step_id"] == "action"
    result = await step(hass, result, {"action_type": "toggle"})
    result = await step(hass, result, {"target": {"entity_id": PUMP}})
    result = await step(hass, result, {"enabled": False})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (schedule,) = backend.runner.schedules.values()
    assert schedule.type == kind
    assert not schedule.enabled


async def test_reconfigure_edits_the_schedule(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    sid = await backend.async_create(spec(id="sunrise"))
    await hass.async_block_till_done()
    subentry = next(iter(entry.subentries.values()))
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_SCHEDULE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )
    assert result["step_id"] == "type"
    result = await step(hass, result, {"name": "Dawn", "type": "recurring"})
    assert result["step_id"] == "timing"
    result = await step(hass, result, {"time": "07:30:00", "weekdays": []})
    result = await step(hass, result, {"action_type": "set_level", "level": 40, "transition": 2})
    result = await step(hass, result, {"target": {"entity_id": [PUMP]}})
    result = await step(hass, result, {"enabled": True, "retries": 1})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    schedule = backend.runner.schedules[sid]
    assert schedule.name == "Dawn"
    assert schedule.action.level == 40
    assert entry.subentries[subentry.subentry_id].title == "Dawn"
    assert len(entry.subentries) == 1


async def test_reconfigure_aborts(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    custom = spec(id="custom", action={"type": "custom", "sequence": [{"delay": 1}]})
    await backend.async_create(custom)
    await hass.async_block_till_done()
    subentry = next(iter(entry.subentries.values()))
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_SCHEDULE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )
    assert result["reason"] == "not_editable"
    await backend.runner.async_remove("custom")
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_SCHEDULE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )
    assert result["reason"] == "schedule_not_found"

    await hass.config_entries.async_unload(entry.entry_id)
    result = await start(hass, entry.entry_id)
    assert result["reason"] == "not_loaded"
    assert DOMAIN
