"""Run instants of a schedule, with the DST policy of DESIGN.md §2.

Wall-clock patterns (recurring, sun dates, cron with fixed hours) are iterated in naive local
time and each local time is mapped to an instant: a nonexistent time runs once at the end of
its gap (several times of one gap collapse into one run; the run keeps its local date for the
date filters, which are applied before mapping), a repeated time runs at its first occurrence
only, and a local date that never existed has no runs. Cron patterns whose hour field covers
every hour follow real elapsed time instead: they also run in the second pass of a repeated
hour (nonexistent times still collapse to the gap's end). Interval schedules are a real-time
grid and one-off schedules are a single instant.

All instants are aware UTC ``datetime``s. Windows are inclusive: runs at exactly ``start`` or
``end`` happen. ``enabled`` is ignored here; whether to arm a schedule is the caller's choice.
"""

from __future__ import annotations

import calendar
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
import copy
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from heapq import heappop, heappush
from itertools import islice, takewhile
from typing import cast
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, croniter

from .cron_days import cron_days
from .model import (
    CronTiming,
    Frequency,
    IntervalTiming,
    OneOffTiming,
    RecurringTiming,
    Schedule,
    SunEvent,
    SunTiming,
)

type SunCalculator = Callable[[date, SunEvent], datetime | None]
"""Given a local date of the schedule's zone, the UTC instant of the event that day, or None."""

_EPS = timedelta(microseconds=1)
_DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DATE = date(1970, 1, 1)
# A rule that has not matched within a Gregorian cycle never will (or not in any useful time).
_HORIZON = timedelta(days=146_097)
_HORIZON_MONTHS = 4800
# Polar night lasts less than a year; a calculator silent for longer will stay silent.
_SUN_MAX_SILENT_DAYS = 370


# Zones found (at most the few hundred of the tz database) and keys that are none, so a key
# read once off the event loop (load_zones) is never looked up on disk again.
_ZONES: dict[str, ZoneInfo] = {}
_NOT_ZONES: OrderedDict[str, None] = OrderedDict()
_NOT_ZONES_KEPT = 256
# The longest IANA key is about 30 characters; longer ones are not looked up at all.
MAX_ZONE_KEY_LENGTH = 64


def load_zone(key: str) -> ZoneInfo | None:
    """Return the zone of an IANA key, or None; reads the tz database on a key's first use."""
    if (zone := _ZONES.get(key)) is not None:
        return zone
    if key in _NOT_ZONES or len(key) > MAX_ZONE_KEY_LENGTH:
        return None
    try:
        zone = ZoneInfo(key)
    except (KeyError, ValueError, OSError):  # not found, malformed, a folder ("Europe")
        _NOT_ZONES[key] = None
        if len(_NOT_ZONES) > _NOT_ZONES_KEPT:
            _NOT_ZONES.popitem(last=False)
        return None
    _ZONES[key] = zone
    return zone


def load_zones(keys: Iterable[object]) -> None:
    """Look up every string among ``keys`` (blocking I/O: run it in an executor)."""
    for key in keys:
        if isinstance(key, str):
            load_zone(key)


def get_zone(key: str) -> ZoneInfo:
    """Return the ZoneInfo for an IANA key (cached; KeyError when there is none)."""
    if (zone := load_zone(key)) is None:
        raise KeyError(key)
    return zone


def is_zone(key: str) -> bool:
    """Return True when ``key`` names an IANA zone."""
    return load_zone(key) is not None


def next_runs(
    schedule: Schedule,
    after: datetime,
    count: int,
    *,
    tz: ZoneInfo,
    sun: SunCalculator | None = None,
) -> list[datetime]:
    """Return up to ``count`` run instants strictly after ``after``, in increasing order."""
    if count <= 0:
        return []
    return list(islice(_runs(schedule, after, tz, sun), count))


def next_run(
    schedule: Schedule,
    after: datetime,
    *,
    tz: ZoneInfo,
    sun: SunCalculator | None = None,
) -> datetime | None:
    """Return the first run instant strictly after ``after``, or None if there is none."""
    return next(_runs(schedule, after, tz, sun), None)


