"""Action tests against real Home Assistant entities: switches, levels, ramps, holds, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant, ServiceCall
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.engine.ledger import RunStatus
from custom_components.reef_scheduler.runner.actions import ActionExecutor
from custom_components.reef_scheduler.runner.runner import ScheduleRunner

from .clock import Clock
from .surface import LEVEL, level_of, one_off, ramp_action, template_light

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
PUMP = "input_boolean.return_pump"
BLUE = "light.reef_blue"
FADER = "light.reef_fader"


@pytest.fixture(autouse=True)
async def reef(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Freeze time and provide a pump, two LED channels (one that fades) and their levels."""
    freezer.move_to(T0)
    await hass.config.async_set_time_zone("Europe/Berlin")
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"return_pump": {}}}
    )
    numbers = {
        key: {"min": 0, "max": 100, "step": 1, "initial": 0}
        for key in ("blue_level", "fader_level")
    }
    numbers["dosing"] = {"min": 0, "max": 20, "step": 0.1, "initial": 0}
    assert await async_setup_component(hass, "input_number", {"input_number": numbers})
    lights = {
        "reef_blue": template_light("Reef Blue", LEVEL, transition=False),
        "reef_fader": template_light("Reef Fader", "input_number.fader_level", transition=True),
    }
    assert await async_setup_component(
        hass, "light", {"light": [{"platform": "template", "lights": lights}]}
    )
    await hass.async_block_till_done()


async def start(hass: HomeAssistant) -> ScheduleRunner:
    """Set up the local entry and return its runner."""
    entry = MockConfigEntry(domain=DOMAIN, data={"kind": "local"})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry.runtime_data.runner


async def run_now(hass: HomeAssistant, runner: ScheduleRunner, spec: dict[str, Any]) -> None:
    """Add a schedule and run it now."""
    await runner.async_add(spec)
    runner.async_run_now(spec["id"])
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize(
    ("action", "entity", "expected"),
    [
        ({"type": "on"}, PUMP, "on"),
        ({"type": "toggle"}, PUMP, "on"),
        ({"type": "on"}, BLUE, "on"),
        ({"type": "set_level", "level": 40}, BLUE, "on"),
        ({"type": "set_pwm", "level": 0}, BLUE, "off"),
    ],
)
async def test_one_shot_actions_on_real_entities(
    hass: HomeAssistant, action: dict[str, Any], entity: str, expected: str
) -> None:
    runner = await start(hass)
    if expected == "off":
        await hass.services.async_call("light", "turn_on", {"entity_id": entity}, blocking=True)
        await hass.async_block_till_done()  # the template light renders its new state
    spec = one_off("act", T0 + timedelta(days=1), action | {"target": {"entity_id": entity}})
    await run_now(hass, runner, spec)
    assert hass.states.get(entity).state == expected
    record = runner.ledger_page("act")[0][0]
    assert record.status is RunStatus.SUCCESS
    # The logbook can name the schedule: the change carries the run's context.
    context = hass.states.get(entity).context
    assert record.context_id in (context.id, context.parent_id)


async def test_set_level_scales_to_number_range_and_off_turns_off(hass: HomeAssistant) -> None:
    runner = await start(hass)
    action = {"type": "set_level", "level": 25, "target": {"entity_id": "input_number.dosing"}}
    await run_now(hass, runner, one_off("dose", T0 + timedelta(days=1), action))
    assert level_of(hass, "input_number.dosing") == 5.0
    await run_now(
        hass,
        runner,
        one_off(
            "blue", T0 + timedelta(days=1), action | {"level": 60, "target": {"entity_id": BLUE}}
        ),
    )
    assert level_of(hass, LEVEL) == 60.0
    await run_now(
        hass,
        runner,
        one_off("off", T0 + timedelta(days=1), {"type": "off", "target": {"entity_id": BLUE}}),
    )
    assert hass.states.get(BLUE).state == "off"


