"""A channel's level as a function of the wall clock, and the search for its next change.

The wall clock is cut into sections at every bend: the knots of each factor (points, cloud and
storm edges) and the edges of overrides (flashes, the moon being up). Inside a section every
factor is one monotone piece, so a flat section is skipped with two evaluations and a monotone
one is solved with ``first_true`` from an inverted guess; sections where factors move in
opposite directions (a cloud on a ramp) are bisected with interval bounds. Answers are exact
to the microsecond of wall time.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from .profile import Curve, first_true, round_level, shape, shape_inverse

_FAR = 1 << 62  # a wall time beyond any day, as a section bound


@dataclass(frozen=True, slots=True)
class Segment:
    """One monotone piece of a factor: ``first`` at ``start`` to ``last`` at ``end``."""

    start: int
    end: int
    first: float
    last: float
    curve: Curve

    def value(self, wall: int) -> float:
        """Return the factor at a wall time, clamped to the ends outside the piece."""
        if wall <= self.start:
            return self.first
        # Sections never read a piece past its end; the clamp keeps the contract anyway.
        progress = shape(self.curve, min((wall - self.start) / (self.end - self.start), 1.0))
        return self.first + (self.last - self.first) * progress

    def wall_of(self, value: float) -> int:
        """Return about where the piece reaches a value (a search guess, clamped)."""
        fraction = (value - self.first) / (self.last - self.first)
        progress = shape_inverse(self.curve, min(max(fraction, 0.0), 1.0))
        return self.start + round(progress * (self.end - self.start))


@dataclass(frozen=True, slots=True)
class Track:
    """A factor through (wall, value) knots, each piece shaped by ``curve``, flat outside."""

    walls: tuple[int, ...]
    values: tuple[float, ...]
    curve: Curve

    def piece(self, wall: int) -> Segment | float:
        """Return the piece covering [wall, next knot), or its value where it is flat."""
        index = bisect_right(self.walls, wall) - 1
        if index < 0:
            return self.values[0]
        if index >= len(self.walls) - 1:
            return self.values[-1]
        first, last = self.values[index], self.values[index + 1]
        if first == last:
            return first
        return Segment(self.walls[index], self.walls[index + 1], first, last, self.curve)


@dataclass(frozen=True, slots=True)
class Section:
    """Wall times from ``start`` to the next section: ``fixed``, or scale * segments, capped."""

    start: int
    scale: float
    segments: tuple[Segment, ...]
    fixed: float | None = None


@dataclass(frozen=True, slots=True)
class Override:
    """Wall times [start, end) at a fixed level (a flash, the moon being up)."""

    start: int
    end: int
    level: float


@dataclass(frozen=True, slots=True)
class WallLevel:
    """One channel's level as a function of the wall clock, in sections."""

    starts: tuple[int, ...]
    sections: tuple[Section, ...]
    min_level: float
    max_level: float

    @classmethod
    def build(
        cls,
        tracks: Sequence[Track],
        scale: float,
        overrides: Sequence[Override],
        min_level: float = 0.0,
        max_level: float = 100.0,
    ) -> WallLevel:
        """Cut the wall clock at every knot and override edge into sections."""
        bounds = {-_FAR}
        for track in tracks:
            bounds.update(track.walls)
        for override in overrides:
            bounds.update((override.start, override.end))
        ordered = sorted(bounds)
        pending = sorted(overrides, key=lambda o: o.start)
        taken = 0
        active: list[Override] = []
        sections: list[Section] = []
        for wall in ordered:
            # A sweep, not a scan per bound: a long storm has thousands of flashes.
            while taken < len(pending) and pending[taken].start <= wall:
                active.append(pending[taken])
                taken += 1
            active = [o for o in active if o.end > wall]
            fixed = [o.level for o in active]
            factor, segments = scale, []
            for track in tracks:
                piece = track.piece(wall)
                if isinstance(piece, Segment):
                    segments.append(piece)
                else:
                    factor *= piece
            sections.append(Section(wall, factor, tuple(segments), max(fixed, default=None)))
        return cls(tuple(ordered), tuple(sections), min_level, max_level)

    def cap(self, raw: float) -> float:
        """Apply the cap, then send a level in (0, min_level) as off."""
        capped = min(raw, self.max_level)
        return 0.0 if 0.0 < capped < self.min_level else capped

    def raw(self, section: Section, wall: int) -> float:
        """Return the uncapped level of a section at a wall time."""
        value = section.scale
        for segment in section.segments:
            value *= segment.value(wall)
        return value

    def section_level(self, section: Section, wall: int) -> float:
        """Return the level of a section at a wall time."""
        if section.fixed is not None:
            return section.fixed
        return self.cap(self.raw(section, wall))

    def level(self, wall: int) -> float:
        """Return the level at a wall time."""
        return self.section_level(self.sections[bisect_right(self.starts, wall) - 1], wall)

    def next_change(self, after: int, until: int) -> int | None:
        """Return the first wall time in (after, until] whose rounded level differs."""
        current = round_level(self.level(after))
        index = bisect_right(self.starts, after) - 1
        low = after
        while low < until:
            section = self.sections[index]
            if low < section.start:
                # Entering a section: its first instant may jump (a flash, the moon rising).
                if round_level(self.section_level(section, section.start)) != current:
                    return section.start
                low = section.start
            high = (
                until if index + 1 == len(self.starts) else min(until, self.starts[index + 1] - 1)
            )
            if high > low:
                found = self._search(section, low, high, current)
                if found is not None:
                    return found
            low = high
            index += 1
        return None

    def _search(self, section: Section, low: int, high: int, current: int) -> int | None:
        """Return the first wall time in (low, high] of one section whose rounded level differs."""
        if section.fixed is not None:
            return None
        moving = [s for s in section.segments if s.value(low) != s.value(high)]
        rising = [s.value(high) > s.value(low) for s in moving]
        if all(rising) or not any(rising):
            # Every factor moves one way (or none moves): the level is monotonic.
            if round_level(self.section_level(section, high)) == current:
                return None
            return first_true(
                lambda wall: round_level(self.section_level(section, wall)) != current,
                low,
                high,
                self._guess(section, moving, low, high, current),
            )
        return self._bisect(section, low, high, current)

    def _guess(
        self, section: Section, moving: list[Segment], low: int, high: int, current: int
    ) -> int:
        """Return about where a monotonic section's rounded level leaves ``current``."""
        start, end = self.raw(section, low), self.raw(section, high)
        target = max(current + 0.5 if end > start else current - 0.5, self.min_level)
        if len(moving) == 1:
            segment = moving[0]
            rest = start / segment.value(low) if segment.value(low) else 0.0
            if rest:
                return segment.wall_of(target / rest)
        fraction = (target - start) / (end - start)
        return low + round(min(max(fraction, 0.0), 1.0) * (high - low))

    def _bisect(self, section: Section, low: int, high: int, current: int) -> int | None:
        """Return the first wall time in (low, high] whose rounded level differs, by bounds."""
        # Every factor is monotonic and not negative, so the level over [a, b] lies between
        # the products of each factor's smaller and larger end, and the cap is monotonic.
        first, last = low + 1, high
        smallest = largest = section.scale
        for segment in section.segments:
            a, b = segment.value(first), segment.value(last)
            smallest *= min(a, b)
            largest *= max(a, b)
        if round_level(self.cap(smallest)) == current == round_level(self.cap(largest)):
            return None
        if first == last:
            return last
        middle = (low + high) // 2
        found = self._bisect(section, low, middle, current)
        return found if found is not None else self._bisect(section, middle, high, current)
