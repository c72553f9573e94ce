"""The prescribed state: what the schedules say a target should be at an instant.

A pure function of the definitions and the clock (DESIGN.md §3 "Prescribed state"), never of
what the runner happened to do, so it answers the same after any restart.

Rules, for one entity and an instant ``at``:

- Only enabled schedules whose action describes a state count (on, off, set_level, set_pwm,
  ramp, profile); toggle and custom describe events and are invisible here. Runs before a schedule's
  ``start`` never happened; the last run before its ``end`` keeps prescribing after it.
  Runs the caller excludes (skipped, paused) did not happen. ``created`` is not a bound: a
  daily schedule created at noon prescribes what its morning run would have.
- Runs are totally ordered by (due instant, schedule id). The latest run at or before ``at``
  among the schedules targeting the entity wins: every state-describing run's effect covers
  all later instants, so "latest prescribing run whose effect covers t" is simply the latest
  run. At one instant the run of the greater schedule id wins, the order in which the
  runner's due queue starts them.
- A run's effect is a level over time (``effect_of``): off is 0 and on is 100 from the due
  instant on; set_level / set_pwm is their level; with a ``duration`` (a hold) the level holds
  during [due, due + duration) and is 0 from then on (the hold's end switches the target off);
  a ramp is its function of time and its end level once it is over; a light profile's run is
  the light's ``light_curve`` from its due instant (local midnight) to the next local midnight,
  constant after it (so another schedule's later run on the light wins until the profile's
  next day begins); a wave pattern's run is the pump's ``wave_curve`` over the same day.
- A ramp without a start level starts from the level prescribed for the entity at its due
  instant (by the run just before it in the order above; a hold ending exactly then has
  already switched off). A ramp without start level that starts while the previous one, also
  without start level, is still moving extends a *chain* (its start depends on that ramp's
  start). The start is unknown when nothing was prescribed before the chain, or when the
  chain is longer than ``MAX_CHAIN``. Such a ramp is an ``OpenRamp``: its level is unknown
  (None) until it ends; the runner starts it from the device's current level over the
  remaining time (``Prescription.plan``), as it does live.
- Each schedule's past is searched backwards at most ``lookback.LOOKBACK`` (400 years) and
  past at most ``lookback.MAX_EXCLUDED`` excluded runs in a row.

Functions of time are effects: anything with ``level_at`` and ``next_change`` (the
``Profile`` protocol) that a run produces.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from .light_curve import MoonWindow, day_end, light_curve
from .lookback import Excluded, counted_runs_backwards
from .model import Action, ActionType, Schedule
from .profile import MAX_LEVEL, MIN_LEVEL, Curve, Hold, Profile, Ramp
from .timeline import SunCalculator, get_zone
from .wave import WaveCurve, wave_curve

MAX_CHAIN = 16
"""Longest chain of overlapping ramps without start level whose start is still computed."""

_EPS = timedelta(microseconds=1)
_STATE_ACTIONS = frozenset(
    {
        ActionType.ON,
        ActionType.OFF,
        ActionType.SET_LEVEL,
        ActionType.SET_PWM,
        ActionType.RAMP,
        ActionType.PROFILE,
        ActionType.WAVE,
    }
)


@dataclass(frozen=True, slots=True)
class Steady:
    """A level that no longer changes (off, on, a plain set_level)."""

    level: float

    def level_at(self, t: datetime) -> float:
        """Return the level, the same at every instant."""
        return self.level

    def next_change(self, after: datetime) -> datetime | None:
        """Return None: a steady level never changes."""
        return None


@dataclass(frozen=True, slots=True)
class OpenRamp:
    """A ramp whose start level is unknown: its level is known only once it has ended."""

    start: datetime
    duration: timedelta
    end_level: float
    curve: Curve

    @property
    def end(self) -> datetime:
        """Instant the ramp reaches its end level."""
        return self.start + self.duration

    def level_at(self, t: datetime) -> float | None:
        """Return None while the ramp moves, its end level from its end on."""
        return self.end_level if t >= self.end else None

    def next_change(self, after: datetime) -> datetime | None:
        """Return the end while it lies ahead (the level becomes known there)."""
        return self.end if after < self.end else None

    def resume(self, now: datetime, current: float) -> Ramp:
        """Return the ramp from ``current`` at ``now`` to the end level over what is left."""
        begin = max(now, self.start)
        remaining = max(self.end - begin, timedelta(0))
        current = min(max(current, MIN_LEVEL), MAX_LEVEL)
        return Ramp(begin, remaining, current, self.end_level, self.curve)


type Effect = Steady | OpenRamp | Profile
"""A run's level over time from its due instant on."""

