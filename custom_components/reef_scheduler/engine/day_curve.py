"""A target's prescribed level over a window, as points to draw: the day card's curves.

The effects come from ``prescribed``'s rules: the prescription at the window's start, then each
counted run inside the window in the order (due instant, schedule id), each taking over from
the one before (a ramp without start level starts from the level in force at its due instant;
one that starts while such a ramp still moves extends its chain, unknown past ``MAX_CHAIN``).
Care periods hold a device at their level from their start until its release, over whatever
the schedules say.

Points are (instant, level 0..100 rounded to 0.1, or None where the level is unknown: an open
ramp, a wave's pump, nothing prescribed). A jump is two points at one instant; a curve that
moves continuously (ramps, light profiles) is sampled on a grid of window / ``MAX_POINTS``,
flat stretches by their ends only. A curve that still has more than ``MAX_POINTS`` points is
sampled on the grid alone.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import NamedTuple

from .care_model import CareKind, CarePeriod
from .model import Action, ActionType
from .prescribed import (
    MAX_CHAIN,
    Effect,
    LightRun,
    OpenRamp,
    Prescription,
    Steady,
    effect_of,
)
from .profile import Hold, Ramp
from .wave import WaveCurve

MAX_POINTS = 300

type Point = tuple[datetime, float | None]

# Maintenance first: its level wins where both hold a device (as care_periods decides).
_CARE_ORDER = (CareKind.MAINTENANCE, CareKind.FEED)


class WindowRun(NamedTuple):
    """A counted run inside the window of a schedule reaching the target (sorts by due, id)."""

    due: datetime
    schedule_id: str
    action: Action
    light: LightRun | None = None  # a profile's light or a wave's pump


@dataclass(frozen=True, slots=True)
class _Link:
    """The effect in force and, for a ramp without start level, its chain's length."""

    effect: Effect | None
    chain: int = 0
    startless_end: datetime | None = None  # when that ramp stops moving


def effects_over(
    start: Prescription | None, runs: Iterable[WindowRun]
) -> list[tuple[datetime, Effect | None]]:
    """Return (instant, effect) from the window's start on: each run's effect as it takes over.

    ``start`` is the prescription at the window's start (its ``at``); ``runs`` are the counted
    runs after it, in the order (due, schedule id).
    """
    if start is None:
        changes: list[tuple[datetime, Effect | None]] = []
        link = _Link(None)
    else:
        changes = [(start.at, start.effect)]
        moving = start.chain and isinstance(start.effect, OpenRamp | Ramp)
        link = _Link(start.effect, start.chain, _end_of(start.effect) if moving else None)
    levels: dict[int, Steady | None] = {}  # id(action) -> the steady level it sets, if any
    for run in runs:
        action = run.action
        if (steady := levels.get(id(action), _UNKNOWN)) is _UNKNOWN:
            steady = levels[id(action)] = _steady(action)
        if isinstance(steady, Steady):
            # The same level again changes nothing (a pump switched on every 5 minutes).
            if steady is not link.effect and steady != link.effect:
                link = _Link(steady)
                changes.append((run.due, steady))
            continue
        link = _next_link(link, run)
        if link.effect is not None:
            changes.append((run.due, link.effect))
    return changes


_UNKNOWN = object()
_STEADY_ACTIONS = frozenset(
    {ActionType.ON, ActionType.OFF, ActionType.SET_LEVEL, ActionType.SET_PWM}
)


def _steady(action: Action) -> Steady | None:
    """Return the steady level every run of an action sets (None: it depends on the run)."""
    if action.type not in _STEADY_ACTIONS or action.duration is not None:
        return None
    effect = effect_of(action, datetime.min)
    return effect if isinstance(effect, Steady) else None


def _end_of(effect: Effect) -> datetime | None:
    """Return when a ramp stops moving."""
    if isinstance(effect, OpenRamp):
        return effect.end
    if isinstance(effect, Ramp):
        return effect.end
    return None


def _next_link(link: _Link, run: WindowRun) -> _Link:
    """Return what is in force once a run has taken over."""
    action = run.action
    if action.type is not ActionType.RAMP or action.start_level is not None:
        effect = effect_of(action, run.due, light=run.light)
        return link if effect is None else _Link(effect)
    continues = link.startless_end is not None and run.due < link.startless_end
    chain = link.chain + 1 if continues else 1
    level = None if link.effect is None or chain > MAX_CHAIN else link.effect.level_at(run.due)
    effect = effect_of(action, run.due, level)
    assert effect is not None  # a ramp always has one
    return _Link(effect, chain, _end_of(effect))


def holds_of(
    periods: Iterable[CarePeriod], entity_id: str
) -> list[tuple[datetime, datetime, CareKind, float]]:
    """Return the care holds of a device: (start, release, kind, level), maintenance first."""
    holds = []
    for kind in _CARE_ORDER:
        for period in periods:
            if period.kind is not kind:
                continue
            for device in period.devices:
                if device.entity_id == entity_id:
                    release = period.end + device.restore_after
                    holds.append((period.start, release, kind, device.level))
    return holds


