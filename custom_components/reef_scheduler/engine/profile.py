"""Light levels as functions of time: ramps and piecewise-linear profiles, never accumulated.

A profile answers two questions: the level at an instant, and the next instant its level
rounded to a whole percent changes. The runner sets a light at exactly those instants, so a
light follows a profile with no fixed tick and at most one call per percent.

Levels are percent (0..100); instants are timezone-aware ``datetime``s at microsecond
resolution. Rounding is half-up (see ``round_level``), so every step threshold sits at k + ½.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise
import math
from typing import Protocol

MIN_LEVEL = 0.0
MAX_LEVEL = 100.0

_ONE_US = timedelta(microseconds=1)


class Curve(StrEnum):
    """Shape of a ramp between its start and end levels."""

    LINEAR = "linear"
    # Smoothstep 3u² - 2u³: zero slope at both ends, so a light eases in and out.
    SMOOTH = "smooth"


class Profile(Protocol):
    """A level as a function of time that also knows when its rounded level next changes."""

    @property
    def knots(self) -> tuple[datetime, ...]:
        """Instants where the shape may bend; the level is constant outside the first..last."""

    def level_at(self, t: datetime) -> float:
        """Return the level (percent) at instant ``t``."""

    def next_change(self, after: datetime) -> datetime | None:
        """Return the first instant after ``after`` whose rounded level differs, if any."""


def round_level(level: float) -> int:
    """Round a percent level to a whole percent, halves up."""
    whole = math.floor(level)
    # Not floor(level + 0.5): that addition rounds itself (0.49999999999999994 + 0.5 == 1.0).
    # Not round(): banker's rounding would put alternate thresholds on alternate sides of k + ½.
    return whole + (1 if level - whole >= 0.5 else 0)


def shape(curve: Curve, u: float) -> float:
    """Map progress u in [0, 1] to the fraction of the level change done."""
    if curve is Curve.SMOOTH:
        return u * u * (3.0 - 2.0 * u)
    return u


def shape_inverse(curve: Curve, s: float) -> float:
    """Return the progress u in [0, 1] at which ``shape`` reaches s in [0, 1]."""
    if curve is Curve.SMOOTH:
        # Closed-form root of 3u² - 2u³ = s on [0, 1].
        return 0.5 - math.sin(math.asin(1.0 - 2.0 * s) / 3.0)
    return s


def _check_instant(name: str, value: datetime) -> None:
    """Reject naive instants, which cannot be compared with the engine's aware ones."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _check_level(name: str, value: float) -> None:
    """Reject levels outside 0..100 percent (NaN included)."""
    if not MIN_LEVEL <= value <= MAX_LEVEL:
        raise ValueError(f"{name} must be within {MIN_LEVEL}..{MAX_LEVEL}, got {value!r}")


def first_true(predicate: Callable[[int], bool], lo: int, hi: int, guess: int) -> int:
    """Return k in (lo, hi] with predicate(k) true and predicate(k - 1) false."""
    # Requires predicate(lo) false and predicate(hi) true. Galloping out from the guess, then
    # bisecting, makes an accurate guess cost two evaluations, while float error in the guess
    # can cost a few more but never give a wrong answer: the invariant is checked, not assumed.
    probe = min(max(guess, lo + 1), hi)
    if predicate(probe):
        hi, step = probe, 1
        while hi - step > lo and predicate(hi - step):
            hi -= step
            step *= 2
        lo = max(lo, hi - step)
    else:
        lo, step = probe, 1
        while lo + step < hi and not predicate(lo + step):
            lo += step
            step *= 2
        hi = min(hi, lo + step)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if predicate(mid):
            hi = mid
        else:
            lo = mid
    return hi


@dataclass(frozen=True, slots=True)
class Ramp:
    """A level moving from ``start_level`` to ``end_level`` over ``duration`` from ``start``."""

    start: datetime
    duration: timedelta
    start_level: float
    end_level: float
    curve: Curve

    def __post_init__(self) -> None:
        """Validate the ramp."""
        _check_instant("start", self.start)
        if self.duration < timedelta(0):
            raise ValueError("duration must not be negative")
        _check_level("start_level", self.start_level)
        _check_level("end_level", self.end_level)

    @property
    def end(self) -> datetime:
        """Instant the ramp reaches its end level."""
        return self.start + self.duration

    @property
    def knots(self) -> tuple[datetime, ...]:
        """Start and end of the ramp."""
        return (self.start, self.end)

    def level_at(self, t: datetime) -> float:
        """Return the level at ``t``: start level before the ramp, end level after it."""
        return self._level_at_offset(self._offset(t))

    def rounded_level_at(self, t: datetime) -> int:
        """Return the level at ``t`` rounded to a whole percent."""
        return round_level(self.level_at(t))

    def next_change(self, after: datetime) -> datetime | None:
        """Return the first instant after ``after`` whose rounded level differs from now's."""
        total = self._offset(self.end)
        after_offset = self._offset(after)
        if after_offset >= total:
            return None
        current = round_level(self._level_at_offset(after_offset))
        # The curve is monotonic, so if the end rounds alike, every instant between does too.
        if round_level(self.end_level) == current:
            return None
        rising = self.end_level > self.start_level
        threshold = current + 0.5 if rising else current - 0.5
        fraction = (threshold - self.start_level) / (self.end_level - self.start_level)
        guess = round(shape_inverse(self.curve, min(max(fraction, 0.0), 1.0)) * total)
        found = first_true(
            lambda k: round_level(self._level_at_offset(k)) != current,
            # One microsecond before the start the level is still the start level.
            max(after_offset, -1),
            total,
            guess,
        )
        return self.start + found * _ONE_US

    def _offset(self, t: datetime) -> int:
        """Return whole microseconds from the start to ``t`` (exact: datetimes are integral)."""
        return (t - self.start) // _ONE_US

    def _level_at_offset(self, offset: int) -> float:
        """Return the level ``offset`` microseconds after the start."""
        total = self.duration // _ONE_US
        # Clamp first and return the stored levels so the ends are exact, not a + (b - a)·1.0.
        if offset >= total:
            return self.end_level
        if offset <= 0:
            return self.start_level
        progress = shape(self.curve, offset / total)
        return self.start_level + (self.end_level - self.start_level) * progress