def runs_between(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    *,
    tz: ZoneInfo,
    sun: SunCalculator | None = None,
    limit: int = 1000,
) -> list[datetime]:
    """Return the run instants in the half-open interval [start, end), at most ``limit``."""
    runs = _runs(schedule, start - _EPS, tz, sun)
    return list(islice(takewhile(lambda run: run < end, runs), max(limit, 0)))


def is_expired(
    schedule: Schedule,
    now: datetime,
    *,
    tz: ZoneInfo,
    sun: SunCalculator | None = None,
) -> bool:
    """Return True when the schedule has no run after ``now`` (window or one-off passed)."""
    if schedule.end is not None and schedule.end <= now:
        return True
    if isinstance(schedule.timing, SunTiming) and sun is None:
        # Without the sun we cannot tell; a sun schedule only expires with its window.
        return False
    return next_run(schedule, now, tz=tz, sun=sun) is None


def _runs(
    schedule: Schedule, after: datetime, tz: ZoneInfo, sun: SunCalculator | None
) -> Iterator[datetime]:
    """Iterate the schedule's runs after ``after`` inside its window."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    lower = after.astimezone(UTC)
    if schedule.start is not None and schedule.start - _EPS > lower:
        lower = schedule.start - _EPS
    runs = _guarded(_timing_runs(schedule, lower, tz, sun))
    end = schedule.end
    if end is None:
        return runs
    return takewhile(lambda run: run <= end, runs)


def _guarded(runs: Iterator[datetime]) -> Iterator[datetime]:
    """Stop quietly where the calendar ends (year 9999) instead of raising."""
    try:
        yield from runs
    except OverflowError:
        return


def _timing_runs(
    schedule: Schedule, lower: datetime, tz: ZoneInfo, sun: SunCalculator | None
) -> Iterator[datetime]:
    """Dispatch to the iterator of the schedule's timing."""
    match schedule.timing:
        case OneOffTiming(at=at):
            return iter((at,) if at > lower else ())
        case IntervalTiming(every=every, anchor=anchor):
            return _interval_runs(every, anchor or schedule.created or schedule.start, lower)
        case CronTiming(expression=expression):
            return _cron_runs(expression, lower, tz)
        case RecurringTiming() as timing:
            anchor_date = timing.anchor_date or _default_anchor_date(schedule, tz)
            first_day = lower.astimezone(tz).date()
            naives = _recurring_naives(timing, first_day, anchor_date)
            return _instants(naives, lower, tz, repeat=False)
        case SunTiming() as timing:
            if sun is None:
                raise ValueError("sun schedules need a SunCalculator")
            return _sun_runs(timing, lower, tz, sun)


def _default_anchor_date(schedule: Schedule, tz: ZoneInfo) -> date:
    """Return the local date an every-N rule counts from when none is given."""
    reference = schedule.created or schedule.start
    return _EPOCH_DATE if reference is None else reference.astimezone(tz).date()


# --- real-time patterns -------------------------------------------------------------------


def _interval_runs(
    every: timedelta, anchor: datetime | None, lower: datetime
) -> Iterator[datetime]:
    """Iterate the grid ``anchor + k * every`` (k >= 0) after ``lower``."""
    origin = _EPOCH if anchor is None else anchor
    steps = 0 if lower < origin else (lower - origin) // every + 1
    run = origin + steps * every
    while True:
        yield run
        run += every


# --- mapping local wall-clock time to instants ----------------------------------------------


def resolve_local(naive: datetime, tz: ZoneInfo) -> datetime | None:
    """Map a naive local time to its instant by the DST policy (first occurrence, gap end).

    Returns None when the local date never existed (e.g. Pacific/Apia 2011-12-30).
    """
    resolved = _resolve(naive, tz)
    return None if resolved is None else resolved[0]


def _offset(local: datetime) -> timedelta:
    """Return the UTC offset of an aware local time (ZoneInfo always has one)."""
    return local.utcoffset() or timedelta(0)


