"""Schedule subentry flow: every step, every error followed by a successful retry, reconfigure."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.reef_scheduler.const import DOMAIN, SUBENTRY_TYPE_SCHEDULE
from custom_components.reef_scheduler.runner.runner import InvalidSchedule
from custom_components.reef_scheduler.runner.store import SCHEDULES_KEY

from .surface import PUMP, T0, copy_of, reef_devices, setup_local, spec


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


async def test_add_cron_schedule_with_every_error_retried(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
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
    # The subentry keeps a copy of the definition as stored (it rebuilds a lost store).
    stored = hass_storage[SCHEDULES_KEY]["data"]["schedules"][sid]
    assert subentry.data["schedule_id"] == sid
    assert copy_of(subentry) == stored
    # Entities appear without a reload.
    assert hass.states.get("switch.feed_pause_enabled").state == "on"


@pytest.mark.parametrize(
    ("kind", "bad", "error", "good"),
    [
        (
            "recurring",
            {"times": ["08:00"], "frequency": "weekly", "weekdays": []},
            {"weekdays": "empty_weekdays"},
            {"times": ["08:00"], "frequency": "weekly", "weekdays": ["mon"]},
        ),
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
    result = await step(hass, result, {"times": ["07:30"], "frequency": "daily"})
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
    await backend.async_create(spec(id="gone"))
    await hass.async_block_till_done()
    subentry = next(iter(entry.subentries.values()))
    await backend.runner.async_remove("gone")
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_SCHEDULE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )
    assert result["reason"] == "schedule_not_found"

    await hass.config_entries.async_unload(entry.entry_id)
    result = await start(hass, entry.entry_id)
    assert result["reason"] == "not_loaded"
    result = await reconfigure(hass, entry)
    assert result["reason"] == "not_loaded"
    assert DOMAIN


def test_engine_errors_land_on_the_form_field_that_asked() -> None:
    from custom_components.reef_scheduler.engine.model import FieldError
    from custom_components.reef_scheduler.local.schedule_flow import _field, _form_errors

    assert _field("policy", "retry.timeout") == "timeout"
    assert _field("policy", "retry.cap") == "retries"
    # A field no form shows: on the last step it is reported on the form as a whole.
    unknown = (FieldError("created", "invalid_datetime", {}),)
    assert _form_errors("policy", unknown, final=True) == {"base": "invalid_datetime"}
    assert _form_errors("timing", unknown, final=False) == {}


async def reconfigure(hass: HomeAssistant, entry: Any) -> dict[str, Any]:
    subentry = next(iter(entry.subentries.values()))
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_SCHEDULE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )


async def finish(hass: HomeAssistant, result: dict[str, Any]) -> dict[str, Any]:
    """Answer the targets step (if asked) and the policy step."""
    if result["step_id"] == "targets":
        result = await step(hass, result, {"target": {"entity_id": [PUMP]}})
    assert result["step_id"] == "policy"
    return await step(hass, result, {"enabled": True})


async def test_recurring_times_and_monthly_rules(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    result = await start(hass, entry.entry_id)
    result = await step(hass, result, {"name": "Dosing", "type": "recurring"})
    assert result["step_id"] == "timing"
    monthly = {"frequency": "monthly", "month_days": ["1", "last"]}

    result = await step(hass, result, {"times": [], "frequency": "daily"})
    assert result["errors"] == {"times": "required"}
    result = await step(hass, result, {"times": ["08:00", "25:00"]} | monthly)
    assert result["errors"] == {"times": "invalid_time"}
    result = await step(hass, result, {"times": ["08:00"], "weekdays": ["mon"]} | monthly)
    assert result["errors"] == {"weekdays": "not_for_frequency"}
    result = await step(
        hass, result, {"times": ["08:00"], "frequency": "daily"} | {"month_days": ["1"]}
    )
    assert result["errors"] == {"month_days": "not_for_frequency"}
    result = await step(hass, result, {"times": ["08:00"], "frequency": "monthly"})
    assert result["errors"] == {"month_days": "required"}
    result = await step(
        hass,
        result,
        {
            "times": [" 7:30", "19:00:30"],
            "every": 2,
            "nth_weekdays": ["1_mon", "last_fri"],
        }
        | monthly,
    )
    assert result["step_id"] == "action"
    preview = result["description_placeholders"]["preview"]
    assert preview.count("\n") == 4
    # Today is the 1st Monday; then the last Friday and the last day of March.
    assert preview.startswith("- Mon 2026-03-02 19:00:30 CET\n- Fri 2026-03-27 07:30:00 CET")
    assert "Tue 2026-03-31 19:00:30 CEST" in preview
    result = await step(hass, result, {"action_type": "on"})
    result = await finish(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY

    (schedule,) = backend.runner.schedules.values()
    timing = schedule.timing
    assert [at.isoformat() for at in timing.times] == ["07:30:00", "19:00:30"]
    assert timing.frequency == "monthly"
    assert timing.every == 2
    assert timing.month_days == (-1, 1)
    assert timing.nth_weekdays == ((-1, 4), (1, 0))

    # Editing shows the monthly rules again and keeps them.
    result = await reconfigure(hass, entry)
    result = await step(hass, result, {"name": "Dosing", "type": "recurring"})
    schema = result["data_schema"]({})
    assert schema["month_days"] == ["last", "1"]
    assert schema["nth_weekdays"] == ["last_fri", "1_mon"]
    assert schema["times"] == ["07:30", "19:00:30"]


async def test_presets_with_errors_retried(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    result = await start(hass, entry.entry_id)
    result = await step(hass, result, {"name": "Lights", "type": "photoperiod"})
    assert result["step_id"] == "timing"
    result = await step(hass, result, {"on": "10:00:00", "off": "10:00:00"})
    assert result["errors"] == {"off": "duration_too_small"}
    result = await step(hass, result, {"on": "10:00:00", "off": "20:30:00"})
    assert result["step_id"] == "action"
    assert "10:00:00" in result["description_placeholders"]["preview"]

    result = await step(
        hass, result, {"action_type": "ramp", "level": 50, "duration": {"minutes": 9}}
    )
    assert result["errors"] == {"action_type": "invalid_preset_action"}
    result = await step(hass, result, {"action_type": "on", "duration": {"hours": 1}})
    assert result["errors"] == {"duration": "not_allowed"}
    result = await step(hass, result, {"action_type": "set_level", "level": 70})
    result = await finish(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (schedule,) = backend.runner.schedules.values()
    assert schedule.preset == "photoperiod"
    assert schedule.action.duration is not None
    assert schedule.action.duration.total_seconds() == 10.5 * 3600


@pytest.mark.parametrize(
    ("preset", "bad", "error", "good", "params"),
    [
        (
            "hourly_pulse",
            None,
            None,
            {"minute": 5, "minutes": 10},
            {"minute": 5, "minutes": 10},
        ),
        (
            "dawn_lights",
            {"offset": {"hours": 13}},
            {"offset": "offset_out_of_range"},
            {"offset": {"minutes": -20}},
            {"offset": -1200},
        ),
    ],
)
async def test_preset_params(
    hass: HomeAssistant,
    preset: str,
    bad: dict[str, Any] | None,
    error: dict[str, str] | None,
    good: dict[str, Any],
    params: dict[str, Any],
) -> None:
    entry, backend = await setup_local(hass)
    result = await start(hass, entry.entry_id)
    result = await step(hass, result, {"name": "Preset", "type": preset})
    if bad is not None:
        result = await step(hass, result, bad)
        assert result["errors"] == error
    result = await step(hass, result, good)
    assert result["step_id"] == "action"
    result = await step(hass, result, {"action_type": "on"})
    result = await finish(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (schedule,) = backend.runner.schedules.values()
    assert schedule.preset == preset
    assert dict(schedule.preset_params or {}) == params


async def test_custom_action_with_errors_retried(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    result = await start(hass, entry.entry_id)
    result = await step(hass, result, {"name": "Script", "type": "cron"})
    result = await step(hass, result, {"cron": "0 12 * * *"})
    result = await step(hass, result, {"action_type": "custom"})
    assert result["errors"] == {"sequence": "required"}
    result = await step(hass, result, {"action_type": "custom", "sequence": [{"bogus": 1}]})
    assert result["errors"] == {"sequence": "invalid_sequence"}
    result = await step(
        hass, result, {"action_type": "custom", "sequence": {"delay": 1}, "transition": 2}
    )
    assert result["errors"] == {"transition": "not_allowed"}
    result = await step(hass, result, {"action_type": "custom", "sequence": {"delay": 1}})
    # A custom action names its own targets: the targets step is skipped.
    assert result["step_id"] == "policy"
    result = await step(hass, result, {"enabled": True})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (schedule,) = backend.runner.schedules.values()
    assert schedule.action.type == "custom"
    assert [dict(item) for item in schedule.action.sequence] == [{"delay": 1}]


async def test_reconfigure_preset(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    preset = {"type": "preset", "preset": "photoperiod", "params": {"on": "09:00", "off": "21:00"}}
    sid = await backend.async_create(
        {key: value for key, value in spec(**preset).items() if key not in {"frequency", "times"}}
    )
    await hass.async_block_till_done()
    result = await reconfigure(hass, entry)
    assert result["data_schema"]({"name": "Lights"})["type"] == "photoperiod"
    result = await step(hass, result, {"name": "Lights", "type": "photoperiod"})
    assert result["data_schema"]({}) == {"on": "09:00", "off": "21:00"}
    result = await step(hass, result, {"on": "08:00:00", "off": "08:00:00"})
    assert result["errors"] == {"off": "duration_too_small"}
    result = await step(hass, result, {"on": "08:00:00", "off": "20:00:00"})
    assert result["data_schema"]({})["action_type"] == "on"
    result = await step(hass, result, {"action_type": "on"})
    assert result["step_id"] == "targets"
    result = await finish(hass, result)
    assert result["reason"] == "reconfigure_successful"
    schedule = backend.runner.schedules[sid]
    assert dict(schedule.preset_params or {}) == {"on": "08:00:00", "off": "20:00:00"}

    # A preset can become another kind of timing.
    result = await reconfigure(hass, entry)
    result = await step(hass, result, {"name": "Lights", "type": "hourly_pulse"})
    assert "minute" in result["data_schema"].schema
    result = await step(hass, result, {"minute": 0, "minutes": 15})
    result = await finish(hass, await step(hass, result, {"action_type": "on"}))
    assert backend.runner.schedules[sid].preset == "hourly_pulse"


async def test_reconfigure_custom(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    custom = spec(action={"type": "custom", "sequence": [{"delay": 1}]})
    sid = await backend.async_create(custom)
    await hass.async_block_till_done()
    result = await reconfigure(hass, entry)
    result = await step(hass, result, {"name": "Script", "type": "recurring"})
    result = await step(hass, result, {"times": ["10:00"], "frequency": "daily"})
    defaults = result["data_schema"]({})
    assert defaults["action_type"] == "custom"
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested["sequence"] == [{"delay": 1}]
    result = await step(
        hass, result, {"action_type": "custom", "sequence": [{"delay": 2}, {"bogus": 1}]}
    )
    assert result["errors"] == {"sequence": "invalid_sequence"}
    result = await step(hass, result, {"action_type": "custom", "sequence": [{"delay": 2}]})
    result = await finish(hass, result)
    assert result["reason"] == "reconfigure_successful"
    assert [dict(item) for item in backend.runner.schedules[sid].action.sequence] == [{"delay": 2}]

    # Back to a built-in action: now the targets are asked.
    result = await reconfigure(hass, entry)
    result = await step(hass, result, {"name": "Script", "type": "recurring"})
    result = await step(hass, result, {"times": ["10:00"], "frequency": "daily"})
    result = await step(hass, result, {"action_type": "off"})
    assert result["step_id"] == "targets"
    result = await finish(hass, result)
    assert backend.runner.schedules[sid].action.type == "off"


async def test_reconfigure_repairs_an_invalid_schedule(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    sid = await backend.async_create(spec())
    await hass.async_block_till_done()
    runner = backend.runner
    broken = spec(
        type="recurring",
        frequency="monthly",
        nth_weekdays=["first monday"],
        action={"type": "dance"},
    )
    runner.invalid[sid] = InvalidSchedule(broken, ())
    del runner.schedules[sid]
    result = await reconfigure(hass, entry)
    result = await step(hass, result, {"name": "Fixed", "type": "recurring"})
    assert result["data_schema"]({})["nth_weekdays"] == []
    result = await step(hass, result, {"times": ["10:00"], "frequency": "daily"})
    assert result["data_schema"]({})["action_type"] == "on"
    result = await finish(hass, await step(hass, result, {"action_type": "on"}))
    assert result["reason"] == "reconfigure_successful"
    assert runner.schedules[sid].name == "Fixed"
