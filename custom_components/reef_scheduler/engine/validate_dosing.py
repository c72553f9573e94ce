"""The ``dosing`` of a ``dosing`` spec <-> Dosing, and the daily dose times it gives.

A dosing schedule is one schedule: validate.py gives it a daily run at each dose time and an
action of type dose whose target is the doser's pump. The times are spread evenly from start to
end (end on the next day when it is not after start), rounded to whole seconds; one dose has no
end. Every problem is a FieldError under ``dosing.<key>`` with a translated code; whether the
doser exists is for the Home Assistant side to say (``unknown_doser``).
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from .dosing_model import Dosing
from .model import Action, ActionType, Frequency, RecurringTiming, Target
from .presets import format_time_of_day
from .spec_fields import ENTITY_ID_RE, SAFE_COUNT, Fields
from .validate_profile import read_time

DOSING_TYPE = "dosing"
DOSING_KEY = "dosing"
# The documented limits (README "Limits").
MIN_DAILY_ML = 0.1
MAX_DAILY_ML = 10_000
MAX_DOSES = 48
# Doses closer together than this would blur into one (and collide once rounded).
MIN_DOSE_GAP = timedelta(minutes=1)
DEFAULT_START = time(8)

_DOSING_KEYS = frozenset({"doser", "daily_ml", "doses", "start", "end"})
_DAY = timedelta(days=1)


def dosing_action(dosing: Dosing) -> Action:
    """Return the action of a dosing schedule: the doser's pump is the target."""
    return Action(ActionType.DOSE, Target(entity_ids=(dosing.doser,)), plan=dosing)


def dosing_timing(dosing: Dosing) -> RecurringTiming:
    """Return the daily timing of a dosing schedule: one run per dose time."""
    return RecurringTiming(Frequency.DAILY, dose_times(dosing))


def dose_times(dosing: Dosing) -> tuple[time, ...]:
    """Return the local times of the doses, sorted (those after midnight wrap to the morning)."""
    start = _seconds(dosing.start)
    if dosing.doses == 1 or dosing.end is None:
        return (dosing.start,)
    gap = _span(dosing.start, dosing.end).total_seconds() / (dosing.doses - 1)
    return tuple(sorted(_time_of(round(start + index * gap)) for index in range(dosing.doses)))


def read_dosing(spec: Fields) -> Dosing | None:
    """Return the dosing plan under the spec's ``dosing`` key, or None after an error."""
    fields = spec.sub(DOSING_KEY, _DOSING_KEYS, required=True)
    if fields is None:
        return None
    before = len(fields.errors)
    doser = _doser(fields)
    daily_ml = fields.number(
        "daily_ml",
        MIN_DAILY_ML,
        fields.most(MAX_DAILY_ML, SAFE_COUNT),
        code="daily_ml_out_of_range",
        required=True,
    )
    doses = fields.integer(
        "doses", 1, int(fields.most(MAX_DOSES, MAX_DOSES)), code="doses_out_of_range"
    )
    start = read_time(fields, "start")
    end = read_time(fields, "end")
    count = doses if doses is not None or "doses" in fields.data else 1
    begin = DEFAULT_START if start is None else start
    if count is not None:
        _check_end(fields, count, begin, end, failed=len(fields.errors) > before)
    if doser is None or daily_ml is None or count is None or len(fields.errors) > before:
        return None
    return Dosing(
        doser=doser,
        daily_ml=float(daily_ml),
        doses=count,
        start=begin,
        end=end if count > 1 else None,
    )


def _check_end(fields: Fields, count: int, start: time, end: time | None, *, failed: bool) -> None:
    """Check the last dose's time: none for one dose, else far enough from the first."""
    if count == 1:
        fields.forbid("end")  # one dose has no span to spread over
    elif end is None:
        if not failed:
            fields.get("end", required=True)
    elif end == start:
        fields.fail("end", "dosing_end_is_start")
    elif _span(start, end) / (count - 1) < MIN_DOSE_GAP:
        fields.fail("end", "doses_too_close", min=str(int(MIN_DOSE_GAP.total_seconds() // 60)))


def _doser(fields: Fields) -> str | None:
    """Return the doser's pump entity id."""
    value = fields.typed("doser", str, required=True)
    if value is not None and not ENTITY_ID_RE.fullmatch(value):
        fields.fail("doser", "invalid_entity_id", value=value)
        return None
    return value


def _seconds(at: time) -> int:
    """Return a time of day in seconds after midnight."""
    return at.hour * 3600 + at.minute * 60 + at.second


def _time_of(seconds: int) -> time:
    """Return the time of day some seconds after midnight (past 24 h: on the next day)."""
    seconds %= int(_DAY.total_seconds())
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def _span(start: time, end: time) -> timedelta:
    """Return the time from start to end, end on the next day when it is not after start."""
    span = timedelta(seconds=_seconds(end) - _seconds(start))
    return span if span > timedelta(0) else span + _DAY


def dosing_to_dict(dosing: Dosing) -> dict[str, Any]:
    """Return the spec of a dosing plan that reads back to an equal Dosing."""
    spec: dict[str, Any] = {
        "doser": dosing.doser,
        "daily_ml": int(dosing.daily_ml) if dosing.daily_ml.is_integer() else dosing.daily_ml,
        "doses": dosing.doses,
        "start": format_time_of_day(dosing.start),
    }
    if dosing.end is not None:
        spec["end"] = format_time_of_day(dosing.end)
    return spec
