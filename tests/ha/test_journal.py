"""The ledger tells the truth after a kill: the run journal, its replay, compaction, migration.

Every restart here goes through `kill()`: the disk exactly as at the instant of the kill.
"""

from __future__ import annotations

from datetime import datetime, timedelta
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util.file import WriteError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.engine.ledger import (
    RunRecord,
    RunStatus,
    ScheduleLedger,
    Trigger,
)
from custom_components.reef_scheduler.runner import journal as journal_module
from custom_components.reef_scheduler.runner.journal import (
    RunJournal,
    events_from_legacy,
    replay,
)
from custom_components.reef_scheduler.runner.runner import ScheduleRunner, ScheduleState
from custom_components.reef_scheduler.runner.store import JOURNAL_KEY, LEDGER_KEY

from .clock import Clock
from .surface import (
    PUMP,
    T0,
    journal_lines,
    journal_path,
    kill,
    reef_devices,
    run_records,
    seed,
    setup_local,
    spec,
    start_runner,
)

DUE = T0 + timedelta(minutes=5)
SKIMMER = "switch.skimmer"


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)


def stored_records(hass_storage: dict[str, Any], sid: str) -> list[dict[str, Any]]:
    ledger = hass_storage.get(LEDGER_KEY, {}).get("data", {}).get(sid, {})
    return list(ledger.get("records", []))


