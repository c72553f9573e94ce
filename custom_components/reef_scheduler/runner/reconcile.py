"""Reconcile, don't replay: drive each target to the state the schedules prescribe now.

The runner asks for a reconcile after a start, a reload, a pause's end, a forward clock step,
and when a schedule is created or edited; this module decides *when* it can happen and *what*
it covers:

- Nothing happens before Home Assistant has started (``async_at_started``): at set-up time
  integrations that provide the targets may still be loading.
- Requests made in the same loop iteration are coalesced: one prescription for the requested
  entities (``engine.prescribed.prescribe``) from the schedules reaching them only, then one
  call per entity. Each schedule's targets are expanded once and kept in a ``TargetIndex``
  (entity -> schedules), which registry changes mark stale; so a reconcile after a create or
  an edit costs what it touches, not the number of schedules.
- A target that is missing or unavailable is *awaited*: it is reconciled as soon as it
  becomes available, or tried anyway (and then fails, after the usual retries) once it has
  been awaited for the wait bound (``wait``, default 10 minutes; 0 = never wait).
- A target of a state-describing schedule that comes back (its state changes from missing or
  unavailable to available) is reconciled then, at any time.

Catch-up runs of event-like schedules wait the same way (``when_ready``) before they start.
The runner keeps the records; this module only calls it back.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util

from ..engine.model import Schedule, Target
from ..engine.prescribed import Prescription
from .target_index import TargetIndex

DEFAULT_TARGET_WAIT = timedelta(minutes=10)

type Job = Callable[[], None]


class ReconcileHost(Protocol):
    """What the reconciler needs from the runner."""

    def prescribe(
        self,
        at: datetime,
        entity_ids: Collection[str],
        schedule_ids: Collection[str],
        targets: Mapping[str, Sequence[str]],
    ) -> Mapping[str, Prescription]:
        """Return the prescriptions at ``at`` of these entities by these schedules."""

    def on_reconcile(self, targets: Mapping[str, Sequence[str]]) -> None:
        """Learn each schedule's targets as they are now (before any entity is applied)."""

    def start_reconcile(self, entity_id: str, prescription: Prescription | None) -> None:
        """Apply one entity's prescription (None: nothing prescribes it) in the background."""

    def held(self, entity_id: str) -> bool:
        """Return True for an entity feed mode or maintenance drives (with or without schedule)."""


def available(state: State | None) -> bool:
    """Return True for an entity that exists and is not unavailable."""
    return state is not None and state.state != STATE_UNAVAILABLE


def reconciled(schedule: Schedule) -> bool:
    """Return True for a schedule whose targets are reconciled (enabled, state-describing)."""
    return schedule.enabled and schedule.action.type.idempotent


