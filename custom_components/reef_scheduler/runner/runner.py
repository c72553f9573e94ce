"""The runner: one wall-clock timer for the earliest due run; executes runs, survives restarts.

Wake-ups do not grow with the number of schedules: one timer for the earliest due run. Home
Assistant turns a wall-clock target into a monotonic loop timer once, so a wall-clock step
while armed would make its timer late (core issue #111484); the runner's ``WallClockTimer``
expires at the wall-clock instant and reports a clock set at once (a kernel timerfd on Linux,
else a loop timer with a guard that re-arms it from the wall clock every few seconds).

Each wake-up compares how far the wall clock and the loop's monotonic clock moved since the
last one (``clock_step``). A difference beyond its tolerance is a clock step. After a forward
step the runs due in the jumped interval are handled as after a restart over that interval
(``missed``), then every target is reconciled (``reconcile``); after a backward step nothing
is re-applied and no due run starts twice (a schedule's next due never moves back).

Nothing slow stands between a due instant and the runs' first calls. An event-like run (toggle,
custom) must be on disk as started before its first call, so that a kill never repeats it; for
timed runs that line is written ahead: ``PREPARE_LEAD`` before the earliest due instant the
timer wakes, journals one ``prepare`` line per event-like run due then (one write for all) and
has their scripts built, then sleeps until the instant itself. At the instant every run due
then starts in one pass, without waiting for the disk unless the prepare write is still under
way (a slow disk). A prepared run withdrawn before its instant (edited, paused, skipped,
removed, unloaded, a clock step, Home Assistant stopping) journals a ``cancel``; the journal
module says how a restart reads what a kill left. The runs' records and the listeners are
updated once all the pass's runs have made their first calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import (
    AsyncIterator,
    Callable,
    Collection,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
import contextlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import functools
from typing import Any, Protocol
import uuid
from zoneinfo import ZoneInfo

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.json import json_dumps, json_fragment
from homeassistant.util import dt as dt_util
from homeassistant.util.json import json_loads
from homeassistant.util.ulid import ulid_now

from ..const import DOMAIN, LOGGER, issue_id
from ..engine.due_queue import DueQueue
from ..engine.ledger import (
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_RECORDS,
    RunRecord,
    RunStatus,
    ScheduleLedger,
    Trigger,
    error_of,
    result_of,
)
from ..engine.model import ActionType, Schedule
from ..engine.prescribed import MoonWindows, Prescription, prescribe
from ..engine.shorten import MAX_ITEM, MAX_MESSAGE, shorten, shorten_list, shorten_name
from ..engine.summary import RunSummary, status_of
from ..engine.timeline import (
    SunCalculator,
    get_zone,
    load_zones,
    next_run,
    next_runs,
    runs_between,
)
from ..engine.validate import FieldError, ScheduleInvalid, schedule_to_dict, validate_schedule
from .journal import replay
from .missed import Cause, StateCatchUp, StateCatchUps, missed_runs, triage
from .pause_gc import GcHold, gc_paused
from .reconcile import Reconciler
from .store import CoalescedWriter, Damage, JsonDict, ReefStore
from .texts import listing
from .wallclock import WallClockTimer, clock_step

# How long before a due instant the start lines of its event-like runs are written. It must
# exceed a slow disk's append (an SD card under write-back stalls for tens, rarely hundreds, of
# milliseconds; the append waits for an executor thread too); a run waits only when the write
# takes longer. It is also how long before its instant a kill turns a run into an interrupted
# one (never run, never repeated) rather than a missed one (caught up per its policy).
PREPARE_LEAD = timedelta(seconds=0.5)
ISSUE_RUN_FAILED = "run_failed"
ISSUE_CUSTOM_RUN_FAILED = "custom_run_failed"
ISSUE_CUSTOM_RUN_INTERRUPTED = "custom_run_interrupted"
_RUN_ISSUES = (ISSUE_RUN_FAILED, ISSUE_CUSTOM_RUN_FAILED, ISSUE_CUSTOM_RUN_INTERRUPTED)
# A custom run's record names the step it reached: "at step 2: delay 0:00:20".
_STEP_NOTE = "at step "
_UNKNOWN_STEP = "?"
# Instants skipped on request kept per schedule (the oldest are forgotten first).
MAX_SKIPPED = 64
SUPERSEDED = "A later run of another schedule prescribes the state of all its targets"
REPLACED = "A later missed run replaced it"
NOT_STARTED = "Home Assistant stopped before the run could start"
NO_TARGET = "No target entity exists"
CHANGED = "The schedule was disabled or changed before the run could start"


@dataclass(frozen=True, slots=True)
class RunResult:
    """Outcome of executing a run's action."""

    status: RunStatus
    attempts: int = 1
    error: str | None = None
    failed_targets: tuple[str, ...] = ()
    # A custom run: the last step it reached ("2: delay 0:00:20").
    step: str | None = None


def step_note(step: str) -> str:
    """Return the note of a run that reached a custom step (kept in its record's text)."""
    return f"{_STEP_NOTE}{step}"


def noted_step(text: str | None) -> str | None:
    """Return the step a record's text names, or None."""
    _, found, step = (text or "").partition(_STEP_NOTE)
    return step if found else None


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What the executor needs to know about one run."""

    schedule: Schedule
    slot: int
    due: datetime | None
    trigger: Trigger
    context_id: str
    # Adds a note to the run's record after it finished (e.g. a ramp stopped by the user).
    on_note: Callable[[str], None] | None = None
    # Called as a custom run starts each step, with the step's description.
    on_step: Callable[[str], None] | None = None
    # Gives the run's concurrency slot back while a step only waits (a delay of hours must not
    # hold one of the few slots every other run needs).
    waiting: Callable[[], contextlib.AbstractAsyncContextManager[None]] = contextlib.nullcontext


class CareHook(Protocol):
    """What feed mode and maintenance (runner/care.py) decide inside the runner."""

    def user_pause(self, sid: str, until: datetime | None) -> datetime | None:
        """Note a user's pause (None: resume) of a schedule; return the pause to apply."""

    def takes_over(self, entity_id: str, prescription: Prescription | None) -> bool:
        """Return True when care drives the entity now (held, or restored to its level before)."""

    def drives(self, entity_id: str) -> bool:
        """Return True for an entity care holds or has still to restore."""

    def clock_set(self) -> None:
        """Learn that the wall clock was set (its stages are timed by the wall clock)."""


class RunExecutor(Protocol):
    """Carries out a run's action against Home Assistant."""

    async def async_execute(self, request: RunRequest) -> RunResult:
        """Execute the run and report its outcome."""

    async def async_validate(self, schedule: Schedule) -> None:
        """Raise ScheduleInvalid for what only Home Assistant can check."""

    def prepare(self, schedule: Schedule) -> None:
        """Get what a run of the schedule needs ready ahead of its due instant (its script)."""

    def forget(self, schedule_id: str) -> None:
        """Drop what was made ready for a schedule and stop its light curves (edited, removed)."""

    async def async_stop(self) -> None:
        """Stop whatever the executor still runs (ramps, holds)."""

    async def async_apply_state(
        self,
        schedule: Schedule,
        entity_id: str,
        prescription: Prescription,
        context_id: str,
        on_note: Callable[[str], None],
    ) -> RunResult:
        """Drive one entity to its prescription now (a ramp or hold is followed on)."""