def daily(sid: str, action: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Return a daily 10:05 (Berlin) schedule: due at DUE."""
    return spec(name=sid.title(), id=sid, times=["10:05"], action=action) | fields


async def create_and_settle(
    hass: HomeAssistant, clock: Clock, schedule: dict[str, Any]
) -> tuple[MockConfigEntry, ScheduleRunner]:
    """Set up the local entry with one schedule; let its state write (and compaction) finish."""
    entry, backend = await setup_local(hass)
    await backend.async_create(schedule)
    await hass.async_block_till_done(wait_background_tasks=True)
    await clock.move_to(DUE - timedelta(minutes=1))
    return entry, backend.runner


async def test_kill_right_after_a_toggle_keeps_its_success(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    toggle = {"type": "toggle", "target": {"entity_id": [PUMP]}}
    entry, _ = await create_and_settle(hass, clock, daily("flip", toggle))
    await clock.move_to(DUE)
    assert hass.states.get(PUMP).state == "on"
    assert hass.states.get("switch.flip_enabled").attributes["last_result"] == "success"
    await clock.advance(1)
    # Well inside the coalescing window: the ledger on disk does not know the run yet.
    assert stored_records(hass_storage, "flip") == []
    assert [line["e"] for line in journal_lines(hass)] == ["start", "finish"]

    await kill(hass, entry, hass_storage)
    _, runner = await start_runner(hass, entry)

    records, _ = runner.ledger_page("flip")
    assert [(r.slot, r.status, r.started, r.finished, r.trigger) for r in records] == [
        (0, RunStatus.SUCCESS, DUE, DUE, Trigger.TIMER)
    ]
    assert records[0].context_id is not None
    assert records[0].targets == (PUMP,)
    state = runner.states["flip"]
    assert (state.last_result, state.last_run, state.runs) == (RunStatus.SUCCESS, DUE, 1)
    assert state.next_due == DUE + timedelta(days=1)
    assert hass.states.get("switch.flip_enabled").attributes["last_result"] == "success"
    assert hass.states.get("switch.flip_enabled").attributes["runs"] == 1
    rows = await run_records(hass, "flip")
    assert [(r["status"], r["started"], r["finished"]) for r in rows] == [
        ("success", DUE.isoformat(), DUE.isoformat())
    ]
    # Not repeated: the pump stays as the toggle left it.
    assert hass.states.get(PUMP).state == "on"


async def test_kill_inside_a_custom_delay_is_interrupted_with_its_start(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    custom = {
        "type": "custom",
        "sequence": [
            {"action": "input_boolean.toggle", "target": {"entity_id": PUMP}},
            {"delay": {"minutes": 30}},
            {"action": "input_boolean.toggle", "target": {"entity_id": PUMP}},
        ],
    }
    entry, _ = await create_and_settle(hass, clock, daily("slow", custom, catch_up=3600))
    await clock.move_to(DUE, wait=False)
    await clock.advance(2, wait=False)
    assert hass.states.get(PUMP).state == "on"

    await kill(hass, entry, hass_storage)
    await clock.advance(60)
    _, runner = await start_runner(hass, entry)

    records, _ = runner.ledger_page("slow")
    assert [(r.slot, r.status, r.started) for r in records] == [(0, RunStatus.INTERRUPTED, DUE)]
    assert runner.states["slow"].last_result is RunStatus.INTERRUPTED
    rows = await run_records(hass, "slow")
    assert rows[0]["started"] == DUE.isoformat()
    # Never repeated, neither now nor later today.
    await clock.move_to(DUE + timedelta(hours=2))
    assert hass.states.get(PUMP).state == "on"
    assert len(runner.ledger_page("slow")[0]) == 1


async def test_kill_after_an_idempotent_run_keeps_its_success(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    entry, _ = await create_and_settle(
        hass, clock, daily("sunrise", {"type": "on", "target": {"entity_id": [PUMP]}})
    )
    await clock.move_to(DUE)
    await clock.advance(1)
    assert stored_records(hass_storage, "sunrise") == []

    await kill(hass, entry, hass_storage)
    _, runner = await start_runner(hass, entry)

    records, _ = runner.ledger_page("sunrise")
    assert [(r.slot, r.status, r.started) for r in records] == [(0, RunStatus.SUCCESS, DUE)]
    assert runner.states["sunrise"].last_result is RunStatus.SUCCESS
    assert hass.states.get(PUMP).state == "on"


async def test_a_failed_run_stays_failed_with_its_error_and_issue(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    async_mock_service(hass, "switch", "turn_on")
    hass.states.async_set(SKIMMER, "unavailable")
    skim = daily("skim", {"type": "on", "target": {"entity_id": [SKIMMER]}}, retry={"retries": 0})
    entry, _ = await create_and_settle(hass, clock, skim)
    await clock.move_to(DUE)
    await clock.advance(1)
    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, "run_failed_skim") is not None

    await kill(hass, entry, hass_storage)
    # The issue registry writes later too: a kill loses the issue with the ledger.
    ir.async_delete_issue(hass, DOMAIN, "run_failed_skim")
    _, runner = await start_runner(hass, entry)

    records, _ = runner.ledger_page("skim")
    assert [(r.status, r.started, r.attempts) for r in records] == [(RunStatus.FAILED, DUE, 1)]
    assert f"{SKIMMER} is unavailable" in (records[0].error or "")
    assert runner.states["skim"].last_result is RunStatus.FAILED
    issue = issues.async_get_issue(DOMAIN, "run_failed_skim")
    assert issue is not None
    assert issue.translation_placeholders == {"schedule": "Skim", "targets": SKIMMER}


async def test_slots_notes_and_skips_survive_kills_and_replaying_twice_adds_nothing(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    toggle = {"type": "toggle", "target": {"entity_id": [PUMP]}}
    entry, runner = await create_and_settle(hass, clock, daily("flip", toggle))
    for _ in range(3):
        runner.async_run_now("flip")
        await hass.async_block_till_done(wait_background_tasks=True)
    runner._note("flip", 1, "Stopped by the user")
    assert runner.async_skip_next("flip") == DUE
    expected = [
        (0, RunStatus.SUCCESS, Trigger.MANUAL, None),
        (1, RunStatus.SUCCESS, Trigger.MANUAL, "Stopped by the user"),
        (2, RunStatus.SUCCESS, Trigger.MANUAL, None),
        (3, RunStatus.SKIPPED, Trigger.SERVICE, "Skipped on request"),
    ]

    def summary(runner: ScheduleRunner) -> list[tuple[Any, ...]]:
        return [(r.slot, r.status, r.trigger, r.error) for r in runner.ledger_page("flip")[0]]

    assert summary(runner) == expected
    await hass.async_block_till_done()
    await kill(hass, entry, hass_storage)
    _, runner = await start_runner(hass, entry)
    assert summary(runner) == expected
    state = runner.states["flip"]
    assert (state.runs, state.last_result, state.last_run) == (3, RunStatus.SKIPPED, DUE)
    # The skipped due counts as decided: it is not run after the kill.
    assert state.next_due == DUE + timedelta(days=1)

    # Killed again before any state write: the same journal is replayed a second time.
    await kill(hass, entry, hass_storage)
    _, runner = await start_runner(hass, entry)
    assert summary(runner) == expected
    assert runner.states["flip"].runs == 3
    assert runner.ledger_page("flip")[0][-1].slot == 3
    assert runner._ledger("flip").counts.success == 3
    assert runner.async_run_now("flip").slot == 4
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_compaction_keeps_the_journal_small_over_many_runs(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    toggle = {"type": "toggle", "target": {"entity_id": [PUMP]}}
    # Due tomorrow morning: only the 500 manual runs happen here.
    entry, runner = await create_and_settle(hass, clock, daily("flip", toggle, times=["08:00"]))
    assert journal_lines(hass) == []
    longest = 0
    for _ in range(500):
        runner.async_run_now("flip")
        await clock.advance(1)
        longest = max(longest, len(journal_lines(hass)))
    # At most the runs of one write period (10 s, one run a second): start and finish each.
    assert longest <= 2 * 11
    # The file holds exactly what the last state and ledger write does not cover.
    lines = journal_lines(hass)
    written = stored_records(hass_storage, "flip")
    memory = runner.ledger_page("flip", 490)[0]
    assert {line["record"]["slot"] for line in lines if line["e"] == "start"} == {
        r.slot for r in memory
    } - {r["slot"] for r in written}
    assert {line["slot"] for line in lines if line["e"] == "finish"} == {
        r.slot for r in memory if r.status.is_finished
    } - {r["slot"] for r in written if r["status"] == "success"}
    assert len(runner._journal) == len(lines)
    await clock.advance(11)
    assert journal_lines(hass) == []

    await kill(hass, entry, hass_storage)
    _, runner = await start_runner(hass, entry)
    assert runner.states["flip"].runs == 500
    assert runner.ledger_page("flip", newest_first=True)[0][0].slot == 499


async def test_the_journal_store_of_earlier_versions_migrates(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    due = T0 - timedelta(minutes=30)
    seed(
        hass_storage,
        [
            {
                "id": "wave",
                "name": "Wave",
                "type": "interval",
                "every": 3600,
                "anchor": due.isoformat(),
                "action": {"type": "toggle", "target": {"entity_id": [PUMP]}},
            }
        ],
        state={"wave": {"next_due": due.isoformat()}},
        ledger={"wave": {"records": [], "next_slot": 2}},
        journal={
            "wave": {
                "slot": 5,
                "through": due.isoformat(),
                "run": {"slot": 4, "due": due.isoformat(), "trigger": "timer"},
            },
            "gone": {"slot": 3},
        },
    )
    entry, runner = await start_runner(hass)
    records, _ = runner.ledger_page("wave")
    assert [(r.slot, r.status, r.started, r.due) for r in records] == [
        (4, RunStatus.INTERRUPTED, due, due)
    ]
    # The started due is not run again; the next one is due in half an hour.
    assert runner.states["wave"].next_due == T0 + timedelta(minutes=30)
    assert JOURNAL_KEY not in hass_storage
    assert [line["e"] for line in journal_lines(hass)] == ["start", "mark", "mark"]
    assert runner.async_run_now("wave").slot == 5
    await hass.async_block_till_done(wait_background_tasks=True)

    # The migrated lines are replayed like any others after a kill.
    await kill(hass, entry, hass_storage)
    _, runner = await start_runner(hass, entry)
    assert [r.slot for r in runner.ledger_page("wave")[0]] == [4, 5]


async def test_the_old_journal_store_stays_while_the_new_file_cannot_be_written(
    hass: HomeAssistant, hass_storage: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(hass_storage, [spec(id="sunrise")], journal={"sunrise": {"slot": 3}})

    def broken(path: Path, data: bytes) -> None:
        raise RuntimeError("executor is shut down")

    monkeypatch.setattr(journal_module, "_replace", broken)
    _, runner = await start_runner(hass)
    # Honoured all the same; migrated at a later start.
    assert runner._ledger("sunrise").next_slot == 3
    assert JOURNAL_KEY in hass_storage


async def test_a_torn_last_line_is_dropped_and_the_file_rewritten(
    hass: HomeAssistant, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    seed(hass_storage, [spec(id="sunrise")], state={"sunrise": {}})
    record = RunRecord(0, None, Trigger.MANUAL, RunStatus.IN_PROGRESS, started=T0)
    good = {"e": "start", "sid": "sunrise", "record": record.as_dict()}
    path = journal_path(hass)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(json.dumps(good).encode() + b'\n{"e": "finish", "sid": "sun')
    _, runner = await start_runner(hass)
    assert "unreadable run journal line" in caplog.text
    assert [(r.slot, r.status, r.started) for r in runner.ledger_page("sunrise")[0]] == [
        (0, RunStatus.INTERRUPTED, T0)
    ]
    # Rewritten clean (here compacted away, as the state write after the start covers it).
    assert path.read_bytes().endswith(b"\n") or path.read_bytes() == b""
    assert journal_lines(hass) in ([], [good])


async def test_an_event_is_not_started_when_its_start_cannot_be_written(
    hass: HomeAssistant, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, runner = await start_runner(hass)
    await runner.async_add(daily("flip", {"type": "toggle", "target": {"entity_id": [PUMP]}}))
    await clock.advance(11)

    def full(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal_module, "_append", full)
    runner.async_run_now("flip")
    await hass.async_block_till_done(wait_background_tasks=True)
    record = runner.ledger_page("flip")[0][0]
    assert record.status is RunStatus.FAILED
    assert "could not be written" in (record.error or "")
    assert hass.states.get(PUMP).state == "off"

    # Once the disk takes writes again, the whole file is rewritten (a torn append is gone).
    monkeypatch.undo()
    runner.async_run_now("flip")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(PUMP).state == "on"
    assert [line["e"] for line in journal_lines(hass)] == ["start", "finish"] * 2


async def test_no_compaction_when_the_state_write_failed_or_waits_for_the_stop(
    hass: HomeAssistant, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, runner = await start_runner(hass)
    await runner.async_add(daily("flip", {"type": "toggle", "target": {"entity_id": [PUMP]}}))
    await clock.advance(11)
    runner.async_run_now("flip")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(journal_lines(hass)) == 2

    async def fail(*args: Any) -> None:
        raise WriteError("disk full")

    monkeypatch.setattr("homeassistant.helpers.storage.Store._async_write_data", fail)
    await clock.advance(11)
    assert runner._store.state.failures == 1
    assert len(journal_lines(hass)) == 2
    monkeypatch.undo()

    hass.set_state(CoreState.stopping)
    try:
        await runner._writer.async_flush()
        await hass.async_block_till_done()
    finally:
        hass.set_state(CoreState.running)
    assert len(journal_lines(hass)) == 2
    await runner._writer.async_flush()
    await runner._journal.async_flush()
    assert journal_lines(hass) == []


async def test_removing_the_entry_deletes_the_journal(hass: HomeAssistant, clock: Clock) -> None:
    entry, runner = await create_and_settle(
        hass, clock, daily("sunrise", {"type": "on", "target": {"entity_id": [PUMP]}})
    )
    runner.async_run_now("sunrise")
    await hass.async_block_till_done(wait_background_tasks=True)
    path = journal_path(hass)
    assert path.exists()
    path.with_name(path.name + ".tmp").write_bytes(b"")
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert not list(path.parent.glob("reef_scheduler.journal*"))


def test_replay_is_idempotent_and_ignores_what_it_cannot_use(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started = RunRecord(
        2, T0, Trigger.TIMER, RunStatus.IN_PROGRESS, started=T0, targets=(PUMP,), context_id="c"
    )
    finished = {
        "e": "finish",
        "sid": "a",
        "slot": 2,
        "due": T0.isoformat(),
        "status": "success",
        "finished": (T0 + timedelta(seconds=1)).isoformat(),
        "attempts": 1,
        "error": None,
        "failed": [],
        "runs": 3,
    }
    events: list[dict[str, Any]] = [
        {"e": "start", "sid": "a", "record": started.as_dict()},
        finished,
        {"e": "note", "sid": "a", "slot": 2, "text": "noted"},
        {"e": "note", "sid": "a", "slot": 9, "text": "no such record"},
        {"e": "start", "sid": "unknown", "record": started.as_dict()},
        {"e": "start", "sid": 7},
        {"e": "start", "sid": "a", "record": ["not", "a", "record"]},
        {"e": "bogus", "sid": "a"},
        {"e": "finish", "sid": "a", "slot": 2},
        *events_from_legacy({"a": {"slot": 4}}),
    ]
    ledgers: dict[str, ScheduleLedger] = {"a": ScheduleLedger(next_slot=2)}
    state = ScheduleState()
    first = replay(events, ledgers.__getitem__, {"a": state}, {"a"}, T0)
    assert first.applied == 2
    assert first.marks == {"a": {"through": T0.isoformat()}}
    assert first.results == {"a": (RunStatus.SUCCESS, ())}
    ledger = ledgers["a"]
    assert ledger.next_slot == 4
    [record] = ledger.page()[0]
    assert (record.status, record.started, record.error, record.context_id) == (
        RunStatus.SUCCESS,
        T0,
        "noted",
        "c",
    )
    assert (state.runs, state.last_result, state.last_run) == (3, RunStatus.SUCCESS, T0)
    assert caplog.text.count("malformed run journal line") == 3

    # Again over the result: nothing is added or counted twice.
    assert replay(events, ledgers.__getitem__, {"a": state}, {"a"}, T0).applied == 0
    assert len(ledger) == 1
    assert ledger.counts.success == 1
    assert state.runs == 3

    # A state written after the run (its ledger not yet): the run is not counted twice.
    newer = ScheduleState(runs=3, last_result=RunStatus.SUCCESS)
    older = ScheduleLedger([started], next_slot=3)
    replay(events[:2], lambda _: older, {"a": newer}, {"a"}, T0)
    assert older.get(2).status is RunStatus.SUCCESS  # type: ignore[union-attr]
    assert newer.runs == 3

    # A failed run's error comes back with its result.
    failed = ScheduleState()
    event = finished | {"status": "failed", "error": "boom"}
    replay([event], lambda _: ScheduleLedger(next_slot=3), {"a": failed}, {"a"}, T0)
    assert (failed.last_result, failed.last_error) == (RunStatus.FAILED, "boom")


async def test_writes_batch_and_flush_waits_for_them(hass: HomeAssistant, tmp_path: Path) -> None:
    journal = RunJournal(hass, tmp_path / "nested" / "journal.jsonl")
    assert await journal.async_load() == []
    await journal.async_flush()
    first = journal.append({"e": "note", "sid": "a", "slot": 0, "text": "one"})
    second = journal.append({"e": "note", "sid": "a", "slot": 0, "text": "two"})
    assert not journal.path.exists()
    await journal.async_wait(second)
    await journal.async_wait(first)
    assert len(journal.path.read_bytes().splitlines()) == 2
    journal.compact(first)
    journal.compact(first)
    await journal.async_flush()
    assert [json.loads(line)["text"] for line in journal.path.read_bytes().splitlines()] == ["two"]
    await journal.async_remove()
    assert not journal.path.exists()


def test_replay_settles_prepares_by_start_skip_or_cancel(caplog: pytest.LogCaptureFixture) -> None:
    def prepare(sid: str, due: datetime, slot: int = 0) -> dict[str, Any]:
        record = RunRecord(slot, due, Trigger.TIMER, RunStatus.IN_PROGRESS, context_id="c")
        return {"e": "prepare", "sid": sid, "record": record.as_dict()}

    started = RunRecord(0, T0, Trigger.TIMER, RunStatus.IN_PROGRESS, started=T0, context_id="c")
    skipped = RunRecord(0, T0, Trigger.SERVICE, RunStatus.SKIPPED, finished=T0)
    later = T0 + timedelta(hours=1)
    events: list[dict[str, Any]] = [
        prepare("started", T0),
        {"e": "start", "sid": "started", "record": started.as_dict()},
        prepare("skipped", T0),
        {"e": "skip", "sid": "skipped", "record": skipped.as_dict()},
        prepare("cancelled", T0),
        {"e": "cancel", "sid": "cancelled", "due": T0.isoformat()},
        prepare("cut", T0),
        prepare("ahead", later),
        prepare("bad", T0) | {"record": started.as_dict() | {"status": "pending"}},
    ]
    known = {"started", "skipped", "cancelled", "cut", "ahead", "bad"}
    ledgers: dict[str, ScheduleLedger] = {sid: ScheduleLedger() for sid in known}
    first = replay(events, ledgers.__getitem__, {}, known, T0 + timedelta(seconds=1))
    assert first.dropped == [("ahead", later)]
    assert "malformed run journal line of bad" in caplog.text
    assert {sid: len(ledger) for sid, ledger in ledgers.items()} == {
        "started": 1,
        "skipped": 1,
        "cancelled": 0,
        "cut": 1,
        "ahead": 0,
        "bad": 0,
    }
    [cut] = ledgers["cut"].page()[0]
    assert (cut.status, cut.started, cut.error, cut.context_id) == (
        RunStatus.IN_PROGRESS,
        None,
        "at its start; it is not repeated",
        "c",
    )
    # Its instant counts as started, as a start line's would.
    assert first.marks["cut"] == {"through": T0.isoformat()}
    assert "cancelled" not in first.marks

    # Replayed again over the ledger written with it (the journal kept the line): no second one.
    again = replay(events, ledgers.__getitem__, {}, known, T0 + timedelta(seconds=1))
    assert len(ledgers["cut"]) == 1
    assert again.applied == 0