class Reconciler:
    """Holds reconciles and catch-up runs until Home Assistant and their targets are there."""

    def __init__(self, hass: HomeAssistant, host: ReconcileHost) -> None:
        """Create an idle reconciler; async_start makes it wait for Home Assistant."""
        self.hass = hass
        self._host = host
        self.wait = DEFAULT_TARGET_WAIT
        self.started = False
        self._all = False
        self._entities: set[str] = set()
        self._targets: list[Target] = []
        self._index = TargetIndex(hass)
        self._flush: CALLBACK_TYPE | None = None
        self._jobs: list[tuple[Target | None, Job]] = []
        self._waiting: list[tuple[Sequence[str], Job]] = []
        self._awaited: dict[str, datetime] = {}
        self._forced: set[str] = set()
        self._deadline: CALLBACK_TYPE | None = None
        self._unsubs: list[CALLBACK_TYPE] = []

    # ----- lifecycle ----------------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        """Begin once Home Assistant has started; follow targets coming back and registries."""
        bus = self.hass.bus
        self._unsubs += (
            async_at_started(self.hass, self._on_started),
            bus.async_listen(
                EVENT_STATE_CHANGED, self._on_state_changed, event_filter=self._is_return
            ),
            bus.async_listen(
                er.EVENT_ENTITY_REGISTRY_UPDATED,
                self._on_entity_registry,
                event_filter=self._references,
            ),
            bus.async_listen(
                dr.EVENT_DEVICE_REGISTRY_UPDATED,
                self._on_device_registry,
                event_filter=self._references,
            ),
        )

    @callback
    def async_stop(self) -> None:
        """Drop everything that waits (the runner records what stays pending)."""
        for unsub in (*self._unsubs, self._flush, self._deadline):
            if unsub is not None:
                unsub()
        self._unsubs.clear()
        self._flush = self._deadline = None
        self._jobs.clear()
        self._waiting.clear()
        self._awaited.clear()
        self.started = False

    @callback
    def _on_started(self, _hass: HomeAssistant) -> None:
        """Home Assistant runs: expand the waiting jobs and reconcile what was asked."""
        self.started = True
        jobs, self._jobs = self._jobs, []
        for target, job in jobs:
            self._waiting.append((self._index.expand(target) if target else (), job))
        self._check_jobs()
        self._schedule_flush()

    # ----- schedules and registries -------------------------------------------------------

    @callback
    def track(self, schedule: Schedule) -> None:
        """Learn a schedule as it is now (created, edited, loaded)."""
        self._index.track(schedule.id, schedule.action.target if reconciled(schedule) else None)

    @callback
    def forget(self, schedule_id: str) -> None:
        """Forget a removed schedule: it no longer prescribes anything."""
        self._index.track(schedule_id, None)

    @callback
    def _references(self, _data: object) -> bool:
        """Filter registry changes: only while some target names a device or an area."""
        return self._index.has_references

    @callback
    def _on_entity_registry(self, event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        """Expand again (soon) the targets an entity registry change can affect."""
        if self._index.entity_changed(event.data):
            self._schedule_flush()

    @callback
    def _on_device_registry(self, event: Event[dr.EventDeviceRegistryUpdatedData]) -> None:
        """Expand again (soon) the targets a device registry change can affect."""
        if self._index.device_changed(event.data):
            self._schedule_flush()

    # ----- requests -----------------------------------------------------------------------

    @property
    def awaited(self) -> dict[str, datetime]:
        """Return the targets waited for, with the instant the wait began."""
        return dict(self._awaited)

    @callback
    def request_all(self) -> None:
        """Reconcile every target of every state-describing schedule."""
        self._all = True
        self._schedule_flush()

    @callback
    def request_entities(self, entity_ids: Iterable[str]) -> None:
        """Reconcile these entities."""
        self._entities.update(entity_ids)
        self._schedule_flush()

    @callback
    def request_target(self, target: Target, *, now: bool = False) -> None:
        """Reconcile what a target reaches (expanded when the reconcile happens).

        With ``now`` (a schedule was just created or edited) the prescription is taken at
        once, with anything else requested, instead of on the next loop iteration.
        """
        self._targets.append(target)
        if now and self.started:
            if self._flush is not None:
                self._flush()
            self._run_flush()
            return
        self._schedule_flush()

    def prescriptions(
        self, entity_ids: Collection[str], at: datetime
    ) -> Mapping[str, Prescription]:
        """Return what the schedules reaching these entities prescribe for them at ``at``."""
        index = self._index
        index.refresh()
        return self._host.prescribe(at, entity_ids, index.schedules(entity_ids), index)

    @callback
    def when_ready(self, target: Target | None, job: Job) -> None:
        """Call ``job`` once Home Assistant has started and the target is available."""
        if not self.started:
            self._jobs.append((target, job))
            return
        self._waiting.append((self._index.expand(target) if target else (), job))
        self._check_jobs()

    @callback
    def _schedule_flush(self) -> None:
        """Reconcile on the next loop iteration (requests until then are coalesced)."""
        if self.started and self._flush is None:
            self._flush = self.hass.loop.call_soon(self._run_flush).cancel

    # ----- work ---------------------------------------------------------------------------

    @callback
    def _run_flush(self) -> None:
        """Expand stale targets; prescribe for every requested entity; apply each ready one."""
        self._flush = None
        index = self._index
        index.refresh()
        wanted = set(self._entities)  # held by care: reached by no schedule, maybe
        if self._all:
            wanted.update(index.entities())
        for target in self._targets:
            wanted.update(index.expand(target))
        self._all, self._entities, self._targets = False, set(), []
        self._host.on_reconcile(index)
        now = dt_util.utcnow()
        ready = [entity_id for entity_id in sorted(wanted) if self._ready(entity_id, now)]
        self._arm_deadline()
        if not ready:
            return
        prescriptions = self._host.prescribe(now, ready, index.schedules(ready), index)
        for entity_id in ready:
            self._host.start_reconcile(entity_id, prescriptions.get(entity_id))

    def _ready(self, entity_id: str, now: datetime, *, consume: bool = True) -> bool:
        """Return True when the entity can be acted on now; start awaiting it otherwise."""
        if entity_id in self._forced:
            if consume:
                self._forced.discard(entity_id)
            return True
        if self.wait <= timedelta(0) or available(self.hass.states.get(entity_id)):
            self._awaited.pop(entity_id, None)
            return True
        self._awaited.setdefault(entity_id, now)
        return False

    @callback
    def _check_jobs(self) -> None:
        """Start the waiting jobs whose targets are all ready."""
        now = dt_util.utcnow()
        waiting, self._waiting = self._waiting, []
        for entity_ids, job in waiting:
            # Every target is looked at, so each one not there yet is awaited from now.
            ready = [self._ready(entity_id, now, consume=False) for entity_id in entity_ids]
            if all(ready):
                job()
            else:
                self._waiting.append((entity_ids, job))
        self._arm_deadline()

    @callback
    def _arm_deadline(self) -> None:
        """Arm the timer for the earliest awaited target's end of wait."""
        if self._deadline is not None:
            self._deadline()
            self._deadline = None
        if not self._awaited:
            return
        first = min(self._awaited.values()) + self.wait
        delay = max((first - dt_util.utcnow()).total_seconds(), 0.0)
        self._deadline = async_call_later(self.hass, delay, self._on_deadline)

    @callback
    def _on_deadline(self, _now: datetime) -> None:
        """Stop waiting for targets whose wait is over: act on them anyway (it fails)."""
        self._deadline = None
        now = dt_util.utcnow()
        expired = {e for e, since in self._awaited.items() if since + self.wait <= now}
        for entity_id in expired:
            del self._awaited[entity_id]
        self._forced |= expired
        self._check_jobs()
        self._forced = {entity_id for entity_id in self._forced if self._watched(entity_id)}
        self.request_entities(self._forced)

    # ----- targets coming back ------------------------------------------------------------

    @callback
    def _is_return(self, data: EventStateChangedData) -> bool:
        """Filter state changes: a watched or awaited entity becoming available."""
        entity_id = data["entity_id"]
        if not self._watched(entity_id) and entity_id not in self._awaited:
            return False
        old = data["old_state"]
        return available(data["new_state"]) and not available(old)

    @callback
    def _on_state_changed(self, event: Event[EventStateChangedData]) -> None:
        """Reconcile a target that is back and start the jobs waiting for it."""
        entity_id = event.data["entity_id"]
        self._awaited.pop(entity_id, None)
        self._check_jobs()
        if self._watched(entity_id):
            self.request_entities((entity_id,))

    def _watched(self, entity_id: str) -> bool:
        """Return True for an entity reconciled when it comes back: a target, or held by care."""
        return self._index.reaches(entity_id) or self._host.held(entity_id)