type MoonWindows = Callable[[ZoneInfo], MoonWindow]
"""The moon window (moonrise to moonset of the night starting on a local date) for a zone."""


@dataclass(frozen=True, slots=True)
class LightRun:
    """The light (or pump) a profile (or wave) run is taken on and what else its curve needs."""

    entity_id: str
    zone: ZoneInfo  # the schedule's
    seed: str  # the schedule's id: its clouds and storms
    moon_window: MoonWindow | None = None


def light_run(
    entity_id: str, zone: ZoneInfo, schedule_id: str, moon_windows: MoonWindows | None
) -> LightRun:
    """Return what a run of the schedule's profile on one light depends on."""
    moon_window = None if moon_windows is None else moon_windows(zone)
    return LightRun(entity_id, zone, schedule_id, moon_window)


def effect_of(
    action: Action,
    due: datetime,
    start_level: float | None = None,
    *,
    light: LightRun | None = None,
) -> Effect | None:
    """Return the level over time a run of ``action`` at ``due`` prescribes (None: none).

    ``start_level`` is the level a ramp without its own start level starts from (None:
    unknown, giving an ``OpenRamp``); other actions ignore it. A profile's or wave's effect is
    that of one ``light`` (its pump for a wave; ValueError without one).
    """
    match action.type:
        case ActionType.OFF:
            return Steady(MIN_LEVEL)
        case ActionType.ON | ActionType.SET_LEVEL | ActionType.SET_PWM:
            level = MAX_LEVEL if action.type is ActionType.ON else float(action.level or 0)
            if action.duration is None:
                return Steady(level)
            return Hold(due, due + action.duration, level)
        case ActionType.RAMP:
            if action.duration is None or action.level is None:
                raise ValueError("a ramp needs a duration and an end level")
            start = action.start_level if action.start_level is not None else start_level
            if start is None:
                return OpenRamp(due, action.duration, action.level, action.curve)
            return Ramp(due, action.duration, start, action.level, action.curve)
        case ActionType.PROFILE:
            if action.profile is None or light is None:
                raise ValueError("a profile's effect needs its profile and one of its lights")
            return light_curve(
                action.profile,
                light.entity_id,
                due,
                zone=light.zone,
                seed=light.seed,
                moon_window=light.moon_window,
            )
        case ActionType.WAVE:
            if action.wave is None or light is None:
                raise ValueError("a wave's effect needs its pattern and one of its pumps")
            end = day_end(due, light.zone)
            return wave_curve(
                action.wave, light.entity_id, due, end, zone=light.zone, seed=light.seed
            )
        case _:
            return None


def follow(effect: Effect, now: datetime, current: float) -> Profile | None:
    """Return the profile a target follows from ``now`` on (None: set a steady level once).

    An open ramp starts (or, once started, continues over what is left) from the target's
    ``current`` level, so a light neither jumps nor ends late; a wave keeps a pump's on or off
    rather than switch it for less than its minimum (``WaveCurve.resume``).
    """
    if isinstance(effect, Steady):
        return None
    if isinstance(effect, OpenRamp | WaveCurve):
        return effect.resume(now, current)
    return effect


@dataclass(frozen=True, slots=True)
class Prescription:
    """What the schedules prescribe for one entity at the instant ``at``.

    ``effect`` is the winning run's level over time; ``chain`` is 0 unless the winning run is
    a ramp without start level, then the length of its chain (see the module doc), counted up
    to ``MAX_CHAIN + 1``.
    """

    entity_id: str
    schedule_id: str
    action: ActionType
    due: datetime
    at: datetime
    effect: Effect
    chain: int = 0

    @property
    def level(self) -> float | None:
        """Return the level at ``at`` in percent (0 = off), None while an open ramp moves."""
        return self.effect.level_at(self.at)

    @property
    def until(self) -> datetime | None:
        """Return the instant the level settles when it still changes after ``at``."""
        end = _end(self.effect)
        return end if end is not None and end > self.at else None

    @property
    def profile(self) -> Profile | None:
        """Return the remaining plan (a ramp or hold still running at ``at``), else None."""
        effect = self.effect
        if isinstance(effect, Steady | OpenRamp) or self.until is None:
            return None
        return effect

    def plan(self, current: float) -> Profile | None:
        """Return the profile to follow from ``at`` given the target's ``current`` level.

        An open ramp still moving continues from ``current`` over its remaining time; anything
        else is ``profile`` (None: just set ``level``).
        """
        return None if self.until is None else follow(self.effect, self.at, current)

    def next_change(self, current: float | None = None) -> datetime | None:
        """Return the first instant after ``at`` the rounded prescribed level changes.

        For an open ramp still moving, pass the target's ``current`` level (the instant then
        follows ``plan(current)``); without it the ramp's end is returned. A later run of a
        schedule may supersede the prescription before then.
        """
        if current is not None and (plan := self.plan(current)) is not None:
            return plan.next_change(self.at)
        return self.effect.next_change(self.at)