async def test_devices_and_areas_expand_at_run_time(hass: HomeAssistant) -> None:
    runner = await start(hass)
    action = {"type": "on", "target": {"entity_id": "group.nothing", "area_id": "tank"}}
    await runner.async_add(one_off("area", T0 + timedelta(days=1), action))
    runner.async_run_now("area")
    await hass.async_block_till_done(wait_background_tasks=True)
    record = runner.ledger_page("area")[0][0]
    assert record.status is RunStatus.FAILED

    from homeassistant.helpers import area_registry as ar, entity_registry as er

    area = ar.async_get(hass).async_create("Tank")
    er.async_get(hass).async_update_entity(PUMP, area_id=area.id)
    await runner.async_update(
        "area",
        one_off("area", T0 + timedelta(days=1), {"type": "on", "target": {"area_id": area.id}}),
    )
    runner.async_run_now("area")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert runner.ledger_page("area")[0][-1].status is RunStatus.SUCCESS
    assert hass.states.get(PUMP).state == "on"


async def test_linear_ramp_is_a_function_of_time(hass: HomeAssistant, clock: Clock) -> None:
    runner = await start(hass)
    calls: list[float] = []
    hass.bus.async_listen(
        "call_service",
        lambda event: calls.append(event.data["service_data"]["value"])
        if event.data["service"] == "set_value"
        else None,
    )
    due = T0 + timedelta(minutes=1)
    ramp = ramp_action(LEVEL, 0, 100, 100)
    await runner.async_add(one_off("sunrise", due, ramp))
    await clock.move_to(due)
    assert level_of(hass, LEVEL) == 0
    for second in range(1, 101):
        await clock.move_to(due + timedelta(seconds=second))
        # Level k is reached at k - 0.5 s (rounding half up), so at whole seconds it is k.
        assert level_of(hass, LEVEL) == second
    await clock.move_to(due + timedelta(seconds=200))
    assert not runner_levels(runner).active(LEVEL)
    # One call per whole percent: 0, 1, ..., 100.
    assert calls == [float(level) for level in range(101)]


def runner_levels(runner: ScheduleRunner) -> Any:
    """Return the executor's level controller."""
    executor = runner._executor
    assert isinstance(executor, ActionExecutor)
    return executor.levels


async def test_ramp_on_a_light_without_transition_steps_at_most_one_percent(
    hass: HomeAssistant, clock: Clock
) -> None:
    runner = await start(hass)
    due = T0 + timedelta(minutes=1)
    ramp = ramp_action(BLUE, 10, 50, 400)
    await runner.async_add(one_off("blue", due, ramp))
    await clock.move_to(due)
    seen = [level_of(hass, LEVEL)]
    for second in range(10, 401, 10):
        await clock.move_to(due + timedelta(seconds=second))
        seen.append(level_of(hass, LEVEL))
    assert seen[0] == 10
    assert seen[-1] == 50
    assert all(0 <= b - a <= 1 for a, b in pairwise(seen))


async def test_ramp_on_a_fading_light_uses_transitions(hass: HomeAssistant, clock: Clock) -> None:
    runner = await start(hass)
    light_calls = async_mock_service(hass, "light", "turn_on")
    due = T0 + timedelta(minutes=1)
    ramp = ramp_action(FADER, 0, 100, 1200)
    await runner.async_add(one_off("fade", due, ramp))
    await clock.move_to(due)
    for minute in (5, 10, 15, 20):
        await clock.move_to(due + timedelta(minutes=minute))
    fades = [(c.data["brightness_pct"], c.data["transition"]) for c in light_calls]
    assert fades == [(25, 300.0), (50, 300.0), (75, 300.0), (100, 300.0)]


