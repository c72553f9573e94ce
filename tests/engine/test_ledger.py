"""Tests for the execution ledger: slots, status policy, paging, retention, recovery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json

import pytest

from custom_components.reef_scheduler.engine.ledger import (
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_RECORDS,
    INTERRUPTED_ERROR,
    MAX_PAGE_SIZE,
    RunCounts,
    RunRecord,
    RunStatus,
    ScheduleLedger,
    Trigger,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def filled(count: int, *, status: RunStatus = RunStatus.SUCCESS) -> ScheduleLedger:
    """Return a ledger with ``count`` runs one minute apart, the last one at NOW."""
    ledger = ScheduleLedger()
    for index in range(count):
        at = NOW - (count - 1 - index) * MINUTE
        record = ledger.open(at, Trigger.TIMER, ["light.reef"], at)
        if status.is_finished:
            ledger.update(record.slot, status=status, finished=at)
    return ledger


def slots(records: list[RunRecord]) -> list[int]:
    """Return the slots of ``records``."""
    return [record.slot for record in records]


def roundtrip(ledger: ScheduleLedger) -> ScheduleLedger:
    """Serialise through real JSON and back."""
    return ScheduleLedger.from_dict(json.loads(json.dumps(ledger.as_dict())))


class TestRunRecord:
    """The record value object."""

    full = RunRecord(
        slot=7,
        due=NOW,
        trigger=Trigger.CATCH_UP,
        status=RunStatus.FAILED,
        started=NOW + MINUTE,
        finished=NOW + 2 * MINUTE,
        attempts=3,
        error="light.reef unavailable",
        targets=("light.reef", "switch.pump"),
        context_id="01JXYZ",
    )

    def test_dict_roundtrip_is_json_safe(self) -> None:
        data = self.full.as_dict()
        assert data["due"] == "2025-06-01T12:00:00+00:00"
        assert data["targets"] == ["light.reef", "switch.pump"]
        assert RunRecord.from_dict(json.loads(json.dumps(data))) == self.full

    def test_minimal_dict(self) -> None:
        record = RunRecord.from_dict(
            {"slot": 0, "due": None, "trigger": "manual", "status": "pending"}
        )
        assert record == RunRecord(0, None, Trigger.MANUAL, RunStatus.PENDING)

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"slot": "1"}, "slot"),
            ({"slot": True}, "slot"),
            ({"attempts": 1.5}, "attempts"),
            ({"trigger": None}, "trigger"),
            ({"trigger": "cron"}, "cron"),
            ({"status": "done"}, "done"),
            ({"error": 3}, "error"),
            ({"targets": "light.reef"}, "targets"),
            ({"targets": [1]}, "targets"),
            ({"due": "2025-06-01T12:00:00"}, "UTC offset"),
            ({"due": "yesterday"}, "yesterday"),
            ({"slot": -1}, "slot"),
            ({"attempts": -1}, "attempts"),
        ],
    )
    def test_malformed(self, changes: dict[str, object], message: str) -> None:
        data: dict[str, object] = {**self.full.as_dict(), **changes}
        with pytest.raises(ValueError, match=message):
            RunRecord.from_dict(data)

    def test_missing_field(self) -> None:
        data: dict[str, object] = dict(self.full.as_dict())
        del data["slot"]
        with pytest.raises(ValueError, match="slot"):
            RunRecord.from_dict(data)

    def test_reference_instant(self) -> None:
        assert self.full.reference_instant == NOW + 2 * MINUTE
        bare = RunRecord(0, NOW, Trigger.TIMER, RunStatus.PENDING)
        assert bare.reference_instant == NOW
        assert bare.with_changes(started=NOW + MINUTE).reference_instant == NOW + MINUTE

    @pytest.mark.parametrize(
        ("old", "new", "allowed"),
        [
            (RunStatus.PENDING, RunStatus.IN_PROGRESS, True),
            (RunStatus.PENDING, RunStatus.SKIPPED, True),
            (RunStatus.IN_PROGRESS, RunStatus.SUCCESS, True),
            (RunStatus.IN_PROGRESS, RunStatus.IN_PROGRESS, True),
            (RunStatus.SUCCESS, RunStatus.SUCCESS, True),
            (RunStatus.IN_PROGRESS, RunStatus.PENDING, False),
            (RunStatus.INTERRUPTED, RunStatus.IN_PROGRESS, False),
            (RunStatus.FAILED, RunStatus.SUCCESS, False),
        ],
    )
    def test_status_policy(self, old: RunStatus, new: RunStatus, allowed: bool) -> None:
        record = RunRecord(0, NOW, Trigger.TIMER, old)
        if allowed:
            assert record.with_changes(status=new).status is new
        else:
            with pytest.raises(ValueError, match="cannot"):
                record.with_changes(status=new)


class TestOpenAndUpdate:
    """Slot allocation and the record lifecycle."""

    def test_open_in_progress_by_default(self) -> None:
        ledger = ScheduleLedger()
        record = ledger.open(NOW, Trigger.TIMER, ("light.reef",), NOW)
        assert record == RunRecord(
            0, NOW, Trigger.TIMER, RunStatus.IN_PROGRESS, started=NOW, targets=("light.reef",)
        )
        assert ledger.get(0) == record
        assert ledger.last() == record
        assert ledger.next_slot == 1

    def test_open_queued_is_pending(self) -> None:
        record = ScheduleLedger().open(None, Trigger.MANUAL, [], NOW, queued=True)
        assert record.status is RunStatus.PENDING
        assert record.started is None

    def test_update(self) -> None:
        ledger = ScheduleLedger()
        ledger.open(NOW, Trigger.TIMER, [], NOW)
        done = ledger.update(0, status=RunStatus.SUCCESS, finished=NOW + MINUTE, attempts=1)
        assert ledger.get(0) == done
        assert done.finished == NOW + MINUTE

    def test_update_unknown_slot(self) -> None:
        with pytest.raises(KeyError):
            ScheduleLedger().update(3, attempts=1)

    def test_empty_ledger(self) -> None:
        ledger = ScheduleLedger()
        assert ledger.get(0) is None
        assert ledger.last() is None
        assert ledger.page() == ([], False)
        assert ledger.page(newest_first=True) == ([], False)

    def test_duplicate_slots_are_refused(self) -> None:
        record = RunRecord(0, NOW, Trigger.TIMER, RunStatus.SUCCESS)
        with pytest.raises(ValueError, match="duplicate"):
            ScheduleLedger([record, record])


class TestSlots:
    """Slots are monotonic and never reused."""

    def test_survive_pruning_clearing_and_roundtrip(self) -> None:
        ledger = filled(5)
        assert ledger.prune(NOW, max_records=0) == 5
        assert len(ledger) == 0
        ledger = roundtrip(ledger)
        assert ledger.open(NOW, Trigger.TIMER, [], NOW).slot == 5
        ledger.update(5, status=RunStatus.SUCCESS)
        assert ledger.clear() == 1
        assert roundtrip(ledger).open(NOW, Trigger.TIMER, [], NOW).slot == 6

    def test_next_slot_is_raised_past_loaded_records(self) -> None:
        data = filled(3).as_dict()
        data["next_slot"] = 1
        assert ScheduleLedger.from_dict(data).next_slot == 3

    def test_roundtrip_keeps_everything(self) -> None:
        ledger = filled(4)
        ledger.open(NOW, Trigger.SERVICE, ["switch.pump"], NOW)
        again = roundtrip(ledger)
        assert again.page() == ledger.page()
        assert again.next_slot == ledger.next_slot
        assert again.counts == ledger.counts

    @pytest.mark.parametrize(
        "data",
        [
            {"records": {}},
            {"records": [1]},
            {"totals": []},
            {"totals": {"success": "1"}},
            {"totals": {"success": True}},
            {"totals": {"finished": 1}},
            {"next_slot": "1"},
        ],
    )
    def test_malformed_ledger(self, data: dict[str, object]) -> None:
        with pytest.raises(ValueError):  # noqa: PT011 - each case names a different field
            ScheduleLedger.from_dict(data)

    def test_empty_dict_is_an_empty_ledger(self) -> None:
        assert ScheduleLedger.from_dict({}).next_slot == 0


class TestPaging:
    """Pages of at most 1000 records, with an exact ``more`` flag."""

    @pytest.mark.parametrize(
        ("count", "size", "more"),
        [(0, 0, False), (999, 999, False), (1000, 1000, False), (1001, 1000, True)],
    )
    def test_first_page_edges(self, count: int, size: int, more: bool) -> None:
        ledger = filled(count)
        records, has_more = ledger.page()
        assert (len(records), has_more) == (size, more)
        assert slots(records) == list(range(size))
        newest, has_more = ledger.page(newest_first=True)
        assert (len(newest), has_more) == (size, more)
        assert slots(newest) == list(range(count - 1, count - 1 - size, -1))

    def test_continuation_reaches_every_record_once(self) -> None:
        ledger = filled(2500)
        seen: list[int] = []
        start: int | None = None
        more = True
        while more:
            records, more = ledger.page(start)
            seen += slots(records)
            start = records[-1].slot + 1
        assert seen == list(range(2500))
        seen, start, more = [], None, True
        while more:
            records, more = ledger.page(start, 700, newest_first=True)
            seen += slots(records)
            start = records[-1].slot - 1
        assert seen == list(range(2499, -1, -1))

    def test_start_slot_after_pruning_gap(self) -> None:
        ledger = filled(10)
        ledger.prune(NOW, max_records=4)
        assert slots(ledger.page(2)[0]) == [6, 7, 8, 9]
        assert slots(ledger.page(7, 2)[0]) == [7, 8]
        assert ledger.page(7, 2)[1] is True
        assert ledger.page(8, 2)[1] is False
        assert slots(ledger.page(7, 10, newest_first=True)[0]) == [7, 6]
        assert ledger.page(5, newest_first=True) == ([], False)
        assert ledger.page(20) == ([], False)

    @pytest.mark.parametrize(("limit", "size"), [(5000, MAX_PAGE_SIZE), (0, 1), (-3, 1)])
    def test_limit_is_clipped(self, limit: int, size: int) -> None:
        records, more = filled(1200).page(limit=limit)
        assert len(records) == size
        assert more


class TestRetention:
    """Pruning by count and by age, never touching unfinished runs."""

    def test_defaults(self) -> None:
        assert DEFAULT_MAX_RECORDS == 1000
        assert timedelta(days=30) == DEFAULT_MAX_AGE
        ledger = filled(1005)
        assert ledger.prune(NOW) == 5
        assert ledger.page(limit=1)[0][0].slot == 5

    def test_by_count_keeps_the_newest(self) -> None:
        ledger = filled(10)
        assert ledger.prune(NOW, max_records=3) == 7
        assert slots(ledger.page()[0]) == [7, 8, 9]
        assert ledger.prune(NOW, max_records=3) == 0

    def test_by_age(self) -> None:
        ledger = filled(10)
        # Records finished at NOW-9min .. NOW; keep those not older than 4 minutes.
        assert ledger.prune(NOW, max_age=4 * MINUTE) == 5
        assert slots(ledger.page()[0]) == [5, 6, 7, 8, 9]

    def test_never_prunes_unfinished(self) -> None:
        ledger = filled(3, status=RunStatus.IN_PROGRESS)
        ledger.open(None, Trigger.MANUAL, [], NOW, queued=True)
        for slot in range(4, 8):
            ledger.open(NOW, Trigger.TIMER, [], NOW)
            ledger.update(slot, status=RunStatus.SUCCESS, finished=NOW)
        assert ledger.prune(NOW + timedelta(days=365), max_records=2) == 4
        assert slots(ledger.page()[0]) == [0, 1, 2, 3]

    def test_count_prune_skips_an_old_unfinished_record(self) -> None:
        ledger = filled(1, status=RunStatus.PENDING)
        for slot in range(1, 5):
            ledger.open(NOW, Trigger.TIMER, [], NOW)
            ledger.update(slot, status=RunStatus.SUCCESS)
        assert ledger.prune(NOW, max_records=3) == 2
        assert slots(ledger.page()[0]) == [0, 3, 4]

    def test_finished_record_without_instants_counts_as_old(self) -> None:
        ledger = ScheduleLedger([RunRecord(0, None, Trigger.MANUAL, RunStatus.SKIPPED)])
        assert ledger.prune(NOW) == 1

    @pytest.mark.parametrize(
        ("max_records", "max_age", "message"),
        [(-1, MINUTE, "max_records"), (1, -MINUTE, "max_age")],
    )
    def test_invalid_limits(self, max_records: int, max_age: timedelta, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            ScheduleLedger().prune(NOW, max_records, max_age)


class TestRecoveryAndCounts:
    """Restart recovery and the run totals."""

    def test_interrupt_unfinished(self) -> None:
        ledger = filled(2)
        ledger.open(NOW, Trigger.TIMER, ["light.reef"], NOW)
        ledger.open(None, Trigger.SERVICE, [], NOW, queued=True)
        later = NOW + MINUTE
        interrupted = ledger.interrupt_unfinished(later)
        assert slots(interrupted) == [2, 3]
        for record in interrupted:
            assert record.status is RunStatus.INTERRUPTED
            assert record.finished == later
            assert record.error == INTERRUPTED_ERROR
            assert ledger.get(record.slot) == record
        assert ledger.interrupt_unfinished(later) == []
        # An interrupted run can never be started again.
        with pytest.raises(ValueError, match="cannot"):
            ledger.update(2, status=RunStatus.IN_PROGRESS)

    def test_interrupted_run_keeps_its_note(self) -> None:
        # A custom run notes the step it reached; the note outlives the interruption.
        ledger = filled(0)
        record = ledger.open(NOW, Trigger.TIMER, [], NOW)
        ledger.update(record.slot, error="at step 2: delay 0:00:20")
        [interrupted] = ledger.interrupt_unfinished(NOW + MINUTE)
        assert interrupted.error == f"{INTERRUPTED_ERROR} at step 2: delay 0:00:20"

    def test_journal_ahead_of_the_ledger(self) -> None:
        # The ledger was saved at slot 2; the journal knew of slots up to 4, run 3 in flight.
        ledger = roundtrip(filled(2))
        ledger.reserve_slots(4)
        ledger.reserve_slots(1)
        assert ledger.next_slot == 4
        record = ledger.insert_interrupted(3, NOW, Trigger.TIMER, NOW + MINUTE)
        assert record == RunRecord(
            3,
            NOW,
            Trigger.TIMER,
            RunStatus.INTERRUPTED,
            finished=NOW + MINUTE,
            error=INTERRUPTED_ERROR,
        )
        ledger.insert_interrupted(6, None, Trigger.MANUAL, NOW + MINUTE)
        assert slots(ledger.page()[0]) == [0, 1, 3, 6]
        assert ledger.open(NOW, Trigger.TIMER, [], NOW).slot == 7
        assert ledger.counts.interrupted == 2
        with pytest.raises(ValueError, match="already"):
            ledger.insert_interrupted(3, NOW, Trigger.TIMER, NOW)

    def test_counts_are_cumulative_for_finished_runs(self) -> None:
        ledger = filled(4)
        ledger.open(NOW, Trigger.TIMER, [], NOW)
        ledger.update(4, status=RunStatus.FAILED, error="boom")
        ledger.open(NOW, Trigger.TIMER, [], NOW)
        ledger.open(NOW, Trigger.TIMER, [], NOW, queued=True)
        expected = RunCounts(total=7, pending=1, in_progress=1, success=4, failed=1)
        assert ledger.counts == expected
        assert ledger.counts.of(RunStatus.FAILED) == 1
        # Updating a finished record without changing its status counts nothing twice.
        ledger.update(4, status=RunStatus.FAILED, attempts=3)
        ledger.prune(NOW, max_records=0)
        assert ledger.counts == expected
        assert roundtrip(ledger).counts == expected

    def test_totals_rebuilt_from_records_when_missing(self) -> None:
        data = filled(3).as_dict()
        del data["totals"]
        assert ScheduleLedger.from_dict(data).counts == RunCounts(total=3, success=3)