def prescribe(
    schedules: Iterable[Schedule],
    at: datetime,
    *,
    default_zone: str,
    targets: Mapping[str, Collection[str]] | None = None,
    entity_ids: Iterable[str] | None = None,
    sun: SunCalculator | None = None,
    excluded: Excluded | None = None,
    moon_windows: MoonWindows | None = None,
) -> dict[str, Prescription]:
    """Return the prescription at ``at`` for every entity with one, by entity id.

    ``targets`` maps a schedule id to the entity ids its action reaches (devices and areas
    expanded by the caller); a schedule missing from it targets its ``action.target``
    entity ids. ``entity_ids`` limits the answer to those entities (default: all targeted).
    Wall-clock fields are read in each schedule's zone, else ``default_zone``; sun schedules
    need ``sun`` (ValueError otherwise). ``excluded(schedule_id, due)`` removes runs that did
    not happen. Light profiles light the moon channel from moonrise to moonset
    (``moon_windows``) unless they set its hours. Each schedule's past is searched once and
    shared by all its entities.
    """
    resolver = _Resolver(schedules, at, default_zone, targets, sun, excluded, moon_windows)
    wanted = resolver.entities() if entity_ids is None else entity_ids
    result: dict[str, Prescription] = {}
    for entity_id in wanted:
        if (prescription := resolver.resolve(entity_id)) is not None:
            result[entity_id] = prescription
    return result


def prescribe_entity(
    entity_id: str,
    schedules: Iterable[Schedule],
    at: datetime,
    *,
    default_zone: str,
    targets: Mapping[str, Collection[str]] | None = None,
    sun: SunCalculator | None = None,
    excluded: Excluded | None = None,
    moon_windows: MoonWindows | None = None,
) -> Prescription | None:
    """Return the prescription for one entity at ``at``, or None when nothing prescribes it."""
    return prescribe(
        schedules,
        at,
        default_zone=default_zone,
        targets=targets,
        entity_ids=(entity_id,),
        sun=sun,
        excluded=excluded,
        moon_windows=moon_windows,
    ).get(entity_id)


# --- resolution ---------------------------------------------------------------------------


def _end(effect: Effect) -> datetime | None:
    """Return the instant an effect's level settles (its last knot), None when steady."""
    if isinstance(effect, Steady):
        return None
    if isinstance(effect, OpenRamp):
        return effect.end
    return effect.knots[-1] if effect.knots else None


def _startless_ramp(action: Action) -> bool:
    """Return True for a ramp that starts from the level before it."""
    return action.type is ActionType.RAMP and action.start_level is None


class _Source:
    """One state-describing schedule and its runs at or before ``at``, latest first (lazy)."""

    __slots__ = ("_done", "_runs", "_seen", "action", "id", "zone")

    def __init__(self, schedule: Schedule, zone: ZoneInfo, runs: Iterator[datetime]) -> None:
        """Wrap the schedule's backward run iterator."""
        self.id = schedule.id
        self.action = schedule.action
        self.zone = zone
        self._runs = runs
        self._seen: list[datetime] = []  # decreasing
        self._done = False

    def latest(self, bound: datetime) -> datetime | None:
        """Return the latest counted run at or before ``bound`` (bound <= at)."""
        seen = self._seen
        lo, hi = 0, len(seen)
        while lo < hi:
            middle = (lo + hi) // 2
            if seen[middle] <= bound:
                hi = middle
            else:
                lo = middle + 1
        if lo < len(seen):
            return seen[lo]
        while not self._done:
            run = next(self._runs, None)
            if run is None:
                self._done = True
                break
            seen.append(run)
            if run <= bound:
                return run
        return None


