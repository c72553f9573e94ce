"""Execution ledger: one record per run, numbered by a per-schedule slot that is never reused.

Status policy: ``pending → in_progress → success | failed | skipped | interrupted``, and
``pending`` may also end directly (a queued run skipped or interrupted). A finished status is
final, so a run can never be re-opened and executed twice. Records are kept sorted by slot
(slots only grow), so appending is O(1) and paging or lookup by slot is a bisection.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Collection, Iterable, Mapping
import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypedDict, Unpack

DEFAULT_MAX_RECORDS = 1000
DEFAULT_MAX_AGE = timedelta(days=30)
MAX_PAGE_SIZE = 1000
INTERRUPTED_ERROR = "Home Assistant stopped during the run"

type RecordDict = dict[str, str | int | list[str] | None]


class RunStatus(StrEnum):
    """Lifecycle of a run."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    SUCCESS = "success"
    FAILED = "failed"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"

    @property
    def is_finished(self) -> bool:
        """Whether the status is final."""
        return self not in _UNFINISHED


_UNFINISHED = frozenset({RunStatus.PENDING, RunStatus.IN_PROGRESS})
_FINISHED = tuple(status for status in RunStatus if status.is_finished)
# What a finished run's result shows as (the Enabled switch's last_result, the finished event).
RESULTS = tuple(status.value for status in _FINISHED)
# The results whose record's error is an error (a skipped run's reason, a step note are not).
ERROR_RESULTS = frozenset({RunStatus.FAILED, RunStatus.INTERRUPTED})


def error_of(status: RunStatus, error: str | None) -> str | None:
    """Return a finished run's error: its error text when it failed or was interrupted."""
    return error if status in ERROR_RESULTS else None


def result_of(status: str | None) -> str | None:
    """Return the result a status shows as; None when it is missing, unfinished or unknown."""
    return str(status) if status in RESULTS else None


class Trigger(StrEnum):
    """What started a run."""

    TIMER = "timer"
    CATCH_UP = "catch_up"
    MANUAL = "manual"
    SERVICE = "service"


class RunChanges(TypedDict, total=False):
    """Fields of a run record that may change after it was opened."""

    status: RunStatus
    started: datetime | None
    finished: datetime | None
    attempts: int
    error: str | None
    targets: tuple[str, ...]
    context_id: str | None


def _check_transition(old: RunStatus, new: RunStatus) -> None:
    """Enforce the status policy of the module docstring."""
    if old is new:
        return
    if old.is_finished:
        raise ValueError(f"run is already {old}, cannot become {new}")
    if new is RunStatus.PENDING:
        raise ValueError(f"run is {old}, cannot go back to {new}")


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run of a schedule."""

    slot: int
    due: datetime | None
    trigger: Trigger
    status: RunStatus
    started: datetime | None = None
    finished: datetime | None = None
    attempts: int = 0
    error: str | None = None
    targets: tuple[str, ...] = ()
    context_id: str | None = None

    def __post_init__(self) -> None:
        """Validate counters."""
        if self.slot < 0:
            raise ValueError("slot must not be negative")
        if self.attempts < 0:
            raise ValueError("attempts must not be negative")

    @property
    def reference_instant(self) -> datetime | None:
        """Instant the record's age is measured from: finish, else start, else due."""
        return self.finished or self.started or self.due

    def with_changes(self, **changes: Unpack[RunChanges]) -> RunRecord:
        """Return a copy with ``changes`` applied, following the status policy."""
        if "status" in changes:
            _check_transition(self.status, changes["status"])
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> RecordDict:
        """Return a JSON-safe dict (ISO 8601 instants)."""
        return {
            "slot": self.slot,
            "due": _iso(self.due),
            "trigger": self.trigger.value,
            "status": self.status.value,
            "started": _iso(self.started),
            "finished": _iso(self.finished),
            "attempts": self.attempts,
            "error": self.error,
            "targets": list(self.targets),
            "context_id": self.context_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> RunRecord:
        """Build a record from ``as_dict`` output; raise ValueError on malformed data."""
        targets = data.get("targets", [])
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise ValueError("targets must be a list of strings")
        try:
            return cls(
                slot=_get_int(data, "slot"),
                due=_get_instant(data, "due"),
                trigger=Trigger(_get_str(data, "trigger")),
                status=RunStatus(_get_str(data, "status")),
                started=_get_instant(data, "started"),
                finished=_get_instant(data, "finished"),
                attempts=_get_int(data, "attempts", 0),
                error=_get_optional_str(data, "error"),
                targets=tuple(targets),
                context_id=_get_optional_str(data, "context_id"),
            )
        except KeyError as err:
            raise ValueError(f"missing field {err}") from err


def _iso(value: datetime | None) -> str | None:
    """Return an ISO 8601 string or None."""
    return None if value is None else value.isoformat()


def _get_int(data: Mapping[str, object], key: str, default: int | None = None) -> int:
    """Read an int field (bool is not an int here)."""
    value = data[key] if default is None else data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{key} must be an integer")
    return value


def _get_optional_str(data: Mapping[str, object], key: str) -> str | None:
    """Read an optional string field."""
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} must be a string or null")
    return value