async def test_ramp_without_start_level_resumes_from_the_current_level(
    hass: HomeAssistant, clock: Clock
) -> None:
    runner = await start(hass)
    await hass.services.async_call(
        "input_number", "set_value", {"entity_id": LEVEL, "value": 40}, blocking=True
    )
    ramp = {"type": "ramp", "level": 80, "duration": 400, "target": {"entity_id": LEVEL}}
    await run_now(hass, runner, one_off("up", T0 + timedelta(days=1), ramp))
    assert level_of(hass, LEVEL) == 40
    await clock.move_to(T0 + timedelta(seconds=200))
    assert level_of(hass, LEVEL) == 60


async def test_manual_change_stops_the_ramp_and_is_recorded(
    hass: HomeAssistant, clock: Clock
) -> None:
    runner = await start(hass)
    ramp = ramp_action(LEVEL, 0, 100, 100)
    await run_now(hass, runner, one_off("sunrise", T0 + timedelta(days=1), ramp))
    await clock.move_to(T0 + timedelta(seconds=30))
    assert level_of(hass, LEVEL) == 30
    await hass.services.async_call(
        "input_number",
        "set_value",
        {"entity_id": LEVEL, "value": 5},
        blocking=True,
        context=Context(),
    )
    await hass.async_block_till_done()
    await clock.move_to(T0 + timedelta(seconds=80))
    assert level_of(hass, LEVEL) == 5
    record = runner.ledger_page("sunrise")[0][0]
    assert "manual change" in (record.error or "")


async def test_newer_action_cancels_a_running_ramp(hass: HomeAssistant, clock: Clock) -> None:
    runner = await start(hass)
    ramp = ramp_action(LEVEL, 0, 100, 100)
    await run_now(hass, runner, one_off("sunrise", T0 + timedelta(days=1), ramp))
    await clock.move_to(T0 + timedelta(seconds=20))
    set_30 = {"type": "set_level", "level": 30, "target": {"entity_id": LEVEL}}
    await run_now(hass, runner, one_off("feed", T0 + timedelta(days=1), set_30))
    assert not runner_levels(runner).active(LEVEL)
    await clock.move_to(T0 + timedelta(seconds=90))
    assert level_of(hass, LEVEL) == 30


async def test_hold_switches_off_when_its_window_ends(hass: HomeAssistant, clock: Clock) -> None:
    runner = await start(hass)
    await run_now(
        hass,
        runner,
        one_off(
            "pulse",
            T0 + timedelta(days=1),
            {"type": "on", "duration": 600, "target": {"entity_id": PUMP}},
        ),
    )
    assert hass.states.get(PUMP).state == "on"
    await clock.move_to(T0 + timedelta(seconds=599))
    assert hass.states.get(PUMP).state == "on"
    await clock.move_to(T0 + timedelta(seconds=600))
    assert hass.states.get(PUMP).state == "off"


async def test_retries_until_the_target_comes_back(hass: HomeAssistant, clock: Clock) -> None:
    runner = await start(hass)
    executor = runner._executor
    assert isinstance(executor, ActionExecutor)
    executor._rng = lambda: 1.0  # the longest delay full jitter allows: 2 s, then 4 s
    calls = async_mock_service(hass, "switch", "turn_on")
    hass.states.async_set("switch.skimmer", "unavailable")
    action = {"type": "on", "target": {"entity_id": "switch.skimmer"}}
    await runner.async_add(one_off("skim", T0 + timedelta(days=1), action))
    runner.async_run_now("skim")
    await hass.async_block_till_done()
    await clock.move_to(T0 + timedelta(seconds=2), wait=False)  # second attempt fails
    assert calls == []
    hass.states.async_set("switch.skimmer", "off")
    await clock.move_to(T0 + timedelta(seconds=6))  # third attempt
    assert len(calls) == 1
    record = runner.ledger_page("skim")[0][0]
    assert (record.status, record.attempts) == (RunStatus.SUCCESS, 3)


