"""The schedule steps in the subentry flow: each branch's fields, values kept on error, buttons,
step counter, defaults from the options, the preview, and the reconfigure menu."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.engine.validate import schedule_to_dict
from custom_components.reef_scheduler.runner.runner import InvalidSchedule
from custom_components.reef_scheduler.runner.store import SCHEDULES_KEY

from .clock import Clock
from .flows import (
    add_schedule,
    answer,
    counter,
    fields,
    options,
    reconfigure,
    subentry_step,
    suggested,
)
from .surface import (
    BLUE,
    PUMP,
    T0,
    copy_of,
    one_off,
    reef_devices,
    reef_tank,
    run_records,
    setup_local,
    spec,
)

TARGET = {"target": {"entity_id": [PUMP]}}


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)


async def next_run(hass: HomeAssistant, sid: str) -> datetime:
    """Return a schedule's next run as the get_next_runs action tells it."""
    response = await hass.services.async_call(
        DOMAIN,
        "get_next_runs",
        {"schedule_id": sid, "count": 1},
        blocking=True,
        return_response=True,
    )
    return datetime.fromisoformat(response["runs"][0])


async def test_a_daily_ramp_step_by_step(hass: HomeAssistant, hass_storage: dict[str, Any]) -> None:
    await reef_tank(hass)
    entry, backend = await setup_local(hass)
    step = subentry_step(hass)
    result = await add_schedule(hass, entry)
    assert result["step_id"] == "kind"
    assert fields(result) == ["name", "kind"]
    assert suggested(result) == {"kind": "daily"}
    assert (result["last_step"], counter(result)) == (False, ("1", "6"))

    result = await step(result["flow_id"], {"name": "Blue dawn", "kind": "daily"})
    assert result["step_id"] == "timing_daily"
    assert fields(result) == ["times", "every"]
    assert suggested(result) == {"every": 1}
    assert (result["last_step"], counter(result)) == (False, ("2", "6"))

    result = await step(result["flow_id"], {"times": "08:00\n20:00", "every": 1.0})
    assert result["step_id"] == "action"
    assert fields(result) == ["action"]
    assert options(result, "action") == [
        "on",
        "off",
        "toggle",
        "set_level",
        "set_pwm",
        "ramp",
        "custom",
    ]
    assert (result["last_step"], counter(result)) == (False, ("3", "6"))
    # The next runs: a Markdown list with the weekday (it is Monday 10:00 in Berlin).
    assert result["description_placeholders"]["preview"].splitlines() == [
        "- Monday 2026-03-02 20:00 CET",
        "- Tuesday 2026-03-03 08:00 CET",
        "- Tuesday 2026-03-03 20:00 CET",
        "- Wednesday 2026-03-04 08:00 CET",
        "- Wednesday 2026-03-04 20:00 CET",
    ]

    result = await step(result["flow_id"], {"action": "ramp"})
    assert result["step_id"] == "action_ramp"
    assert fields(result) == ["start_level", "level", "duration", "curve", "transition"]
    assert options(result, "curve") == ["linear", "smooth"]
    assert suggested(result) == {"curve": "linear"}
    assert (result["last_step"], counter(result)) == (False, ("4", "6"))

    ramp = {"start_level": 0.0, "level": 80.0, "duration": 60.0, "curve": "smooth"}
    result = await step(result["flow_id"], ramp)
    assert result["step_id"] == "targets"
    assert fields(result) == ["target"]
    assert (result["last_step"], counter(result)) == (False, ("5", "6"))

    result = await step(result["flow_id"], {"target": {"entity_id": [BLUE]}})
    assert result["step_id"] == "policy"
    assert fields(result) == ["enabled", "catch_up", "retries", "timeout"]
    assert (result["last_step"], counter(result)) == (True, ("6", "6"))
    # The entry's defaults, in the options' units (catch-up in minutes).
    assert suggested(result) == {"enabled": True, "catch_up": 15, "retries": 3, "timeout": 10.0}

    result = await step(result["flow_id"], suggested(result))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Blue dawn"
    await hass.async_block_till_done()
    (sid,) = backend.runner.schedules
    stored = schedule_to_dict(backend.runner.schedules[sid])
    assert stored["times"] == ["08:00", "20:00"]
    assert stored["action"] == {
        "type": "ramp",
        "target": {"entity_id": [BLUE], "device_id": [], "area_id": []},
        "level": 80.0,
        "start_level": 0.0,
        "duration": 3600,
        "curve": "smooth",
    }
    assert (stored["catch_up"], stored["retry"]["retries"], stored["retry"]["timeout"]) == (
        900,
        3,
        10.0,
    )
    (subentry,) = entry.subentries.values()
    assert subentry.unique_id == sid
    assert copy_of(subentry) == hass_storage[SCHEDULES_KEY]["data"]["schedules"][sid]
    assert hass.states.get("switch.blue_dawn_enabled").state == "on"