@dataclass(frozen=True, slots=True)
class _Run:
    """One run of a source."""

    due: datetime
    source: _Source

    @property
    def key(self) -> tuple[datetime, str]:
        """Return the run's place in the total order of runs."""
        return self.due, self.source.id


class _Resolver:
    """Answers for many entities at one instant, searching each schedule's past once."""

    def __init__(
        self,
        schedules: Iterable[Schedule],
        at: datetime,
        default_zone: str,
        targets: Mapping[str, Collection[str]] | None,
        sun: SunCalculator | None,
        excluded: Excluded | None,
        moon_windows: MoonWindows | None,
    ) -> None:
        """Index the state-describing enabled schedules by the entities they target."""
        if at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        self.at = at.astimezone(UTC)
        self._moon_windows = moon_windows
        self._by_entity: dict[str, list[_Source]] = {}
        ids: set[str] = set()
        for schedule in schedules:
            if schedule.id in ids:
                raise ValueError(f"duplicate schedule id {schedule.id!r}")
            ids.add(schedule.id)
            if not schedule.enabled or schedule.action.type not in _STATE_ACTIONS:
                continue
            entity_ids = (
                targets[schedule.id]
                if targets is not None and schedule.id in targets
                else schedule.action.target.entity_ids
            )
            tz = get_zone(schedule.timezone or default_zone)
            runs = counted_runs_backwards(schedule, self.at, tz=tz, sun=sun, excluded=excluded)
            source = _Source(schedule, tz, runs)
            for entity_id in dict.fromkeys(entity_ids):
                self._by_entity.setdefault(entity_id, []).append(source)

    def entities(self) -> list[str]:
        """Return every entity some counted schedule targets."""
        return list(self._by_entity)

    def resolve(self, entity_id: str) -> Prescription | None:
        """Return the prescription for one entity."""
        sources = self._by_entity.get(entity_id, [])
        winner = _latest(sources, (self.at, None))
        if winner is None:
            return None
        effect, chain = self._effect(entity_id, sources, winner)
        return Prescription(
            entity_id,
            winner.source.id,
            winner.source.action.type,
            winner.due,
            self.at,
            effect,
            chain,
        )

    def _effect(self, entity_id: str, sources: list[_Source], run: _Run) -> tuple[Effect, int]:
        """Return a run's effect on the entity and its chain length."""
        action = run.source.action
        if not _startless_ramp(action):
            return self._effect_of(entity_id, run), 0
        # Walk back through the ramps without start level still moving when the next began.
        links = [run]
        base: float | None = None
        while len(links) <= MAX_CHAIN:
            prior = _latest(sources, links[-1].key)
            if prior is None:
                break
            prior_action = prior.source.action
            if _startless_ramp(prior_action) and links[-1].due < prior.due + (
                prior_action.duration or timedelta(0)
            ):
                links.append(prior)
                continue
            base = self._effect_of(entity_id, prior).level_at(links[-1].due)
            break
        # Then forward from the oldest link: each ramp starts where the previous one was. A
        # chain longer than MAX_CHAIN left the base unknown, and with it every start after.
        level = base
        for link, following in pairwise(reversed(links)):
            moving = effect_of(link.source.action, link.due, level)
            assert moving is not None
            level = moving.level_at(following.due)
        effect = effect_of(action, run.due, level)
        assert effect is not None
        return effect, len(links)

    def _effect_of(self, entity_id: str, run: _Run) -> Effect:
        """Return the effect on the entity of a run that does not depend on the one before."""
        source = run.source
        effect = effect_of(
            source.action,
            run.due,
            light=light_run(entity_id, source.zone, source.id, self._moon_windows),
        )
        assert effect is not None  # sources hold state-describing actions only
        return effect


def _latest(sources: list[_Source], before: tuple[datetime, str | None]) -> _Run | None:
    """Return the latest run preceding ``before`` in the order (due, schedule id).

    With a schedule id of None, runs at the instant itself count for every schedule.
    """
    due, schedule_id = before
    best: _Run | None = None
    for source in sources:
        counts_at_due = schedule_id is None or source.id < schedule_id
        run = source.latest(due if counts_at_due else due - _EPS)
        if run is not None and (best is None or (run, source.id) > best.key):
            best = _Run(run, source)
    return best
