"""The wall clock a light profile run reads: the running maximum of the local clock.

Wall times are integer microseconds since the local midnight of the run's date. Between UTC
offset changes the wall clock plays along with real time. Springing forward, it jumps over the
gap; falling back, the repeated wall times are not read again: the wall clock is held at what
the first occurrence reached until the local clock catches up (DESIGN.md §2, first occurrence).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from .timeline import offset_change

_US = timedelta(microseconds=1)
_HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Stretch:
    """Instants [start, end) whose wall time plays along (``plays``) or is held at ``wall``."""

    start: datetime
    end: datetime
    wall: int
    plays: bool

    def wall_at(self, t: datetime) -> int:
        """Return the wall time (µs) at an instant of this stretch."""
        return self.wall + ((t - self.start) // _US if self.plays else 0)

    def instant_of(self, wall: int) -> datetime:
        """Return the instant a playing stretch reaches a wall time."""
        return self.start + (wall - self.wall) * _US


def _offset_changes(start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """Return the instants in (start, end) where the zone's UTC offset changes."""
    changes: list[datetime] = []
    # Whole seconds keep offset_change's bisection on tzdata's whole-second transitions.
    probe = start.replace(microsecond=0)
    while probe < end:
        following = probe + _HOUR
        if following.astimezone(zone).utcoffset() != probe.astimezone(zone).utcoffset():
            change = offset_change(zone, probe, following)
            if start < change < end:
                changes.append(change)
        probe = following
    return changes


@dataclass(frozen=True, slots=True)
class WallClock:
    """The wall clock a run reads: stretches covering [start, end]."""

    start: datetime
    end: datetime
    stretches: tuple[Stretch, ...]
    starts: tuple[datetime, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Index the stretches by their start."""
        object.__setattr__(self, "starts", tuple(s.start for s in self.stretches))

    @property
    def first_wall(self) -> int:
        """Wall time at the start."""
        return self.stretches[0].wall

    @property
    def last_wall(self) -> int:
        """Wall time at the end."""
        return self.stretches[-1].wall_at(self.end)

    def index(self, t: datetime) -> int:
        """Return the index of the stretch holding an instant of [start, end)."""
        return bisect_right(self.starts, t) - 1

    def wall_at(self, t: datetime) -> int:
        """Return the wall time of an instant; outside the run, real time from its ends."""
        # Not clamped: a storm or a moon window that ends after midnight must not end at it.
        if t <= self.start:
            return self.first_wall - (self.start - t) // _US
        if t >= self.end:
            return self.last_wall + (t - self.end) // _US
        return self.stretches[self.index(t)].wall_at(t)


def wall_clock(start: datetime, end: datetime, zone: ZoneInfo) -> WallClock:
    """Return the clock of [start, end]: the running maximum of the local wall clock."""
    origin = datetime.combine(start.astimezone(zone).date(), time())
    stretches: list[Stretch] = []
    reached: int | None = None
    for begin, finish in pairwise([start, *_offset_changes(start, end, zone), end]):
        wall = (begin.astimezone(zone).replace(tzinfo=None) - origin) // _US
        length = (finish - begin) // _US
        playing = begin
        if reached is not None and wall < reached:
            # A repeated wall time: hold what the first occurrence reached until the clock
            # catches up.
            held = min(reached - wall, length)
            playing = begin + held * _US
            stretches.append(Stretch(begin, playing, reached, plays=False))
            wall, length = reached, length - held
        if length > 0:
            stretches.append(Stretch(playing, finish, wall, plays=True))
        reached = wall + length if reached is None else max(reached, wall + length)
    closing = (end.astimezone(zone).replace(tzinfo=None) - origin) // _US
    if reached is not None and closing > reached:
        # The clock springs forward at the very end (a midnight in a gap): the end reads the
        # wall after the gap, like the next run's start.
        stretches.append(Stretch(end, end, closing, plays=True))
    return WallClock(start, end, tuple(stretches))