KINDS = [
    (
        "daily",
        ["times", "every"],
        {"times": "7:30, 19:00", "every": 2.0},
        {"type": "recurring", "frequency": "daily", "times": ["07:30", "19:00"], "every": 2},
    ),
    (
        "weekly",
        ["times", "weekdays", "every"],
        {"times": "08:00", "weekdays": ["mon", "fri"], "every": 1.0},
        {"frequency": "weekly", "weekdays": ["mon", "fri"], "every": 1},
    ),
    (
        "monthly",
        ["times", "month_days", "nth_weekdays", "every"],
        {"times": "08:00", "month_days": ["1", "last"], "nth_weekdays": ["last_fri"], "every": 3.0},
        {
            "frequency": "monthly",
            "month_days": [-1, 1],
            "nth_weekdays": [{"n": -1, "weekday": "fri"}],
            "every": 3,
        },
    ),
    ("interval", ["every"], {"every": 15.0}, {"type": "interval", "every": 900}),
    ("cron", ["cron"], {"cron": "*/15 8-20 * * *"}, {"type": "cron", "cron": "*/15 8-20 * * *"}),
    (
        "sun",
        ["event", "offset", "weekdays"],
        {"event": "sunset", "offset": -30.0},
        {"type": "sun", "event": "sunset", "offset": -1800, "weekdays": []},
    ),
    (
        "once",
        ["at"],
        {"at": "2026-03-05 20:00:00"},
        {"type": "one_off", "at": "2026-03-05T19:00:00+00:00"},
    ),
    (
        "photoperiod",
        ["on", "off"],
        {"on": "10:00:00", "off": "20:30:00"},
        {
            "type": "preset",
            "preset": "photoperiod",
            "params": {"on": "10:00:00", "off": "20:30:00"},
        },
    ),
    (
        "hourly_pulse",
        ["minute", "minutes"],
        {"minute": 5.0, "minutes": 10.0},
        {"preset": "hourly_pulse", "params": {"minute": 5, "minutes": 10}},
    ),
    (
        "dawn_lights",
        ["offset"],
        {"offset": -20.0},
        {"preset": "dawn_lights", "params": {"offset": -1200}},
    ),
    ("dawn_lights", ["offset"], {}, {"preset": "dawn_lights", "params": {}}),
    # The preset takes whole seconds: 0.01 min is 0.6 s, 1 s.
    (
        "dawn_lights",
        ["offset"],
        {"offset": 0.01},
        {"preset": "dawn_lights", "params": {"offset": 1}},
    ),
]


