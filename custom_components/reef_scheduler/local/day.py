"""The day card's data (DAY): a window of the local schedules' runs, their targets' curves, drift.

Rows are the listed schedules, sorted by name, each with its runs in the window (local/runs.py,
as the calendars read them; cut at ``MAX_RUNS``) and the bands of the effects that last (holds,
ramps, waves). Targets are those the listed schedules reach now, each with its prescribed level
over the window (engine/day_curve.py, from every schedule of the runner that reaches it and the
care periods), its level now and whether it drifts: an available target whose prescription is
known now and that no run of ours is driving (a run under way, a step's call in flight) drifts
when its level is more than ``DRIFT`` points off, or on where off is prescribed (or off where on).

Costs: the rows take each listed schedule's runs in the window; the curves take one
prescription at the window's start and one now for the targets shown, and the runs in the
window of the schedules reaching them: O(schedules x runs in the window), nothing per schedule
that grows with the number of schedules; each schedule's instants in the window are enumerated
once. Instants are aware UTC datetimes: Home Assistant's JSON writes them in ISO 8601 with
their offset.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from ..const import DOMAIN, KEY_ENABLED, schedule_unique_id
from ..engine.agenda import Occurrence, drawn, effect_length
from ..engine.care_model import CareKind, CarePeriod
from ..engine.day_curve import DayCurve, WindowRun, effects_over, held_at, holds_of
from ..engine.ledger import RunStatus
from ..engine.model import ActionType, Schedule
from ..engine.prescribed import Effect, LightRun, light_run
from ..engine.validate_dosing import DOSING_TYPE
from ..engine.validate_profile import PROFILE_TYPE
from ..engine.validate_wave import WAVE_TYPE
from ..engine.wave import WaveCurve
from ..runner.levels import entity_level
from ..runner.reconcile import available
from ..runner.runner import ScheduleRunner
from ..runner.target_index import expand
from .data import LocalData
from .runs import schedule_runs

MAX_RUNS = 300
# Instants of one schedule enumerated for a window at most (a curve counts the runs up to it).
TIMELINE_CAP = 3000
DRIFT = 2.0
RUNNING = "running"
_ONE_US = timedelta(microseconds=1)
# Runs not yet finished are drawn as running; a pending one waits for its target.
_UNDER_WAY = frozenset({RunStatus.PENDING, RunStatus.IN_PROGRESS})
# Runs whose effect did not happen have no band.
_NO_EFFECT = frozenset({RunStatus.SKIPPED, RunStatus.FAILED})
_BAND_KINDS = {ActionType.RAMP: "ramp", ActionType.WAVE: "wave"}
_PLAN_TYPES = {ActionType.PROFILE: PROFILE_TYPE, ActionType.WAVE: WAVE_TYPE}
_IN_ORDER = itemgetter(0, 1)  # a window run's (due, schedule id): the order runs take over

type Readable = Callable[[str], bool]
"""Whether the user may read an entity (None where everything is readable)."""


@dataclass(frozen=True, slots=True)
class DayRequest:
    """The window and the choice of schedules and entities (None: every one)."""

    start: datetime
    end: datetime
    schedule_ids: frozenset[str] | None = None
    entity_ids: frozenset[str] | None = None


class _Timeline:
    """Each schedule's run instants in the window, enumerated once for its row and its curves."""

    def __init__(self, runner: ScheduleRunner, end: datetime) -> None:
        """Cover instants up to the window's end."""
        self._runner = runner
        self._end = end
        # schedule id -> (from, its instants from then up to the end, all of them or cut)
        self._found: dict[str, tuple[datetime, list[datetime], bool]] = {}

    def enumerate(self, schedule: Schedule, start: datetime) -> None:
        """Find a schedule's instants in [start, the window's end) (at most ``TIMELINE_CAP``)."""
        runs = self._runner.runs_between(schedule, start, self._end, TIMELINE_CAP)
        self._found[schedule.id] = (start, runs, len(runs) < TIMELINE_CAP)

    def between(
        self, schedule: Schedule, start: datetime, end: datetime, limit: int
    ) -> list[datetime]:
        """Return at most ``limit`` instants in [start, end): found before where they cover it."""
        if (found := self._found.get(schedule.id)) is not None and found[0] <= start:
            _origin, runs, complete = found
            first, last = bisect_left(runs, start), bisect_left(runs, end)
            if end <= self._end and (complete or last < len(runs) or last - first >= limit):
                return runs[first : min(last, first + limit)]
        return self._runner.runs_between(schedule, start, end, limit)


