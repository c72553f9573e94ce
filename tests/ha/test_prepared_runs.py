"""Event-like runs journaled ahead of their due instant: one pass at the instant, kills around it.

`PREPARE_LEAD` before a due instant the runner writes the start lines of the toggle and custom
runs due then; at the instant they make their first calls without waiting for the disk. Every
restart here goes through `kill()`: the disk exactly as at the instant of the kill.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
import gc
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CoreState, HomeAssistant, ServiceCall, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.script import Script
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.engine.ledger import RunStatus, Trigger
from custom_components.reef_scheduler.runner import actions, journal as journal_module
from custom_components.reef_scheduler.runner.runner import PREPARE_LEAD, ScheduleRunner

from .clock import Clock
from .surface import (
    HEATER,
    PUMP,
    T0,
    journal_lines,
    kill,
    reef_devices,
    run_records,
    setup_local,
    spec,
    start_runner,
)

DUE = T0 + timedelta(minutes=5)
# The clock guard's period: it notices a clock step and re-arms from the wall clock.
GUARD = 5
TOGGLE = {"type": "toggle", "target": {"entity_id": [PUMP]}}
AT_ITS_START = "Home Assistant stopped during the run at its start; it is not repeated"


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)


def daily(sid: str, action: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Return a daily 10:05 (Berlin) schedule: due at DUE, caught up within 15 minutes."""
    return spec(name=sid.title(), id=sid, times=["10:05"], action=action) | fields


def custom(*entity_ids: str) -> dict[str, Any]:
    """Return a custom action toggling each entity in turn."""
    steps = [{"action": "input_boolean.toggle", "target": {"entity_id": e}} for e in entity_ids]
    return {"type": "custom", "sequence": steps}


def scripted(*entity_ids: str) -> dict[str, Any]:
    """Return a custom action as custom() whose steps need a script (they go on on errors)."""
    action = custom(*entity_ids)
    for step in action["sequence"]:
        step["continue_on_error"] = True
    return action


def prepares(hass: HomeAssistant) -> list[tuple[str, str]]:
    """Return (event, schedule) of the prepare and cancel lines on disk."""
    lines = journal_lines(hass)
    return [(line["e"], line["sid"]) for line in lines if line["e"] in ("prepare", "cancel")]


async def settled(
    hass: HomeAssistant, clock: Clock, *schedules: dict[str, Any]
) -> tuple[MockConfigEntry, ScheduleRunner]:
    """Set up the local entry with schedules; let their state write (and compaction) finish."""
    entry, backend = await setup_local(hass)
    for schedule in schedules:
        await backend.async_create(schedule)
    await clock.move_to(DUE - timedelta(minutes=1))
    return entry, backend.runner


async def prepared(
    hass: HomeAssistant, clock: Clock, *schedules: dict[str, Any]
) -> tuple[MockConfigEntry, ScheduleRunner]:
    """As settled, then move to the prepare of DUE (its lines on disk)."""
    entry, runner = await settled(hass, clock, *schedules)
    await clock.move_to(DUE - PREPARE_LEAD)
    return entry, runner