async def test_always_unavailable_fails_with_a_repair_issue_cleared_by_success(
    hass: HomeAssistant, clock: Clock
) -> None:
    runner = await start(hass)
    executor = runner._executor
    assert isinstance(executor, ActionExecutor)
    executor._rng = lambda: 0.0
    hass.states.async_set("switch.skimmer", "unavailable")
    async_mock_service(hass, "switch", "turn_on")
    await runner.async_add(
        one_off(
            "skim",
            T0 + timedelta(days=1),
            {"type": "on", "target": {"entity_id": "switch.skimmer"}},
        )
    )
    runner.async_run_now("skim")
    await hass.async_block_till_done()
    await clock.move_to(T0 + timedelta(seconds=1))
    record = runner.ledger_page("skim")[0][0]
    assert (record.status, record.attempts) == (RunStatus.FAILED, 4)
    assert "switch.skimmer is unavailable" in (record.error or "")
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "run_failed_skim")
    assert issue is not None
    assert issue.translation_placeholders == {"schedule": "Skim", "targets": "switch.skimmer"}

    hass.states.async_set("switch.skimmer", "off")
    runner.async_run_now("skim")
    await clock.move_to(T0 + timedelta(seconds=2))
    assert ir.async_get(hass).async_get_issue(DOMAIN, "run_failed_skim") is None
    runner.async_run_now("skim")
    hass.states.async_set("switch.skimmer", "unavailable")
    await clock.move_to(T0 + timedelta(seconds=3))
    await runner.async_remove("skim")
    assert ir.async_get(hass).async_get_issue(DOMAIN, "run_failed_skim") is None


async def test_call_timeout_counts_as_a_failure(hass: HomeAssistant) -> None:
    runner = await start(hass)

    async def hang(call: ServiceCall) -> None:
        raise TimeoutError

    hass.services.async_register("switch", "turn_on", hang)
    hass.states.async_set("switch.skimmer", "off")
    spec = one_off(
        "skim", T0 + timedelta(days=1), {"type": "on", "target": {"entity_id": "switch.skimmer"}}
    )
    spec["retry"] = {"retries": 0}
    await run_now(hass, runner, spec)
    assert runner.ledger_page("skim")[0][0].status is RunStatus.FAILED


async def test_custom_sequence_runs_with_the_run_context(hass: HomeAssistant) -> None:
    runner = await start(hass)
    action = {
        "type": "custom",
        "sequence": [{"action": "input_boolean.turn_on", "target": {"entity_id": PUMP}}],
    }
    await run_now(hass, runner, one_off("custom", T0 + timedelta(days=1), action))
    record = runner.ledger_page("custom")[0][0]
    assert record.status is RunStatus.SUCCESS
    assert (
        hass.states.get(PUMP).context.parent_id == record.context_id
        or hass.states.get(PUMP).context.id == record.context_id
    )


async def test_invalid_custom_sequence_is_refused(hass: HomeAssistant) -> None:
    from custom_components.reef_scheduler.engine.validate import ScheduleInvalid

    runner = await start(hass)
    action = {"type": "custom", "sequence": [{"not_an_action": 1}]}
    with pytest.raises(ScheduleInvalid) as err:
        await runner.async_add(one_off("bad", T0 + timedelta(days=1), action))
    assert err.value.errors[0].field == "action.sequence"
    assert "bad" not in runner.schedules