def held_at(
    holds: Sequence[tuple[datetime, datetime, CareKind, float]], at: datetime
) -> tuple[CareKind, float] | None:
    """Return which care holds the device at ``at`` and at what level (None: none)."""
    for start, release, kind, level in holds:
        if start <= at < release:
            return kind, level
    return None


class DayCurve:
    """A target's effects over a window with care holds applied: levels and points."""

    def __init__(
        self,
        changes: Sequence[tuple[datetime, Effect | None]],
        holds: Sequence[tuple[datetime, datetime, CareKind, float]],
        start: datetime,
        end: datetime,
    ) -> None:
        """Cut the window into segments, each with one effect (a hold's level wins)."""
        self.start, self.end = start, end
        instants = {start, end}
        instants.update(at for at, _ in changes if start < at < end)
        for hold_start, release, _, _ in holds:
            instants.update(at for at in (hold_start, release) if start < at < end)
        self._bounds = sorted(instants)
        self._effects: list[Effect | None] = []
        self._changes = changes
        self._change_at = [at for at, _ in changes]
        for at in self._bounds[:-1]:
            if (held := held_at(holds, at)) is not None:
                self._effects.append(Steady(held[1]))
                continue
            self._effects.append(self.prescribed_at(at))

    def prescribed_at(self, at: datetime) -> Effect | None:
        """Return the schedules' effect in force at an instant from the start on (care aside)."""
        index = bisect_right(self._change_at, at) - 1
        return self._changes[index][1] if index >= 0 else None

    def level_at(self, at: datetime) -> float | None:
        """Return the level at an instant of the window (None: unknown or none)."""
        index = min(max(bisect_right(self._bounds, at) - 1, 0), len(self._effects) - 1)
        return _level(self._effects[index], at)

    @property
    def known(self) -> bool:
        """Return True when some level of the window is known (a line can be drawn)."""
        return any(_drawn(effect) for effect in self._effects)

    def points(self, max_points: int = MAX_POINTS) -> list[Point]:
        """Return the points to draw, at most ``max_points``."""
        step = (self.end - self.start) / max_points
        points: list[Point] = []
        for (a, b), effect in zip(pairwise(self._bounds), self._effects, strict=True):
            for point in _segment(effect, a, b, self.start, step):
                if not points or points[-1] != point:
                    points.append(point)
        points = _compact(points)
        if len(points) > max_points:
            last = max_points - 1
            span = self.end - self.start
            grid = [self.start + span * k / last for k in range(last)] + [self.end]
            points = [(at, _rounded(self.level_at(at))) for at in grid]
        return points


def _drawn(effect: Effect | None) -> bool:
    """Return True for an effect whose level is drawn as a line."""
    return effect is not None and not isinstance(effect, WaveCurve)


def _level(effect: Effect | None, at: datetime) -> float | None:
    """Return an effect's level (None: none, an open ramp moving, a wave)."""
    if not _drawn(effect):
        return None
    assert effect is not None
    return effect.level_at(at)


def _rounded(level: float | None) -> float | None:
    """Round a level to 0.1."""
    return None if level is None else round(level, 1)


def _segment(
    effect: Effect | None, a: datetime, b: datetime, origin: datetime, step: timedelta
) -> list[Point]:
    """Return the points of one segment [a, b): its own change instants, or a grid."""
    if not _drawn(effect):
        return [(a, None)]
    assert effect is not None
    if isinstance(effect, Steady):
        return [(a, _rounded(effect.level)), (b, _rounded(effect.level))]
    if isinstance(effect, OpenRamp | Hold):
        # Constant up to one instant (a hold's end, an open ramp's known end level), then again.
        switch = effect.end
        before = _rounded(effect.level_at(a))
        if not a < switch < b:
            return [(a, before), (b, before)]
        after = _rounded(effect.level_at(switch))
        return [(a, before), (switch, before), (switch, after), (b, after)]
    knots = effect.knots
    instants = {a, b}
    if knots:
        first, last = max(a, knots[0]), min(b, knots[-1])
        instants.update(knot for knot in knots if a < knot < b)
        if first < last:
            k = max(int((first - origin) / step), 0)
            while (at := origin + step * k) < last:
                if at > first:
                    instants.add(at)
                k += 1
    ordered = sorted(instants)
    points = [(at, _rounded(effect.level_at(at))) for at in ordered[:-1]]
    # The level just before b (a light profile's day ends there): its limit from the left.
    points.append((b, _rounded(effect.level_at(b - _TICK))))
    return points


_TICK = timedelta(microseconds=1)


def _compact(points: list[Point]) -> list[Point]:
    """Drop the middle points of flat stretches (three equal levels in a row keep two)."""
    kept: list[Point] = []
    for point in points:
        if (
            len(kept) >= 2
            and point[1] is not None
            and kept[-1][1] == point[1]
            and kept[-2][1] == point[1]
        ):
            kept[-1] = point
            continue
        kept.append(point)
    return kept