@pytest.mark.parametrize(("kind", "shown", "answers", "stored"), KINDS)
async def test_each_kind_asks_only_its_fields(
    hass: HomeAssistant,
    kind: str,
    shown: list[str],
    answers: dict[str, Any],
    stored: dict[str, Any],
) -> None:
    entry, backend = await setup_local(hass)
    step = subentry_step(hass)
    result = await answer(step, await add_schedule(hass, entry), {"name": "Kind", "kind": kind})
    assert result["step_id"] == f"timing_{kind}"
    assert fields(result) == shown
    result = await answer(step, result, answers)
    assert result["step_id"] == "action"
    result = await answer(
        step,
        result,
        {"action": "on"},
        {},
        TARGET,
        {"enabled": True, "catch_up": 0.0, "retries": 0.0, "timeout": 1.0},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (schedule,) = backend.runner.schedules.values()
    assert stored.items() <= schedule_to_dict(schedule).items()


ACTIONS = [
    (
        "on",
        ["duration", "transition"],
        {"duration": 30.0, "transition": 2.0},
        {"duration": 1800, "transition": 2.0},
    ),
    ("off", ["transition"], {}, {}),
    ("toggle", ["transition"], {"transition": 1.5}, {"transition": 1.5}),
    ("set_level", ["level", "duration", "transition"], {"level": 40.0}, {"level": 40.0}),
    (
        "set_pwm",
        ["level", "duration", "transition"],
        {"level": 55.5, "duration": 0.5},
        {"level": 55.5, "duration": 30},
    ),
    (
        "ramp",
        ["start_level", "level", "duration", "curve", "transition"],
        {"level": 80.0, "duration": 90.0, "curve": "linear"},
        {"level": 80.0, "duration": 5400, "curve": "linear"},
    ),
    ("custom", ["sequence"], {"sequence": [{"delay": 1}]}, {"sequence": [{"delay": 1}]}),
]


@pytest.mark.parametrize(("action", "shown", "answers", "stored"), ACTIONS)
async def test_each_action_asks_only_its_fields(
    hass: HomeAssistant,
    action: str,
    shown: list[str],
    answers: dict[str, Any],
    stored: dict[str, Any],
) -> None:
    entry, backend = await setup_local(hass)
    step = subentry_step(hass)
    result = await answer(
        step,
        await add_schedule(hass, entry),
        {"name": "Act", "kind": "cron"},
        {"cron": "0 12 * * *"},
        {"action": action},
    )
    assert result["step_id"] == f"action_{action}"
    assert fields(result) == shown
    # A custom action names its own targets: no targets step, five steps in all.
    steps = "5" if action == "custom" else "6"
    assert counter(result) == ("4", steps)
    result = await answer(step, result, answers)
    if action != "custom":
        assert result["step_id"] == "targets"
        result = await answer(step, result, TARGET)
    assert result["step_id"] == "policy"
    assert counter(result) == (steps, steps)
    result = await answer(step, result, suggested(result))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (schedule,) = backend.runner.schedules.values()
    assert ({"type": action} | stored).items() <= schedule_to_dict(schedule)["action"].items()


async def test_a_holding_preset_offers_holding_actions_only(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    step = subentry_step(hass)
    result = await answer(
        step,
        await add_schedule(hass, entry),
        {"name": "Lights", "kind": "photoperiod"},
        {"on": "10:00:00", "off": "20:30:00"},
    )
    assert options(result, "action") == ["on", "set_level", "set_pwm"]
    result = await answer(step, result, {"action": "set_level"})
    # The preset holds the level until "off": no hold duration to ask.
    assert fields(result) == ["level", "transition"]
    result = await answer(step, result, {"level": 70.0}, TARGET)
    result = await answer(step, result, suggested(result))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (schedule,) = backend.runner.schedules.values()
    assert schedule.action.duration == timedelta(hours=10, minutes=30)


async def test_refused_values_stay_beside_their_errors(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    await backend.async_create(spec(name="Feeding"))
    step = subentry_step(hass)
    result = await add_schedule(hass, entry)
    long = {"name": "x" * 101, "kind": "weekly"}
    result = await answer(step, result, long)
    assert (result["step_id"], result["errors"]) == ("kind", {"name": "name_too_long"})
    assert suggested(result) == long
    # Names are unique, trimmed and in any case.
    result = await answer(step, result, {"name": "  feeding ", "kind": "weekly"})
    assert result["errors"] == {"name": "name_taken"}
    assert suggested(result)["name"] == "  feeding "

    result = await answer(step, result, {"name": "Pump pulse", "kind": "weekly"})
    bad = {"times": "08:00\n25:00\n20:00\n26:00", "weekdays": [], "every": 1.0}
    result = await answer(step, result, bad)
    assert result["step_id"] == "timing_weekly"
    assert result["errors"] == {"times": "invalid_time", "weekdays": "empty_weekdays"}
    # The error names the (first) time it refused.
    assert result["description_placeholders"]["value"] == "25:00"
    assert suggested(result) == bad
    result = await answer(
        step, result, {"times": "08:00\n20:00", "weekdays": ["sat"], "every": 1.0}
    )
    assert result["step_id"] == "action"

    result = await answer(step, result, {"action": "custom"})
    result = await answer(step, result, {"sequence": [{"delay": 1}, {"bogus": 1}]})
    assert result["errors"] == {"sequence": "invalid_sequence"}
    assert suggested(result) == {"sequence": [{"delay": 1}, {"bogus": 1}]}
    result = await answer(step, result, {"sequence": {"delay": 1}})
    assert result["step_id"] == "policy"


@pytest.mark.parametrize(
    ("kind", "bad", "errors"),
    [
        ("once", {"at": "2026-03-01 10:00:00"}, {"at": "in_past"}),
        ("photoperiod", {"on": "10:00:00", "off": "10:00:00"}, {"off": "duration_too_small"}),
        ("cron", {"cron": "61 * * * *"}, {"cron": "invalid_cron"}),
        ("monthly", {"times": "08:00", "every": 1.0}, {"month_days": "required"}),
    ],
)
async def test_timing_errors_land_on_their_field(
    hass: HomeAssistant, kind: str, bad: dict[str, Any], errors: dict[str, str]
) -> None:
    entry, _ = await setup_local(hass)
    step = subentry_step(hass)
    result = await answer(step, await add_schedule(hass, entry), {"name": "Bad", "kind": kind}, bad)
    assert (result["step_id"], result["errors"]) == (f"timing_{kind}", errors)
    assert suggested(result) == bad


async def test_policy_defaults_come_from_the_options(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    hass.config_entries.async_update_entry(
        entry, options={"catch_up_minutes": 30, "retries": 5, "retry_timeout": 2.5}
    )
    await hass.async_block_till_done()
    step = subentry_step(hass)
    result = await answer(
        step,
        await add_schedule(hass, entry),
        {"name": "Heater", "kind": "interval"},
        {"every": 60.0},
        {"action": "toggle"},
        {},
        TARGET,
    )
    assert suggested(result) == {"enabled": True, "catch_up": 30, "retries": 5, "timeout": 2.5}
    result = await answer(step, result, suggested(result))
    (schedule,) = backend.runner.schedules.values()
    assert schedule.catch_up == timedelta(minutes=30)
    assert (schedule.retry.retries, schedule.retry.timeout) == (5, 2.5)


async def test_a_name_taken_while_the_flow_was_open(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    step = subentry_step(hass)
    result = await answer(
        step,
        await add_schedule(hass, entry),
        {"name": "Late", "kind": "cron"},
        {"cron": "0 9 * * *"},
        {"action": "off"},
        {},
        TARGET,
    )
    await backend.async_create(spec(name="LATE"))
    result = await answer(step, result, suggested(result))
    assert (result["step_id"], result["errors"]) == ("policy", {"base": "name_taken"})


async def test_the_menu_runs_a_schedule_now(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    sid = await backend.async_create(spec(name="Return pump"))
    await hass.async_block_till_done()
    result = await reconfigure(hass, entry)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["edit", "run_now", "skip_next"]
    assert result["description_placeholders"] == {"name": "Return pump"}
    result = await answer(subentry_step(hass), result, {"next_step_id": "run_now"})
    assert result["type"] is FlowResultType.ABORT
    assert (result["reason"], result["description_placeholders"]) == (
        "run_started",
        {"name": "Return pump"},
    )
    await hass.async_block_till_done()
    records = await run_records(hass, sid)
    assert [(record["trigger"], record["status"]) for record in records] == [("manual", "success")]
    assert hass.states.get(PUMP).state == "on"


async def test_the_menu_skips_the_next_run(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    sid = await backend.async_create(spec(name="Return pump", times=["12:00"]))
    await hass.async_block_till_done()
    before = await next_run(hass, sid)
    assert before == datetime.fromisoformat("2026-03-02T11:00:00+00:00")
    result = await answer(
        subentry_step(hass), await reconfigure(hass, entry), {"next_step_id": "skip_next"}
    )
    assert (result["reason"], result["description_placeholders"]) == (
        "run_skipped",
        {"name": "Return pump", "due": "2026-03-02 12:00 CET"},
    )
    assert await next_run(hass, sid) == before + timedelta(days=1)
    records = await run_records(hass, sid)
    assert [(record["trigger"], record["status"]) for record in records] == [("service", "skipped")]

    # Nothing left to skip: disabled meanwhile, and a disabled schedule's menu offers no skip.
    menu = await reconfigure(hass, entry)
    await backend.async_set_enabled(sid, False)
    result = await answer(subentry_step(hass), menu, {"next_step_id": "skip_next"})
    assert (result["reason"], result["description_placeholders"]) == (
        "nothing_to_skip",
        {"name": "Return pump"},
    )
    assert (await reconfigure(hass, entry))["menu_options"] == ["edit", "run_now"]


async def test_edit_runs_the_steps_filled_with_the_schedule(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    sid = await backend.async_create(
        spec(name="Sunrise", times=["10:00", "18:30"], weekdays=["mon", "tue"])
    )
    await hass.async_block_till_done()
    step = subentry_step(hass)
    result = await answer(step, await reconfigure(hass, entry), {"next_step_id": "edit"})
    assert result["step_id"] == "kind"
    assert suggested(result) == {"name": "Sunrise", "kind": "daily"}
    result = await answer(step, result, suggested(result))
    # A daily schedule stored with weekdays shows them, so they can be cleared.
    assert fields(result) == ["times", "every", "weekdays"]
    assert suggested(result) == {"times": "10:00\n18:30", "every": 1, "weekdays": ["mon", "tue"]}
    result = await answer(step, result, {"times": "10:00", "every": 1.0})
    assert suggested(result) == {"action": "on"}
    result = await answer(step, result, {"action": "on"})
    assert suggested(result) == {}
    result = await answer(step, result, {"duration": 45.0})
    assert suggested(result) == TARGET
    result = await answer(step, result, TARGET)
    assert suggested(result) == {"enabled": True, "catch_up": 15, "retries": 3, "timeout": 10.0}
    result = await answer(step, result, suggested(result) | {"enabled": False})
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reconfigure_successful")
    await hass.async_block_till_done()
    schedule = backend.runner.schedules[sid]
    assert schedule.timing.weekdays == frozenset()
    assert schedule.action.duration == timedelta(minutes=45)
    assert not schedule.enabled
    assert [subentry.title for subentry in entry.subentries.values()] == ["Sunrise"]


@pytest.mark.parametrize(
    ("timing", "kind", "shown"),
    [
        (
            {
                "frequency": "monthly",
                "month_days": [1, -1],
                "nth_weekdays": [{"n": 2, "weekday": "sun"}],
                "every": 3,
            },
            "monthly",
            {"times": "10:00", "month_days": ["1", "last"], "nth_weekdays": ["2_sun"], "every": 3},
        ),
        (
            {"type": "sun", "event": "dusk", "offset": 90, "weekdays": ["sat", "sun"]},
            "sun",
            {"event": "dusk", "offset": 1.5, "weekdays": ["sat", "sun"]},
        ),
        ({"type": "interval", "every": 5400}, "interval", {"every": 90}),
        (
            {"type": "one_off", "at": "2026-07-01T08:00:00+00:00"},
            "once",
            {"at": "2026-07-01 10:00:00"},
        ),
    ],
)
async def test_editing_shows_the_stored_timing(
    hass: HomeAssistant, timing: dict[str, Any], kind: str, shown: dict[str, Any]
) -> None:
    entry, backend = await setup_local(hass)
    stored = {key: value for key, value in spec().items() if key not in ("frequency", "times")}
    if timing.get("frequency"):
        stored |= {"frequency": "daily", "times": ["10:00"]}
    await backend.async_create(stored | timing)
    await hass.async_block_till_done()
    step = subentry_step(hass)
    result = await answer(step, await reconfigure(hass, entry), {"next_step_id": "edit"})
    assert suggested(result) == {"name": "Sunrise", "kind": kind}
    result = await answer(step, result, suggested(result))
    assert suggested(result) == shown
    # Unchanged, it saves as it was.
    result = await answer(step, result, suggested(result), {"action": "on"}, {}, TARGET)
    result = await answer(step, result, suggested(result))
    assert result["reason"] == "reconfigure_successful"


async def test_editing_a_preset_and_changing_its_kind(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    preset = {"type": "preset", "preset": "photoperiod", "params": {"on": "09:00", "off": "21:00"}}
    sid = await backend.async_create(
        {key: value for key, value in spec(**preset).items() if key not in {"frequency", "times"}}
    )
    await hass.async_block_till_done()
    step = subentry_step(hass)
    result = await answer(step, await reconfigure(hass, entry), {"next_step_id": "edit"})
    assert suggested(result)["kind"] == "photoperiod"
    result = await answer(step, result, suggested(result))
    assert suggested(result) == {"on": "09:00", "off": "21:00"}
    result = await answer(step, result, {"on": "08:00:00", "off": "20:00:00"}, {"action": "on"})
    assert fields(result) == ["transition"]
    result = await answer(step, result, {}, TARGET)
    result = await answer(step, result, suggested(result))
    assert result["reason"] == "reconfigure_successful"
    schedule = backend.runner.schedules[sid]
    assert dict(schedule.preset_params or {}) == {"on": "08:00:00", "off": "20:00:00"}

    # Another kind: its timing step starts empty.
    result = await answer(step, await reconfigure(hass, entry), {"next_step_id": "edit"})
    result = await answer(step, result, {"name": "Lights", "kind": "hourly_pulse"})
    assert suggested(result) == {"minute": 0}
    result = await answer(
        step, result, {"minute": 0.0, "minutes": 15.0}, {"action": "on"}, {}, TARGET
    )
    result = await answer(step, result, suggested(result))
    assert backend.runner.schedules[sid].preset == "hourly_pulse"


async def test_editing_a_custom_action_and_back(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    sid = await backend.async_create(spec(action={"type": "custom", "sequence": [{"delay": 1}]}))
    await hass.async_block_till_done()
    step = subentry_step(hass)
    result = await answer(step, await reconfigure(hass, entry), {"next_step_id": "edit"})
    result = await answer(step, result, suggested(result), {"times": "10:00", "every": 1.0})
    assert suggested(result) == {"action": "custom"}
    assert counter(result) == ("3", "5")
    result = await answer(step, result, {"action": "custom"})
    assert suggested(result) == {"sequence": [{"delay": 1}]}
    result = await answer(step, result, {"sequence": [{"delay": 2}]})
    result = await answer(step, result, suggested(result))
    assert result["reason"] == "reconfigure_successful"
    assert [dict(item) for item in backend.runner.schedules[sid].action.sequence] == [{"delay": 2}]

    # Back to a built-in action: now the targets are asked, in six steps.
    result = await answer(step, await reconfigure(hass, entry), {"next_step_id": "edit"})
    result = await answer(step, result, suggested(result), {"times": "10:00", "every": 1.0})
    result = await answer(step, result, {"action": "off"})
    assert counter(result) == ("4", "6")
    result = await answer(step, result, {})
    assert (result["step_id"], suggested(result)) == ("targets", {})
    result = await answer(step, result, TARGET)
    result = await answer(step, result, suggested(result))
    assert backend.runner.schedules[sid].action.type == "off"


@pytest.mark.parametrize(
    ("timing", "kind", "shown", "errors", "fixed"),
    [
        (
            {
                "type": "recurring",
                "frequency": "monthly",
                "times": ["25:00"],
                "nth_weekdays": ["first monday"],
            },
            "monthly",
            {"times": "25:00", "every": 1, "month_days": [], "nth_weekdays": []},
            {"times": "invalid_time", "nth_weekdays": "invalid_type"},
            {"times": "10:00", "month_days": ["1"], "every": 1.0},
        ),
        (
            {"type": "one_off", "at": "tomorrow"},
            "once",
            {"at": "tomorrow"},
            {"at": "invalid_datetime"},
            {"at": "2026-03-05 20:00:00"},
        ),
        (
            {"type": "one_off", "at": "2026-03-05T20:00:00"},  # no zone: local time
            "once",
            {"at": "2026-03-05 20:00:00"},
            {},
            {"at": "2026-03-05 20:00:00"},
        ),
    ],
)
async def test_editing_an_invalid_stored_schedule_shows_its_problems(
    hass: HomeAssistant,
    timing: dict[str, Any],
    kind: str,
    shown: dict[str, Any],
    errors: dict[str, str],
    fixed: dict[str, Any],
) -> None:
    entry, backend = await setup_local(hass)
    sid = await backend.async_create(spec())
    await hass.async_block_till_done()
    runner = backend.runner
    broken = {"id": sid, "name": "Sunrise", "action": {"type": "dance"}} | timing
    runner.invalid[sid] = InvalidSchedule(broken, ())
    del runner.schedules[sid]
    step = subentry_step(hass)
    # It can neither run nor skip: the edit steps open at once.
    result = await reconfigure(hass, entry)
    assert (result["step_id"], suggested(result)) == ("kind", {"name": "Sunrise", "kind": kind})
    result = await answer(step, result, suggested(result))
    # Its problems show at first sight, each on its field.
    assert (result["errors"], suggested(result)) == (errors, shown)
    result = await answer(step, result, fixed)
    # An action the engine does not know: the first one is offered.
    assert (result["errors"], suggested(result)) == ({}, {"action": "on"})
    result = await answer(step, result, {"action": "on"}, {}, TARGET)
    result = await answer(step, result, suggested(result))
    assert result["reason"] == "reconfigure_successful"
    assert runner.schedules[sid].name == "Sunrise"


async def test_a_problem_no_step_asks_for_is_named(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    sid = await backend.async_create(spec())
    await hass.async_block_till_done()
    runner = backend.runner
    runner.invalid[sid] = InvalidSchedule(spec(timezone="Mars/Base"), ())
    del runner.schedules[sid]
    step = subentry_step(hass)
    result = await reconfigure(hass, entry)
    result = await answer(step, result, suggested(result), {"times": "10:00", "every": 1.0})
    # No next run to show: the timing cannot be read in an unknown zone.
    assert result["description_placeholders"]["preview"].startswith("None: this timing")
    result = await answer(step, result, {"action": "on"}, {}, TARGET)
    result = await answer(step, result, suggested(result))
    assert (result["step_id"], result["errors"]) == ("policy", {"base": "not_in_form"})
    assert result["description_placeholders"]["field"] == "timezone"


async def test_the_preview_is_a_sentence_when_nothing_runs(
    hass: HomeAssistant, clock: Clock
) -> None:
    entry, backend = await setup_local(hass)
    await backend.async_create(one_off("feed", T0 + timedelta(hours=1), {"type": "on", **TARGET}))
    await clock.move_to(T0 + timedelta(hours=2))
    result = await reconfigure(hass, entry)
    # Its one run is over: nothing to skip.
    assert result["menu_options"] == ["edit", "run_now"]
    step = subentry_step(hass)
    result = await answer(step, result, {"next_step_id": "edit"})
    assert suggested(result) == {"name": "Feed", "kind": "once"}
    result = await answer(step, result, suggested(result))
    assert suggested(result) == {"at": "2026-03-02 11:00:00"}
    result = await answer(step, result, suggested(result))
    assert result["description_placeholders"]["preview"] == (
        "None: this timing has no run ahead (a one-off in the past, a window that has ended,"
        " or a sun event that does not occur here)."
    )


async def test_aborts(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    await backend.async_create(spec(id="gone"))
    await hass.async_block_till_done()
    await backend.runner.async_remove("gone")
    result = await reconfigure(hass, entry)
    assert result["reason"] == "schedule_not_found"

    await hass.config_entries.async_unload(entry.entry_id)
    assert (await add_schedule(hass, entry))["reason"] == "not_loaded"
    assert (await reconfigure(hass, entry))["reason"] == "not_loaded"


async def test_the_frontend_gets_each_step_of_a_daily_ramp(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """The steps as the browser gets them: serialised fields, units, buttons and the counter."""
    await reef_tank(hass)
    entry, _ = await setup_local(hass)
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    url = "/api/config/config_entries/subentries/flow"
    response = await client.post(url, json={"handler": [entry.entry_id, "schedule"]})
    step = await response.json()
    seen = []
    for data in (
        {"name": "Blue dawn", "kind": "daily"},
        {"times": "08:00", "every": 1},
        {"action": "ramp"},
        {"level": 80, "duration": 60, "curve": "smooth"},
        {"target": {"entity_id": [BLUE]}},
        {"enabled": True, "catch_up": 15, "retries": 3, "timeout": 10},
    ):
        fields = {field["name"]: field["selector"] for field in step["data_schema"]}
        placeholders = step["description_placeholders"]
        seen.append(
            (step["step_id"], step["last_step"], placeholders["step"], placeholders["steps"])
        )
        if step["step_id"] == "timing_daily":
            assert fields["times"] == {"text": {"multiline": True, "multiple": False}}
        if step["step_id"] == "action_ramp":
            assert fields["duration"]["number"]["unit_of_measurement"] == "min"
            assert fields["duration"]["number"]["step"] == "any"
            assert fields["curve"]["select"]["translation_key"] == "ramp_curve"
        response = await client.post(f"{url}/{step['flow_id']}", json=data)
        assert response.status == 200, await response.text()
        step = await response.json()
    assert seen == [
        ("kind", False, "1", "6"),
        ("timing_daily", False, "2", "6"),
        ("action", False, "3", "6"),
        ("action_ramp", False, "4", "6"),
        ("targets", False, "5", "6"),
        ("policy", True, "6", "6"),
    ]
    assert (step["type"], step["title"]) == ("create_entry", "Blue dawn")