def _resolve(naive: datetime, tz: ZoneInfo) -> tuple[datetime, datetime | None] | None:
    """Map a naive local time to (first instant, second occurrence or None), None if no date."""
    offset = _offset(naive.replace(tzinfo=tz))
    other = _offset(naive.replace(tzinfo=tz, fold=1))
    if offset == other:
        return (naive - offset).replace(tzinfo=UTC), None
    # The two folds disagree: either a repeated time (both valid) or a gap (neither valid).
    early, late = sorted(
        ((naive - offset).replace(tzinfo=UTC), (naive - other).replace(tzinfo=UTC))
    )
    if early.astimezone(tz).replace(tzinfo=None) == naive:
        return early, late
    end = offset_change(tz, early, late)
    return None if _date_skipped(naive.date(), end, tz) else (end, None)


@lru_cache(maxsize=256)
def offset_change(tz: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """Return the transition instant in (before, after]; tzdata transitions are whole seconds."""
    target = after.astimezone(tz).utcoffset()
    span = int((after - before).total_seconds())
    while span > 1:
        half = span // 2
        middle = before + timedelta(seconds=half)
        if middle.astimezone(tz).utcoffset() == target:
            after, span = middle, half
        else:
            before, span = middle, span - half
    return after


def _date_skipped(day: date, gap_end: datetime, tz: ZoneInfo) -> bool:
    """Return True when the gap ending at ``gap_end`` swallows all of ``day``."""
    local_end = gap_end.astimezone(tz)
    before = (gap_end - _EPS).astimezone(tz)
    gap_start_wall = before.replace(tzinfo=None) + _EPS
    midnight = datetime.combine(day, time())
    return gap_start_wall <= midnight and local_end.replace(tzinfo=None) >= midnight + _DAY


def _instants(
    naives: Iterable[datetime], lower: datetime, tz: ZoneInfo, *, repeat: bool
) -> Iterator[datetime]:
    """Map increasing local times to strictly increasing instants after ``lower``.

    With ``repeat`` the second occurrence of a repeated time is a run too (real-time patterns);
    it is held back until every earlier first occurrence has been emitted.
    """
    last = lower
    held: list[datetime] = []
    for naive in naives:
        resolved = _resolve(naive, tz)
        if resolved is None:
            continue
        first, second = resolved
        while held and held[0] <= first:
            run = heappop(held)
            if run > last:
                last = run
                yield run
        if first > last:
            last = first
            yield first
        if repeat and second is not None:
            heappush(held, second)


# --- cron ---------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _cron(expression: str) -> tuple[croniter, bool]:
    """Return a parsed prototype iterator and whether the pattern covers every hour."""
    hours = croniter.expand(expression)[0][1]
    every_hour = hours == ["*"] or len(hours) == 24
    return croniter(expression, datetime(2000, 1, 1)), every_hour


def _cron_runs(expression: str, lower: datetime, tz: ZoneInfo) -> Iterator[datetime]:
    """Iterate a cron pattern's runs after ``lower``."""
    proto, every_hour = _cron(expression)
    local = lower.astimezone(tz)
    start = local.replace(tzinfo=None)
    if every_hour:
        # Inside the first pass of a repeated hour, the second pass of earlier times is ahead.
        other = _offset(local.replace(fold=1 - local.fold))
        start -= max(_offset(local) - other, timedelta(0))
    if (plain := cron_days(expression)) is not None:  # croniter is slow: plain patterns by day
        return _instants(plain.after(start), lower, tz, repeat=every_hour)
    iterator = copy.copy(proto)  # parsing is slow; copies share the parsed fields
    iterator.set_current(start, force=True)
    return _instants(_cron_naives(iterator), lower, tz, repeat=every_hour)


def _cron_naives(iterator: croniter) -> Iterator[datetime]:
    """Iterate naive local matches until croniter gives up."""
    try:
        while True:
            yield cast(datetime, iterator.get_next(datetime))
    except CroniterBadDateError:
        return


# --- recurring ----------------------------------------------------------------------------


def _recurring_naives(timing: RecurringTiming, first: date, anchor: date) -> Iterator[datetime]:
    """Iterate the local times of a recurring timing from the date ``first`` on."""
    for day in _recurring_days(timing, first, anchor):
        for at in timing.times:
            yield datetime.combine(day, at)


def _recurring_days(timing: RecurringTiming, first: date, anchor: date) -> Iterator[date]:
    """Iterate the dates a recurring timing runs on, from ``first`` on."""
    match timing.frequency:
        case Frequency.DAILY:
            return _daily_days(timing, first, anchor)
        case Frequency.WEEKLY:
            return _weekly_days(timing, first, anchor)
        case Frequency.MONTHLY:
            return _monthly_days(timing, first, anchor)


def _daily_days(timing: RecurringTiming, first: date, anchor: date) -> Iterator[date]:
    """Iterate every N-th day counted from ``anchor``, filtered by weekday."""
    step = timedelta(days=timing.every)
    day = first + timedelta(days=(anchor - first).days % timing.every)
    weekdays = timing.weekdays
    stop = first + _HORIZON
    while day <= stop:
        if not weekdays or day.weekday() in weekdays:
            yield day
        day += step


def _weekly_days(timing: RecurringTiming, first: date, anchor: date) -> Iterator[date]:
    """Iterate the chosen weekdays of every N-th week (Monday-based) counted from ``anchor``."""
    anchor_monday = anchor - timedelta(days=anchor.weekday())
    day = first
    stop = first + _HORIZON
    while day <= stop:
        monday = day - timedelta(days=day.weekday())
        if ((monday - anchor_monday).days // 7) % timing.every:
            day = monday + timedelta(days=7)
            continue
        if day.weekday() in timing.weekdays:
            yield day
        day += _DAY


def _monthly_days(timing: RecurringTiming, first: date, anchor: date) -> Iterator[date]:
    """Iterate the chosen days of every N-th month counted from ``anchor``."""
    index = first.year * 12 + first.month - 1
    anchor_index = anchor.year * 12 + anchor.month - 1
    index += (anchor_index - index) % timing.every
    for _ in range(0, _HORIZON_MONTHS, timing.every):
        year, month = divmod(index, 12)
        for day in _month_days(timing, year, month + 1):
            if day >= first.day or (year, month + 1) != (first.year, first.month):
                yield date(year, month + 1, day)
        index += timing.every


@lru_cache(maxsize=512)
def _month_days(timing: RecurringTiming, year: int, month: int) -> tuple[int, ...]:
    """Return the sorted days of a month matched by a monthly timing."""
    length = calendar.monthrange(year, month)[1]
    days = {length if day == -1 else day for day in timing.month_days if day <= length}
    first_weekday = date(year, month, 1).weekday()
    for n, weekday in timing.nth_weekdays:
        first_match = 1 + (weekday - first_weekday) % 7
        last_match = first_match + 7 * ((length - first_match) // 7)
        day = last_match if n == -1 else first_match + 7 * (n - 1)
        if day <= length:
            days.add(day)
    return tuple(sorted(days))


# --- sun ----------------------------------------------------------------------------------


def _sun_runs(
    timing: SunTiming, lower: datetime, tz: ZoneInfo, sun: SunCalculator
) -> Iterator[datetime]:
    """Iterate a sun event plus offset per local date, skipping dates without the event."""
    # An event lies on its local date and |offset| <= 12 h, so yesterday's may still be ahead.
    day = lower.astimezone(tz).date() - _DAY
    last = lower
    silent = 0
    while silent < _SUN_MAX_SILENT_DAYS:
        if not timing.weekdays or day.weekday() in timing.weekdays:
            event = sun(day, timing.event)
            silent = 0 if event is not None else silent + 1
            if event is not None and (run := event.astimezone(UTC) + timing.offset) > last:
                last = run
                yield run
        day += _DAY
