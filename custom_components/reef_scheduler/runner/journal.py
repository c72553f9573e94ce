"""The run journal: what happens to runs, appended to a file as it happens.

The ledger and the run state are written together, coalesced (every few seconds). What happened
since that write is in the journal, so after a kill the ledger still tells the truth: a run that
finished is never ``interrupted``, a run that started always has its ``started`` instant, and no
due instant is started twice.

The file is ``.storage/reef_scheduler.journal<suffix>.jsonl``: one JSON object a line, ``e``
naming the event, ``sid`` the schedule:

- ``start``: ``record``, the run's record as opened (slot, due, trigger, started, targets,
  context id); a run due on the timer or caught up also marks its due instant as started;
- ``finish``: ``slot``, ``due``, ``status``, ``finished``, ``attempts``, ``error``, ``failed``
  (the targets that failed), ``runs`` (the schedule's run count with this run);
- ``note``: ``slot``, ``text`` (a note added to a run's record, also after it finished);
- ``skip``: ``record``, a run recorded as skipped (its due instant counts as decided);
- ``prepare``: ``record``, a timed run of an event-like schedule written ahead of its due
  instant (slot as expected, due, trigger ``timer``, no start instant, targets, context id), so
  that at the due instant it can start without waiting for the disk;
- ``cancel``: ``due``, a prepared run withdrawn before its due instant (edited, paused, ...);
- ``mark``: ``slot`` (the next slot) and ``through`` (the latest due started), only from the
  journal store of earlier versions.

A prepare is settled by the ``start`` (or ``skip``) of the same schedule and due instant, or by
its ``cancel``. One left unsettled means Home Assistant stopped between the prepare and the
run's start line: if its due instant has come, the run counts as started and interrupted (it
may have made its first call: an event is never repeated); if it is still ahead (the clock was
set back), the prepare is dropped. The line of a prepare not yet settled survives compactions.

Lines are appended off the event loop; the lines appended in one loop iteration go out in one
write. Once the state and ledger write completes, the file is rewritten beside itself and renamed
over (atomic), holding only the lines that write does not cover, so it stays as small as the runs
of one write period. Replaying is idempotent: a record is created only for a slot the ledger
never handed out and finished only while unfinished, the run state takes the outcome lines in
order and the run count as a maximum, so replaying a journal twice (or one whose compaction a
kill prevented, or over a state and ledger a kill caught between their two writes) never
duplicates a record or a count.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
import os
from pathlib import Path
from typing import Any, Protocol

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.json import json_bytes
from homeassistant.util.json import json_loads

from ..const import LOGGER
from ..engine.ledger import RunRecord, RunStatus, ScheduleLedger, Trigger
from ..engine.shorten import shorten

type JsonDict = dict[str, Any]

START = "start"
FINISH = "finish"
NOTE = "note"
SKIP = "skip"
MARK = "mark"
PREPARE = "prepare"
CANCEL = "cancel"
# Kept in the record of a prepared run that Home Assistant stopped at (its start line is missing).
PREPARED_NOTE = "at its start; it is not repeated"
# A started run marks its due instant as started only when the due came from the timing.
_TIMED = frozenset({Trigger.TIMER, Trigger.CATCH_UP})


def _iso(value: datetime | None) -> str | None:
    """Return an ISO string or None."""
    return None if value is None else value.isoformat()


def _parse(value: Any) -> datetime | None:
    """Parse an ISO string (None stays None)."""
    return None if value is None else datetime.fromisoformat(value)


def _temporary(path: Path) -> Path:
    """Return the file a compaction writes before renaming it over the journal."""
    return path.with_name(path.name + ".tmp")


# The file functions run in the executor. A write handed to the kernel survives a kill -9 of
# the process without an fsync; power loss is another matter (the last lines may be lost then,
# as Home Assistant's own stores may lose their last write).


def _append(path: Path, data: bytes) -> None:
    """Append bytes to the journal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as file:
        file.write(data)


def _replace(path: Path, data: bytes) -> None:
    """Replace the journal's content: write beside it, then rename over it (atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(path)
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _read(path: Path) -> bytes:
    """Return the journal's content (empty when there is none); drop a half-done compaction."""
    _temporary(path).unlink(missing_ok=True)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def _remove(path: Path) -> None:
    """Delete the journal and any half-done compaction."""
    path.unlink(missing_ok=True)
    _temporary(path).unlink(missing_ok=True)