async def test_failed_step_is_logged_and_the_ramp_goes_on(
    hass: HomeAssistant, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    runner = await start(hass)
    ramp = ramp_action(LEVEL, 0, 100, 100)
    await run_now(hass, runner, one_off("sunrise", T0 + timedelta(days=1), ramp))
    hass.states.async_set(LEVEL, "unavailable", {"min": 0, "max": 100})
    await clock.move_to(T0 + timedelta(seconds=10))
    assert "Could not set input_number.blue_level to 10 %" in caplog.text
    assert runner_levels(runner).active(LEVEL)
    runner_levels(runner).cancel_all()
    assert not runner_levels(runner).active(LEVEL)


async def test_a_newer_run_supersedes_one_waiting_to_retry(
    hass: HomeAssistant, clock: Clock
) -> None:
    runner = await start(hass)
    executor = runner._executor
    assert isinstance(executor, ActionExecutor)
    executor._rng = lambda: 1.0
    calls = async_mock_service(hass, "switch", "turn_on")
    hass.states.async_set("switch.skimmer", "unavailable")
    on = {"type": "on", "target": {"entity_id": "switch.skimmer"}}
    await runner.async_add(one_off("first", T0 + timedelta(days=1), on))
    await runner.async_add(one_off("second", T0 + timedelta(days=1), on))
    runner.async_run_now("first")
    await hass.async_block_till_done()
    hass.states.async_set("switch.skimmer", "off")
    runner.async_run_now("second")
    await clock.move_to(T0 + timedelta(seconds=3))
    assert len(calls) == 1
    first = runner.ledger_page("first")[0][0]
    assert (first.status, first.attempts) == (RunStatus.SUCCESS, 1)


async def test_a_toggle_leaves_a_running_ramp_going(hass: HomeAssistant, clock: Clock) -> None:
    runner = await start(hass)
    ramp = ramp_action(BLUE, 0, 100, 100)
    await run_now(hass, runner, one_off("sunrise", T0 + timedelta(days=1), ramp))
    await clock.move_to(T0 + timedelta(seconds=30))
    assert level_of(hass, LEVEL) == 30
    toggle = {"type": "toggle", "target": {"entity_id": BLUE}}
    await run_now(hass, runner, one_off("flash", T0 + timedelta(days=1), toggle))
    assert hass.states.get(BLUE).state == "off"
    # A toggle is an event, not a state: the ramp goes on (and is not "stopped by hand").
    assert runner_levels(runner).active(BLUE)
    await clock.move_to(T0 + timedelta(seconds=40))
    assert level_of(hass, LEVEL) == 40
    assert runner.ledger_page("sunrise")[0][0].error is None


async def test_a_ramp_without_start_level_due_as_a_hold_ends_starts_from_off(
    hass: HomeAssistant, clock: Clock
) -> None:
    runner = await start(hass)
    hold_due = T0 + timedelta(minutes=1)
    ramp_due = hold_due + timedelta(seconds=100)
    hold = {"type": "set_level", "level": 60, "duration": 100, "target": {"entity_id": LEVEL}}
    ramp = {"type": "ramp", "level": 100, "duration": 100, "target": {"entity_id": LEVEL}}
    await runner.async_add(one_off("hold", hold_due, hold))
    await runner.async_add(one_off("ramp", ramp_due, ramp))
    await clock.move_to(hold_due)
    assert level_of(hass, LEVEL) == 60
    # The hold switches off as the ramp starts: the ramp starts from 0, not from 60.
    await clock.move_to(ramp_due)
    assert level_of(hass, LEVEL) == 0
    await clock.move_to(ramp_due + timedelta(seconds=50))
    assert level_of(hass, LEVEL) == 50


@pytest.mark.parametrize(("ramp_id", "set_id"), [("a", "b"), ("b", "a")])
async def test_runs_due_at_one_instant_leave_the_greatest_schedule_id_winning(
    hass: HomeAssistant, clock: Clock, ramp_id: str, set_id: str
) -> None:
    runner = await start(hass)
    due = T0 + timedelta(minutes=1)
    await runner.async_add(one_off(ramp_id, due, ramp_action(LEVEL, 0, 100, 100)))
    set_30 = {"type": "set_level", "level": 30, "target": {"entity_id": LEVEL}}
    await runner.async_add(one_off(set_id, due, set_30))
    await clock.move_to(due)
    await clock.move_to(due + timedelta(seconds=50))
    # Latest action wins, ties by schedule id: "b" is the later run at the same instant.
    assert level_of(hass, LEVEL) == (50 if ramp_id == "b" else 30)
    assert runner_levels(runner).active(LEVEL) is (ramp_id == "b")
