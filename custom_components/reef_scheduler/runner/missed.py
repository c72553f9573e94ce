"""What becomes of the runs a schedule missed: a restart, a forward clock step, a pause.

The same rules serve all three (DESIGN.md §3 "Restart recovery"), applied to the missed runs
of one schedule, latest first:

- A schedule that describes a state (on, off, levels, ramps, holds) is not run to catch up:
  the runner reconciles its targets to what the schedules prescribe now. Its latest missed
  run is recorded as one ``catch_up`` run whose effect is that reconcile (pending until the
  targets can be reached, then success or failed by how the reconcile went, or skipped when
  a later run of another schedule prescribes all its targets). Its earlier missed runs are
  recorded ``skipped``: a later run replaced them.
- An event-like schedule (toggle, custom) runs its latest missed run once, as ``catch_up``,
  if it was due within its catch-up window; every other missed run is recorded ``skipped``
  with the reason.
- Runs due while the schedule was paused are recorded ``skipped`` ("Paused"), except the
  latest run of a state-describing schedule, whose state the pause's end applies.

Every missed run gets exactly one record, but at most ``MAX_MISSED_RECORDS`` per schedule
and occasion (the latest ones): an outage of days over a schedule running every minute
would otherwise flood its history. Runs skipped on request are not missed runs: they were
recorded when they were skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from ..engine.ledger import Trigger
from ..engine.lookback import Excluded, counted_runs_backwards
from ..engine.model import Schedule
from ..engine.prescribed import Prescription
from ..engine.timeline import SunCalculator

MAX_MISSED_RECORDS = 100
PAUSED = "Paused"


class Cause(StrEnum):
    """Why runs were missed (the start of each skipped run's reason)."""

    STOPPED = "Missed while Home Assistant was stopped"
    CLOCK_STEP = "Missed when the clock jumped forward"


@dataclass(frozen=True, slots=True)
class Skip:
    """One missed run to record as skipped."""

    due: datetime
    reason: str
    trigger: Trigger


@dataclass(frozen=True, slots=True)
class Missed:
    """The fate of one schedule's missed runs: skipped ones (oldest first), one catch-up."""

    skipped: tuple[Skip, ...] = ()
    catch_up: datetime | None = None


def missed_runs(
    schedule: Schedule,
    first: datetime,
    now: datetime,
    *,
    tz: ZoneInfo,
    sun: SunCalculator | None,
    excluded: Excluded | None,
) -> tuple[list[datetime], bool]:
    """Return the schedule's runs in [first, now], latest first, and whether older ones exist.

    At most ``MAX_MISSED_RECORDS`` runs are returned; the flag says that runs between
    ``first`` and the oldest returned one were left out.
    """
    runs: list[datetime] = []
    for run in counted_runs_backwards(schedule, now, tz=tz, sun=sun, excluded=excluded):
        if run < first:
            return runs, False
        if len(runs) == MAX_MISSED_RECORDS:
            return runs, True
        runs.append(run)
    return runs, False


def triage(
    schedule: Schedule,
    runs: list[datetime],
    now: datetime,
    *,
    cause: Cause,
    paused_until: datetime | None = None,
    truncated: bool = False,
) -> Missed:
    """Decide what becomes of each missed run (``runs`` latest first, see the module doc)."""
    if not runs:
        return Missed()
    describes_state = schedule.action.type.idempotent
    latest, earlier = runs[0], runs[1:]

    def paused(due: datetime) -> bool:
        return paused_until is not None and due <= paused_until

    def outside(due: datetime) -> bool:
        return now - due > schedule.catch_up

    catch_up: datetime | None = None
    skipped: list[Skip] = []
    if describes_state or not (paused(latest) or outside(latest)):
        catch_up = latest
    elif paused(latest):
        skipped.append(Skip(latest, PAUSED, Trigger.TIMER))
    else:
        skipped.append(Skip(latest, f"{cause}; outside the catch-up window", Trigger.CATCH_UP))
    for due in earlier:
        if paused(due):
            skipped.append(Skip(due, PAUSED, Trigger.TIMER))
        elif describes_state:
            skipped.append(Skip(due, f"{cause}; a later run replaced it", Trigger.CATCH_UP))
        elif outside(due):
            skipped.append(Skip(due, f"{cause}; outside the catch-up window", Trigger.CATCH_UP))
        else:
            reason = f"{cause}; only the latest missed run is caught up"
            skipped.append(Skip(due, reason, Trigger.CATCH_UP))
    skipped.reverse()
    if truncated and skipped:
        oldest = skipped[0]
        note = f"{oldest.reason} (older missed runs are not listed)"
        skipped[0] = Skip(oldest.due, note, oldest.trigger)
    return Missed(tuple(skipped), catch_up)


@dataclass(slots=True)
class StateCatchUp:
    """The pending catch-up run of a state-describing schedule, settled entity by entity.

    ``entities`` are the schedule's targets once known (None before the first reconcile);
    each leaves the set when it has been reconciled. ``won`` counts the entities where this
    run is the prescription that was applied, ``errors`` those where applying it failed.
    """

    slot: int
    due: datetime
    entities: set[str] | None = None
    context_id: str | None = None
    won: int = 0
    attempts: int = 0
    errors: dict[str, str] = field(default_factory=dict)


class StateCatchUps:
    """The pending state catch-up runs, at most one per schedule, indexed by entity."""

    def __init__(self) -> None:
        """Start with none."""
        self._by_schedule: dict[str, StateCatchUp] = {}
        self._by_entity: dict[str, set[str]] = {}

    def __contains__(self, schedule_id: object) -> bool:
        """Return True when the schedule has a pending catch-up run."""
        return schedule_id in self._by_schedule

    def get(self, schedule_id: str) -> StateCatchUp | None:
        """Return the schedule's pending catch-up run."""
        return self._by_schedule.get(schedule_id)

    def add(self, schedule_id: str, slot: int, due: datetime) -> StateCatchUp | None:
        """Track a new catch-up run; return the one it replaces (a later run replaced it)."""
        old = self.pop(schedule_id)
        self._by_schedule[schedule_id] = StateCatchUp(slot, due)
        return old

    def pop(self, schedule_id: str) -> StateCatchUp | None:
        """Stop tracking a schedule's catch-up run and return it."""
        pending = self._by_schedule.pop(schedule_id, None)
        for entity_id in (pending.entities or ()) if pending else ():
            ids = self._by_entity[entity_id]  # every entity still awaited is indexed
            ids.discard(schedule_id)
            if not ids:
                del self._by_entity[entity_id]
        return pending

    def learn(self, targets: Mapping[str, Sequence[str]]) -> list[tuple[str, StateCatchUp]]:
        """Give each catch-up run without entities the schedule's targets of now.

        Returns (and stops tracking) the runs whose schedule reaches no entity, or no longer
        describes a state (it is missing from ``targets``).
        """
        done: list[tuple[str, StateCatchUp]] = []
        for schedule_id, pending in list(self._by_schedule.items()):
            if pending.entities is not None:
                continue
            pending.entities = set(targets.get(schedule_id, ()))
            if not pending.entities:
                done.append((schedule_id, pending))
                del self._by_schedule[schedule_id]
            for entity_id in pending.entities:
                self._by_entity.setdefault(entity_id, set()).add(schedule_id)
        return done

    def settle(
        self,
        entity_id: str,
        prescription: Prescription | None,
        attempts: int = 0,
        error: str | None = None,
    ) -> list[tuple[str, StateCatchUp]]:
        """Note that an entity was reconciled; return (and stop tracking) the runs now done."""
        done: list[tuple[str, StateCatchUp]] = []
        for schedule_id in sorted(self._by_entity.pop(entity_id, ())):
            pending = self._by_schedule[schedule_id]
            assert pending.entities is not None  # indexed only once known
            pending.entities.discard(entity_id)
            if prescription is not None and (prescription.schedule_id, prescription.due) == (
                schedule_id,
                pending.due,
            ):
                pending.won += 1
                pending.attempts = max(pending.attempts, attempts)
                if error is not None:
                    pending.errors[entity_id] = error
            if not pending.entities:
                done.append((schedule_id, pending))
                del self._by_schedule[schedule_id]
        return done