class RunJournal:
    """Append-only journal of run events, written off the loop and compacted after a snapshot."""

    def __init__(self, hass: HomeAssistant, path: Path) -> None:
        """Bind the journal to its file (nothing is read yet)."""
        self._hass = hass
        self.path = path
        # Every line since the last compaction with its number, oldest first.
        self._lines: deque[tuple[int, bytes]] = deque()
        self._pending: list[bytes] = []
        self._seq = 0
        # Every line up to this number is on disk, or covered by a completed snapshot.
        self._written = 0
        self._cut = 0
        self._compacted = 0
        # Rewrite the whole file next (after a failed or torn write, or a migration).
        self._rewrite = False
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._drain: asyncio.Task[None] | None = None
        # The lines of prepares not yet settled (schedule, due): compactions keep them.
        self._pinned: dict[tuple[str, datetime], int] = {}

    @property
    def seq(self) -> int:
        """Return the number of the last line appended."""
        return self._seq

    def __len__(self) -> int:
        """Return the number of lines the file holds (or will, once written)."""
        return len(self._lines)

    # ----- events -------------------------------------------------------------------------

    @callback
    def prepared(self, sid: str, record: RunRecord) -> int:
        """Journal a timed run ahead of its due instant; return the line's number."""
        assert record.due is not None  # only timed runs are prepared
        seq = self.append({"e": PREPARE, "sid": sid, "record": record.as_dict()})
        self._pinned[sid, record.due] = seq
        return seq

    @callback
    def cancelled(self, sid: str, due: datetime) -> int:
        """Journal a prepared run withdrawn before its due instant."""
        self._pinned.pop((sid, due), None)
        return self.append({"e": CANCEL, "sid": sid, "due": due.isoformat()})

    @callback
    def started(self, sid: str, record: RunRecord) -> int:
        """Journal a run opened; return the line's number (to wait for it)."""
        if record.due is not None:
            self._pinned.pop((sid, record.due), None)
        return self.append({"e": START, "sid": sid, "record": record.as_dict()})

    @callback
    def finished(
        self,
        sid: str,
        slot: int,
        due: datetime | None,
        status: RunStatus,
        finished: datetime,
        attempts: int,
        error: str | None,
        failed_targets: Iterable[str] = (),
        runs: int | None = None,
    ) -> int:
        """Journal a run's outcome (``runs``: the schedule's run count with this run)."""
        return self.append(
            {
                "e": FINISH,
                "sid": sid,
                "slot": slot,
                "due": _iso(due),
                "status": status.value,
                "finished": finished.isoformat(),
                "attempts": attempts,
                "error": error,
                "failed": list(failed_targets),
                "runs": runs,
            }
        )

    @callback
    def noted(self, sid: str, slot: int, text: str) -> int:
        """Journal a note added to a run's record."""
        return self.append({"e": NOTE, "sid": sid, "slot": slot, "text": text})

    @callback
    def skipped(self, sid: str, record: RunRecord) -> int:
        """Journal a run recorded as skipped (the finished record)."""
        return self.append({"e": SKIP, "sid": sid, "record": record.as_dict()})

    @callback
    def append(self, event: JsonDict) -> int:
        """Queue one line; it is written with the others of this loop iteration."""
        self._seq += 1
        line = json_bytes(event) + b"\n"
        self._lines.append((self._seq, line))
        self._pending.append(line)
        self._kick()
        return self._seq

    # ----- writing ------------------------------------------------------------------------

    async def async_wait(self, seq: int) -> None:
        """Return once line ``seq`` is on disk; raise OSError if writing it failed."""
        if self._written >= seq:
            return
        future: asyncio.Future[None] = self._hass.loop.create_future()
        self._waiters.append((seq, future))
        self._kick()
        await future

    async def async_flush(self) -> None:
        """Wait until everything queued (lines, a compaction) is written or has failed."""
        while self._drain is not None and not self._drain.done():
            await asyncio.shield(self._drain)

    @callback
    def compact(self, covered: int) -> None:
        """Drop the lines up to ``covered``: a completed state and ledger write holds them."""
        if covered > self._cut:
            self._cut = covered
            self._kick()

    @callback
    def _kick(self) -> None:
        """Start the writer task unless it runs; it starts next iteration, so lines batch."""
        if self._drain is None or self._drain.done():
            self._drain = self._hass.async_create_task(
                self._async_drain(), "reef scheduler journal", eager_start=False
            )

    async def _async_drain(self) -> None:
        """Write until nothing is left: one executor job per step, in order."""
        while True:
            target = self._seq
            if self._cut > self._compacted or self._rewrite:
                pinned = set(self._pinned.values())
                self._lines = deque(
                    line for line in self._lines if line[0] > self._cut or line[0] in pinned
                )
                self._compacted = self._cut
                self._rewrite = False
                self._pending = []
                data = b"".join(line for _, line in self._lines)
                job: Callable[[Path, bytes], None] = _replace
            elif self._pending:
                data = b"".join(self._pending)
                self._pending = []
                job = _append
            else:
                return
            try:
                await self._hass.async_add_executor_job(job, self.path, data)
            except Exception as err:  # an executor shut down must fail the waiters too
                LOGGER.error("Could not write the run journal %s: %s", self.path, err)
                # A part of the lines may be on disk: rewrite the whole file next time.
                self._rewrite = True
                self._release(target, err if isinstance(err, OSError) else OSError(str(err)))
                return
            self._written = max(self._written, target)
            self._release(self._written, None)

    @callback
    def _release(self, upto: int, error: OSError | None) -> None:
        """Wake the waiters for lines up to ``upto`` (with the error, if the write failed)."""
        waiting = []
        for seq, future in self._waiters:
            if seq > upto:
                waiting.append((seq, future))
            elif not future.done():
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)
        self._waiters = waiting

    # ----- loading and removal ------------------------------------------------------------

    async def async_load(self, migrated: Iterable[JsonDict] = ()) -> list[JsonDict]:
        """Read the journal (after ``migrated`` events, e.g. the old store's); return its events.

        Lines that cannot be read (a write torn by a kill) are dropped; the file is then
        rewritten clean before anything is appended to it.
        """
        content = await self._hass.async_add_executor_job(_read, self.path)
        events = list(migrated)
        self._rewrite = bool(events)
        for raw in content.splitlines():
            try:
                event = json_loads(raw)
            except ValueError:
                event = None
            if not isinstance(event, dict):
                LOGGER.warning("Dropped an unreadable run journal line: %r", raw[:200])
                self._rewrite = True
                continue
            events.append(event)
        if content and not content.endswith(b"\n"):
            self._rewrite = True
        for event in events:
            self._seq += 1
            self._lines.append((self._seq, json_bytes(event) + b"\n"))
        if self._rewrite:
            self._kick()
        else:
            self._written = self._seq
        return events

    async def async_remove(self) -> None:
        """Delete the journal file (the entry is being removed)."""
        await self._hass.async_add_executor_job(_remove, self.path)


