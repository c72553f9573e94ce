"""The wave pattern kind in the schedule steps: pumps and mode, the mode's settings, the night;
refused values, edits, the options and repair flows."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest

from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.engine.validate import schedule_to_dict

from .clock import Clock
from .flows import (
    add_schedule,
    answer,
    counter,
    fields,
    fix_issue,
    options,
    options_step,
    reconfigure,
    subentry_step,
    suggested,
)
from .surface import T0, seed, setup_local

LEFT, RIGHT = "input_number.wave_left", "input_number.wave_right"
POLICY = {"enabled": True, "catch_up": 15, "retries": 3, "timeout": 10}
NO_NIGHT: dict[str, Any] = {"night": {}}


@pytest.fixture(autouse=True)
async def pumps(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await hass.config.async_set_time_zone("Europe/Berlin")
    number = {"min": 0, "max": 100, "step": 1, "initial": 0}
    assert await async_setup_component(
        hass, "input_number", {"input_number": {"wave_left": number, "wave_right": number}}
    )


def stored_wave(sid: str = "waves", **wave: Any) -> dict[str, Any]:
    """Return a stored pulse pattern of two pumps."""
    pattern = {"pumps": [LEFT, RIGHT], "mode": "pulse", "on": 30, "off": 30} | wave
    return {"id": sid, "name": "Waves", "type": "wave", "wave": pattern}


async def to_settings(hass: HomeAssistant, entry: Any, mode: str, pumps: list[str]) -> Any:
    """Start adding a wave pattern; return its settings step."""
    step = subentry_step(hass)
    result = await add_schedule(hass, entry)
    result = await answer(step, result, {"name": "Waves", "kind": "wave"})
    return await answer(step, result, {"pumps": pumps, "mode": mode})


def definition(backend: Any, sid: str) -> dict[str, Any]:
    """Return a schedule's definition as the store writes it."""
    return schedule_to_dict(backend.runner.schedules[sid])


