"""Named presets that expand to a concrete timing and an optional hold duration.

A preset's hold is real elapsed time from the run (like any action duration), so on a DST
change day a photoperiod's end moves by the shift in wall-clock terms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
import re

from .model import (
    CronTiming,
    FieldError,
    Frequency,
    RecurringTiming,
    ScheduleInvalid,
    SunEvent,
    SunTiming,
    Timing,
)

type Expansion = tuple[Timing, timedelta | None]

MAX_SUN_OFFSET = 43_200  # seconds; a sun offset beyond ±12 h is another day's event
_TIME_RE = re.compile(r"(\d{2}):(\d{2})(?::(\d{2}))?")
_DAY = timedelta(days=1)


def parse_time_of_day(value: object) -> time | None:
    """Parse "HH:MM" or "HH:MM:SS" strictly; None when it is not such a time."""
    # Longer texts are no time of day and would only bloat the cache.
    return _parse_time_text(value) if isinstance(value, str) and len(value) <= 8 else None


@lru_cache(maxsize=4096)
def _parse_time_text(value: str) -> time | None:
    """Parse a time-of-day string (cached: thousands of schedules share a few times)."""
    match = _TIME_RE.fullmatch(value)
    if match is None:
        return None
    hour, minute, second = (int(part or 0) for part in match.groups())
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def format_time_of_day(value: time) -> str:
    """Format a time of day as "HH:MM", or "HH:MM:SS" when it has seconds."""
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


class _Params:
    """Read preset params, collecting errors under ``params.<key>``."""

    def __init__(self, raw: Mapping[str, object], keys: frozenset[str]) -> None:
        """Remember the params and flag keys the preset does not know."""
        self._raw = raw
        self.errors = [
            FieldError(f"params.{key}", "unknown_key", {"name": str(key)})
            for key in raw
            if key not in keys
        ]

    def _fail(self, key: str, code: str, **placeholders: str) -> None:
        """Record an error on one param."""
        self.errors.append(FieldError(f"params.{key}", code, placeholders))

    def time(self, key: str) -> time:
        """Return a required time-of-day param (midnight after an error)."""
        if key not in self._raw:
            self._fail(key, "required")
            return time()
        parsed = parse_time_of_day(self._raw[key])
        if parsed is None:
            self._fail(key, "invalid_time")
            return time()
        return parsed

    def integer(
        self,
        key: str,
        low: int,
        high: int,
        default: int | None = None,
        code: str = "out_of_range",
    ) -> int:
        """Return an integer param within [low, high] (``low`` after an error)."""
        value = self._raw.get(key, default)
        if value is None:
            self._fail(key, "required")
        elif not isinstance(value, int) or isinstance(value, bool):
            self._fail(key, "invalid_type", expected="integer")
        elif not low <= value <= high:
            self._fail(key, code, min=str(low), max=str(high))
        else:
            return value
        return low

    def check(self) -> None:
        """Raise ScheduleInvalid when any param was rejected."""
        if self.errors:
            raise ScheduleInvalid(self.errors)


@dataclass(frozen=True, slots=True)
class Preset:
    """A named shortcut for a common reef timing."""

    name: str
    description: str
    keys: frozenset[str]
    build: Callable[[_Params], Expansion]


def _photoperiod(params: _Params) -> Expansion:
    """Lights on daily at ``on`` and held until ``off`` (may cross midnight)."""
    on, off = params.time("on"), params.time("off")
    hold = (datetime.combine(datetime.min, off) - datetime.combine(datetime.min, on)) % _DAY
    if not hold and not params.errors:
        params.errors.append(FieldError("params.off", "duration_too_small", {"min": "1"}))
    return RecurringTiming(Frequency.DAILY, (on,)), hold


def _hourly_pulse(params: _Params) -> Expansion:
    """Every hour at ``minute`` past, held for ``minutes``."""
    minute = params.integer("minute", 0, 59, default=0)
    minutes = params.integer("minutes", 1, 59)
    return CronTiming(f"{minute} * * * *"), timedelta(minutes=minutes)


def _dawn_lights(params: _Params) -> Expansion:
    """At sunrise plus ``offset`` seconds, every day."""
    offset = params.integer(
        "offset", -MAX_SUN_OFFSET, MAX_SUN_OFFSET, default=0, code="offset_out_of_range"
    )
    return SunTiming(SunEvent.SUNRISE, timedelta(seconds=offset)), None


PRESETS: Mapping[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "photoperiod",
            "Daily light period from on to off",
            frozenset({"on", "off"}),
            _photoperiod,
        ),
        Preset(
            "hourly_pulse",
            "Every hour at a minute, held for some minutes",
            frozenset({"minute", "minutes"}),
            _hourly_pulse,
        ),
        Preset(
            "dawn_lights", "Sunrise plus an optional offset", frozenset({"offset"}), _dawn_lights
        ),
    )
}


def expand_preset(name: str, params: Mapping[str, object]) -> Expansion:
    """Return the timing and hold duration of a preset, or raise ScheduleInvalid."""
    preset = PRESETS.get(name)
    if preset is None:
        raise ScheduleInvalid([FieldError("preset", "invalid_preset", {"preset": str(name)})])
    reader = _Params(params, preset.keys)
    expansion = preset.build(reader)
    reader.check()
    return expansion