def _get_str(data: Mapping[str, object], key: str) -> str:
    """Read a required string field."""
    value = _get_optional_str(data, key)
    if value is None:
        raise ValueError(f"{key} is required")
    return value


def _get_instant(data: Mapping[str, object], key: str) -> datetime | None:
    """Read an optional aware ISO 8601 instant."""
    text = _get_optional_str(data, key)
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"{key} must carry a UTC offset")
    return value


def _slot_of(record: RunRecord) -> int:
    """Sort key of records."""
    return record.slot


@dataclass(frozen=True, slots=True)
class RunCounts:
    """Run totals: ``total`` counts every run ever opened, finished statuses are cumulative."""

    total: int
    pending: int = 0
    in_progress: int = 0
    success: int = 0
    failed: int = 0
    skipped: int = 0
    interrupted: int = 0

    def of(self, status: RunStatus) -> int:
        """Return the count for ``status``."""
        # Field names equal the status values by construction.
        return int(getattr(self, status.value))


class ScheduleLedger:
    """The run records of one schedule and its slot counter."""

    __slots__ = ("_finished_totals", "_next_slot", "_records")

    def __init__(
        self,
        records: Iterable[RunRecord] = (),
        next_slot: int = 0,
        finished_totals: Mapping[RunStatus, int] | None = None,
    ) -> None:
        """Create a ledger; ``next_slot`` is raised past any record so no slot is reused."""
        self._records = sorted(records, key=_slot_of)
        slots = [record.slot for record in self._records]
        if len(set(slots)) != len(slots):
            raise ValueError("duplicate slots")
        self._next_slot = max(next_slot, slots[-1] + 1 if slots else 0)
        # Cumulative per finished status, so pruning never makes a counter go down.
        stored = finished_totals or {}
        self._finished_totals = {
            status: max(stored.get(status, 0), sum(r.status is status for r in self._records))
            for status in _FINISHED
        }

    def __len__(self) -> int:
        """Return the number of stored records."""
        return len(self._records)

    @property
    def next_slot(self) -> int:
        """Slot the next opened run will get."""
        return self._next_slot

    def open(
        self,
        due: datetime | None,
        trigger: Trigger,
        targets: Iterable[str],
        now: datetime,
        *,
        queued: bool = False,
        context_id: str | None = None,
    ) -> RunRecord:
        """Allocate a slot and record a run: in progress from now, or pending if ``queued``."""
        # In progress by default: the runner opens the record as it starts work, so a crash
        # right after is recovered as interrupted. Queued (pending) is for a run waiting on the
        # concurrency limit or on its target.
        record = RunRecord(
            slot=self._next_slot,
            due=due,
            trigger=trigger,
            status=RunStatus.PENDING if queued else RunStatus.IN_PROGRESS,
            started=None if queued else now,
            targets=tuple(targets),
            context_id=context_id,
        )
        self._records.append(record)
        self._next_slot += 1
        return record

    def get(self, slot: int) -> RunRecord | None:
        """Return the record of ``slot``, or None if it was never opened or was pruned."""
        index = self._index(slot)
        return None if index is None else self._records[index]

    def last(self) -> RunRecord | None:
        """Return the newest stored record."""
        return self._records[-1] if self._records else None

    def update(self, slot: int, **changes: Unpack[RunChanges]) -> RunRecord:
        """Apply ``changes`` to the record of ``slot`` and return it; KeyError if absent."""
        index = self._index(slot)
        if index is None:
            raise KeyError(slot)
        old = self._records[index]
        new = old.with_changes(**changes)
        self._records[index] = new
        if new.status is not old.status and new.status.is_finished:
            self._finished_totals[new.status] += 1
        return new

    def unfinished(self) -> list[RunRecord]:
        """Return the records still pending or in progress, oldest first."""
        return [record for record in self._records if not record.status.is_finished]

    def interrupt_unfinished(self, now: datetime, keep: Collection[int] = ()) -> list[RunRecord]:
        """Mark runs left pending or in progress by a stop as interrupted and return them.

        Slots in ``keep`` stay as they are (a pending run that is still to start). A note the
        unfinished run had (the step a custom run reached) is kept after the text.
        """
        return [
            self.update(
                record.slot,
                status=RunStatus.INTERRUPTED,
                finished=now,
                error=INTERRUPTED_ERROR
                if not record.error
                else f"{INTERRUPTED_ERROR} {record.error}",
            )
            for record in self.unfinished()
            if record.slot not in keep
        ]

    def reserve_slots(self, next_slot: int) -> None:
        """Raise the slot counter to at least ``next_slot``."""
        # The runner journals the counter before the ledger is written; after a crash the
        # journal's value wins, so no slot handed out before the crash is handed out again.
        self._next_slot = max(self._next_slot, next_slot)

    def insert(self, record: RunRecord) -> RunRecord:
        """Record a journaled run missing from the ledger (HA died before it was saved)."""
        if self._index(record.slot) is not None:
            raise ValueError(f"slot {record.slot} is already recorded")
        insort(self._records, record, key=_slot_of)
        self.reserve_slots(record.slot + 1)
        if record.status.is_finished:
            self._finished_totals[record.status] += 1
        return record

    def insert_interrupted(
        self, slot: int, due: datetime | None, trigger: Trigger, now: datetime
    ) -> RunRecord:
        """Record a journaled run missing from the ledger as interrupted."""
        return self.insert(
            RunRecord(
                slot=slot,
                due=due,
                trigger=trigger,
                status=RunStatus.INTERRUPTED,
                finished=now,
                error=INTERRUPTED_ERROR,
            )
        )

    def page(
        self,
        start_slot: int | None = None,
        limit: int = MAX_PAGE_SIZE,
        *,
        newest_first: bool = False,
    ) -> tuple[list[RunRecord], bool]:
        """Return up to ``limit`` records from ``start_slot`` on, and whether more follow."""
        # Oldest first, a page holds slots ≥ start_slot; newest first, slots ≤ start_slot; None
        # starts at the oldest (newest) record. 0 cannot mean "newest": it is a valid cursor.
        # The limit is clipped to 1..1000, not refused, so a greedy client still gets a page.
        limit = min(max(limit, 1), MAX_PAGE_SIZE)
        if newest_first:
            stop = len(self._records) if start_slot is None else self._bisect_right(start_slot)
            first = max(stop - limit, 0)
            return self._records[first:stop][::-1], first > 0
        begin = 0 if start_slot is None else self._bisect_left(start_slot)
        end = begin + limit
        return self._records[begin:end], end < len(self._records)

    def prune(
        self,
        now: datetime,
        max_records: int = DEFAULT_MAX_RECORDS,
        max_age: timedelta = DEFAULT_MAX_AGE,
    ) -> int:
        """Drop finished records older than ``max_age``, then the oldest over ``max_records``."""
        # Unfinished records are always kept (their run may still finish or be recovered),
        # so the count may stay above max_records. Returns the number removed.
        if max_records < 0:
            raise ValueError("max_records must not be negative")
        if max_age < timedelta(0):
            raise ValueError("max_age must not be negative")
        cutoff = now - max_age
        kept = [r for r in self._records if not (r.status.is_finished and _before(r, cutoff))]
        excess = len(kept) - max_records
        if excess > 0:
            trimmed = []
            for record in kept:
                if excess > 0 and record.status.is_finished:
                    excess -= 1
                else:
                    trimmed.append(record)
            kept = trimmed
        removed = len(self._records) - len(kept)
        self._records = kept
        return removed

    def clear(self) -> int:
        """Delete every finished record (the slot counter and totals stay); return how many."""
        kept = [record for record in self._records if not record.status.is_finished]
        removed = len(self._records) - len(kept)
        self._records = kept
        return removed

    @property
    def counts(self) -> RunCounts:
        """Return run totals (finished statuses cumulative, unfinished ones current)."""
        return RunCounts(
            total=self._next_slot,
            pending=sum(r.status is RunStatus.PENDING for r in self._records),
            in_progress=sum(r.status is RunStatus.IN_PROGRESS for r in self._records),
            **{status.value: count for status, count in self._finished_totals.items()},
        )

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-safe dict."""
        return {
            "next_slot": self._next_slot,
            "totals": {status.value: n for status, n in self._finished_totals.items()},
            "records": [record.as_dict() for record in self._records],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ScheduleLedger:
        """Build a ledger from ``as_dict`` output; raise ValueError on malformed data."""
        records = data.get("records", [])
        totals = data.get("totals", {})
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ValueError("records must be a list of objects")
        if not isinstance(totals, dict) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in totals.values()
        ):
            raise ValueError("totals must map statuses to integers")
        return cls(
            records=[RunRecord.from_dict(record) for record in records],
            next_slot=_get_int(data, "next_slot", 0),
            finished_totals={RunStatus(status): n for status, n in totals.items()},
        )

    def _index(self, slot: int) -> int | None:
        """Return the list index of ``slot``, or None."""
        index = self._bisect_left(slot)
        if index < len(self._records) and self._records[index].slot == slot:
            return index
        return None

    def _bisect_left(self, slot: int) -> int:
        """Return the index of the first record with a slot ≥ ``slot``."""
        return bisect_left(self._records, slot, key=_slot_of)

    def _bisect_right(self, slot: int) -> int:
        """Return the index after the last record with a slot ≤ ``slot``."""
        return bisect_right(self._records, slot, key=_slot_of)


def _before(record: RunRecord, cutoff: datetime) -> bool:
    """Whether a record is older than ``cutoff`` (a record without any instant is)."""
    instant = record.reference_instant
    return instant is None or instant < cutoff