async def assert_caught_up_after_a_kill(
    hass: HomeAssistant, clock: Clock, entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """Kill before DUE, start a minute after it: flip's run is caught up, not interrupted."""
    await kill(hass, entry, hass_storage)
    await clock.move_to(DUE + timedelta(minutes=1))
    _, runner = await start_runner(hass, entry)
    assert [(r.status, r.trigger) for r in runner.ledger_page("flip")[0]] == [
        (RunStatus.SUCCESS, Trigger.CATCH_UP)
    ]


@pytest.mark.parametrize(
    ("action", "issue"),
    [(TOGGLE, None), (custom(PUMP), {"schedule": "Flip", "step": "?"})],
    ids=["toggle", "custom"],
)
async def test_a_kill_between_the_prepare_and_the_instant_is_an_interrupted_run(
    hass: HomeAssistant,
    clock: Clock,
    hass_storage: dict[str, Any],
    action: dict[str, Any],
    issue: dict[str, str] | None,
) -> None:
    entry, _ = await prepared(hass, clock, daily("flip", action))
    assert prepares(hass) == [("prepare", "flip")]
    # Not a run yet: nothing shows in progress before its instant.
    assert await run_records(hass, "flip") == []

    await kill(hass, entry, hass_storage)
    await clock.move_to(DUE + timedelta(minutes=1))
    _, runner = await start_runner(hass, entry)

    [record] = await run_records(hass, "flip")
    assert (record["status"], record["due"], record["trigger"], record["error"]) == (
        "interrupted",
        DUE.isoformat(),
        "timer",
        AT_ITS_START,
    )
    assert record["context_id"] is not None
    found = ir.async_get(hass).async_get_issue(DOMAIN, "custom_run_interrupted_flip")
    assert (None if found is None else found.translation_placeholders) == issue
    # Never repeated, although inside the catch-up window.
    await clock.advance(60)
    assert hass.states.get(PUMP).state == "off"
    assert runner.states["flip"].next_due == DUE + timedelta(days=1)

    # Killed again before anything was written: the same journal gives the same record.
    await kill(hass, entry, hass_storage)
    _, runner = await start_runner(hass, entry)
    assert [(r.slot, r.status) for r in runner.ledger_page("flip")[0]] == [
        (0, RunStatus.INTERRUPTED)
    ]
    # Once that record is written the journal drops the line; nothing is recorded twice.
    await clock.advance(11)
    assert journal_lines(hass) == []
    await kill(hass, entry, hass_storage)
    _, runner = await start_runner(hass, entry)
    assert len(runner.ledger_page("flip")[0]) == 1
    assert runner.async_run_now("flip").slot == 1
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_a_kill_before_the_prepare_leaves_the_run_to_its_catch_up(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    entry, _ = await settled(hass, clock, daily("flip", TOGGLE))
    await clock.move_to(DUE - PREPARE_LEAD - timedelta(seconds=1))
    assert prepares(hass) == []

    await kill(hass, entry, hass_storage)
    await clock.move_to(DUE + timedelta(minutes=1))
    await start_runner(hass, entry)

    assert [(r["status"], r["trigger"]) for r in await run_records(hass, "flip")] == [
        ("success", "catch_up")
    ]
    assert hass.states.get(PUMP).state == "on"


@pytest.mark.parametrize(
    "withdraw",
    [
        pytest.param(
            lambda r: r.async_update("flip", daily("flip", TOGGLE, times=["11:00"])), id="edit"
        ),
        pytest.param(lambda r: r.async_set_enabled("flip", False), id="disable"),
        pytest.param(
            lambda r: r.hass.services.async_call(
                DOMAIN, "delete_schedule", {"schedule_id": "flip"}, blocking=True
            ),
            id="remove",
        ),
    ],
)
async def test_a_run_withdrawn_before_its_instant_is_not_interrupted_by_a_kill(
    hass: HomeAssistant,
    clock: Clock,
    hass_storage: dict[str, Any],
    withdraw: Callable[[ScheduleRunner], Any],
) -> None:
    entry, runner = await prepared(hass, clock, daily("flip", TOGGLE))
    await withdraw(runner)
    await hass.async_block_till_done()
    assert prepares(hass) == [("prepare", "flip"), ("cancel", "flip")]

    await kill(hass, entry, hass_storage)
    await clock.move_to(DUE + timedelta(minutes=1))
    _, runner = await start_runner(hass, entry)

    assert runner.ledger_page("flip")[0] == []
    assert hass.states.get(PUMP).state == "off"


async def test_pauses_skips_unloads_and_clock_steps_withdraw_prepared_runs(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    entry, runner = await prepared(
        hass, clock, *(daily(sid, TOGGLE) for sid in ("paused", "skipped", "stepped"))
    )
    runner.async_pause("paused", DUE + timedelta(hours=1))
    assert runner.async_skip_next("skipped") == DUE
    # The wall clock goes back an hour (the timer was armed for the old time), then forward.
    clock.step(timedelta(hours=-1))
    await clock.advance(GUARD)
    clock.step(timedelta(hours=1))
    await hass.async_block_till_done()
    assert sorted(prepares(hass)) == sorted(
        [("prepare", sid) for sid in ("paused", "skipped", "stepped")]
        + [("cancel", sid) for sid in ("paused", "skipped", "stepped")]
    )

    await kill(hass, entry, hass_storage)
    await clock.move_to(DUE + timedelta(minutes=1))
    _, runner = await start_runner(hass, entry)
    # None is interrupted. The pause had not reached the disk: its run is missed, as the
    # stepped one, and caught up.
    assert [r.status for r in runner.ledger_page("skipped")[0]] == [RunStatus.SKIPPED]
    for sid in ("paused", "stepped"):
        assert [(r.status, r.trigger) for r in runner.ledger_page(sid)[0]] == [
            (RunStatus.SUCCESS, Trigger.CATCH_UP)
        ]

    # An unload withdraws too (its stop writes everything, so the journal is empty), and the
    # entry loaded again prepares the run at once: a reload just before the instant runs it.
    await clock.move_to(DUE + timedelta(days=1) - PREPARE_LEAD)
    assert ("prepare", "stepped") in prepares(hass)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert prepares(hass) == []
    await clock.advance(0)  # the timer, due at once
    assert ("prepare", "stepped") in prepares(hass)
    await clock.move_to(DUE + timedelta(days=1))
    runner = entry.runtime_data.runner
    assert [(r.status, r.trigger) for r in runner.ledger_page("stepped")[0]] == [
        (RunStatus.SUCCESS, Trigger.CATCH_UP),
        (RunStatus.SUCCESS, Trigger.TIMER),
    ]


async def test_a_graceful_stop_withdraws_prepared_runs(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    entry, _ = await prepared(hass, clock, daily("flip", TOGGLE))
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    # Cancelled (the stop's final state write may have compacted the prepare line away).
    assert prepares(hass)[-1] == ("cancel", "flip")

    # Stopped before the instant: its run is missed, as without a prepare, and caught up.
    await assert_caught_up_after_a_kill(hass, clock, entry, hass_storage)


async def test_nothing_is_prepared_while_home_assistant_stops(
    hass: HomeAssistant, clock: Clock
) -> None:
    _, runner = await settled(hass, clock, daily("flip", TOGGLE))
    hass.set_state(CoreState.stopping)
    try:
        await clock.move_to(DUE - PREPARE_LEAD)
        assert prepares(hass) == []
    finally:
        hass.set_state(CoreState.running)
    # The run still due writes its own start line first, as any run that was not prepared.
    await clock.move_to(DUE)
    assert hass.states.get(PUMP).state == "on"
    assert [r.status for r in runner.ledger_page("flip")[0]] == [RunStatus.SUCCESS]


async def test_an_edit_keeping_the_instant_prepares_the_run_again(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    entry, runner = await prepared(hass, clock, daily("flip", TOGGLE))
    await runner.async_update("flip", daily("flip", TOGGLE, name="Flip pump"))
    await clock.advance(0)  # the timer, due at once
    assert prepares(hass) == [("prepare", "flip"), ("cancel", "flip"), ("prepare", "flip")]

    await kill(hass, entry, hass_storage)
    await clock.move_to(DUE + timedelta(minutes=1))
    _, runner = await start_runner(hass, entry)
    assert [(r.slot, r.status) for r in runner.ledger_page("flip")[0]] == [
        (0, RunStatus.INTERRUPTED)
    ]


async def test_a_restart_before_the_instant_runs_it_at_the_instant(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    entry, _ = await prepared(hass, clock, daily("flip", TOGGLE))
    await kill(hass, entry, hass_storage)
    # Home Assistant is back before the instant: the run is to come.
    _, runner = await start_runner(hass, entry)
    assert await run_records(hass, "flip") == []
    late = DUE + timedelta(milliseconds=40)
    await clock.move_to(late)
    assert hass.states.get(PUMP).state == "on"
    # In progress from its start, which is when it really started (not its instant).
    [record] = runner.ledger_page("flip")[0]
    assert (record.status, record.due, record.started) == (RunStatus.SUCCESS, DUE, late)


async def test_a_prepare_still_ahead_at_a_restart_is_cancelled(
    hass: HomeAssistant, clock: Clock, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    entry, _ = await prepared(hass, clock, daily("flip", TOGGLE))
    await kill(hass, entry, hass_storage)
    # The clock was set back while Home Assistant was stopped: the prepare is dropped.
    freezer.move_to(DUE - timedelta(seconds=10))
    await start_runner(hass, entry)
    assert prepares(hass) == [("prepare", "flip"), ("cancel", "flip")]

    # Killed again before the instant: its run is missed, not interrupted, and caught up.
    await assert_caught_up_after_a_kill(hass, clock, entry, hass_storage)


async def test_a_prepare_line_outlives_a_state_write_until_its_run_starts(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    entry, runner = await prepared(hass, clock, daily("flip", TOGGLE))
    # A state and ledger write before the instant covers no run: the prepare line stays.
    runner._writer.schedule()
    await runner._writer.async_flush()
    await hass.async_block_till_done()
    assert prepares(hass) == [("prepare", "flip")]

    await kill(hass, entry, hass_storage)
    await clock.move_to(DUE + timedelta(seconds=5))
    _, runner = await start_runner(hass, entry)
    assert [r.status for r in runner.ledger_page("flip")[0]] == [RunStatus.INTERRUPTED]


async def test_at_the_instant_a_prepared_run_waits_for_no_disk_write(
    hass: HomeAssistant, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    heater = {"type": "on", "target": {"entity_id": [HEATER]}}
    _, runner = await prepared(hass, clock, daily("flip", TOGGLE), daily("heat", heater))
    # Only the event-like run is prepared; a state-describing one never waits for the disk.
    assert prepares(hass) == [("prepare", "flip")]

    def full(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal_module, "_append", full)
    await clock.move_to(DUE)
    # Its start line could not be written; the line written ahead is all it needed.
    assert hass.states.get(PUMP).state == "on"
    assert hass.states.get(HEATER).state == "on"
    assert [r.status for r in runner.ledger_page("flip")[0]] == [RunStatus.SUCCESS]


async def test_a_prepare_not_on_disk_at_the_instant_is_waited_for(
    hass: HomeAssistant, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    _, runner = await settled(hass, clock, daily("flip", TOGGLE))
    monkeypatch.setattr(journal_module, "_append", full)
    monkeypatch.setattr(journal_module, "_replace", full)
    await clock.move_to(DUE - PREPARE_LEAD)
    await clock.move_to(DUE)
    [record] = runner.ledger_page("flip")[0]
    assert record.status is RunStatus.FAILED
    assert "could not be written" in (record.error or "")
    assert hass.states.get(PUMP).state == "off"


def runs(hass: HomeAssistant, sid: str) -> int:
    """Return the run count a schedule's switch shows."""
    return int(hass.states.get(f"switch.{sid}_enabled").attributes["runs"])


async def test_runs_due_together_make_their_first_calls_in_one_pass(
    hass: HomeAssistant, clock: Clock, freezer: FrozenDateTimeFactory
) -> None:
    seen: list[list[str]] = []

    @callback
    def probe(call: ServiceCall) -> None:
        # What the entities showed when each run made its call.
        seen.append([runs(hass, sid) for sid in ("a", "b", "c")])

    hass.services.async_register("reef_test", "probe", probe)
    step = {"type": "custom", "sequence": [{"action": "reef_test.probe"}]}
    await prepared(hass, clock, *(daily(sid, step) for sid in ("a", "b", "c")))

    # The instant's timer alone starts them: no loop turn (no disk write) before the calls.
    freezer.move_to(DUE)
    async_fire_time_changed(hass)
    assert seen == [[0, 0, 0]] * 3
    await hass.async_block_till_done()
    # The entities are updated once all three have started.
    assert [runs(hass, sid) for sid in ("a", "b", "c")] == [1] * 3


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Return the names of the schedules whose scripts are built from now on."""
    names: list[str] = []
    original = Script.__init__

    def counting(self: Script, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.domain == DOMAIN:
            names.append(self.name)

    monkeypatch.setattr(Script, "__init__", counting)
    return names


async def test_a_custom_sequence_is_built_once_until_it_changes(
    hass: HomeAssistant, clock: Clock, monkeypatch: pytest.MonkeyPatch, built: list[str]
) -> None:
    # Steps a script runs (a plain call is made directly: see the next test).
    schedule = daily("flip", scripted(PUMP, PUMP))
    _, runner = await settled(hass, clock, schedule)
    assert built == []  # nothing is built at creation (nor at load)

    # Built ahead of the timed run, and only then: one script per step.
    await clock.move_to(DUE - PREPARE_LEAD)
    assert built == ["Flip", "Flip"]
    await clock.move_to(DUE)
    for _ in range(3):
        runner.async_run_now("flip")
        await hass.async_block_till_done(wait_background_tasks=True)
    assert [r.status for r in runner.ledger_page("flip")[0]] == [RunStatus.SUCCESS] * 4
    assert built == ["Flip", "Flip"]

    # An edit builds it again, once.
    await runner.async_update("flip", daily("flip", scripted(PUMP), name="Flap"))
    for _ in range(2):
        runner.async_run_now("flip")
        await hass.async_block_till_done(wait_background_tasks=True)
    assert built == ["Flip", "Flip", "Flap"]

    # Kept for the most recently used schedules only.
    monkeypatch.setattr(actions, "MAX_BUILT", 1)
    await runner.async_add(daily("other", scripted(PUMP)))
    for sid in ("other", "flip", "other"):
        runner.async_run_now(sid)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert built[3:] == ["Other", "Flap", "Other"]


async def test_plain_call_steps_are_made_without_a_script(
    hass: HomeAssistant, clock: Clock, built: list[str]
) -> None:
    _, runner = await settled(hass, clock, daily("flip", custom(PUMP, HEATER)))
    await clock.move_to(DUE)
    assert (hass.states.get(PUMP).state, hass.states.get(HEATER).state) == ("on", "on")
    assert [r.status for r in runner.ledger_page("flip")[0]] == [RunStatus.SUCCESS]
    assert built == []


async def test_a_sequence_that_fails_to_build_is_validated_again_at_its_next_run(
    hass: HomeAssistant, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, runner = await settled(hass, clock, daily("flip", custom(PUMP)))
    attempts: list[int] = []
    original = actions.ActionExecutor._async_sequence_config

    async def flaky(self: actions.ActionExecutor, schedule: Any) -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            raise actions.ScheduleInvalid(())
        return await original(self, schedule)

    monkeypatch.setattr(actions.ActionExecutor, "_async_sequence_config", flaky)
    for _ in range(3):
        runner.async_run_now("flip")
        await hass.async_block_till_done(wait_background_tasks=True)
    assert [r.status for r in runner.ledger_page("flip")[0]] == [
        RunStatus.FAILED,
        RunStatus.SUCCESS,
        RunStatus.SUCCESS,
    ]
    assert len(attempts) == 2


async def test_collections_wait_through_the_lead_of_any_run(
    hass: HomeAssistant, clock: Clock
) -> None:
    # A full collection stops the loop: none may start in the half second before runs are
    # due, whatever their action; they happen again once the runs have started.
    on = {"type": "on", "target": {"entity_id": [HEATER]}}
    entry, _ = await settled(hass, clock, daily("heat", on))
    assert gc.isenabled()
    await clock.move_to(DUE - PREPARE_LEAD - timedelta(milliseconds=1))
    assert gc.isenabled()
    await clock.move_to(DUE - PREPARE_LEAD)
    assert not gc.isenabled()
    await clock.move_to(DUE)
    assert hass.states.get(HEATER).state == "on"
    assert gc.isenabled()

    # Unloading in the lead lets them happen again.
    await clock.move_to(DUE + timedelta(days=1) - PREPARE_LEAD)
    assert not gc.isenabled()
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert gc.isenabled()


async def test_a_lead_whose_run_is_withdrawn_ends(hass: HomeAssistant, clock: Clock) -> None:
    entry, runner = await prepared(hass, clock, daily("flip", TOGGLE))
    assert not gc.isenabled()
    await runner.async_set_enabled("flip", False)
    assert gc.isenabled()
    assert await hass.config_entries.async_unload(entry.entry_id)