async def test_a_random_pattern_with_a_night_step_by_step(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    step = subentry_step(hass)
    result = await add_schedule(hass, entry)
    assert {"wave", "dosing"} <= set(options(result, "kind"))
    result = await answer(step, result, {"name": "Waves", "kind": "wave"})

    assert result["step_id"] == "wave"
    assert fields(result) == ["pumps", "mode"]
    assert options(result, "mode") == ["alternate", "pulse", "random", "sine", "ramped_pulse"]
    assert suggested(result) == {"mode": "alternate"}
    assert counter(result) == ("2", "4")
    result = await answer(step, result, {"pumps": [LEFT, RIGHT], "mode": "random"})

    assert result["step_id"] == "wave_settings"
    assert counter(result) == ("3", "4")
    assert fields(result) == [
        "on",
        "on_max",
        "off",
        "off_max",
        "max_speed",
        "min_on",
        "min_off",
        "night",
    ]
    assert suggested(result) == {
        "on": 30,
        "on_max": 60,
        "off": 30,
        "off_max": 60,
        "max_speed": 100,
        "min_on": 5,
        "min_off": 5,
        "night": {},
    }
    night = {"start": "22:00:00", "end": "07:00:00", "mode": "pulse", "on": 10.0, "off": 50}
    settings = {"on": 20, "on_max": 40.0, "off": 10, "off_max": 30, "max_speed": 80}
    result = await answer(step, result, settings | {"min_on": 5, "min_off": 5, "night": night})

    assert (result["step_id"], result["last_step"]) == ("wave_policy", True)
    assert counter(result) == ("4", "4")
    result = await answer(step, result, POLICY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (schedule,) = backend.runner.schedules.values()
    stored = schedule_to_dict(schedule)
    assert stored["type"] == "wave"
    assert "action" not in stored
    assert stored["wave"] == {
        "pumps": [LEFT, RIGHT],
        "mode": "random",
        "on": 20,
        "on_max": 40,
        "off": 10,
        "off_max": 30,
        "max_speed": 80,
        "min_on": 5,
        "min_off": 5,
        # The night's speed when on: the default, written out.
        "night": {"start": "22:00", "end": "07:00", "mode": "pulse", "on": 10, "off": 50}
        | {"max_speed": 100},
    }


@pytest.mark.parametrize(
    ("mode", "shown"),
    [
        ("alternate", ["on", "max_speed"]),
        ("pulse", ["on", "off", "max_speed"]),
        ("sine", ["period", "min_speed", "max_speed"]),
        ("ramped_pulse", ["on", "off", "ramp", "min_speed", "max_speed"]),
    ],
)
async def test_each_mode_asks_its_own_settings(
    hass: HomeAssistant, mode: str, shown: list[str]
) -> None:
    entry, backend = await setup_local(hass)
    result = await to_settings(hass, entry, mode, [LEFT, RIGHT])
    assert fields(result) == [*shown, "min_on", "min_off", "night"]
    answers = {key: suggested(result)[key] for key in shown} | {"min_on": 5, "min_off": 5}
    result = await answer(subentry_step(hass), result, answers | NO_NIGHT, POLICY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (schedule,) = backend.runner.schedules.values()
    assert schedule.action.wave is not None
    assert schedule.action.wave.day.mode == mode
    assert schedule.action.wave.night is None


@pytest.mark.parametrize(
    ("mode", "pumps", "code"),
    [
        ("sine", ["switch.wave_pump", LEFT], "wave_switch_pump"),
        ("alternate", [LEFT], "wave_alternate_pumps"),
    ],
)
async def test_pumps_that_cannot_follow_the_mode_are_refused(
    hass: HomeAssistant, mode: str, pumps: list[str], code: str
) -> None:
    entry, _ = await setup_local(hass)
    result = await to_settings(hass, entry, mode, pumps)
    assert result["step_id"] == "wave"
    assert result["errors"] == {"mode": code}
    assert suggested(result) == {"pumps": pumps, "mode": mode}


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({"on": 3}, {"on": "wave_below_min_on"}),
        ({"off": 2, "min_off": 10}, {"off": "wave_below_min_off"}),
        ({"on": -5}, {"on": "wave_length_out_of_range"}),
        ({"min_on": 601}, {"min_on": "wave_protection_out_of_range"}),
        ({"max_speed": 120}, {"max_speed": "level_out_of_range"}),
        (
            {
                "night": {
                    "start": "22:00:00",
                    "end": "22:00:00",
                    "mode": "pulse",
                    "on": 10,
                    "off": 50,
                }
            },
            {"night": "wave_night_hours"},
        ),
        ({"night": {"start": "22:00:00"}}, {"night": "required"}),
    ],
)
async def test_refused_settings_stay_in_their_field(
    hass: HomeAssistant, answers: dict[str, Any], errors: dict[str, str]
) -> None:
    entry, backend = await setup_local(hass)
    result = await to_settings(hass, entry, "pulse", [LEFT, RIGHT])
    given = {"on": 30, "off": 30, "max_speed": 100, "min_on": 5, "min_off": 5} | NO_NIGHT
    result = await answer(subentry_step(hass), result, given | answers)
    assert result["step_id"] == "wave_settings"
    assert result["errors"] == errors
    shown = suggested(result)
    assert all(shown[key] == value for key, value in answers.items())
    assert backend.runner.schedules == {}


async def test_editing_opens_the_stored_pattern(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    night = {"start": "22:00", "end": "07:00", "mode": "pulse", "on": 10, "off": 50}
    seed(hass_storage, [stored_wave(night=night)])
    entry, backend = await setup_local(hass)
    step = subentry_step(hass)
    result = await reconfigure(hass, entry)
    result = await answer(step, result, {"next_step_id": "edit"})
    assert suggested(result) == {"name": "Waves", "kind": "wave"}
    assert counter(result) == ("1", "4")
    result = await answer(step, result, suggested(result))
    assert suggested(result) == {"pumps": [LEFT, RIGHT], "mode": "pulse"}
    # Another mode drops the old one's lengths.
    result = await answer(step, result, {"pumps": [LEFT, RIGHT], "mode": "sine"})
    assert suggested(result) == {
        "period": 600,
        "min_speed": 30,
        "max_speed": 100,
        "min_on": 5,
        "min_off": 5,
        "night": night | {"max_speed": 100},
    }
    assert result["data_schema"].schema["night"].options == {"collapsed": False}
    answers = suggested(result) | {"period": 900, "night": {}}
    result = await answer(step, result, answers)
    assert result["step_id"] == "wave_policy"
    result = await answer(step, result, suggested(result))
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reconfigure_successful")
    assert definition(backend, "waves")["wave"] == {
        "pumps": [LEFT, RIGHT],
        "mode": "sine",
        "period": 900,
        "min_speed": 30,
        "max_speed": 100,
        "min_on": 5,
        "min_off": 5,
    }


async def test_adding_a_pattern_from_the_options(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    step = options_step(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await answer(step, result, {"next_step_id": "add_schedule"})
    result = await answer(
        step,
        result,
        {"name": "Waves", "kind": "wave"},
        {"pumps": [LEFT, RIGHT], "mode": "alternate"},
        {"on": 30, "max_speed": 100, "min_on": 5, "min_off": 5} | NO_NIGHT,
        POLICY,
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "schedule_added")
    (schedule,) = backend.runner.schedules.values()
    assert schedule.name == "Waves"


async def test_fixing_an_invalid_pattern(
    hass: HomeAssistant, hass_storage: dict[str, Any], issue_registry: ir.IssueRegistry
) -> None:
    seed(hass_storage, [stored_wave(on=2)])
    _, backend = await setup_local(hass)
    assert issue_registry.async_get_issue(DOMAIN, "invalid_schedule_waves").is_fixable
    result, step = await fix_issue(hass, "invalid_schedule_waves")
    result = await answer(step, result, suggested(result))
    result = await answer(step, result, suggested(result))
    # The refused length shows in its field with its error, on first sight.
    assert (result["step_id"], result["errors"]) == ("wave_settings", {"on": "wave_below_min_on"})
    assert suggested(result)["on"] == 2
    result = await answer(step, result, suggested(result) | {"on": 20})
    result = await answer(step, result, suggested(result))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert issue_registry.async_get_issue(DOMAIN, "invalid_schedule_waves") is None
    assert definition(backend, "waves")["wave"]["on"] == 20


async def test_a_pattern_added_in_the_ui_drives_its_pumps(
    hass: HomeAssistant, clock: Clock
) -> None:
    """End to end: the pulse saved by the flow switches the pumps every 30 s at 80 %."""
    entry, _ = await setup_local(hass)
    result = await to_settings(hass, entry, "pulse", [LEFT, RIGHT])
    settings = {"on": 30, "off": 30, "max_speed": 80, "min_on": 5, "min_off": 5}
    result = await answer(subentry_step(hass), result, settings | NO_NIGHT, POLICY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    # 10:00:00 in Berlin: a pulse period (from the epoch) begins, the pumps are on.
    levels = []
    for _ in range(4):
        levels.append([float(hass.states.get(pump).state) for pump in (LEFT, RIGHT)])  # type: ignore[union-attr]
        await clock.advance(30)
    assert levels == [[80, 80], [0, 0], [80, 80], [0, 0]]


async def test_fixing_a_pattern_whose_pumps_are_gone(
    hass: HomeAssistant, hass_storage: dict[str, Any], issue_registry: ir.IssueRegistry
) -> None:
    gone = ["input_number.gone", "input_number.gone_too"]
    seed(hass_storage, [stored_wave(pumps=gone)])
    _, backend = await setup_local(hass)
    issue = issue_registry.async_get_issue(DOMAIN, "targets_missing_waves")
    assert issue is not None
    assert issue.is_fixable
    result, step = await fix_issue(hass, "targets_missing_waves")
    result = await answer(step, result, suggested(result))
    assert (result["step_id"], suggested(result)) == (
        "wave",
        {"pumps": gone, "mode": "pulse"},
    )
    result = await answer(step, result, {"pumps": [LEFT, RIGHT], "mode": "pulse"})
    result = await answer(step, result, suggested(result))
    result = await answer(step, result, suggested(result))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, "targets_missing_waves") is None
    assert definition(backend, "waves")["wave"]["pumps"] == [LEFT, RIGHT]
