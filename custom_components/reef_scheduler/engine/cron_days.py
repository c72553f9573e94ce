"""Plain cron patterns matched day by day: the same local times as croniter, many times faster.

croniter takes tens of microseconds for each match; a day card of a thousand schedules asks
for thousands of them. A pattern that runs at fixed times of day on chosen weekdays (minutes,
hours, seconds and weekdays plain numbers or ``*``, every day of the month and every month, no
``#``, at most ``MAX_TIMES`` times a day) is matched here instead: each date's weekday is
checked and a matching day yields its times of day in order. Every other pattern stays with
croniter, which also skips the first of a month after a day-of-month that month lacks (from
2 February, ``0 0 1,30 * *`` gives 30 March): only croniter's own results are ever used for
those.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from croniter import croniter

MAX_TIMES = 1440
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class CronDays:
    """A plain cron pattern: times of day, and the weekdays they run on."""

    times: tuple[time, ...]
    weekdays: frozenset[int] | None  # 0 = Sunday .. 6; None: every day

    def after(self, start: datetime) -> Iterator[datetime]:
        """Iterate the naive local matches strictly after ``start`` (naive), in order."""
        day = start.date()
        weekdays = self.weekdays
        while True:
            if weekdays is None or day.isoweekday() % 7 in weekdays:
                for at in self.times:
                    instant = datetime.combine(day, at)
                    if instant > start:
                        yield instant
            if day == date.max:
                return
            day += _DAY


@lru_cache(maxsize=1024)
def cron_days(expression: str) -> CronDays | None:
    """Return a plain pattern's days and times (None: croniter must match it)."""
    fields, nth = croniter.expand(expression)
    if nth or len(fields) not in (5, 6):
        return None
    try:
        minutes = _numbers(fields[0]) or tuple(range(60))
        hours = _numbers(fields[1]) or tuple(range(24))
        days, months, weekdays = (_numbers(field) for field in fields[2:5])
        seconds = (_numbers(fields[5]) or tuple(range(60))) if len(fields) == 6 else (0,)
    except _NotPlainError:
        return None
    if (
        days is not None
        or months is not None
        or len(hours) * len(minutes) * len(seconds) > MAX_TIMES
    ):
        return None
    times = tuple(time(h, m, s) for h in hours for m in minutes for s in seconds)
    return CronDays(times, None if weekdays is None else frozenset(weekdays))


class _NotPlainError(ValueError):
    """A field croniter must read itself (``L``, ``W``, a name it did not turn into a number)."""


def _numbers(field: Sequence[object]) -> tuple[int, ...] | None:
    """Return a field's numbers in order (None for ``*``)."""
    if list(field) == ["*"]:
        return None
    numbers = [value for value in field if type(value) is int]
    if len(numbers) != len(field):
        raise _NotPlainError(field)
    return tuple(sorted(set(numbers)))
