"""A schedule's runs over a stretch of time: recorded ones from its history, then those to come.

The calendars (per local day) and the day card (one window) both read runs here. Recorded runs
come from the run history (paged, newest first, down to the stretch's start); runs to come from
the timeline, from the next due run on (after a pause's end), without the instants skipped on
request. Runs to come are counted per span between consecutive ``bounds``: a span with more
than ``limit`` is cut there and named in ``cut`` with its end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from itertools import pairwise

from ..engine.agenda import Occurrence, recorded, upcoming
from ..engine.model import Schedule
from ..runner.runner import ScheduleRunner

PAGE = 200

type Between = Callable[[Schedule, datetime, datetime, int], list[datetime]]
"""A schedule's run instants in [start, end), at most a number (the runner's runs_between)."""


def schedule_runs(
    runner: ScheduleRunner,
    schedule: Schedule,
    bounds: Sequence[datetime],
    length: timedelta,
    now: datetime,
    *,
    limit: int,
    cut: list[tuple[datetime, datetime]] | None = None,
    between: Between | None = None,
) -> Iterator[Occurrence]:
    """Yield a schedule's runs that begin in [bounds[0], bounds[-1]): recorded, then to come.

    Recorded runs come newest first; runs to come in due order, at most ``limit`` per span.
    ``between`` finds the instants to come (default: the runner's timeline).
    """
    first, last = bounds[0], bounds[-1]
    if first < now:
        yield from _past(runner, schedule, first, last, length)
    state = runner.states[schedule.id]
    if not schedule.enabled or state.next_due is None:
        return
    begin = max(first, state.next_due, state.paused_until or now)
    between = between or runner.runs_between
    for span_start, span_end in pairwise(bounds):
        if span_end <= begin:
            continue
        runs = between(schedule, max(span_start, begin), span_end, limit + 1)
        if len(runs) > limit:
            del runs[limit:]
            if cut is not None:
                cut.append((span_start, span_end))
        skipped = state.skipped
        yield from (upcoming(run, length) for run in runs if not skipped or run not in skipped)


def _past(
    runner: ScheduleRunner, schedule: Schedule, start: datetime, end: datetime, length: timedelta
) -> Iterator[Occurrence]:
    """Yield the recorded runs of a schedule that began in [start, end), newest first."""
    cursor: int | None = None
    while True:
        records, more = runner.ledger_page(schedule.id, cursor, PAGE, newest_first=True)
        for record in records:
            if (occurrence := recorded(record, length)) is None or occurrence.start >= end:
                continue
            if occurrence.start < start:
                return
            yield occurrence
        if not more:
            return
        cursor = records[-1].slot - 1
