"""The runner: arms one loop timer for the earliest due run, executes runs, survives restarts.

Wake-ups do not grow with the number of schedules: one timer for the earliest due run, plus a
constant-rate clock guard. Home Assistant turns a wall-clock target into a monotonic loop timer
once, so a wall-clock step while armed would make the timer late (core issue #111484); the guard
re-arms from the wall clock every few seconds, so a due run fires within that period of its
wall-clock due time after any step.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
import contextlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import functools
import gc
from typing import Any, Protocol
import uuid
from zoneinfo import ZoneInfo

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
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
)
from ..engine.model import ActionType, Schedule
from ..engine.timeline import SunCalculator, get_zone, next_run, next_runs, runs_between
from ..engine.validate import FieldError, ScheduleInvalid, schedule_to_dict, validate_schedule
from .journal import replay
from .store import CoalescedWriter, JsonDict, ReefStore

CLOCK_GUARD_SECONDS = 5.0
ISSUE_RUN_FAILED = "run_failed"
ISSUE_CUSTOM_RUN_FAILED = "custom_run_failed"
ISSUE_CUSTOM_RUN_INTERRUPTED = "custom_run_interrupted"
_RUN_ISSUES = (ISSUE_RUN_FAILED, ISSUE_CUSTOM_RUN_FAILED, ISSUE_CUSTOM_RUN_INTERRUPTED)
# A custom run's record names the step it reached: "at step 2: delay 0:00:20".
_STEP_NOTE = "at step "
_UNKNOWN_STEP = "?"
# Widening look-back windows for the latest missed run: each holds at most ~60 runs of a
# schedule that had none in the previous window, so the search stays cheap after long outages.
_LOOKBACKS = (
    timedelta(minutes=2),
    timedelta(hours=2),
    timedelta(days=2),
    timedelta(days=62),
    timedelta(days=800),
)


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


class RunExecutor(Protocol):
    """Carries out a run's action against Home Assistant."""

    async def async_execute(self, request: RunRequest) -> RunResult:
        """Execute the run and report its outcome."""

    async def async_validate(self, schedule: Schedule) -> None:
        """Raise ScheduleInvalid for what only Home Assistant can check."""

    async def async_stop(self) -> None:
        """Stop whatever the executor still runs (ramps, holds)."""


