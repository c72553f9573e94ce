"""Restarts as they really happen: every target ends in the state the schedules prescribe.

A restart is either a kill (``kill``: only the disk at that instant survives) or a graceful
stop (the entry is unloaded, then set up again). Each test computes the expected device state
by hand from the schedule's definition and the clock, and checks the ledger: every run is
recorded once, none twice, none falsely ``interrupted``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, HomeAssistant, ServiceCall
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.diagnostics import async_get_config_entry_diagnostics
from custom_components.reef_scheduler.engine.ledger import RunRecord, RunStatus, Trigger
from custom_components.reef_scheduler.runner.runner import CHANGED, ScheduleRunner

from .clock import Clock
from .surface import (
    HEATER,
    LEVEL,
    PUMP,
    T0,
    kill,
    level_of,
    one_off,
    ramp_action,
    reef_tank,
    seed,
    start_runner,
)

SKIMMER = "switch.skimmer"
type Restart = Callable[[HomeAssistant, MockConfigEntry, dict[str, Any]], Awaitable[None]]


@pytest.fixture(autouse=True)
async def tank(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Freeze time at T0 (10:00 in Berlin) with the reef tank's devices."""
    freezer.move_to(T0)
    await reef_tank(hass)


async def unload(hass: HomeAssistant, entry: MockConfigEntry, _storage: dict[str, Any]) -> None:
    """Stop gracefully: the entry unloads and writes what is pending."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


RESTARTS = [pytest.param(kill, id="kill"), pytest.param(unload, id="graceful")]


async def on_disk(clock: Clock) -> None:
    """Let the coalesced writes (run state, ledger: within 10 s) reach the disk."""
    await clock.advance(11)
    await clock.advance(1)  # the store's own write, scheduled by the first


def runs(runner: ScheduleRunner, sid: str) -> list[tuple[datetime | None, Trigger, RunStatus]]:
    """Return (due, trigger, status) of every recorded run of a schedule."""
    return [(r.due, r.trigger, r.status) for r in runner.ledger_page(sid)[0]]


def records(runner: ScheduleRunner, sid: str) -> list[RunRecord]:
    """Return every recorded run of a schedule."""
    return runner.ledger_page(sid)[0]


def skimmer(hass: HomeAssistant, state: str | None) -> None:
    """Give the skimmer switch a state (None: it does not exist yet)."""
    if state is None:
        hass.states.async_remove(SKIMMER)
    else:
        hass.states.async_set(SKIMMER, state)


def skimmer_services(hass: HomeAssistant) -> None:
    """Let switch.turn_on/turn_off drive the skimmer (a device without an integration here)."""

    async def handle(call: ServiceCall) -> None:
        state = "on" if call.service == "turn_on" else "off"
        hass.states.async_set(SKIMMER, state, context=call.context)

    for service in ("turn_on", "turn_off"):
        hass.services.async_register("switch", service, handle)


# ----- ramps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start_level", "prior", "manual", "expected"),
    [
        # 0 -> 100 % over 10 min: 50 % at 5 min, 75 % at 7.5 min.
        pytest.param(0, None, None, (50, 75), id="with-start-level"),
        # Without start level after a set_level 20 %: 20 -> 100 %, 60 % at 5 min, 80 % at 7.5.
        pytest.param(None, 20, None, (60, 80), id="from-the-prescribed-level"),
        # Nothing prescribed before: the ramp starts from the light (20 %) and, resumed at
        # 5 min from the 44 % it had reached at the kill, ends on time: 72 % at 7.5 min.
        pytest.param(None, None, 20, (44, 72), id="from-the-light"),
    ],
)
async def test_kill_mid_ramp_resumes_at_the_level_of_now(
    hass: HomeAssistant,
    clock: Clock,
    hass_storage: dict[str, Any],
    start_level: float | None,
    prior: float | None,
    manual: float | None,
    expected: tuple[float, float],
) -> None:
    entry, runner = await start_runner(hass)
    if prior is not None:
        before = {"type": "set_level", "level": prior, "target": {"entity_id": LEVEL}}
        await runner.async_add(one_off("before", T0 - timedelta(hours=1), before))
    if manual is not None:
        await hass.services.async_call(
            "input_number", "set_value", {"entity_id": LEVEL, "value": manual}, blocking=True
        )
    due = T0 + timedelta(minutes=1)
    ramp = {"type": "ramp", "level": 100, "duration": 600, "target": {"entity_id": LEVEL}}
    if start_level is not None:
        ramp["start_level"] = start_level
    await runner.async_add(one_off("sunrise", due, ramp))
    for second in range(0, 181, 30):
        await clock.move_to(due + timedelta(seconds=second))
    start = start_level if start_level is not None else (prior or manual or 0)
    assert level_of(hass) == start + (100 - start) * 0.3

    await kill(hass, entry, hass_storage)
    await clock.move_to(due + timedelta(minutes=5))
    _, runner = await start_runner(hass, entry)
    assert level_of(hass) == expected[0]
    await clock.move_to(due + timedelta(minutes=7, seconds=30))
    assert level_of(hass) == expected[1]
    await clock.move_to(due + timedelta(minutes=10))
    assert level_of(hass) == 100
    assert runs(runner, "sunrise") == [(due, Trigger.TIMER, RunStatus.SUCCESS)]


async def test_graceful_restart_mid_ramp_does_not_freeze_it(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    entry, runner = await start_runner(hass)
    due = T0 + timedelta(minutes=1)
    ramp = ramp_action(LEVEL, 0, 100, 120)
    await runner.async_add(one_off("sunrise", due, ramp))
    for second in range(0, 41, 10):
        await clock.move_to(due + timedelta(seconds=second))
    assert level_of(hass) == 33  # 40 s of 120 s

    await unload(hass, entry, hass_storage)
    await clock.move_to(due + timedelta(seconds=60))
    assert level_of(hass) == 33  # nothing runs while stopped
    _, runner = await start_runner(hass, entry)
    assert level_of(hass) == 50
    await clock.move_to(due + timedelta(seconds=90))
    assert level_of(hass) == 75
    await clock.move_to(due + timedelta(seconds=120))
    assert level_of(hass) == 100
    assert runs(runner, "sunrise") == [(due, Trigger.TIMER, RunStatus.SUCCESS)]


# ----- holds ------------------------------------------------------------------------------


@pytest.mark.parametrize("restart", RESTARTS)
@pytest.mark.parametrize("back_after", [60, 150])
async def test_restart_mid_hold_keeps_it_and_its_end(
    hass: HomeAssistant,
    clock: Clock,
    hass_storage: dict[str, Any],
    restart: Restart,
    back_after: int,
) -> None:
    entry, runner = await start_runner(hass)
    due = T0 + timedelta(minutes=1)
    hold = {"type": "on", "duration": 100, "target": {"entity_id": PUMP}}
    await runner.async_add(one_off("pulse", due, hold))
    for second in (0, 20, 40):
        await clock.move_to(due + timedelta(seconds=second))
    assert hass.states.get(PUMP).state == "on"

    await restart(hass, entry, hass_storage)
    await clock.move_to(due + timedelta(seconds=back_after))
    _, runner = await start_runner(hass, entry)
    # On for [due, due + 100 s), off from then on.
    if back_after < 100:
        assert hass.states.get(PUMP).state == "on"
        await clock.move_to(due + timedelta(seconds=99))
        assert hass.states.get(PUMP).state == "on"
        await clock.move_to(due + timedelta(seconds=100))
    assert hass.states.get(PUMP).state == "off"
    assert runs(runner, "pulse") == [(due, Trigger.TIMER, RunStatus.SUCCESS)]


@pytest.mark.parametrize("restart", RESTARTS)
@pytest.mark.parametrize(
    ("preset", "params", "hold"),
    [
        pytest.param("photoperiod", {"on": "10:01", "off": "10:03"}, 120, id="photoperiod"),
        pytest.param("hourly_pulse", {"minute": 1, "minutes": 5}, 300, id="pulse"),
    ],
)
async def test_restart_mid_preset_window(
    hass: HomeAssistant,
    clock: Clock,
    hass_storage: dict[str, Any],
    restart: Restart,
    preset: str,
    params: dict[str, Any],
    hold: int,
) -> None:
    entry, runner = await start_runner(hass)
    await runner.async_add(
        {
            "id": "light",
            "name": "Light",
            "type": "preset",
            "preset": preset,
            "params": params,
            "action": {"type": "on", "target": {"entity_id": PUMP}},
        }
    )
    assert hass.states.get(PUMP).state == "off"  # created before its window
    opens = T0 + timedelta(minutes=1)  # 10:01 in Berlin
    for second in (0, 20, 40):
        await clock.move_to(opens + timedelta(seconds=second))
    assert hass.states.get(PUMP).state == "on"

    await restart(hass, entry, hass_storage)
    await clock.move_to(opens + timedelta(seconds=60))
    _, runner = await start_runner(hass, entry)
    assert hass.states.get(PUMP).state == "on"
    await clock.move_to(opens + timedelta(seconds=hold - 1))
    assert hass.states.get(PUMP).state == "on"
    await clock.move_to(opens + timedelta(seconds=hold))
    assert hass.states.get(PUMP).state == "off"
    assert runs(runner, "light") == [(opens, Trigger.TIMER, RunStatus.SUCCESS)]


# ----- missed runs, late targets, Home Assistant starting -----------------------------------


SKIM_DUE = T0 + timedelta(minutes=2)  # 10:02 in Berlin


async def _skim_missed_while_stopped(
    hass: HomeAssistant, clock: Clock, storage: dict[str, Any]
) -> MockConfigEntry:
    """Create "skim" (daily 10:02, skimmer on) and kill Home Assistant before it runs."""
    skimmer(hass, "off")
    entry, runner = await start_runner(hass)
    skimmer_services(hass)  # after the switch integration, which the entry's platforms load
    action = {"type": "on", "target": {"entity_id": SKIMMER}}
    await runner.async_add(
        {"id": "skim", "name": "Skim", "type": "recurring", "frequency": "daily"}
        | {"times": ["10:02"], "action": action, "retry": {"retries": 2}}
    )
    # Created inside its window: yesterday's 10:02 run switched the skimmer on at once.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(SKIMMER).state == "on"
    skimmer(hass, "off")
    await on_disk(clock)
    await kill(hass, entry, storage)
    return entry


async def test_a_target_that_appears_late_is_waited_for(
    hass: HomeAssistant,
    clock: Clock,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    entry = await _skim_missed_while_stopped(hass, clock, hass_storage)
    # Home Assistant comes back at 10:05; the skimmer's integration has not loaded yet.
    skimmer(hass, None)
    back = T0 + timedelta(minutes=5)
    freezer.move_to(back)
    _, runner = await start_runner(hass, entry)
    assert runs(runner, "skim") == [(SKIM_DUE, Trigger.CATCH_UP, RunStatus.PENDING)]
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["waiting_for_home_assistant"] is False
    assert diagnostics["awaited_targets"] == {SKIMMER: back.isoformat()}

    # Killed again while waiting: the pending run is taken up again, never doubled.
    await on_disk(clock)
    await kill(hass, entry, hass_storage)
    again = back + timedelta(minutes=1)
    freezer.move_to(again)
    _, runner = await start_runner(hass, entry)
    assert runs(runner, "skim") == [(SKIM_DUE, Trigger.CATCH_UP, RunStatus.PENDING)]

    await clock.move_to(again + timedelta(minutes=2))
    skimmer(hass, "off")  # the skimmer's integration has loaded
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(SKIMMER).state == "on"
    assert runs(runner, "skim") == [(SKIM_DUE, Trigger.CATCH_UP, RunStatus.SUCCESS)]
    record = records(runner, "skim")[0]
    assert record.context_id == hass.states.get(SKIMMER).context.id
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["awaited_targets"] == {}
    assert runner.states["skim"].next_due == SKIM_DUE + timedelta(days=1)

    # Any later return of the target is reconciled too (it came back switched off).
    skimmer(hass, "unavailable")
    skimmer(hass, "off")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(SKIMMER).state == "on"
    assert len(records(runner, "skim")) == 1


async def test_a_target_that_never_comes_fails_after_the_wait(
    hass: HomeAssistant,
    clock: Clock,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    entry = await _skim_missed_while_stopped(hass, clock, hass_storage)
    hass.config_entries.async_update_entry(entry, options={"target_wait_minutes": 3})
    skimmer(hass, None)
    back = T0 + timedelta(minutes=5)
    freezer.move_to(back)
    _, runner = await start_runner(hass, entry)
    await clock.move_to(back + timedelta(minutes=2, seconds=59))
    assert runs(runner, "skim") == [(SKIM_DUE, Trigger.CATCH_UP, RunStatus.PENDING)]
    # The wait is over: the run is tried (with its retries) and fails.
    for second in range(0, 121, 10):  # retries sleep: wait for what is not sleeping
        await clock.move_to(back + timedelta(minutes=3, seconds=second), wait=False)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert runs(runner, "skim") == [(SKIM_DUE, Trigger.CATCH_UP, RunStatus.FAILED)]
    record = records(runner, "skim")[0]
    assert record.attempts == 3
    assert f"{SKIMMER} is unavailable" in (record.error or "")
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "run_failed_skim")
    assert issue is not None
    assert issue.translation_placeholders == {"schedule": "Skim", "targets": SKIMMER}
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["awaited_targets"] == {}


async def test_start_up_work_waits_for_home_assistant_to_start(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    missed = T0 - timedelta(minutes=5)
    seed(
        hass_storage,
        [
            one_off("pump", missed, {"type": "on", "target": {"entity_id": PUMP}}),
            one_off("heat", missed, {"type": "toggle", "target": {"entity_id": HEATER}}),
            one_off(
                "lamp", missed, {"type": "set_level", "level": 40, "target": {"entity_id": LEVEL}}
            ),
        ],
        state={sid: {"next_due": missed.isoformat()} for sid in ("pump", "heat", "lamp")},
    )
    hass.set_state(CoreState.not_running)
    entry, runner = await start_runner(hass)
    # Set up, but Home Assistant is still starting: nothing is called, the runs wait.
    assert hass.states.get(PUMP).state == "off"
    assert hass.states.get(HEATER).state == "off"
    assert runs(runner, "pump") == [(missed, Trigger.CATCH_UP, RunStatus.PENDING)]
    assert runs(runner, "heat") == [(missed, Trigger.CATCH_UP, RunStatus.PENDING)]
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["waiting_for_home_assistant"] is True
    # Disabled before Home Assistant has started: its missed run never starts.
    await runner.async_set_enabled("lamp", False)

    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(PUMP).state == "on"
    assert hass.states.get(HEATER).state == "on"
    assert runs(runner, "pump") == [(missed, Trigger.CATCH_UP, RunStatus.SUCCESS)]
    assert runs(runner, "heat") == [(missed, Trigger.CATCH_UP, RunStatus.SUCCESS)]
    assert runs(runner, "lamp") == [(missed, Trigger.CATCH_UP, RunStatus.SKIPPED)]
    assert records(runner, "lamp")[0].error == CHANGED
    assert level_of(hass) == 0


# ----- creating and editing -----------------------------------------------------------------


async def test_a_schedule_created_inside_its_window_applies_its_state_at_once(
    hass: HomeAssistant, clock: Clock, freezer: FrozenDateTimeFactory
) -> None:
    created = datetime.fromisoformat("2026-03-02T15:29:00+01:00")
    freezer.move_to(created)
    await start_runner(hass)
    photoperiod = {
        "name": "Daylight",
        "type": "preset",
        "preset": "photoperiod",
        "params": {"on": "10:00", "off": "19:00"},
        "action": {"type": "on", "target": {"entity_id": PUMP}},
    }
    result = await hass.services.async_call(
        DOMAIN, "create_schedule", {"schedule": photoperiod}, blocking=True, return_response=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    # 15:29 is inside 10:00-19:00: on now, not tomorrow.
    assert hass.states.get(PUMP).state == "on"
    await clock.move_to(datetime.fromisoformat("2026-03-02T18:59:59+01:00"))
    assert hass.states.get(PUMP).state == "on"
    await clock.move_to(datetime.fromisoformat("2026-03-02T19:00:00+01:00"))
    assert hass.states.get(PUMP).state == "off"
    history = await hass.services.async_call(
        DOMAIN,
        "get_history",
        {"schedule_id": result["schedule_id"]},
        blocking=True,
        return_response=True,
    )
    assert history["records"] == []  # applying a state on creation is no run
    await clock.move_to(datetime.fromisoformat("2026-03-03T10:00:00+01:00"))
    assert hass.states.get(PUMP).state == "on"


async def test_an_edit_keeps_a_pending_skip_and_a_restart_does_not_undo_it(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    entry, runner = await start_runner(hass)
    pulse = {
        "id": "pulse",
        "name": "Pulse",
        "type": "recurring",
        "frequency": "daily",
        "times": ["11:00"],
        "action": {"type": "on", "duration": 1800, "target": {"entity_id": PUMP}},
    }
    await runner.async_add(pulse)
    today = T0 + timedelta(hours=1)  # 11:00 in Berlin
    await hass.services.async_call(DOMAIN, "skip_next", {"schedule_id": "pulse"}, blocking=True)
    await hass.services.async_call(
        DOMAIN,
        "update_schedule",
        {"schedule_id": "pulse", "schedule": {"name": "Morning pulse"}},
        blocking=True,
    )
    # The skipped 11:00 is still in the timeline: the edit keeps the skip.
    assert runner.states["pulse"].next_due == today + timedelta(days=1)
    await clock.move_to(today)
    assert hass.states.get(PUMP).state == "off"

    await on_disk(clock)
    await kill(hass, entry, hass_storage)
    await clock.move_to(today + timedelta(minutes=10))
    _, runner = await start_runner(hass, entry)
    # Inside the skipped pulse's window: the skipped run prescribes nothing after a restart.
    assert hass.states.get(PUMP).state == "off"
    assert runs(runner, "pulse") == [(today, Trigger.SERVICE, RunStatus.SKIPPED)]
    await clock.move_to(today + timedelta(days=1))
    assert hass.states.get(PUMP).state == "on"
    assert [status for _, _, status in runs(runner, "pulse")] == [
        RunStatus.SKIPPED,
        RunStatus.SUCCESS,
    ]


async def test_a_pause_hides_its_runs_from_a_restart_until_it_ends(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    entry, runner = await start_runner(hass)
    daily = {"type": "recurring", "frequency": "daily"}
    await runner.async_add(
        {"id": "day", "name": "Day", "times": ["10:00"]}
        | daily
        | {"action": {"type": "on", "target": {"entity_id": [PUMP, HEATER]}}}
    )
    await runner.async_add(
        {"id": "night", "name": "Night", "times": ["10:30"]}
        | daily
        | {"action": {"type": "off", "target": {"entity_id": [PUMP, HEATER]}}}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(PUMP).state == "on"  # 10:00 today is later than 10:30 yesterday
    until = T0 + timedelta(hours=1)
    runner.async_pause("night", until)
    await clock.move_to(T0 + timedelta(minutes=40))
    assert hass.states.get(PUMP).state == "on"  # 10:30 is paused

    await on_disk(clock)
    await kill(hass, entry, hass_storage)
    await hass.services.async_call("input_boolean", "turn_off", {"entity_id": PUMP})
    await clock.move_to(T0 + timedelta(minutes=45))
    _, runner = await start_runner(hass, entry)
    # Still paused: its 10:30 run does not count, "day" prescribes on.
    assert hass.states.get(PUMP).state == "on"
    assert runs(runner, "night") == []

    await clock.move_to(until)
    # The pause's end applies the state its latest paused run prescribes, on both targets.
    assert hass.states.get(PUMP).state == "off"
    assert hass.states.get(HEATER).state == "off"
    assert runs(runner, "night") == [
        (T0 + timedelta(minutes=30), Trigger.CATCH_UP, RunStatus.SUCCESS)
    ]
    record = records(runner, "night")[0]
    assert hass.states.get(PUMP).context.id == record.context_id
    assert hass.states.get(HEATER).context.id == record.context_id


async def test_a_reconcile_that_fails_raises_the_schedules_repair_issue(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    skimmer(hass, "off")
    entry, runner = await start_runner(hass)
    skimmer_services(hass)
    hass.config_entries.async_update_entry(entry, options={"target_wait_minutes": 0})
    due = T0 + timedelta(minutes=1)
    hold = {"type": "on", "duration": 600, "target": {"entity_id": SKIMMER}}
    await runner.async_add(one_off("skim", due, hold, retry={"retries": 0}))
    await clock.move_to(due)
    assert hass.states.get(SKIMMER).state == "on"

    await unload(hass, entry, hass_storage)
    skimmer(hass, "unavailable")
    await clock.move_to(due + timedelta(minutes=1))
    _, runner = await start_runner(hass, entry)
    # Not waited for (option 0): tried at once, failed, and the repair names it.
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "run_failed_skim")
    assert issue is not None
    assert issue.translation_placeholders == {"schedule": "Skim", "targets": SKIMMER}
    assert runs(runner, "skim") == [(due, Trigger.TIMER, RunStatus.SUCCESS)]
    # It comes back inside the hold: switched on, and off when the hold ends.
    skimmer(hass, "off")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(SKIMMER).state == "on"
    await clock.move_to(due + timedelta(minutes=10))
    assert hass.states.get(SKIMMER).state == "off"
