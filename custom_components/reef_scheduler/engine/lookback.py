"""A schedule's past runs, latest first: the timeline searched backwards.

The timeline only iterates forward (``next_run`` gives the first run strictly after an
instant). Its run set does not depend on where the iteration starts (DESIGN.md §2: also not
inside a repeated hour), so "is there a run in (lo, hi]?" is one forward probe,
``next_run(lo) <= hi``. Searching backwards is then an exponential search for a window that
holds a run (1 h, 8 h, 64 h, ... back) followed by a forward scan of that window; a window
dense with runs is halved until its tail fits a small chunk. The cost is logarithmic in how far
back the latest run lies and does not grow with the density of the schedule.

Runs before the schedule's ``start`` never count, and the search looks back at most
``LOOKBACK`` (one Gregorian cycle, the horizon the timeline uses forward).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from .model import Schedule
from .timeline import SunCalculator, next_run, runs_between

type Excluded = Callable[[str, datetime], bool]
"""Given a schedule id and a run's due instant, True when that run does not count."""

LOOKBACK = timedelta(days=146_097)
"""How far back a run is looked for (400 years: a rule silent that long never ran)."""

MAX_EXCLUDED = 100_000
"""Consecutive excluded runs skipped before a schedule counts as having no earlier run."""

_EPS = timedelta(microseconds=1)
_FIRST_WINDOW = timedelta(hours=1)
_GROWTH = 8
_CHUNK = 64
_MIN_INSTANT = datetime.min.replace(tzinfo=UTC)


def runs_backwards(
    schedule: Schedule,
    until: datetime,
    *,
    tz: ZoneInfo,
    sun: SunCalculator | None = None,
) -> Iterator[datetime]:
    """Yield the schedule's run instants at or before ``until``, latest first.

    ``enabled`` is ignored, as in the timeline. The iteration stops at the schedule's
    ``start`` or ``LOOKBACK`` before ``until``, whichever is later.
    """
    if until.tzinfo is None:
        raise ValueError("until must be timezone-aware")
    hi = until.astimezone(UTC)
    floor = _MIN_INSTANT if hi - _MIN_INSTANT <= LOOKBACK else hi - LOOKBACK
    if schedule.start is not None and schedule.start - _EPS > floor:
        floor = schedule.start - _EPS
    while hi > floor:
        lo = _window_with_run(schedule, floor, hi, tz, sun)
        if lo is None:
            return
        chunk = _tail(schedule, lo, hi, tz, sun)
        yield from reversed(chunk)
        hi = chunk[0] - _EPS


def latest_run(
    schedule: Schedule,
    at: datetime,
    *,
    tz: ZoneInfo,
    sun: SunCalculator | None = None,
    excluded: Excluded | None = None,
) -> datetime | None:
    """Return the schedule's latest run at or before ``at`` that is not excluded, or None."""
    return next(_counted(schedule, runs_backwards(schedule, at, tz=tz, sun=sun), excluded), None)


def counted_runs_backwards(
    schedule: Schedule,
    until: datetime,
    *,
    tz: ZoneInfo,
    sun: SunCalculator | None = None,
    excluded: Excluded | None = None,
) -> Iterator[datetime]:
    """Yield the runs at or before ``until`` that are not excluded, latest first.

    After ``MAX_EXCLUDED`` excluded runs in a row the iteration ends, bounding the cost of a
    long pause over a dense schedule.
    """
    return _counted(schedule, runs_backwards(schedule, until, tz=tz, sun=sun), excluded)


def _counted(
    schedule: Schedule, runs: Iterator[datetime], excluded: Excluded | None
) -> Iterator[datetime]:
    """Drop excluded runs, giving up after too many in a row."""
    if excluded is None:
        yield from runs
        return
    skipped = 0
    for run in runs:
        if not excluded(schedule.id, run):
            skipped = 0
            yield run
            continue
        skipped += 1
        if skipped >= MAX_EXCLUDED:
            return


def _window_with_run(
    schedule: Schedule,
    floor: datetime,
    hi: datetime,
    tz: ZoneInfo,
    sun: SunCalculator | None,
) -> datetime | None:
    """Return lo >= floor with a run in (lo, hi], or None when (floor, hi] holds none."""
    width = _FIRST_WINDOW
    while True:
        lo = floor if width >= hi - floor else hi - width
        run = next_run(schedule, lo, tz=tz, sun=sun)
        if run is not None and run <= hi:
            return lo
        if lo == floor:
            return None
        width *= _GROWTH


def _tail(
    schedule: Schedule,
    lo: datetime,
    hi: datetime,
    tz: ZoneInfo,
    sun: SunCalculator | None,
) -> list[datetime]:
    """Return the last runs in (lo, hi] in increasing order: all of them, or a latest few.

    Requires a run in (lo, hi]. While more than a chunk of runs lies in the window, it is
    halved, keeping the half that holds the latest run.
    """
    while True:
        inside = runs_between(schedule, lo + _EPS, hi + _EPS, tz=tz, sun=sun, limit=_CHUNK)
        if len(inside) < _CHUNK or inside[-1] == hi:
            return inside
        last = inside[-1]
        middle = last + (hi - last) // 2
        probe = next_run(schedule, middle, tz=tz, sun=sun)
        if probe is not None and probe <= hi:
            lo = middle
        else:
            lo, hi = last - _EPS, middle