def empty_day(hass: HomeAssistant, request: DayRequest, now: datetime) -> dict[str, Any]:
    """Return a DAY without schedules (no local entry loaded)."""
    return {
        "start": request.start,
        "end": request.end,
        "now": now,
        "time_zone": hass.config.time_zone,
        "schedules": [],
        "targets": [],
        "care": [],
    }


def build_day(
    hass: HomeAssistant,
    data: LocalData,
    request: DayRequest,
    now: datetime,
    readable: Readable | None = None,
) -> dict[str, Any]:
    """Return the DAY of a window for a user (``readable``: None for an admin)."""
    return _DayBuilder(hass, data, request, now, readable).build()


class _DayBuilder:
    """Builds one DAY: rows first, then the targets they reach and the care periods."""

    def __init__(
        self,
        hass: HomeAssistant,
        data: LocalData,
        request: DayRequest,
        now: datetime,
        readable: Readable | None,
    ) -> None:
        """Keep what every part needs."""
        self.hass = hass
        self.data = data
        self.runner = data.runner
        self.request = request
        self.now = now
        self.admin = readable is None
        self.readable: Readable = readable or (lambda _entity_id: True)
        self.registry = er.async_get(hass)
        self.reach: dict[str, tuple[str, ...]] = {}  # schedule id -> entities it reaches now
        self.switches: dict[str, str | None] = {}  # listed schedule id -> its Enabled switch
        self.timeline = _Timeline(data.runner, request.end)
        periods = (data.care.period(kind) for kind in CareKind)
        self.periods: list[CarePeriod] = [period for period in periods if period is not None]

    def build(self) -> dict[str, Any]:
        """Return the DAY."""
        listed = self._listed()
        rows = [self._row(schedule) for schedule in listed]
        shown: dict[str, list[str]] = {}
        wanted = self.request.entity_ids
        for schedule in listed:
            for entity_id in self.reach[schedule.id]:
                if (wanted is None or entity_id in wanted) and self.readable(entity_id):
                    shown.setdefault(entity_id, []).append(schedule.id)
        day = empty_day(self.hass, self.request, self.now)
        day["schedules"] = rows
        day["targets"] = self._targets(shown)
        day["care"] = self._care()
        return day

    # ----- rows ---------------------------------------------------------------------------

    def _listed(self) -> list[Schedule]:
        """Return the schedules asked for that the user may see, sorted by name."""
        ids, entities = self.request.schedule_ids, self.request.entity_ids
        listed = []
        for schedule in self.runner.schedules.values():
            reach = self.reach[schedule.id] = expand(self.hass, schedule.action.target)
            if ids is not None or entities is not None:
                chosen = ids is not None and schedule.id in ids
                if not chosen and (entities is None or entities.isdisjoint(reach)):
                    continue
            switch = self._enabled_entity(schedule.id)
            if not self.admin and (switch is None or not self.readable(switch)):
                continue
            self.switches[schedule.id] = switch
            listed.append(schedule)
        listed.sort(key=lambda schedule: (schedule.name.casefold(), schedule.id))
        return listed

    def _enabled_entity(self, schedule_id: str) -> str | None:
        """Return a schedule's Enabled switch (None while it has none)."""
        unique_id = schedule_unique_id(self.data.backend.entry_id, schedule_id, KEY_ENABLED)
        return self.registry.async_get_entity_id(Platform.SWITCH, DOMAIN, unique_id)

    def _row(self, schedule: Schedule) -> dict[str, Any]:
        """Return a schedule's row: what it is, its runs and bands in the window."""
        state = self.runner.states[schedule.id]
        action = schedule.action
        runs, bands, more = self._runs(schedule)
        return {
            "id": schedule.id,
            "name": schedule.name,
            "type": _type_of(schedule),
            "action": action.type.value,
            "enabled": schedule.enabled,
            "paused_until": state.paused_until,
            "enabled_entity": self.switches[schedule.id],
            "targets": [e for e in self.reach[schedule.id] if self.readable(e)],
            "runs": runs,
            "bands": bands,
            "more": more,
        }

    def _runs(self, schedule: Schedule) -> tuple[list[Any], list[Any], bool]:
        """Return a schedule's runs and bands in the window, and whether runs were cut."""
        start, end = self.request.start, self.request.end
        action = schedule.action
        length = self._length(schedule)
        zone = self.runner.zone(schedule)
        cut: list[tuple[datetime, datetime]] = []
        self.timeline.enumerate(schedule, start - length)
        found = [
            drawn(action, occurrence, zone)
            for occurrence in schedule_runs(
                self.runner,
                schedule,
                (start - length, end),
                length,
                self.now,
                limit=MAX_RUNS,
                cut=cut,
                between=self.timeline.between,
            )
        ]
        every = found
        found = [run for run in found if run.start < end and run.end > start]
        found.sort(key=itemgetter(0))  # by start
        more = bool(cut) or len(found) > MAX_RUNS
        del found[MAX_RUNS:]
        ml = action.dosing.dose_ml if action.dosing is not None else None
        runs = [_run(run, ml) for run in found]
        kind = _band_kind(schedule)
        bands = []
        if kind is not None:
            lasting = [
                run for run in found if run.record is None or run.record.status not in _NO_EFFECT
            ]
            # The due instants of the runs found, recorded or to come (a record keeps its due).
            known = {run.start if run.record is None else run.record.due for run in every}
            carried = self._carried(schedule, length, known)
            bands = [
                {"start": max(run.start, start), "end": min(run.end, end), "kind": kind}
                for run in ([carried] if carried is not None else []) + lasting
            ]
        return runs, bands, more

    def _carried(
        self, schedule: Schedule, length: timedelta, known: Collection[datetime | None]
    ) -> Occurrence | None:
        """Return the run not found whose effect reaches into the window from before it.

        The schedules prescribe it although it never ran here (its schedule was created or
        loaded after it): a wave pattern made at noon runs its day from noon on.
        """
        start = self.request.start
        if not schedule.enabled or not length:
            return None
        before = self.timeline.between(schedule, start - length, start, TIMELINE_CAP)
        if not before or before[-1] in known:
            return None
        due = before[-1]
        if self.runner.excluded(schedule.id, due):
            return None
        run = drawn(schedule.action, Occurrence(due, due + length), self.runner.zone(schedule))
        return run if run.end > start else None

    def _length(self, schedule: Schedule) -> timedelta:
        """Return how long a run's effect lasts (a dose: its pump's run time)."""
        plan = schedule.action.dosing
        if plan is None:
            return effect_length(schedule.action)
        doser = self.data.dosing.dosers().get(plan.doser)
        if doser is None or doser.ml_per_second <= 0:
            return timedelta(0)
        return timedelta(seconds=plan.dose_ml / doser.ml_per_second)

    # ----- targets ------------------------------------------------------------------------

    def _targets(self, shown: Mapping[str, list[str]]) -> list[dict[str, Any]]:
        """Return the shown targets with their curves, levels now and drift."""
        if not shown:
            return []
        sources = self._sources(shown)
        schedule_ids = {sid for sids in sources.values() for sid in sids}
        targets = {sid: self.reach[sid] for sid in schedule_ids}
        start, end = self.request.start, self.request.end
        at_start = self.runner.prescribe(start, shown, schedule_ids, targets)
        # Now inside the window: the curve's own effects say what is prescribed now.
        inside = start <= self.now < end
        at_now = {} if inside else self.runner.prescribe(self.now, shown, schedule_ids, targets)
        window_runs = self._window_runs(schedule_ids)
        items = []
        for entity_id, listed in shown.items():
            runs = sorted(
                (
                    WindowRun(due, sid, self.runner.schedules[sid].action, light)
                    for sid in sources.get(entity_id, ())
                    for light in (self._light(sid, entity_id),)
                    for due in window_runs[sid]
                ),
                key=_IN_ORDER,
            )
            holds = holds_of(self.periods, entity_id)
            curve = DayCurve(effects_over(at_start.get(entity_id), runs), holds, start, end)
            if inside:
                effect = curve.prescribed_at(self.now)
            else:
                effect = None if (found := at_now.get(entity_id)) is None else found.effect
            items.append(self._target(entity_id, listed, curve, holds, effect))
        items.sort(key=lambda item: (item["name"].casefold(), item["entity_id"]))
        return items

    def _sources(self, shown: Collection[str]) -> dict[str, list[str]]:
        """Return, per shown target, the schedules that prescribe it (enabled, state-describing)."""
        sources: dict[str, list[str]] = {}
        for sid, schedule in self.runner.schedules.items():
            if not schedule.enabled or not schedule.action.type.idempotent:
                continue
            reach = self.reach.get(sid)
            if reach is None:
                reach = self.reach[sid] = expand(self.hass, schedule.action.target)
            for entity_id in reach:
                if entity_id in shown:
                    sources.setdefault(entity_id, []).append(sid)
        return sources

    def _window_runs(self, schedule_ids: Iterable[str]) -> dict[str, list[datetime]]:
        """Return the counted runs after the window's start of each schedule, up to its end."""
        start, end = self.request.start, self.request.end
        runner = self.runner
        found = {}
        for sid in schedule_ids:
            schedule = runner.schedules[sid]
            runs = self.timeline.between(schedule, start + _ONE_US, end, TIMELINE_CAP)
            until = runner.states[sid].paused_until
            skipped = runner.states[sid].skipped
            if until is None and not skipped:  # the usual case: every run counts
                found[sid] = runs
                continue
            # A run after a pause's end counts: the runner excludes every run while paused.
            found[sid] = [
                due
                for due in runs
                if not runner.excluded(sid, due)
                or (until is not None and due >= until and due not in skipped)
            ]
        return found

    def _light(self, schedule_id: str, entity_id: str) -> LightRun | None:
        """Return what a profile's or wave's run on the entity depends on (else None)."""
        schedule = self.runner.schedules[schedule_id]
        if schedule.action.type not in _PLAN_TYPES:
            return None
        zone = self.runner.zone(schedule)
        return light_run(entity_id, zone, schedule_id, self.runner.moon_windows)

    def _target(
        self,
        entity_id: str,
        listed: list[str],
        curve: DayCurve,
        holds: list[Any],
        effect: Effect | None,
    ) -> dict[str, Any]:
        """Return one target: its curve, its level and prescription now, its drift."""
        state = self.hass.states.get(entity_id)
        level = entity_level(state) if available(state) else None
        held = held_at(holds, self.now)
        prescribed = self._prescribed_now(effect) if held is None else held[1]
        drift = (
            level is not None
            and prescribed is not None
            and _drifts(level, prescribed)
            and not self._driving(entity_id)
        )
        return {
            "entity_id": entity_id,
            "name": state.name if state is not None else entity_id,
            "schedules": listed,
            "curve": curve.points() if curve.known else None,
            "level": None if level is None else round(level, 1),
            "prescribed": None if prescribed is None else round(prescribed, 1),
            "held": None if held is None else held[0].value,
            "drift": drift,
        }

    def _prescribed_now(self, effect: Effect | None) -> float | None:
        """Return the level prescribed now (None: none, an open ramp moving, a wave)."""
        if effect is None or isinstance(effect, WaveCurve):
            return None
        return effect.level_at(self.now)

    def _driving(self, entity_id: str) -> bool:
        """Return True while a run of ours or a step's call is driving the entity."""
        if self.data.executor.levels.sending(entity_id):
            return True
        for sid, reach in self.reach.items():
            if entity_id not in reach:
                continue
            records, _more = self.runner.ledger_page(sid, None, 1, newest_first=True)
            if records and records[0].status is RunStatus.IN_PROGRESS:
                return True
        return False

    # ----- care ---------------------------------------------------------------------------

    def _care(self) -> list[dict[str, Any]]:
        """Return the care periods that overlap the window."""
        start, end = self.request.start, self.request.end
        return [
            {
                "kind": period.kind.value,
                "start": period.start,
                "end": period.end,
                "devices": [
                    {"entity_id": d.entity_id, "release": period.end + d.restore_after}
                    for d in period.devices
                    if self.readable(d.entity_id)
                ],
            }
            for period in self.periods
            if period.start < end and period.last_release > start
        ]


def _type_of(schedule: Schedule) -> str:
    """Return a schedule's type as its definition names it."""
    if schedule.action.dosing is not None:
        return DOSING_TYPE
    return _PLAN_TYPES.get(schedule.action.type, schedule.type.value)


def _band_kind(schedule: Schedule) -> str | None:
    """Return the band drawn for a run's lasting effect (None: it has none to band)."""
    action = schedule.action
    if (kind := _BAND_KINDS.get(action.type)) is not None:
        return kind
    held = action.type.idempotent and action.type is not ActionType.PROFILE
    return "hold" if held and action.duration is not None else None


def _run(run: Occurrence, ml: float | None) -> dict[str, Any]:
    """Return one run of a row."""
    record = run.record
    if record is None:
        result = run.result
    elif record.status in _UNDER_WAY:
        result = RUNNING
    else:
        result = record.status.value
    return {
        "start": run.start,
        "end": run.end,  # at least a second after the start (agenda.py)
        "result": result,
        "ml": ml,
        "error": None if record is None else record.error,
    }


def _drifts(level: float, prescribed: float) -> bool:
    """Return True when a level is off its prescription: by more than DRIFT, or on/off."""
    return abs(level - prescribed) > DRIFT or (level > 0) != (prescribed > 0)