def events_from_legacy(schedules: Mapping[str, JsonDict]) -> list[JsonDict]:
    """Turn the journal store of earlier versions into events.

    It held per schedule the slot mark, the latest due started and the run under way (slot, due,
    trigger; its start instant was not kept, the due is the best known).
    """
    events: list[JsonDict] = []
    for sid, entry in schedules.items():
        if run := entry.get("run"):
            record = {
                "slot": run["slot"],
                "due": run.get("due"),
                "trigger": run["trigger"],
                "status": RunStatus.IN_PROGRESS.value,
                "started": run.get("due"),
            }
            events.append({"e": START, "sid": sid, "record": record})
        mark = {"slot": entry.get("slot", 0), "through": entry.get("through")}
        events.append({"e": MARK, "sid": sid} | mark)
    return events


class RunState(Protocol):
    """What the replay updates of a schedule's run state."""

    runs: int

    def record_result(self, status: RunStatus, at: datetime | None, error: str | None) -> None:
        """Note a run's outcome."""


@dataclass(slots=True)
class Replayed:
    """What a replay found besides the records it restored."""

    # Per schedule, in the shape of earlier versions' journal: {"through": ISO instant}.
    marks: dict[str, JsonDict] = field(default_factory=dict)
    # Per schedule, the last outcome the replay restored, with the targets that failed.
    results: dict[str, tuple[RunStatus, tuple[str, ...]]] = field(default_factory=dict)
    # Prepares left unsettled whose due instant is still ahead (dropped: the run is to come).
    dropped: list[tuple[str, datetime]] = field(default_factory=list)
    applied: int = 0