@dataclass(slots=True)
class ScheduleState:
    """Run state of one schedule, persisted with coalesced writes."""

    next_due: datetime | None = None
    last_run: datetime | None = None
    last_result: RunStatus | None = None
    runs: int = 0
    expired: bool = False
    paused_until: datetime | None = None

    @property
    def wake_at(self) -> datetime | None:
        """Return when the runner must next look at this schedule."""
        return self.paused_until or self.next_due

    def as_dict(self) -> JsonDict:
        """Return the JSON form."""
        return {
            "next_due": _iso(self.next_due),
            "last_run": _iso(self.last_run),
            "last_result": self.last_result,
            "runs": self.runs,
            "expired": self.expired,
            "paused_until": _iso(self.paused_until),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScheduleState:
        """Read the JSON form."""
        result = data.get("last_result")
        return cls(
            next_due=_parse(data.get("next_due")),
            last_run=_parse(data.get("last_run")),
            last_result=RunStatus(result) if result else None,
            runs=int(data.get("runs", 0)),
            expired=bool(data.get("expired", False)),
            paused_until=_parse(data.get("paused_until")),
        )


@dataclass(slots=True)
class InvalidSchedule:
    """A stored schedule that no longer validates: kept as stored, never run."""

    spec: JsonDict
    errors: tuple[FieldError, ...]


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the start-up builds many acyclic objects.

    Loading 10 000 schedules allocates a few hundred thousand small objects; each allocation
    burst would otherwise trigger full collections that walk all of Home Assistant's heap.
    Nothing here creates reference cycles, and the loop runs nothing else meanwhile.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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


class ScheduleRunner:
    """Owns the local schedules, their timers, state, ledger and journal."""

    def __init__(
        self,
        hass: HomeAssistant,
        store: ReefStore,
        executor: RunExecutor,
        *,
        sun: SunCalculator | None = None,
        max_concurrent_runs: int = 8,
        background: Callable[[Any, str], asyncio.Task[Any]] | None = None,
    ) -> None:
        """Create an idle runner; call async_start to load and arm."""
        self.hass = hass
        self._store = store
        self._executor = executor
        self._sun = sun
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
        self._ledgers: dict[str, ScheduleLedger] = {}
        self._journal = store.journal
        self._queue = DueQueue()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due: datetime | None = None
        self._guard: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._listeners: dict[str, list[Callable[[], None]]] = {}
        self._collection_listeners: list[Callable[[str, bool], None]] = []
        self.last_lateness: timedelta | None = None
        # A completed write compacts the journal: it keeps only what the write does not cover.
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

    # ----- start / stop -------------------------------------------------------------------

    @property
    def default_zone(self) -> str:
        """Return Home Assistant's time zone name."""
        return self.hass.config.time_zone

    def zone(self, schedule: Schedule) -> ZoneInfo:
        """Return the zone a schedule's wall-clock fields are read in."""
        return get_zone(schedule.timezone or self.default_zone)

    async def async_start(self) -> None:
        """Load everything, recover from the last stop and arm the timer."""
        specs, states, ledgers, events = await self._store.async_load()
        now = dt_util.utcnow()
        with _gc_paused():
            self._load(specs, states, ledgers)
            journal = self._replay(events)
            catch_ups = self._recover(now, journal, has_state=states.keys())
            self._queue.bulk_load(
                {sid: wake for sid, st in self.states.items() if (wake := st.wake_at) is not None}
            )
        for due, sid in sorted(catch_ups):
            self._start_run(sid, due, Trigger.CATCH_UP, now, advance=False)
        if events or catch_ups:
            self._writer.schedule()
        self._arm()
        self._schedule_guard()

    def _load(
        self,
        specs: Mapping[str, JsonDict],
        states: Mapping[str, JsonDict],
        ledgers: Mapping[str, JsonDict],
    ) -> None:
        """Build schedules, states and ledgers from what was stored (invalid ones are kept)."""
        for sid, data in ledgers.items():
            self._ledgers[sid] = ScheduleLedger.from_dict(data)
        for sid, spec in specs.items():
            try:
                self.schedules[sid] = validate_schedule(spec, default_timezone=self.default_zone)
            except ScheduleInvalid as err:
                self.invalid[sid] = InvalidSchedule(spec, err.errors)
                LOGGER.warning("Stored schedule %s is invalid and will not run: %s", sid, err)
                continue
            self.states[sid] = ScheduleState.from_dict(states.get(sid, {}))

    async def async_stop(self) -> None:
        """Cancel timers and runs under way, then write what is pending."""
        for handle in (self._timer, self._guard):
            if handle is not None:
                handle.cancel()
        self._timer = self._guard = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._executor.async_stop()
        await self._writer.async_flush()
        await self._journal.async_flush()

    def _replay(self, events: Iterable[JsonDict]) -> dict[str, JsonDict]:
        """Bring the loaded ledgers and states up to the journal; return its `through` marks."""
        known = self.schedules.keys() | self.invalid.keys()
        replayed = replay(events, self._ledger, self.states, known)
        for sid, (status, failed_targets) in replayed.results.items():
            if sid in self.schedules:
                self._update_failure_issue(sid, RunResult(status, failed_targets=failed_targets))
        return replayed.marks

    def _recover(
        self, now: datetime, journal: Mapping[str, JsonDict], *, has_state: Iterable[str]
    ) -> list[tuple[datetime, str]]:
        """Apply DESIGN §3 restart recovery; return the catch-up runs to start."""
        stored = set(has_state)
        catch_ups: list[tuple[datetime, str]] = []
        for sid, ledger in self._ledgers.items():
            interrupted = ledger.interrupt_unfinished(now)
            self._report_interrupted(sid, interrupted)
            last = ledger.last()
            state = self.states.get(sid)
            if last is not None and state is not None and last.status is RunStatus.INTERRUPTED:
                state.last_result = RunStatus.INTERRUPTED
                state.last_run = last.due or last.finished
            for record in interrupted:
                LOGGER.warning("Run %s of schedule %s was interrupted by a stop", record.slot, sid)
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
            latest = self._latest_run(schedule, due, now)
            self._advance(sid, now, push=False)
            if schedule.action.type.idempotent:
                catch_ups.append((latest, sid))
            elif paused_until is not None and latest <= paused_until:
                self._record_skipped(sid, latest, now, "Paused", Trigger.TIMER)
            elif now - latest <= schedule.catch_up:
                catch_ups.append((latest, sid))
            else:
                self._record_skipped(sid, latest, now)
        return catch_ups

    def _latest_run(self, schedule: Schedule, first_missed: datetime, now: datetime) -> datetime:
        """Return the latest run due at or before now (first_missed is one such run)."""
        tz = self.zone(schedule)
        for lookback in _LOOKBACKS:
            start = max(first_missed, now - lookback)
            runs = runs_between(schedule, start, now, tz=tz, sun=self._sun, limit=1000)
            runs = [run for run in runs if run <= now]
            if runs:
                return runs[-1]
        return first_missed

    # ----- timers -------------------------------------------------------------------------

    def _next(self, schedule: Schedule, after: datetime) -> datetime | None:
        """Return the schedule's next run strictly after an instant."""
        return next_run(schedule, after, tz=self.zone(schedule), sun=self._sun)

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
        """(Re-)arm the single loop timer for the earliest due run."""
        top = self._queue.peek()
        if top is not None and top[0] == self._timer_due and self._timer is not None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_due = None
        if top is None:
            return
        delay = (top[0] - dt_util.utcnow()).total_seconds()
        loop = self.hass.loop
        self._timer = loop.call_at(loop.time() + max(delay, 0.0), self._on_timer)
        self._timer_due = top[0]

    @callback
    def _on_timer(self) -> None:
        """Loop timer: start what is due."""
        self._timer = None
        self._timer_due = None
        self._fire_due()

    @callback
    def _schedule_guard(self) -> None:
        """Arm the clock guard."""
        self._guard = self.hass.loop.call_later(CLOCK_GUARD_SECONDS, self._on_guard)

    @callback
    def _on_guard(self) -> None:
        """Re-arm from the wall clock, so a clock step cannot leave the timer late."""
        self._schedule_guard()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._fire_due()

    @callback
    def _fire_due(self) -> None:
        """Start every run that is due by the wall clock, then re-arm."""
        now = dt_util.utcnow()
        for sid, due in self._queue.pop_due(now):
            if self.states[sid].paused_until is not None:
                self._resume(sid, now)
            else:
                self._start_run(sid, due, Trigger.TIMER, now)
        self._arm()

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
    ) -> RunRecord:
        """Open the run's record and journal entry, then execute it in the background."""
        schedule = self.schedules[sid]
        if advance and due is not None:
            # Advance before anything runs: the same due instant can never start twice.
            self._advance(sid, max(due, now))
        if due is not None:
            self.last_lateness = now - due
        ledger = self._ledger(sid)
        # A ULID like every Home Assistant context: the recorder keeps only those, and the
        # logbook needs the recorded context to name the schedule behind a change.
        context_id = ulid_now()
        record = ledger.open(due, trigger, schedule.action.target.entity_ids, now)
        record = ledger.update(record.slot, context_id=context_id)
        change = self._journal.started(sid, record)
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
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._notify(sid)
        return record

    async def _async_run(self, sid: str, request: RunRequest, change: int) -> None:
        """Persist what prevents a double run, execute, record the outcome."""
        # Repeating a state after a crash is harmless: an idempotent run does not wait for its
        # start line to reach the disk (it goes out with this iteration's batch all the same).
        # An event must be on disk as started before its first call, so a kill can never make
        # it run twice.
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
            LOGGER.exception("Run %s of schedule %s failed unexpectedly", request.slot, sid)
            result = RunResult(RunStatus.FAILED, error=str(err) or type(err).__name__)
        self._finish(sid, request, result)

    @callback
    def _finish(self, sid: str, request: RunRequest, result: RunResult) -> None:
        """Record a finished run."""
        now = dt_util.utcnow()
        if (ledger := self._ledgers.get(sid)) is not None and ledger.get(request.slot):
            ledger.update(
                request.slot,
                status=result.status,
                finished=now,
                attempts=result.attempts,
                error=result.error,
            )
            # Each run prunes its own ledger: the work stays proportional to what was added.
            ledger.prune(now, self.max_records, self.max_age)
        if (state := self.states.get(sid)) is not None:
            state.last_run = request.due or now
            state.last_result = result.status
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

    @callback
    def _update_failure_issue(self, sid: str, result: RunResult) -> None:
        """Raise a repair issue naming the failed targets or custom step; a success clears it."""
        ident = issue_id(ISSUE_RUN_FAILED, sid)
        name = self.schedules[sid].name
        if result.status is RunStatus.FAILED and result.failed_targets:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                ident,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=ISSUE_RUN_FAILED,
                translation_placeholders={
                    "schedule": name,
                    "targets": ", ".join(result.failed_targets),
                },
            )
        elif result.status is RunStatus.SUCCESS:
            for kind in _RUN_ISSUES:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id(kind, sid))
        if self.schedules[sid].action.type is not ActionType.CUSTOM:
            return
        step = result.step or _UNKNOWN_STEP
        if result.status is RunStatus.FAILED:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id(ISSUE_CUSTOM_RUN_FAILED, sid),
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=ISSUE_CUSTOM_RUN_FAILED,
                translation_placeholders={
                    "schedule": name,
                    "step": step,
                    "error": result.error or "",
                },
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
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id(ISSUE_CUSTOM_RUN_INTERRUPTED, sid),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_CUSTOM_RUN_INTERRUPTED,
            translation_placeholders={"schedule": self.schedules[sid].name, "step": step},
        )

    @callback
    def _note_step(self, sid: str, slot: int, step: str) -> None:
        """Keep the step a custom run has reached in its record and the journal (kill-safe)."""
        self._note(sid, slot, step_note(step), log=False)

    @callback
    def _note(self, sid: str, slot: int, text: str, *, log: bool = True) -> None:
        """Add a note to a run's record (it may have finished already)."""
        ledger = self._ledgers.get(sid)
        if ledger is None or ledger.get(slot) is None:
            return
        if log:
            LOGGER.info("Schedule %s, run %s: %s", self.schedules[sid].name, slot, text)
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
        state = self.states[sid]
        state.last_result = RunStatus.SKIPPED
        state.last_run = due
        self._writer.schedule()

    # ----- persistence --------------------------------------------------------------------

    def _run_data_snapshot(self) -> tuple[dict[str, JsonDict], dict[str, JsonDict]]:
        """Return state and ledger snapshots (built on the loop)."""
        return (
            {sid: st.as_dict() for sid, st in self.states.items()},
            {sid: ledger.as_dict() for sid, ledger in self._ledgers.items()},
        )

    async def _async_save_definitions(self) -> None:
        """Write every definition (valid and invalid) and wait for the write."""
        specs = {sid: spec.spec for sid, spec in self.invalid.items()}
        specs.update({sid: schedule_to_dict(s) for sid, s in self.schedules.items()})
        await self._store.schedules.async_save({"schedules": specs})

    # ----- listeners ----------------------------------------------------------------------

    @callback
    def async_listen(self, sid: str, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call listener when the schedule's state or definition changes."""
        listeners = self._listeners.setdefault(sid, [])
        listeners.append(listener)

        @callback
        def remove() -> None:
            listeners.remove(listener)
            if not listeners:
                self._listeners.pop(sid, None)

        return remove

    @callback
    def async_listen_collection(self, listener: Callable[[str, bool], None]) -> CALLBACK_TYPE:
        """Call listener(schedule_id, added) when a schedule is added or removed."""
        self._collection_listeners.append(listener)
        return lambda: self._collection_listeners.remove(listener)

    @callback
    def _notify(self, sid: str) -> None:
        """Tell the schedule's listeners (and only those) that it changed."""
        for listener in list(self._listeners.get(sid, ())):
            listener()

    # ----- management ---------------------------------------------------------------------

    async def async_validate(self, spec: Mapping[str, Any]) -> Schedule:
        """Validate a spec in this instance's default zone (raises ScheduleInvalid)."""
        schedule = validate_schedule(spec, default_timezone=self.default_zone)
        await self._executor.async_validate(schedule)
        return schedule

    async def async_add(self, spec: Mapping[str, Any]) -> Schedule:
        """Validate, store and arm a new schedule."""
        data = {**self.new_schedule_defaults, **spec}
        data.setdefault("id", uuid.uuid4().hex)
        data.setdefault("created", dt_util.utcnow().isoformat())
        schedule = await self.async_validate(data)
        if schedule.id in self.schedules or schedule.id in self.invalid:
            raise ScheduleInvalid((FieldError("id", "duplicate_id", {"id": schedule.id}),))
        self.schedules[schedule.id] = schedule
        self.states[schedule.id] = ScheduleState()
        try:
            await self._async_save_definitions()
        except Exception:
            del self.schedules[schedule.id], self.states[schedule.id]
            raise
        self._rearm(schedule.id)
        for listener in list(self._collection_listeners):
            listener(schedule.id, True)
        return schedule

    async def async_update(self, sid: str, spec: Mapping[str, Any]) -> Schedule:
        """Replace a schedule's definition (its id, ledger and counters stay).

        An invalid stored schedule is repaired this way: it becomes a valid one.
        """
        if sid not in self.schedules and sid not in self.invalid:
            raise KeyError(sid)
        old = self.schedules.get(sid)
        data = {**dict(spec), "id": sid}
        if old is not None and old.created is not None:
            data.setdefault("created", old.created.isoformat())
        schedule = await self.async_validate(data)
        invalid = self.invalid.pop(sid, None)
        self.schedules[sid] = schedule
        self.states.setdefault(sid, ScheduleState())
        try:
            await self._async_save_definitions()
        except Exception:
            if old is None:
                del self.schedules[sid], self.states[sid]
            else:
                self.schedules[sid] = old
            if invalid is not None:
                self.invalid[sid] = invalid
            raise
        self._rearm(sid)
        self._notify(sid)
        return schedule

    async def async_set_enabled(self, sid: str, enabled: bool) -> Schedule:
        """Enable or disable a schedule (enabling never catches up runs missed meanwhile)."""
        spec = schedule_to_dict(self.schedules[sid])
        spec["enabled"] = enabled
        return await self.async_update(sid, spec)

    async def async_remove(self, sid: str) -> None:
        """Delete a schedule with its state and ledger."""
        schedule = self.schedules.pop(sid, None)
        invalid = self.invalid.pop(sid, None)
        try:
            await self._async_save_definitions()
        except Exception:
            if schedule is not None:
                self.schedules[sid] = schedule
            if invalid is not None:
                self.invalid[sid] = invalid
            raise
        self.states.pop(sid, None)
        self._ledgers.pop(sid, None)
        self._queue.discard(sid)
        for kind in _RUN_ISSUES:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id(kind, sid))
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
        self._record_skipped(sid, due, dt_util.utcnow(), "Skipped on request", Trigger.SERVICE)
        self._advance(sid, due)
        self._arm()
        self._notify(sid)
        return due

    @callback
    def async_pause(self, sid: str, until: datetime) -> None:
        """Suspend a schedule's runs until an instant (persisted; resumes by itself)."""
        state = self.states[sid]
        state.paused_until = until
        self._queue.set(sid, state.wake_at)
        self._writer.schedule()
        self._arm()
        self._notify(sid)

    @callback
    def async_resume(self, sid: str) -> None:
        """End a pause now."""
        if self.states[sid].paused_until is not None:
            self._resume(sid, dt_util.utcnow())
            self._arm()

    @callback
    def _resume(self, sid: str, now: datetime) -> None:
        """End a pause: a state-describing schedule re-applies what it prescribes now."""
        state = self.states[sid]
        state.paused_until = None
        schedule = self.schedules[sid]
        first_missed = state.next_due
        if not schedule.enabled:
            self._queue.discard(sid)
        elif first_missed is not None and first_missed <= now:
            latest = self._latest_run(schedule, first_missed, now)
            self._advance(sid, now)
            if schedule.action.type.idempotent:
                self._start_run(sid, latest, Trigger.CATCH_UP, now, advance=False)
            else:
                self._record_skipped(sid, latest, now, "Paused", Trigger.TIMER)
        else:
            self._queue.set(sid, state.wake_at)
        self._writer.schedule()
        self._notify(sid)

    @callback
    def async_run_now(self, sid: str, trigger: Trigger = Trigger.MANUAL) -> RunRecord:
        """Run a schedule's action now, outside its timing (its next due run stays)."""
        return self._start_run(sid, None, trigger, dt_util.utcnow(), advance=False)

    @callback
    def _rearm(self, sid: str) -> None:
        """Recompute a schedule's next run from now and re-arm the timer."""
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

    def next_wake(self) -> tuple[datetime, str] | None:
        """Return the earliest (instant, schedule id) the runner waits for, in O(1)."""
        return self._queue.peek()

    @property
    def armed(self) -> int:
        """Return the number of schedules waiting for a due run."""
        return len(self._queue)