@dataclass(frozen=True, slots=True)
class Hold:
    """A level held from ``start`` until ``end``, then ``after_level`` (a photoperiod window)."""

    start: datetime
    end: datetime
    level: float
    after_level: float = MIN_LEVEL

    def __post_init__(self) -> None:
        """Validate the hold."""
        _check_instant("start", self.start)
        _check_instant("end", self.end)
        if self.end < self.start:
            raise ValueError("end must not be before start")
        _check_level("level", self.level)
        _check_level("after_level", self.after_level)

    @property
    def knots(self) -> tuple[datetime, ...]:
        """Start and end of the hold."""
        return (self.start, self.end)

    def level_at(self, t: datetime) -> float:
        """Return the held level inside [start, end), the after level from end on."""
        return self.level if t < self.end else self.after_level

    def next_change(self, after: datetime) -> datetime | None:
        """Return the end while it lies ahead and changes the rounded level."""
        if after >= self.end or round_level(self.level) == round_level(self.after_level):
            return None
        return self.end


@dataclass(frozen=True, slots=True)
class PointProfile:
    """A piecewise-linear level through (instant, level) points, constant outside them."""

    points: tuple[tuple[datetime, float], ...]
    _knots: tuple[datetime, ...] = field(init=False, repr=False, compare=False)
    _pieces: tuple[Ramp, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Validate the points and precompute one linear ramp per pair of neighbours."""
        if not self.points:
            raise ValueError("a profile needs at least one point")
        for instant, level in self.points:
            _check_instant("point instant", instant)
            _check_level("point level", level)
        if any(earlier >= later for (earlier, _), (later, _) in pairwise(self.points)):
            raise ValueError("point instants must be strictly increasing")
        pieces = tuple(
            Ramp(t0, t1 - t0, level0, level1, Curve.LINEAR)
            for (t0, level0), (t1, level1) in pairwise(self.points)
        )
        # Slotted frozen dataclass: derived fields can only be set through object.__setattr__.
        object.__setattr__(self, "_knots", tuple(instant for instant, _ in self.points))
        object.__setattr__(self, "_pieces", pieces)

    @property
    def knots(self) -> tuple[datetime, ...]:
        """The point instants."""
        return self._knots

    def level_at(self, t: datetime) -> float:
        """Return the interpolated level at ``t``."""
        index = bisect_right(self._knots, t) - 1
        if index < 0:
            return self.points[0][1]
        if index >= len(self._pieces):
            return self.points[-1][1]
        return self._pieces[index].level_at(t)

    def next_change(self, after: datetime) -> datetime | None:
        """Return the first instant after ``after`` whose rounded level differs from now's."""
        first = max(bisect_right(self._knots, after) - 1, 0)
        # Pieces share their end levels exactly, so a piece that starts after ``after`` sees
        # the same rounded level there as the profile has at ``after`` when no earlier piece
        # changed it.
        for piece in self._pieces[first:]:
            change = piece.next_change(after)
            if change is not None:
                return change
        return None


def steps(profile: Profile, since: datetime) -> Iterator[tuple[datetime, int]]:
    """Yield (instant, rounded level) at ``since`` and at every later rounded-level change."""
    instant: datetime | None = since
    while instant is not None:
        yield instant, round_level(profile.level_at(instant))
        instant = profile.next_change(instant)


def transition_segments(
    profile: Profile, now: datetime, max_segment: timedelta
) -> list[tuple[datetime, int, float]]:
    """Return (start, rounded level at its end, seconds) per transition of ≤ ``max_segment``."""
    if max_segment <= timedelta(0):
        raise ValueError("max_segment must be positive")
    knots = profile.knots
    first, last = knots[0], knots[-1]
    begin = max(now, first)
    if begin >= last:
        return []
    # Edges lie on a grid anchored at the first knot, plus the knots, so a restart or a manual
    # change reconciles at the same boundaries as the original plan; a curve is followed
    # piecewise-linearly through its values at the edges.
    edges = {begin, last}
    edges.update(knot for knot in knots if begin < knot < last)
    grid = first + ((begin - first) // max_segment + 1) * max_segment
    while grid < last:
        edges.add(grid)
        grid += max_segment
    return [
        (seg_start, round_level(profile.level_at(seg_end)), (seg_end - seg_start).total_seconds())
        for seg_start, seg_end in pairwise(sorted(edges))
    ]