def replay(
    events: Iterable[JsonDict],
    ledger_of: Callable[[str], ScheduleLedger],
    states: Mapping[str, RunState],
    known: Container[str],
    now: datetime,
) -> Replayed:
    """Apply journal events to the loaded ledgers and states (idempotent by slot).

    A start creates its record (in progress, with its start instant) unless the ledger already
    handed out its slot; a finish ends a record still unfinished; notes and skips are restored
    the same way. Finishes and skips set the state's last result and run in order, and its run
    count to at least the count they carry. A prepare left unsettled (see the module) is a run
    in progress if its due instant is at or before ``now``, else it is dropped. Events of
    unknown schedules are ignored.
    """
    replayed = Replayed()
    prepared: dict[tuple[str, datetime], RunRecord] = {}
    for event in events:
        sid = event.get("sid")
        if not isinstance(sid, str) or sid not in known:
            continue
        try:
            _apply(event, sid, ledger_of(sid), states.get(sid), replayed, prepared)
        except (AttributeError, KeyError, TypeError, ValueError) as err:
            LOGGER.warning("Ignored a malformed run journal line of %s: %s", shorten(sid), err)
    for (sid, due), record in prepared.items():
        if due > now:
            replayed.dropped.append((sid, due))
        else:
            _start_prepared(sid, due, record, ledger_of(sid), replayed)
    return replayed


def _start_prepared(
    sid: str, due: datetime, record: RunRecord, ledger: ScheduleLedger, replayed: Replayed
) -> None:
    """Record an unsettled prepare whose due instant has come as a run in progress.

    Its start line is missing, so its slot and start instant are unknown: it takes the next
    slot, unless the ledger already holds a timed run of that instant (a replay over a ledger
    written after this one was made).
    """
    _mark_through(replayed, sid, due)
    later, _ = ledger.page(record.slot)
    if any(other.due == due and other.trigger in _TIMED for other in later):
        return
    slot = ledger.next_slot
    ledger.insert(replace(record, slot=slot, error=PREPARED_NOTE))
    replayed.applied += 1


def _apply(
    event: JsonDict,
    sid: str,
    ledger: ScheduleLedger,
    state: RunState | None,
    replayed: Replayed,
    prepared: dict[tuple[str, datetime], RunRecord],
) -> None:
    """Apply one event (see replay)."""
    kind = event["e"]
    if kind == PREPARE:
        record = RunRecord.from_dict(event["record"])
        if record.due is None or record.status is not RunStatus.IN_PROGRESS:
            raise ValueError("a prepared run is timed and in progress")
        prepared[sid, record.due] = record
    elif kind == CANCEL:
        prepared.pop((sid, datetime.fromisoformat(event["due"])), None)
    elif kind in (START, SKIP):
        record = RunRecord.from_dict(event["record"])
        if record.due is not None:
            prepared.pop((sid, record.due), None)
        if record.due is not None and (kind == SKIP or record.trigger in _TIMED):
            _mark_through(replayed, sid, record.due)
        if kind == SKIP and state is not None:
            state.record_result(record.status, record.due or record.finished, record.error)
        if record.slot >= ledger.next_slot:
            ledger.insert(record)
            replayed.applied += 1
    elif kind == FINISH:
        slot = int(event["slot"])
        status = RunStatus(event["status"])
        finished = _parse(event["finished"])
        due = _parse(event.get("due"))
        current = ledger.get(slot)
        if current is not None and not current.status.is_finished:
            ledger.update(
                slot,
                status=status,
                finished=finished,
                attempts=int(event["attempts"]),
                error=event.get("error"),
            )
            replayed.applied += 1
        replayed.results[sid] = (status, tuple(event.get("failed") or ()))
        if state is not None:
            state.record_result(status, due or finished, event.get("error"))
            if (runs := event.get("runs")) is not None:
                state.runs = max(state.runs, int(runs))
    elif kind == NOTE:
        slot = int(event["slot"])
        if ledger.get(slot) is not None:
            ledger.update(slot, error=str(event["text"]))
    elif kind == MARK:
        ledger.reserve_slots(int(event["slot"]))
        if (through := _parse(event.get("through"))) is not None:
            _mark_through(replayed, sid, through)
    else:
        raise ValueError(f"unknown event {kind!r}")


def _mark_through(replayed: Replayed, sid: str, due: datetime) -> None:
    """Raise a schedule's latest started (or decided) due instant to ``due``."""
    marks = replayed.marks.setdefault(sid, {})
    through = _parse(marks.get("through"))
    if through is None or due > through:
        marks["through"] = _iso(due)