@dataclass(slots=True)
class ScheduleState:
    """Run state of one schedule, persisted with coalesced writes."""

    next_due: datetime | None = None
    last_run: datetime | None = None
    last_result: RunStatus | None = None
    # The error of the last run when it failed or was interrupted, else None.
    last_error: str | None = None
    runs: int = 0
    expired: bool = False
    paused_until: datetime | None = None
    # Instants skipped on request (skip_next): never run, and not part of the prescribed
    # state; kept until a later run has happened.
    skipped: tuple[datetime, ...] = ()

    @property
    def wake_at(self) -> datetime | None:
        """Return when the runner must next look at this schedule."""
        return self.paused_until or self.next_due

    def record_result(self, status: RunStatus, at: datetime | None, error: str | None) -> None:
        """Note a run's outcome: when it was due (or ended), its result and its error."""
        self.last_run = at
        self.last_result = status
        self.last_error = error_of(status, error)

    def summary(self, *, enabled: bool) -> RunSummary:
        """Return the runs in brief (the Enabled switch's attributes) of a schedule."""
        status = status_of(
            enabled=enabled,
            expired=self.expired,
            paused=self.paused_until is not None,
            next_run=self.next_due,
        )
        return RunSummary(
            self.next_due,
            self.last_run,
            result_of(self.last_result),
            self.last_error,
            self.runs,
            status,
        )

    def as_dict(self) -> JsonDict:
        """Return the JSON form."""
        return {
            "next_due": _iso(self.next_due),
            "last_run": _iso(self.last_run),
            "last_result": self.last_result,
            "last_error": self.last_error,
            "runs": self.runs,
            "expired": self.expired,
            "paused_until": _iso(self.paused_until),
            "skipped": [instant.isoformat() for instant in self.skipped],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScheduleState:
        """Read the JSON form."""
        result = data.get("last_result")
        return cls(
            next_due=_parse(data.get("next_due")),
            last_run=_parse(data.get("last_run")),
            last_result=RunStatus(result) if result else None,
            last_error=data.get("last_error"),
            runs=int(data.get("runs", 0)),
            expired=bool(data.get("expired", False)),
            paused_until=_parse(data.get("paused_until")),
            skipped=tuple(datetime.fromisoformat(text) for text in data.get("skipped", ())),
        )


@dataclass(slots=True)
class _Pass:
    """What a pass of runs holds back until every run of it has made its first call."""

    # Bookkeeping of its runs (start lines not waited for, notes, finishes), in order; None
    # once it is being done.
    later: list[Callable[[], None]] | None = field(default_factory=list)
    # Schedules whose listeners are told once, at its end.
    changed: dict[str, None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A timed event-like run whose start line was journaled ahead of its due instant."""

    due: datetime
    context_id: str
    line: int  # the journal line to wait for before the first call


@dataclass(slots=True)
class InvalidSchedule:
    """A stored schedule that no longer validates: kept as stored (any JSON), never run."""

    spec: Any
    errors: tuple[FieldError, ...]

    @property
    def fields(self) -> JsonDict:
        """Return the stored fields to edit (none if what was stored is no object)."""
        return dict(self.spec) if isinstance(self.spec, Mapping) else {}


@dataclass(slots=True)
class LoadReport:
    """What the start found: definitions rebuilt, copies out of step, damaged files."""

    # Schedules missing from the store (or unreadable there) taken from the copies given.
    rebuilt: list[str] = field(default_factory=list)
    # Definitions as stored whose copy is missing or differs (id -> definition).
    stale: dict[str, Any] = field(default_factory=dict)
    damaged: list[Damage] = field(default_factory=list)


@contextlib.asynccontextmanager
async def _slot_given_back(semaphore: asyncio.Semaphore) -> AsyncIterator[None]:
    """Release a held concurrency slot for a while, then take one again."""
    semaphore.release()
    try:
        yield
    finally:
        # Shielded: a run cancelled while queueing here still takes the slot its caller's
        # `async with` gives back, so the count of slots never grows.
        await asyncio.shield(semaphore.acquire())


def _iso(value: datetime | None) -> str | None:
    """Return an ISO string or None."""
    return None if value is None else value.isoformat()


def _parse(value: Any) -> datetime | None:
    """Parse an ISO string written by _iso."""
    return None if value is None else datetime.fromisoformat(value)


def _merge_copies(specs: dict[str, Any], copies: Mapping[str, Any], report: LoadReport) -> None:
    """Rebuild definitions missing from the store (or no object there) from their copies."""
    for sid, copy in copies.items():
        if sid not in specs or (not isinstance(specs[sid], Mapping) and isinstance(copy, Mapping)):
            specs[sid] = copy
            report.rebuilt.append(sid)
    report.stale = _out_of_step(specs, copies)


def _out_of_step(definitions: Mapping[str, Any], copies: Mapping[str, Any]) -> dict[str, Any]:
    """Return the definitions whose copy is missing or differs."""
    missing = object()
    return {sid: d for sid, d in definitions.items() if copies.get(sid, missing) != d}


class ScheduleRunner:
    """Owns the local schedules, their timers, state, ledger and journal."""

    def __init__(
        self,
        hass: HomeAssistant,
        store: ReefStore,
        executor: RunExecutor,
        *,
        sun: SunCalculator | None = None,
        moon_windows: MoonWindows | None = None,
        max_concurrent_runs: int = 8,
        background: Callable[[Any, str], asyncio.Task[Any]] | None = None,
        issue_scope: str | None = None,
    ) -> None:
        """Create an idle runner; call async_start to load and arm.

        ``issue_scope`` (a server entry's id) sets its repair issues apart from those of the
        local runner and of other servers, whose schedule ids may be the same. ``moon_windows``
        give light profiles moonrise and moonset.
        """
        self.hass = hass
        self._issue_scope = issue_scope
        self._store = store
        self._executor = executor
        self._sun = sun
        self.moon_windows = moon_windows
        self._background = background or (lambda coro, name: hass.async_create_task(coro, name))
        self._semaphore = asyncio.Semaphore(max_concurrent_runs)
        self._max_concurrent_runs = max_concurrent_runs
        self.max_records = DEFAULT_MAX_RECORDS
        self.max_age = DEFAULT_MAX_AGE
        # Filled into new schedules that do not set these themselves (the entry's options).
        self.new_schedule_defaults: dict[str, Any] = {}
        self.schedules: dict[str, Schedule] = {}
        self.states: dict[str, ScheduleState] = {}
        self.invalid: dict[str, InvalidSchedule] = {}
        # Each valid schedule's definition as written (a write does not rebuild them all).
        # Valid definitions as the store writes them (JSON text, built when first needed): the
        # schedules file and the subentries' copies share them.
        self._stored: dict[str, str] = {}
        self._ledgers: dict[str, ScheduleLedger] = {}
        self._journal = store.journal
        self._queue = DueQueue()
        self._timer: WallClockTimer | None = None  # from async_start to async_stop
        self._tasks: set[asyncio.Task[Any]] = set()
        self._listeners: dict[str, list[Callable[[], None]]] = {}
        self._pass: _Pass | None = None
        self._prepared: dict[str, _Prepared] = {}
        # The due instant whose lead has begun: collections are held back until its pass.
        self._readied: datetime | None = None
        self._gc_hold = GcHold()
        self._unsub_stop: CALLBACK_TYPE | None = None
        self._collection_listeners: list[Callable[[str, bool], None]] = []
        self._reconcile_listeners: list[Callable[[str, str, str], None]] = []
        self._run_listeners: list[Callable[[Schedule, RunRecord], None]] = []
        self.last_lateness: timedelta | None = None
        # Refuses a run now before anything changes (a dose past its doser's daily maximum).
        self.run_now_guard: Callable[[Schedule], None] | None = None
        # A completed write compacts the journal: it keeps only what the write does not cover.
        self._reconciler = Reconciler(hass, self)
        # Feed mode and maintenance: they keep a user's pause apart and hold devices.
        self.care: CareHook | None = None
        self._catch_ups = StateCatchUps()
        self._event_catch_ups: dict[str, int] = {}  # schedule id -> slot of a pending one
        # Wall and loop time at the last wake-up (clock steps show as a difference).
        self._clock = (dt_util.utcnow(), hass.loop.time())
        self._writer = CoalescedWriter(
            hass,
            (store.state, store.ledger),
            self._run_data_snapshot,
            delay=10.0,
            journal=store.journal,
        )

    @callback
    def async_set_limits(
        self, *, max_records: int, max_age: timedelta, max_concurrent_runs: int
    ) -> None:
        """Apply the entry's retention and concurrency options (takes effect for new runs)."""
        self.max_records = max_records
        self.max_age = max_age
        if max_concurrent_runs != self._max_concurrent_runs:
            self._semaphore = asyncio.Semaphore(max_concurrent_runs)
            self._max_concurrent_runs = max_concurrent_runs

    @property
    def target_wait(self) -> timedelta:
        """Return how long start-up work waits for a target to become available."""
        return self._reconciler.wait

    @target_wait.setter
    def target_wait(self, wait: timedelta) -> None:
        """Set how long start-up work waits for a target (0: not at all)."""
        self._reconciler.wait = wait

    @callback
    def reconcile_entities(self, entity_ids: Iterable[str]) -> None:
        """Drive these entities to what they should be now (once Home Assistant runs)."""
        self._reconciler.request_entities(entity_ids)

    def prescribed_now(self, entity_ids: Collection[str]) -> Mapping[str, Prescription]:
        """Return what the schedules prescribe now for these entities (those with one)."""
        return self._reconciler.prescriptions(entity_ids, dt_util.utcnow())

    @property
    def awaited_targets(self) -> dict[str, datetime] | None:
        """Return the targets waited for since when; None until Home Assistant has started."""
        return self._reconciler.awaited if self._reconciler.started else None

    # ----- start / stop -------------------------------------------------------------------

    @property
    def default_zone(self) -> str:
        """Return Home Assistant's time zone name."""
        return self.hass.config.time_zone

    def zone(self, schedule: Schedule) -> ZoneInfo:
        """Return the zone a schedule's wall-clock fields are read in."""
        return get_zone(schedule.timezone or self.default_zone)

    async def async_start(self, copies: Mapping[str, Any] | None = None) -> LoadReport:
        """Load everything, recover from the last stop and arm the timer.

        ``copies`` are definitions kept elsewhere (the local entry's subentries): one missing
        from the store, or unreadable there, is rebuilt from its copy and written back; the
        report says which copies are missing or out of step with the store.
        Catch-up runs and the reconcile of every target are only queued here (pending):
        ``async_start_reconciling`` lets them happen once Home Assistant has started.
        """
        loaded = await self._store.async_load()
        report = LoadReport(damaged=loaded.damaged)
        specs, states, ledgers, events = (
            loaded.schedules,
            loaded.state,
            loaded.ledger,
            loaded.events,
        )
        if copies is not None:
            _merge_copies(specs, copies, report)
        zones = [spec.get("timezone") for spec in specs.values() if isinstance(spec, Mapping)]
        await self.hass.async_add_executor_job(load_zones, zones)  # reading tzdata blocks
        now = dt_util.utcnow()
        # Nothing the load builds makes reference cycles, and the loop runs nothing else.
        with gc_paused():
            report.damaged += self._load(specs, states, ledgers)
            journal = self._replay(events, now)
            self._recover(now, journal, has_state=states.keys())
            self._queue.bulk_load(
                {sid: wake for sid, st in self.states.items() if (wake := st.wake_at) is not None}
            )
        self._reconciler.request_all()
        if events or self._catch_ups or self._event_catch_ups:
            self._writer.schedule()
        self._clock = (now, self.hass.loop.time())
        self._timer = WallClockTimer(self.hass.loop, self._fire_due, self._fire_due)
        self._unsub_stop = self.hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, self._on_stop)
        self._arm()
        if report.rebuilt:
            LOGGER.warning(
                "Rebuilt %d schedules missing from the store from their copies: %s",
                len(report.rebuilt),
                shorten_list(report.rebuilt),
            )
        if report.rebuilt or any(d.key == self._store.schedules.key for d in report.damaged):
            await self._async_save_definitions()
            if copies is not None:  # the copies follow the file as now written
                written = {
                    sid: self.stored_definition(sid) for sid in (*self.invalid, *self.schedules)
                }
                report.stale = _out_of_step(written, copies)
        return report

    @callback
    def _on_stop(self, _event: Event) -> None:
        """Withdraw the prepared runs: a graceful stop leaves their runs missed, not cut off."""
        self._unsub_stop = None
        self._withdraw_all()
        self._end_lead()

    @callback
    def async_start_reconciling(self) -> None:
        """Start the start-up work once Home Assistant has started (after run listeners).

        Catch-up runs then start as their targets become available, and every target of a
        state-describing schedule is driven to its prescribed state.
        """
        self._reconciler.async_start()

    def _load(
        self,
        specs: Mapping[str, JsonDict],
        states: dict[str, JsonDict],
        ledgers: Mapping[str, JsonDict],
    ) -> list[Damage]:
        """Build schedules, states and ledgers from what was stored (invalid ones are kept).

        A schedule's run history or run state that cannot be read is left out (the schedule
        runs, its history starts again); the damage returned names them per file.
        """
        unreadable: dict[str, list[str]] = {self._store.ledger.key: [], self._store.state.key: []}
        for sid, data in ledgers.items():
            try:
                self._ledgers[sid] = ScheduleLedger.from_dict(data)
            except (ValueError, TypeError, AttributeError) as err:
                unreadable[self._store.ledger.key].append(f"{shorten(sid)} ({err})")
        for sid, spec in specs.items():
            try:
                self.schedules[sid] = validate_schedule(
                    spec, default_timezone=self.default_zone, stored=True
                )
            except ScheduleInvalid as err:
                self.invalid[sid] = InvalidSchedule(spec, err.errors)
                LOGGER.warning(
                    "Stored schedule %s is invalid and will not run: %s",
                    shorten(sid),
                    shorten_list(f"{e.field}: {e.code}" for e in err.errors),
                )
                continue
            self._reconciler.track(self.schedules[sid])
            try:
                self.states[sid] = ScheduleState.from_dict(states.get(sid, {}))
            except (ValueError, TypeError, AttributeError) as err:
                unreadable[self._store.state.key].append(f"{shorten(sid)} ({err})")
                self.states[sid] = ScheduleState()
                del states[sid]  # recovered as a schedule without a stored state
        damaged = []
        for key, items in unreadable.items():
            if items:
                error = f"{len(items)} schedules' items could not be read: {shorten_list(items)}"
                LOGGER.warning("%s: %s; they start afresh", key, error)
                damaged.append(Damage(key, shorten(error, MAX_MESSAGE), None))
        return damaged

    async def async_stop(self) -> None:
        """Cancel timers and runs under way, then write what is pending."""
        self._reconciler.async_stop()
        self._withdraw_all()
        if self._unsub_stop is not None:
            self._unsub_stop()
            self._unsub_stop = None
        if self._timer is not None:
            self._timer.close()
            self._timer = None
        self._end_lead()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._executor.async_stop()
        await self._writer.async_flush()
        await self._journal.async_flush()

    def _replay(self, events: Iterable[JsonDict], now: datetime) -> dict[str, JsonDict]:
        """Bring the loaded ledgers and states up to the journal; return its `through` marks."""
        known = self.schedules.keys() | self.invalid.keys()
        replayed = replay(events, self._ledger, self.states, known, now)
        for sid, due in replayed.dropped:
            # Still ahead (the clock was set back): the run is armed again; a later replay of
            # this journal must not take the prepare for a run under way.
            self._journal.cancelled(sid, due)
        for sid, (status, failed_targets) in replayed.results.items():
            if sid in self.schedules:
                self._update_failure_issue(sid, RunResult(status, failed_targets=failed_targets))
        return replayed.marks

    def _recover(
        self, now: datetime, journal: Mapping[str, JsonDict], *, has_state: Iterable[str]
    ) -> None:
        """Apply DESIGN §3 restart recovery; queue the catch-up runs (pending)."""
        stored = set(has_state)
        for sid, ledger in self._ledgers.items():
            kept = self._recover_pending(sid, ledger, now)
            interrupted = ledger.interrupt_unfinished(now, keep=kept)
            self._report_interrupted(sid, interrupted)
            last = ledger.last()
            state = self.states.get(sid)
            if last is not None and state is not None and last.status is RunStatus.INTERRUPTED:
                state.record_result(last.status, last.due or last.finished, last.error)
            for record in interrupted:
                LOGGER.warning(
                    "Run %s of schedule %s was interrupted by a stop", record.slot, shorten(sid)
                )
        for sid, schedule in self.schedules.items():
            state = self.states[sid]
            through = _parse(journal.get(sid, {}).get("through"))
            if not schedule.enabled:
                state.next_due = None
                continue
            paused_until, state.paused_until = state.paused_until, None
            if paused_until is not None and paused_until > now:
                state.paused_until = paused_until
                continue
            if sid not in stored:
                self._advance(sid, now, push=False)
                continue
            due = state.next_due
            if through is not None and (due is None or due <= through):
                due = self._next(schedule, through)
            if due is None or due > now:
                state.next_due = due
                if due is None:
                    state.expired = True
                continue
            self._handle_missed(
                sid, due, now, cause=Cause.STOPPED, paused_until=paused_until, push=False
            )

    def _recover_pending(self, sid: str, ledger: ScheduleLedger, now: datetime) -> set[int]:
        """Queue again the catch-up runs a stop left pending (never started); return them.

        A state catch-up joins this start's reconcile; an event-like one runs if it is still
        inside its catch-up window, else it is recorded skipped. Other pending runs are left
        to be recorded as interrupted.
        """
        kept: set[int] = set()
        schedule = self.schedules.get(sid)
        for record in ledger.unfinished():
            if record.status is not RunStatus.PENDING:
                continue
            due = record.due
            if (
                schedule is not None
                and schedule.enabled
                and due is not None
                and record.trigger is Trigger.CATCH_UP
                and (schedule.action.type.idempotent or now - due <= schedule.catch_up)
            ):
                self._queue_catch_up(sid, record.slot, due, now)
                kept.add(record.slot)
            else:
                self._end_pending(sid, record.slot, NOT_STARTED, now)
        return kept

    @callback
    def _handle_missed(
        self,
        sid: str,
        first: datetime,
        now: datetime,
        *,
        cause: Cause,
        paused_until: datetime | None = None,
        push: bool = True,
    ) -> None:
        """Record a schedule's runs due in [first, now] that did not start, and move on.

        See ``missed``: every missed run gets one record; the latest one of a state-describing
        schedule is the catch-up whose effect is the reconcile, the latest one of an event-like
        schedule runs if it is inside the catch-up window. Both start once Home Assistant has
        started and their targets are there (pending until then).
        """
        schedule = self.schedules[sid]
        runs, truncated = missed_runs(
            schedule, first, now, tz=self.zone(schedule), sun=self._sun, excluded=self.excluded
        )
        self._advance(sid, now, push=push)
        if runs:
            self._forget_skipped(sid, runs[0])
        missed = triage(
            schedule, runs, now, cause=cause, paused_until=paused_until, truncated=truncated
        )
        for skip in missed.skipped:
            self._record_skipped(sid, skip.due, now, skip.reason, skip.trigger)
        if missed.catch_up is not None:
            record = self._ledger(sid).open(
                missed.catch_up,
                Trigger.CATCH_UP,
                schedule.action.target.entity_ids,
                now,
                queued=True,
            )
            self._queue_catch_up(sid, record.slot, missed.catch_up, now)
        if runs:
            self._writer.schedule()
            self._notify(sid)

    @callback
    def _queue_catch_up(self, sid: str, slot: int, due: datetime, now: datetime) -> None:
        """Let a pending catch-up run happen once Home Assistant and its targets are there."""
        schedule = self.schedules[sid]
        if schedule.action.type.idempotent:
            if (old := self._catch_ups.add(sid, slot, due)) is not None:
                if old.context_id is None:
                    self._end_pending(sid, old.slot, REPLACED, now)
                else:  # already under way: it ends with what it has done so far
                    self._end_catch_up(sid, old, now)
            self._reconciler.request_target(schedule.action.target)
            return
        if (old_slot := self._event_catch_ups.get(sid)) is not None:
            self._end_pending(sid, old_slot, REPLACED, now)
        self._event_catch_ups[sid] = slot
        target = None if schedule.action.type is ActionType.CUSTOM else schedule.action.target
        self._reconciler.when_ready(target, functools.partial(self._start_catch_up, sid, slot))

    @callback
    def _start_catch_up(self, sid: str, slot: int) -> None:
        """Start an event-like catch-up run that waited (if nothing replaced it meanwhile)."""
        if self._event_catch_ups.get(sid) != slot or sid not in self.schedules:
            return
        del self._event_catch_ups[sid]
        record = self._ledger(sid).get(slot)
        assert record is not None  # pending records are never pruned
        self._start_run(
            sid, record.due, Trigger.CATCH_UP, dt_util.utcnow(), advance=False, slot=slot
        )

    @callback
    def _end_pending(
        self,
        sid: str,
        slot: int,
        reason: str,
        now: datetime,
        status: RunStatus = RunStatus.SKIPPED,
    ) -> None:
        """Record a pending run that will not start (skipped, or failed)."""
        record = self._ledger(sid).update(slot, status=status, finished=now, error=reason)
        self._writer.schedule()
        self._notify(sid)
        self._announce(sid, record)

    # ----- timers -------------------------------------------------------------------------

    def _next(self, schedule: Schedule, after: datetime) -> datetime | None:
        """Return the schedule's next run strictly after an instant (not one skipped)."""
        tz = self.zone(schedule)
        due = next_run(schedule, after, tz=tz, sun=self._sun)
        if (state := self.states.get(schedule.id)) is not None and state.skipped:
            while due is not None and due in state.skipped:
                due = next_run(schedule, due, tz=tz, sun=self._sun)
        return due

    @callback
    def _advance(self, sid: str, after: datetime, *, push: bool = True) -> None:
        """Set the schedule's next due run after an instant (expired when there is none)."""
        state = self.states[sid]
        state.next_due = self._next(self.schedules[sid], after)
        state.expired = state.next_due is None
        if push:
            self._queue.set(sid, state.wake_at)

    @callback
    def _arm(self) -> None:
        """(Re-)arm the single wall-clock timer for the earliest due run (or for its prepare).

        The timer calls ``_fire_due`` at that instant, and also as soon as the clock is set.
        """
        if self._timer is not None:
            self._timer.arm(self._wake_at())

    def _wake_at(self) -> datetime | None:
        """Return when the timer must wake: the earliest due instant, or its lead's start."""
        if (top := self._unprepared()) is None:
            self._end_lead()
            return None
        due, sids = top
        if due != self._readied:
            self._end_lead()  # readied for a run that is no longer the earliest
            return due - PREPARE_LEAD
        return due - PREPARE_LEAD if sids else due

    @callback
    def _end_lead(self) -> None:
        """Let collections happen again: no lead under way."""
        self._readied = None
        self._gc_hold.release()

    def _unprepared(self) -> tuple[datetime, list[str]] | None:
        """Return the earliest due instant with its event-like runs not prepared yet."""
        if (top := self._queue.top()) is None:
            return None
        due, sids = top
        if self.hass.is_stopping:
            return due, []  # withdrawn at the stop: a run still due then writes its own line
        return due, [sid for sid in sids if self._needs_prepare(sid, due)]

    def _needs_prepare(self, sid: str, due: datetime) -> bool:
        """Return True for a timed event-like run due then whose start line is not written."""
        prepared = self._prepared.get(sid)
        return (
            (prepared is None or prepared.due != due)
            and self.states[sid].paused_until is None  # the instant is the pause's end
            and not self.schedules[sid].action.type.idempotent
        )

    @callback
    def _prepare_soon(self, now: datetime) -> None:
        """Begin the lead of the earliest runs if they are due within it.

        Collections are held back until they start, and the event-like ones have their start
        lines journaled.
        """
        if (top := self._unprepared()) is None or top[0] - now > PREPARE_LEAD:
            self._end_lead()
            return
        due, sids = top
        self._readied = due
        self._gc_hold.hold()
        for sid in sids:
            self._withdraw(sid)
            schedule = self.schedules[sid]
            record = RunRecord(
                self._ledger(sid).next_slot,
                due,
                Trigger.TIMER,
                RunStatus.IN_PROGRESS,
                targets=schedule.action.target.entity_ids,
                context_id=ulid_now(),
            )
            line = self._journal.prepared(sid, record)
            self._prepared[sid] = _Prepared(due, str(record.context_id), line)
            self._executor.prepare(schedule)

    @callback
    def _take_prepared(self, sid: str, due: datetime | None) -> _Prepared | None:
        """Return the prepare of the timed run due now (withdrawing one for another instant)."""
        prepared = self._prepared.pop(sid, None)
        if prepared is not None and prepared.due != due:
            self._journal.cancelled(sid, prepared.due)
            return None
        return prepared

    @callback
    def _withdraw(self, sid: str) -> None:
        """Cancel a schedule's prepared run: it will not start at the instant prepared."""
        if (prepared := self._prepared.pop(sid, None)) is not None:
            self._journal.cancelled(sid, prepared.due)

    @callback
    def _withdraw_all(self) -> None:
        """Cancel every prepared run."""
        for sid in list(self._prepared):
            self._withdraw(sid)

    @callback
    def _fire_due(self) -> None:
        """Start every run that is due by the wall clock, then re-arm.

        After a forward clock step, the runs due in the jumped interval are handled as after
        a restart over that interval, then every target is reconciled.
        """
        now = dt_util.utcnow()
        jumped_from = self._clock_step(now)
        cause = Cause.STOPPED if jumped_from is None else Cause.CLOCK_STEP
        with self._one_pass():
            # One at a time: the first run starts before the others are taken from the queue.
            while (entry := self._queue.pop_one(now)) is not None:
                sid, due = entry
                if self.states[sid].paused_until is not None:
                    self._resume(sid, now, cause=cause)
                elif jumped_from is not None and due > jumped_from:
                    self._handle_missed(sid, due, now, cause=Cause.CLOCK_STEP)
                else:
                    self._forget_skipped(sid, due)
                    self._start_run(sid, due, Trigger.TIMER, now)
        if jumped_from is not None:
            self._reconciler.request_all()
        self._prepare_soon(now)
        self._arm()

    @contextlib.contextmanager
    def _one_pass(self) -> Iterator[None]:
        """Start every run due now, then do their bookkeeping and tell the listeners once.

        What a run records before and after its calls (lines the run does not wait for, step
        notes, its finish) waits until every run of the pass has started: run k's first call
        is not held up by the records of runs 1..k-1. The journal lines are appended in the
        same order and reach the disk in the same write as without the wait, so a kill finds
        the same. The cyclic garbage collector waits too: a collection that the runs'
        allocations set off would otherwise stop the pass for milliseconds between two calls.
        """
        self._pass = held = _Pass()
        try:
            with gc_paused():
                yield
        finally:
            later, held.later = held.later or [], None
            for work in later:
                try:
                    work()
                except Exception:
                    LOGGER.exception("Recording a run failed")
            self._pass = None
            for sid in held.changed:
                self._notify(sid)

    @callback
    def _later(self, work: Callable[[], None]) -> bool:
        """Hold work back to the end of the pass under way; return False when there is none."""
        if self._pass is None or self._pass.later is None:
            return False
        self._pass.later.append(work)
        return True

    @callback
    def _clock_step(self, now: datetime) -> datetime | None:
        """Return the instant the wall clock jumped forward from, or None (no forward step).

        Compares how far wall and loop time moved since the last wake-up, however long ago
        (``clock_step`` argues its tolerance).
        """
        last, self._clock = self._clock, (now, self.hass.loop.time())
        if (step := clock_step(last, self._clock)) is None:
            return None
        self._withdraw_all()  # prepared for instants the clock no longer agrees on
        if self.care is not None:
            self.care.clock_set()
        LOGGER.warning(
            "The wall clock stepped %s by %s; %s",
            "forward" if step > timedelta(0) else "back",
            abs(step),
            "runs due meanwhile are handled as after a restart"
            if step > timedelta(0)
            else "no run is repeated",
        )
        return now - step if step > timedelta(0) else None

    # ----- runs ---------------------------------------------------------------------------

    def _ledger(self, sid: str) -> ScheduleLedger:
        """Return (creating on first use) a schedule's ledger."""
        if (ledger := self._ledgers.get(sid)) is None:
            ledger = self._ledgers[sid] = ScheduleLedger()
        return ledger

    @callback
    def _start_run(
        self,
        sid: str,
        due: datetime | None,
        trigger: Trigger,
        now: datetime,
        *,
        advance: bool = True,
        slot: int | None = None,
    ) -> RunRecord:
        """Open the run's record and journal entry, then execute it in the background.

        With ``slot``, the run is a pending one that starts now (its record is reused).
        """
        schedule = self.schedules[sid]
        if advance and due is not None:
            # Advance before anything runs: the same due instant can never start twice.
            self._advance(sid, max(due, now))
        if due is not None:
            self.last_lateness = now - due
        ledger = self._ledger(sid)
        prepared = self._take_prepared(sid, due) if trigger is Trigger.TIMER else None
        # A ULID like every Home Assistant context: the recorder keeps only those, and the
        # logbook needs the recorded context to name the schedule behind a change.
        context_id = ulid_now() if prepared is None else prepared.context_id
        if slot is None:
            targets = schedule.action.target.entity_ids
            record = ledger.open(due, trigger, targets, now, context_id=context_id)
        else:
            record = ledger.update(
                slot, status=RunStatus.IN_PROGRESS, started=now, context_id=context_id
            )
        if prepared is not None or schedule.action.type.idempotent:
            # Not waited for: a prepared run waits for its prepare line (usually on disk).
            self._journal_started(sid, record)
            change = 0 if prepared is None else prepared.line
        else:
            change = self._journal.started(sid, record)
        self._announce(sid, record)
        request = RunRequest(
            schedule,
            record.slot,
            due,
            trigger,
            context_id,
            on_note=functools.partial(self._note, sid, record.slot),
            on_step=functools.partial(self._note_step, sid, record.slot),
        )
        task = self._background(self._async_run(sid, request, change), f"reef run {sid}")
        if not task.done():  # most end at once: a call that does not wait (a pass of runs)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._notify(sid)
        return record

    @callback
    def _journal_started(self, sid: str, record: RunRecord) -> None:
        """Journal a start line nothing waits for (at the end of a pass under way)."""
        if not self._later(functools.partial(self._journal_started, sid, record)):
            self._journal.started(sid, record)

    async def _async_run(self, sid: str, request: RunRequest, change: int) -> None:
        """Persist what prevents a double run, execute, record the outcome."""
        # Repeating a state after a crash is harmless: an idempotent run does not wait for its
        # start line to reach the disk (it goes out with this iteration's batch all the same).
        # An event must be on disk as started before its first call, so a kill can never make
        # it run twice: a timed one waits for its prepare line, on disk ahead of its instant.
        if not request.schedule.action.type.idempotent:
            try:
                await self._journal.async_wait(change)
            except OSError as err:
                error = f"Not started: the run journal could not be written ({err})"
                self._finish(sid, request, RunResult(RunStatus.FAILED, attempts=0, error=error))
                return
        try:
            semaphore = self._semaphore
            async with semaphore:
                waiting = functools.partial(_slot_given_back, semaphore)
                result = await self._executor.async_execute(replace(request, waiting=waiting))
        except asyncio.CancelledError:
            raise
        except Exception as err:
            LOGGER.exception(
                "Run %s of schedule %s failed unexpectedly", request.slot, shorten(sid)
            )
            result = RunResult(RunStatus.FAILED, error=str(err) or type(err).__name__)
        self._finish(sid, request, result)

    @callback
    def _finish(
        self, sid: str, request: RunRequest, result: RunResult, now: datetime | None = None
    ) -> None:
        """Record a finished run (at the end of a pass under way)."""
        now = now or dt_util.utcnow()
        if self._later(functools.partial(self._finish, sid, request, result, now)):
            return
        record = None
        if (ledger := self._ledgers.get(sid)) is not None and ledger.get(request.slot):
            record = ledger.update(
                request.slot,
                status=result.status,
                finished=now,
                attempts=result.attempts,
                error=result.error,
            )
            # Each run prunes its own ledger: the work stays proportional to what was added.
            ledger.prune(now, self.max_records, self.max_age)
        if (state := self.states.get(sid)) is not None:
            state.record_result(result.status, request.due or now, result.error)
            state.runs += 1
        self._journal.finished(
            sid,
            request.slot,
            request.due,
            result.status,
            now,
            result.attempts,
            result.error,
            result.failed_targets,
            None if state is None else state.runs,
        )
        if sid in self.schedules:
            self._update_failure_issue(sid, result)
        self._writer.schedule()
        self._notify(sid)
        if record is not None:
            self._announce(sid, record)

    @callback
    def _update_failure_issue(self, sid: str, result: RunResult) -> None:
        """Raise a repair issue naming the failed targets or custom step; a success clears it."""
        name = shorten_name(self.schedules[sid].name, sid)
        if result.status is RunStatus.FAILED and result.failed_targets:
            self._raise_issue(
                ISSUE_RUN_FAILED,
                sid,
                ir.IssueSeverity.ERROR,
                schedule=name,
                targets=listing(self.hass, result.failed_targets),
            )
        elif result.status is RunStatus.SUCCESS:
            for kind in _RUN_ISSUES:
                ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(kind, sid))
        if self.schedules[sid].action.type is not ActionType.CUSTOM:
            return
        step = result.step or _UNKNOWN_STEP
        if result.status is RunStatus.FAILED:
            self._raise_issue(
                ISSUE_CUSTOM_RUN_FAILED,
                sid,
                ir.IssueSeverity.ERROR,
                schedule=name,
                step=step,
                error=shorten(result.error or "", MAX_MESSAGE),
            )
        elif result.status is RunStatus.INTERRUPTED:
            self._raise_interrupted_issue(sid, step)

    @callback
    def _report_interrupted(self, sid: str, records: Iterable[RunRecord]) -> None:
        """Raise a repair issue for a custom run found interrupted at start, naming its step."""
        schedule = self.schedules.get(sid)
        if schedule is None or schedule.action.type is not ActionType.CUSTOM:
            return
        for record in records:
            self._raise_interrupted_issue(sid, noted_step(record.error) or _UNKNOWN_STEP)

    @callback
    def _raise_interrupted_issue(self, sid: str, step: str) -> None:
        """Raise the issue of a custom run cut short by a stop of Home Assistant."""
        self._raise_issue(
            ISSUE_CUSTOM_RUN_INTERRUPTED,
            sid,
            ir.IssueSeverity.WARNING,
            schedule=shorten_name(self.schedules[sid].name, sid),
            step=step,
        )

    def _issue_id(self, kind: str, sid: str) -> str:
        """Return the id of one kind of run issue of a schedule of this runner."""
        return issue_id(kind, sid if self._issue_scope is None else f"{self._issue_scope}_{sid}")

    @callback
    def _raise_issue(
        self, kind: str, sid: str, severity: ir.IssueSeverity, **placeholders: str
    ) -> None:
        """Raise (or update) one kind of run issue of a schedule; its kind is its translation."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id(kind, sid),
            is_fixable=False,
            severity=severity,
            translation_key=kind,
            translation_placeholders=placeholders,
        )

    @callback
    def note_run(self, sid: str, slot: int, text: str) -> None:
        """Set a run's note (a dose settled after a restart: the ml it gave)."""
        self._note(sid, slot, text, log=False)

    @callback
    def _note_step(self, sid: str, slot: int, step: str) -> None:
        """Keep the step a custom run has reached in its record and the journal (kill-safe)."""
        self._note(sid, slot, step_note(step), log=False)

    @callback
    def _note(self, sid: str, slot: int, text: str, *, log: bool = True) -> None:
        """Add a note to a run's record (it may have finished already; a pass under way ends)."""
        if self._later(functools.partial(self._note, sid, slot, text, log=log)):
            return
        ledger = self._ledgers.get(sid)
        if ledger is None or ledger.get(slot) is None:
            return
        if log:
            LOGGER.info("Schedule %s, run %s: %s", shorten(self.schedules[sid].name), slot, text)
        ledger.update(slot, error=text)
        self._journal.noted(sid, slot, text)
        self._writer.schedule()
        self._notify(sid)

    @callback
    def _record_skipped(
        self,
        sid: str,
        due: datetime,
        now: datetime,
        reason: str = "Missed while Home Assistant was stopped; outside the catch-up window",
        trigger: Trigger = Trigger.CATCH_UP,
    ) -> None:
        """Record a run that did not happen."""
        ledger = self._ledger(sid)
        record = ledger.open(due, trigger, (), now)
        record = ledger.update(record.slot, status=RunStatus.SKIPPED, finished=now, error=reason)
        self._journal.skipped(sid, record)
        self.states[sid].record_result(record.status, due, None)
        self._writer.schedule()
        self._announce(sid, record)

    # ----- reconcile ----------------------------------------------------------------------

    def excluded(self, sid: str, due: datetime) -> bool:
        """Return True for a run that does not count: skipped on request, or paused now."""
        state = self.states[sid]
        if due in state.skipped:
            return True
        paused_from = state.next_due
        return state.paused_until is not None and paused_from is not None and due >= paused_from

    @callback
    def _forget_skipped(self, sid: str, latest: datetime) -> None:
        """Forget instants skipped before a run that counts (they can no longer matter)."""
        state = self.states[sid]
        if state.skipped and state.skipped[0] < latest:
            state.skipped = tuple(instant for instant in state.skipped if instant >= latest)

    def prescribe(
        self,
        at: datetime,
        entity_ids: Collection[str],
        schedule_ids: Collection[str],
        targets: Mapping[str, Sequence[str]],
    ) -> Mapping[str, Prescription]:
        """Return what these schedules prescribe at ``at`` for these entities (ReconcileHost).

        Expired schedules count: their last run keeps prescribing.
        """
        return prescribe(
            [s for sid in schedule_ids if (s := self.schedules.get(sid)) is not None],
            at,
            default_zone=self.default_zone,
            targets=targets,
            entity_ids=entity_ids,
            sun=self._sun,
            excluded=self.excluded,
            moon_windows=self.moon_windows,
        )

    @callback
    def on_reconcile(self, targets: Mapping[str, Sequence[str]]) -> None:
        """Give pending state catch-ups their targets; end those that reach none."""
        now = dt_util.utcnow()
        for sid, pending in self._catch_ups.learn(targets):
            if sid in targets:
                self._end_pending(sid, pending.slot, NO_TARGET, now, RunStatus.FAILED)
            else:  # disabled, or no longer describing a state, since it was missed
                self._end_pending(sid, pending.slot, CHANGED, now)

    def held(self, entity_id: str) -> bool:
        """Return True for an entity feed mode or maintenance drives (ReconcileHost)."""
        return self.care is not None and self.care.drives(entity_id)

    @callback
    def start_reconcile(self, entity_id: str, prescription: Prescription | None) -> None:
        """Apply one entity's prescription in the background (ReconcileHost)."""
        if self.care is not None and self.care.takes_over(entity_id, prescription):
            self._settle(entity_id, None, None)
            return
        if prescription is None or prescription.schedule_id not in self.schedules:
            self._settle(entity_id, None, None)
            return
        task = self._background(
            self._async_reconcile(entity_id, prescription), f"reef reconcile {entity_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _async_reconcile(self, entity_id: str, prescription: Prescription) -> None:
        """Drive one entity to its prescription; settle the catch-up runs waiting for it."""
        sid = prescription.schedule_id
        context_id, slot = self._reconcile_context(entity_id, prescription)
        on_note = (
            functools.partial(self._note, sid, slot)
            if slot is not None
            else lambda text: LOGGER.info("%s: %s", shorten(self.schedules[sid].name), text)
        )
        try:
            async with self._semaphore:
                result = await self._executor.async_apply_state(
                    self.schedules[sid], entity_id, prescription, context_id, on_note
                )
        except Exception as err:
            LOGGER.exception("Reconciling %s failed unexpectedly", shorten(entity_id, MAX_ITEM))
            result = RunResult(RunStatus.FAILED, error=str(err) or type(err).__name__)
        if result.status is RunStatus.FAILED:
            LOGGER.warning("Could not reconcile %s: %s", shorten(entity_id, MAX_ITEM), result.error)
        self._settle(entity_id, prescription, result)

    @callback
    def _reconcile_context(
        self, entity_id: str, prescription: Prescription
    ) -> tuple[str, int | None]:
        """Return the context (and run slot) a reconcile call is made in.

        The winning run's pending catch-up starts now and lends its context, so the logbook
        names the schedule; else the winning run's own record does (a restart mid-hold); else
        the call gets a new context, announced to the reconcile listeners.
        """
        sid = prescription.schedule_id
        pending = self._catch_ups.get(sid)
        ledger = self._ledger(sid)
        if pending is not None and pending.due == prescription.due:
            if pending.context_id is None:
                pending.context_id = ulid_now()
                record = ledger.update(
                    pending.slot,
                    status=RunStatus.IN_PROGRESS,
                    started=dt_util.utcnow(),
                    context_id=pending.context_id,
                )
                self._writer.schedule()
                self._notify(sid)
                self._announce(sid, record)
            return pending.context_id, pending.slot
        last = ledger.last()
        if last is not None and last.due == prescription.due and last.context_id is not None:
            return last.context_id, last.slot
        context_id = ulid_now()
        for listener in list(self._reconcile_listeners):
            listener(sid, entity_id, context_id)
        return context_id, None

    @callback
    def _settle(
        self, entity_id: str, prescription: Prescription | None, result: RunResult | None
    ) -> None:
        """Note an entity's reconcile; finish the pending state catch-ups it completes."""
        attempts, error = (0, None) if result is None else (result.attempts, result.error)
        if (
            result is not None
            and result.status is RunStatus.FAILED
            and prescription is not None
            and prescription.schedule_id not in self._catch_ups
        ):
            self._update_failure_issue(prescription.schedule_id, result)
        now = dt_util.utcnow()
        for sid, pending in self._catch_ups.settle(entity_id, prescription, attempts, error):
            self._end_catch_up(sid, pending, now)

    @callback
    def _end_catch_up(self, sid: str, pending: StateCatchUp, now: datetime) -> None:
        """Finish a state catch-up run: its outcome is how its targets were reconciled."""
        if not pending.won:
            self._end_pending(sid, pending.slot, SUPERSEDED, now)
            return
        errors = pending.errors
        result = RunResult(
            RunStatus.FAILED if errors else RunStatus.SUCCESS,
            attempts=pending.attempts,
            error="; ".join(f"{eid}: {err}" for eid, err in errors.items()) or None,
            failed_targets=tuple(errors),
        )
        assert pending.context_id is not None  # started when it won its first entity
        request = RunRequest(
            self.schedules[sid], pending.slot, pending.due, Trigger.CATCH_UP, pending.context_id
        )
        self._finish(sid, request, result)

    # ----- persistence --------------------------------------------------------------------

    def _run_data_snapshot(self) -> tuple[dict[str, JsonDict], dict[str, JsonDict]]:
        """Return state and ledger snapshots (built on the loop)."""
        return (
            {sid: st.as_dict() for sid, st in self.states.items()},
            {sid: ledger.as_dict() for sid, ledger in self._ledgers.items()},
        )

    async def _async_save_definitions(self) -> None:
        """Write every definition (valid and invalid) and wait for the write."""
        specs: dict[str, Any] = {sid: spec.spec for sid, spec in self.invalid.items()}
        specs.update({sid: json_fragment(self.stored_text(sid)) for sid in self.schedules})
        await self._store.schedules.async_save({"schedules": specs})

    def stored_text(self, sid: str) -> str:
        """Return a schedule's definition as the store writes it, as JSON text."""
        if (invalid := self.invalid.get(sid)) is not None:
            return json_dumps(invalid.spec)
        if (text := self._stored.get(sid)) is None:
            text = self._stored[sid] = json_dumps(schedule_to_dict(self.schedules[sid]))
        return text

    def adopt_stored_text(self, sid: str, text: str) -> None:
        """Take a valid schedule's definition text as stored (a copy in step with the store)."""
        self._stored[sid] = text

    def stored_definition(self, sid: str) -> Any:
        """Return a schedule's definition as the store writes it."""
        return json_loads(self.stored_text(sid))

    # ----- listeners ----------------------------------------------------------------------

    @callback
    def async_listen(self, sid: str, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call listener when the schedule's state or definition changes."""
        self._listeners.setdefault(sid, []).append(listener)
        # A partial, not a closure: one per entity of every schedule, so its size counts.
        return functools.partial(self._unlisten, sid, listener)

    @callback
    def _unlisten(self, sid: str, listener: Callable[[], None]) -> None:
        """Stop calling a schedule's listener."""
        listeners = self._listeners[sid]
        listeners.remove(listener)
        if not listeners:
            del self._listeners[sid]

    @callback
    def async_listen_collection(self, listener: Callable[[str, bool], None]) -> CALLBACK_TYPE:
        """Call listener(schedule_id, added) when a schedule is added or removed."""
        self._collection_listeners.append(listener)
        return lambda: self._collection_listeners.remove(listener)

    @callback
    def async_listen_reconcile(self, listener: Callable[[str, str, str], None]) -> CALLBACK_TYPE:
        """Call listener(schedule_id, entity_id, context_id) before a reconcile's own call.

        Only for a reconcile that is no run's effect (a schedule created or edited, a target
        back, a hold resumed whose run record is gone): it gets a context of its own.
        """
        self._reconcile_listeners.append(listener)
        return lambda: self._reconcile_listeners.remove(listener)

    @callback
    def async_listen_runs(self, listener: Callable[[Schedule, RunRecord], None]) -> CALLBACK_TYPE:
        """Call listener(schedule, record) when a run starts and when it ends, of any schedule.

        A run's start is announced before its first call, its end after the schedule's
        listeners have seen the outcome. Runs ended while loading (a restart) are not.
        """
        self._run_listeners.append(listener)
        return lambda: self._run_listeners.remove(listener)

    @callback
    def _announce(self, sid: str, record: RunRecord) -> None:
        """Tell the run listeners that a run of a stored schedule started or ended."""
        if (schedule := self.schedules.get(sid)) is not None:
            for listener in self._run_listeners:
                listener(schedule, record)

    @callback
    def _notify(self, sid: str) -> None:
        """Tell the schedule's listeners (and only those) that it changed."""
        if self._pass is not None:
            self._pass.changed[sid] = None
            return
        for listener in list(self._listeners.get(sid, ())):
            listener()

    # ----- management ---------------------------------------------------------------------

    async def async_validate(self, spec: Mapping[str, Any], *, stored: bool = False) -> Schedule:
        """Validate a spec in this instance's default zone (raises ScheduleInvalid).

        ``stored``: a definition kept elsewhere (a server's), read without the documented maxima.
        """
        schedule = validate_schedule(spec, default_timezone=self.default_zone, stored=stored)
        await self._executor.async_validate(schedule)
        return schedule

    async def async_add(self, spec: Mapping[str, Any], *, stored: bool = False) -> Schedule:
        """Validate, store and arm a new schedule (``stored``: see async_validate)."""
        data = {**self.new_schedule_defaults, **spec}
        data.setdefault("id", uuid.uuid4().hex)
        data.setdefault("created", dt_util.utcnow().isoformat())
        schedule = await self.async_validate(data, stored=stored)
        if schedule.id in self.schedules or schedule.id in self.invalid:
            raise ScheduleInvalid((FieldError("id", "duplicate_id", {"id": schedule.id}),))
        self.schedules[schedule.id] = schedule
        self.states[schedule.id] = ScheduleState()
        try:
            await self._async_save_definitions()
        except Exception:
            del self.schedules[schedule.id], self.states[schedule.id]
            self._stored.pop(schedule.id, None)
            raise
        self._rearm(schedule.id)
        self._reconciler.track(schedule)
        self._reconcile_targets(schedule)
        for listener in list(self._collection_listeners):
            listener(schedule.id, True)
        return schedule

    async def async_update(
        self, sid: str, spec: Mapping[str, Any], *, stored: bool = False
    ) -> Schedule:
        """Replace a schedule's definition (its id, ledger and counters stay).

        An invalid stored schedule is repaired this way: it becomes a valid one.
        ``stored``: see async_validate.
        """
        if sid not in self.schedules and sid not in self.invalid:
            raise KeyError(sid)
        old = self.schedules.get(sid)
        data = {**dict(spec), "id": sid}
        if old is not None and old.created is not None:
            data.setdefault("created", old.created.isoformat())
        schedule = await self.async_validate(data, stored=stored)
        invalid = self.invalid.pop(sid, None)
        self.schedules[sid] = schedule
        self.states.setdefault(sid, ScheduleState())
        self._stored.pop(sid, None)
        try:
            await self._async_save_definitions()
        except Exception:
            self._stored.pop(sid, None)
            if old is None:
                del self.schedules[sid], self.states[sid]
            else:
                self.schedules[sid] = old
            if invalid is not None:
                self.invalid[sid] = invalid
            raise
        self._executor.forget(sid)
        self._rearm(sid)
        self._reconciler.track(schedule)
        if old is not None:
            self._reconcile_targets(old)
        self._reconcile_targets(schedule)
        self._notify(sid)
        return schedule

    @callback
    def _reconcile_targets(self, schedule: Schedule) -> None:
        """Reconcile a state-describing schedule's targets (it was created or edited)."""
        if schedule.action.type.idempotent:
            self._reconciler.request_target(schedule.action.target, now=True)

    async def async_set_enabled(self, sid: str, enabled: bool) -> Schedule:
        """Enable or disable a schedule (enabling never catches up runs missed meanwhile)."""
        spec = schedule_to_dict(self.schedules[sid])
        spec["enabled"] = enabled
        return await self.async_update(sid, spec)

    async def async_remove(self, sid: str) -> None:
        """Delete a schedule with its state and ledger."""
        schedule = self.schedules.pop(sid, None)
        invalid = self.invalid.pop(sid, None)
        self._stored.pop(sid, None)
        try:
            await self._async_save_definitions()
        except Exception:
            if schedule is not None:
                self.schedules[sid] = schedule
            if invalid is not None:
                self.invalid[sid] = invalid
            raise
        self._reconciler.forget(sid)
        self._withdraw(sid)
        self._executor.forget(sid)
        self.states.pop(sid, None)
        self._ledgers.pop(sid, None)
        self._catch_ups.pop(sid)
        self._event_catch_ups.pop(sid, None)
        self._queue.discard(sid)
        for kind in _RUN_ISSUES:
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(kind, sid))
        self._arm()
        self._writer.schedule()
        for listener in list(self._collection_listeners):
            listener(sid, False)

    @callback
    def async_skip_next(self, sid: str) -> datetime | None:
        """Record the next due run as skipped and move on; return the skipped instant."""
        state = self.states[sid]
        if (due := state.next_due) is None:
            return None
        self._withdraw(sid)
        self._record_skipped(sid, due, dt_util.utcnow(), "Skipped on request", Trigger.SERVICE)
        state.skipped = (*state.skipped, due)[-MAX_SKIPPED:]
        self._advance(sid, due)
        self._arm()
        self._notify(sid)
        return due

    @callback
    def async_pause(self, sid: str, until: datetime) -> None:
        """Suspend a schedule's runs until an instant (a user's pause; care keeps its own)."""
        self.async_set_pause(sid, until if self.care is None else self.care.user_pause(sid, until))

    @callback
    def async_resume(self, sid: str) -> None:
        """End a user's pause now (a care pause of the schedule goes on)."""
        self.async_set_pause(sid, None if self.care is None else self.care.user_pause(sid, None))

    @callback
    def async_set_pause(self, sid: str, until: datetime | None) -> None:
        """Pause a schedule until an instant (persisted; resumes by itself), or end it (None)."""
        state = self.states[sid]
        if until is None:
            if state.paused_until is not None:
                self._resume(sid, dt_util.utcnow())
                self._arm()
            return
        state.paused_until = until
        self._withdraw(sid)
        self._queue.set(sid, state.wake_at)
        self._writer.schedule()
        self._arm()
        self._notify(sid)

    @callback
    def _resume(self, sid: str, now: datetime, *, cause: Cause = Cause.STOPPED) -> None:
        """End a pause: runs due meanwhile are recorded, the schedule's targets reconciled.

        A state-describing schedule's latest paused run is its catch-up (the reconcile);
        other paused runs are recorded skipped. Runs due after the pause's end (Home
        Assistant was stopped, or the clock jumped) follow the restart rules.
        """
        state = self.states[sid]
        paused_until, state.paused_until = state.paused_until, None
        schedule = self.schedules[sid]
        first_missed = state.next_due
        if not schedule.enabled:
            self._queue.discard(sid)
        elif first_missed is not None and first_missed <= now:
            self._handle_missed(sid, first_missed, now, cause=cause, paused_until=paused_until)
        else:
            self._queue.set(sid, state.wake_at)
        if schedule.enabled and schedule.action.type.idempotent:
            self._reconciler.request_target(schedule.action.target)
        self._writer.schedule()
        self._notify(sid)

    @callback
    def async_run_now(self, sid: str, trigger: Trigger = Trigger.MANUAL) -> RunRecord:
        """Run a schedule's action now, outside its timing (its next due run stays).

        The run-now guard may refuse it first (a translated error; nothing changes).
        """
        if self.run_now_guard is not None:
            self.run_now_guard(self.schedules[sid])
        return self._start_run(sid, None, trigger, dt_util.utcnow(), advance=False)

    @callback
    def _rearm(self, sid: str) -> None:
        """Recompute a schedule's next run from now and re-arm the timer."""
        self._withdraw(sid)
        schedule = self.schedules[sid]
        if schedule.enabled:
            self._advance(sid, dt_util.utcnow())
        else:
            self.states[sid].next_due = None
            self.states[sid].paused_until = None
            self._queue.discard(sid)
        self._writer.schedule()
        self._arm()

    # ----- queries ------------------------------------------------------------------------

    def ledger_page(
        self,
        sid: str,
        start_slot: int | None = None,
        limit: int = 1000,
        *,
        newest_first: bool = False,
    ) -> tuple[list[RunRecord], bool]:
        """Return a page of a schedule's run records and whether more follow."""
        if (ledger := self._ledgers.get(sid)) is None:
            return [], False
        return ledger.page(start_slot, limit, newest_first=newest_first)

    def next_runs(
        self, schedule: Schedule, count: int, after: datetime | None = None
    ) -> list[datetime]:
        """Return a schedule's next run instants (it need not be stored: previews)."""
        return next_runs(
            schedule, after or dt_util.utcnow(), count, tz=self.zone(schedule), sun=self._sun
        )

    def runs_between(
        self, schedule: Schedule, start: datetime, end: datetime, limit: int = 1000
    ) -> list[datetime]:
        """Return at most `limit` run instants of a schedule in [start, end) (calendar)."""
        return runs_between(
            schedule, start, end, tz=self.zone(schedule), sun=self._sun, limit=limit
        )

    def upcoming(self) -> Iterator[tuple[datetime, str]]:
        """Yield (due instant, schedule id) of the runs waited for, earliest first.

        Lazy: the first k cost O(k log k) (a paused schedule waits for its pause's end, which
        is no run, and is passed over). The schedules must not change while it is in use.
        """
        for due, sid in self._queue.ordered():
            if (state := self.states.get(sid)) is not None and state.paused_until is None:
                yield due, sid

    def next_wake(self) -> tuple[datetime, str] | None:
        """Return the earliest (instant, schedule id) the runner waits for, in O(1)."""
        return self._queue.peek()

    @property
    def armed(self) -> int:
        """Return the number of schedules waiting for a due run."""
        return len(self._queue)
