"""Both directions between a local schedule spec and a Bella's Reef server schedule.

Local -> server (``to_server``): a spec is validated by the same validator as local schedules
(engine/validate.py), so an invalid zone or cron never reaches the server, then mapped to the
server's ScheduleCreate:

- one_off -> one_off with start_time in UTC (one before its window's start never runs, and
  the server has no window start: refused);
- interval -> interval (whole seconds), start_time = anchor, or with a window start the
  window's first run on the schedule's grid;
- cron -> cron with the HOURS CONVERTED TO UTC, because the server ignores the zone (Q8). The
  conversion uses the zone's offset now: after a DST change the server's own reading is one
  hour off local time. The local cron and zone are kept in action_params (LOCAL_HINT_KEY), so
  run-here still follows local wall-clock time; start_time = the window's start;
- recurring daily (every day) or weekly (one weekday), once a day -> recurring with
  action_params.recurring_pattern.frequency and start_time = the first run;
- anything else (sun, monthly, several times a day, toggle, custom, device/area targets) is a
  ServiceValidationError "not supported by the server".

Server -> local (``remote_to_spec``): what run-here runs. The hint is used while the server's
timing is the one it was made for; otherwise the server's own fields are read in its zone.
Targets are Home Assistant entities mapped to server device ids in the entry's options.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import dataclasses
from datetime import datetime, timedelta
import re
from typing import Any

from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from ..api import (
    ActionType as RemoteActionType,
    JsonObject,
    JsonValue,
    RemoteSchedule,
    ScheduleCreate,
    ScheduleType as RemoteScheduleType,
    ScheduleUpdate,
)
from ..const import DOMAIN
from ..engine.model import (
    Action,
    ActionType,
    CronTiming,
    FieldError,
    Frequency,
    IntervalTiming,
    OneOffTiming,
    RecurringTiming,
    Schedule,
    ScheduleInvalid,
)
from ..engine.timeline import get_zone, is_zone, next_run
from ..engine.validate import WEEKDAY_NAMES, schedule_to_dict, validate_schedule
from .const import LOCAL_HINT_KEY

_ACTIONS: Mapping[ActionType, RemoteActionType] = {
    ActionType.ON: RemoteActionType.ON,
    ActionType.OFF: RemoteActionType.OFF,
    ActionType.SET_LEVEL: RemoteActionType.SET_LEVEL,
    ActionType.SET_PWM: RemoteActionType.SET_PWM,
    ActionType.RAMP: RemoteActionType.RAMP,
}
_CRON_ITEM = re.compile(r"^(\*|\d+(?:-\d+)?)(?:/(\d+))?$")
_DAY = 24 * 60
_JUST_BEFORE = timedelta(microseconds=1)


class NotSupportedByServer(ServiceValidationError):
    """The schedule is valid locally but the server cannot store it."""

    def __init__(self, what: str) -> None:
        """Name what the server cannot do."""
        super().__init__(
            f"Not supported by the Bella's Reef server: {what}",
            translation_domain=DOMAIN,
            translation_key="remote_not_supported",
            translation_placeholders={"what": what},
        )


# --- cron to UTC ------------------------------------------------------------------------------


def _cron_values(field: str, low: int, high: int) -> set[int]:
    """Expand a numeric cron field (lists, ranges, steps); NotSupportedByServer otherwise."""
    values: set[int] = set()
    for item in field.split(","):
        match = _CRON_ITEM.match(item)
        if match is None:
            raise NotSupportedByServer(f"cron field '{field}'")
        span, step = match.group(1), int(match.group(2) or 1)
        if span == "*":
            first, last = low, high
        else:
            head, _, tail = span.partition("-")
            first = int(head)
            last = int(tail) if tail else (high if match.group(2) else first)
        values.update(range(first, last + 1, max(step, 1)))
    return values


def _join(values: set[int]) -> str:
    """Render a set of values as a cron list."""
    return ",".join(str(value) for value in sorted(values))


def cron_to_utc(expression: str, zone_name: str, at: datetime) -> str:
    """Return a 5-field cron read in zone_name as the UTC cron the server runs (offset at ``at``).

    Raises NotSupportedByServer when the result is not one cron expression (an offset with
    minutes and minutes that cross an hour differently, or a shifted day with day filters).
    """
    fields = expression.split()
    if len(fields) != 5:
        raise NotSupportedByServer("cron with seconds")
    minute, hour, dom, month, dow = fields
    offset = at.astimezone(get_zone(zone_name)).utcoffset() or timedelta(0)
    shift = int(offset.total_seconds() // 60)
    if shift == 0:
        return " ".join(fields)
    minutes = None if shift % 60 == 0 else _cron_values(minute, 0, 59)
    hours = _cron_values(hour, 0, 23)
    if minutes is None:
        if len(hours) == 24:
            return " ".join(fields)
        minutes_list: list[int | None] = [None]
    else:
        minutes_list = list(minutes)
    by_minute: dict[int | None, set[int]] = {}
    day_shifts: set[int] = set()
    for h in hours:
        for m in minutes_list:
            local = h * 60 + (m or 0) - shift
            day_shifts.add(local // _DAY)
            utc = local % _DAY
            key = None if m is None else utc % 60
            by_minute.setdefault(key, set()).add(utc // 60)
    hour_sets = {frozenset(value) for value in by_minute.values()}
    if len(hour_sets) != 1:
        raise NotSupportedByServer("cron minutes in a zone with a fractional UTC offset")
    new_hours = set(next(iter(hour_sets)))
    new_minute = minute if None in by_minute else _join({m for m in by_minute if m is not None})
    new_hour = "*" if len(new_hours) == 24 else _join(new_hours)
    if day_shifts != {0} and len(new_hours) != 24 and (dom, month, dow) != ("*", "*", "*"):
        if dom != "*" or month != "*" or len(day_shifts) != 1:
            raise NotSupportedByServer("cron whose UTC time falls on another day")
        if dow != "*":
            moved = next(iter(day_shifts))
            dow = _join({(day + moved) % 7 for day in _cron_values(dow, 0, 7)})
    return " ".join((new_minute, new_hour, dom, month, dow))


# --- spec -> server ---------------------------------------------------------------------------


def _seconds(value: timedelta) -> int:
    """Return a duration as whole seconds (the server's interval unit)."""
    seconds = value.total_seconds()
    if not seconds.is_integer():
        raise NotSupportedByServer("fractional seconds")
    return int(seconds)


def _action_params(action: Action) -> JsonObject:
    """Return the server's action_params of an action."""
    params: JsonObject = {}
    if action.type is ActionType.RAMP:
        params["end_level"] = action.level
        if action.start_level is not None:
            params["start_level"] = action.start_level
        params["curve"] = action.curve.value
    elif action.level is not None:
        params["target"] = action.level
    if action.duration is not None:
        params["duration"] = _seconds(action.duration)
    if action.transition is not None:
        params["transition"] = action.transition
    return params


def _device_ids(schedule: Schedule, mapping: Mapping[int, Sequence[str]]) -> tuple[int, ...]:
    """Map the target entities back to server device ids."""
    target = schedule.action.target
    if target.device_ids or target.area_ids:
        raise NotSupportedByServer("device or area targets (use entities mapped to devices)")
    reverse = {entity: device for device, entities in mapping.items() for entity in entities}
    unmapped = [entity for entity in target.entity_ids if entity not in reverse]
    if unmapped:
        raise NotSupportedByServer(f"{', '.join(unmapped)} is not mapped to a server device")
    return tuple(sorted({reverse[entity] for entity in target.entity_ids}))


def _timing_hint(schedule: Schedule, zone: str, fingerprint: str) -> JsonObject:
    """Return the local timing kept in action_params for run-here."""
    spec = schedule_to_dict(dataclasses.replace(schedule, preset=None, preset_params=None))
    keys = ("type", "cron", "frequency", "times", "weekdays", "every")
    timing: JsonObject = {key: spec[key] for key in keys if key in spec}
    return {"timing": timing, "timezone": zone, "fingerprint": fingerprint}


def fingerprint(schedule_type: RemoteScheduleType, cron: str | None, start: datetime | None) -> str:
    """Return what a hint was made for: it is stale once the server's timing changed."""
    instant = "" if start is None else dt_util.as_utc(start).isoformat()
    return f"{schedule_type.value}|{cron or ''}|{instant}"


def to_server(
    schedule: Schedule, zone: str, mapping: Mapping[int, Sequence[str]], now: datetime
) -> ScheduleCreate:
    """Map a validated schedule to the server's ScheduleCreate (NotSupportedByServer if not)."""
    action_type = _ACTIONS.get(schedule.action.type)
    if action_type is None:
        raise NotSupportedByServer(f"the {schedule.action.type.value} action")
    params = _action_params(schedule.action)
    timing = schedule.timing
    start: datetime | None = None
    cron: str | None = None
    interval: int | None = None
    remote_zone = zone
    match timing:
        case OneOffTiming(at=at):
            # The server's start_time is the instant itself: it has no window start to honour.
            if schedule.start is not None and at < schedule.start:
                raise NotSupportedByServer("a one-off before its window's start")
            kind, start = RemoteScheduleType.ONE_OFF, at
        case IntervalTiming(every=every, anchor=anchor):
            kind, interval = RemoteScheduleType.INTERVAL, _seconds(every)
            # The server's grid starts at start_time: the window's first run keeps both the
            # local grid (from the anchor, else created, else the window's start) and the window.
            window = schedule.start
            start = anchor if window is None else _first_run(schedule, zone, window - _JUST_BEFORE)
        case CronTiming(expression=expression):
            kind, cron = RemoteScheduleType.CRON, cron_to_utc(expression, zone, now)
            # A cron's start_time is the window's start (remote_to_spec reads it so).
            start, remote_zone = schedule.start, "UTC"
        case RecurringTiming() if _fits_server_recurring(timing):
            kind, start = RemoteScheduleType.RECURRING, _first_run(schedule, zone, now)
            params["recurring_pattern"] = {"frequency": timing.frequency.value}
        case _:
            raise NotSupportedByServer(f"this {schedule.type.value} timing")
    if kind in (RemoteScheduleType.CRON, RemoteScheduleType.RECURRING):
        params[LOCAL_HINT_KEY] = _timing_hint(schedule, zone, fingerprint(kind, cron, start))
    return ScheduleCreate(
        name=schedule.name,
        schedule_type=kind,
        action_type=action_type,
        device_ids=_device_ids(schedule, mapping),
        cron_expression=cron,
        interval_seconds=interval,
        start_time=start,
        end_time=schedule.end,
        timezone=remote_zone,
        is_enabled=schedule.enabled,
        action_params=params or None,
    )


def _first_run(schedule: Schedule, zone: str, after: datetime) -> datetime:
    """Return the schedule's first run after ``after`` (NotSupportedByServer if none)."""
    first = next_run(schedule, after, tz=get_zone(zone))
    if first is None:
        raise NotSupportedByServer("a schedule that never runs again")
    return first


def _fits_server_recurring(timing: RecurringTiming) -> bool:
    """Tell whether the server's 'every day / every week from start_time' says the same."""
    if len(timing.times) != 1 or timing.every != 1:
        return False
    if timing.frequency is Frequency.DAILY:
        return len(timing.weekdays) in (0, 7)
    return timing.frequency is Frequency.WEEKLY and len(timing.weekdays) == 1


def update_of(create: ScheduleCreate) -> ScheduleUpdate:
    """Return a PUT body setting every field (type-specific ones explicitly, Q3)."""
    values = {field.name: getattr(create, field.name) for field in dataclasses.fields(create)}
    return ScheduleUpdate(**values)


def server_params(params: JsonObject | None) -> JsonObject | None:
    """Return a schedule's action_params as a device action's parameters (without our hint)."""
    if params is None:
        return None
    out: dict[str, JsonValue] = {k: v for k, v in params.items() if k != LOCAL_HINT_KEY}
    return out or None


# --- server -> spec (run-here) --------------------------------------------------------------


_LEVEL_KEYS = ("target", "level", "intensity", "value")
# The server's field that holds each type's timing.
_TIMING_FIELD: Mapping[RemoteScheduleType, str] = {
    RemoteScheduleType.ONE_OFF: "start_time",
    RemoteScheduleType.INTERVAL: "interval_seconds",
    RemoteScheduleType.CRON: "cron_expression",
    RemoteScheduleType.RECURRING: "start_time",
    RemoteScheduleType.STATIC: "start_time",
}
_MONTH = timedelta(days=30)


class Unconvertible(ValueError):
    """A server schedule that run-here cannot run (the reason is logged once).

    ``errors`` holds the validator's findings when the schedule itself is invalid (a repair
    issue names it); it is empty when run-here is not meant to run it (no mapped device, custom).
    """

    def __init__(self, reason: str, errors: tuple[FieldError, ...] = ()) -> None:
        """Keep the reason and the validator's findings."""
        super().__init__(reason)
        self.errors = errors


def _zone(name: str) -> str:
    """Return the server's zone when it is a valid IANA key, else UTC (the server's reading)."""
    return name if is_zone(name) else "UTC"


def _number(params: Mapping[str, JsonValue], *keys: str) -> float | None:
    """Return the first numeric parameter among keys."""
    for key in keys:
        value = params.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _action(remote: RemoteSchedule, entity_ids: Sequence[str]) -> dict[str, Any]:
    """Return the engine action spec of a server schedule."""
    params: Mapping[str, JsonValue] = remote.action_params or {}
    action: dict[str, Any] = {"type": remote.action_type.value}
    action["target"] = {"entity_id": list(entity_ids)}
    match remote.action_type:
        case RemoteActionType.CUSTOM:
            raise Unconvertible("custom actions are never run from a server")
        case RemoteActionType.RAMP:
            action["level"] = _number(params, "end_level", *_LEVEL_KEYS)
            action["start_level"] = _number(params, "start_level")
            action["duration"] = _number(params, "duration")
            if isinstance(curve := params.get("curve"), str):
                action["curve"] = curve
        case RemoteActionType.SET_LEVEL | RemoteActionType.SET_PWM:
            action["level"] = _number(params, *_LEVEL_KEYS)
            action["duration"] = _number(params, "duration")
        case RemoteActionType.ON:
            action["duration"] = _number(params, "duration")
    action["transition"] = _number(params, "transition")
    return {key: value for key, value in action.items() if value is not None}


def _hint(remote: RemoteSchedule) -> Mapping[str, JsonValue] | None:
    """Return the local timing Reef Scheduler stored, if the server's timing is unchanged."""
    params = remote.action_params or {}
    hint = params.get(LOCAL_HINT_KEY)
    if not isinstance(hint, dict):
        return None
    current = fingerprint(remote.schedule_type, remote.cron_expression, remote.start_time)
    timing = hint.get("timing")
    if hint.get("fingerprint") != current or not isinstance(timing, dict):
        return None
    return {**timing, "timezone": hint.get("timezone")}


def _timing(remote: RemoteSchedule, zone: str) -> dict[str, Any]:
    """Return the engine timing keys of a server schedule, read in zone."""
    if (hint := _hint(remote)) is not None:
        return dict(hint)
    start = remote.start_time
    match remote.schedule_type:
        case RemoteScheduleType.ONE_OFF if start is not None:
            return {"type": "one_off", "at": start.isoformat()}
        case RemoteScheduleType.INTERVAL if remote.interval_seconds:
            anchor = start or remote.created_at
            return {
                "type": "interval",
                "every": remote.interval_seconds,
                "anchor": anchor.isoformat(),
            }
        case RemoteScheduleType.CRON if remote.cron_expression:
            return {"type": "cron", "cron": remote.cron_expression}
        case RemoteScheduleType.RECURRING | RemoteScheduleType.STATIC if start is not None:
            return _recurring(remote, start, zone)
    raise Unconvertible(
        f"a {remote.schedule_type.value} schedule without its timing field",
        (FieldError(_TIMING_FIELD[remote.schedule_type], "required"),),
    )


def _recurring(remote: RemoteSchedule, start: datetime, zone: str) -> dict[str, Any]:
    """Return a daily/weekly wall-clock timing (or a 30-day grid for 'monthly')."""
    pattern = (remote.action_params or {}).get("recurring_pattern")
    frequency = pattern.get("frequency") if isinstance(pattern, dict) else None
    if remote.schedule_type is RemoteScheduleType.STATIC:
        frequency = "daily"
    if frequency == "monthly":
        # The server's "monthly" is 30 days from start_time, not a calendar month.
        return {"type": "interval", "every": _MONTH.total_seconds(), "anchor": start.isoformat()}
    local = start.astimezone(get_zone(zone))
    timing: dict[str, Any] = {
        "type": "recurring",
        "frequency": "weekly" if frequency == "weekly" else "daily",
        "times": [local.strftime("%H:%M:%S")],
    }
    if frequency == "weekly":
        timing["weekdays"] = [WEEKDAY_NAMES[local.weekday()]]
    return timing


def remote_to_spec(
    remote: RemoteSchedule, mapping: Mapping[int, Sequence[str]]
) -> tuple[dict[str, Any], Schedule]:
    """Return the engine spec and schedule run-here uses for a server schedule (Unconvertible)."""
    entity_ids = sorted({e for device in remote.device_ids for e in mapping.get(device, ())})
    if not entity_ids:
        raise Unconvertible("none of its devices is mapped to a Home Assistant entity")
    zone = _zone(remote.timezone)
    timing = _timing(remote, zone)
    spec: dict[str, Any] = {
        "id": str(remote.id),
        "name": remote.name,
        "enabled": remote.is_enabled,
        "timezone": timing.pop("timezone", None) or zone,
        "created": remote.created_at.isoformat(),
        "action": _action(remote, entity_ids),
        **timing,
    }
    if remote.end_time is not None:
        spec["end"] = remote.end_time.isoformat()
    if remote.start_time is not None and spec["type"] in ("cron", "recurring"):
        spec["start"] = remote.start_time.isoformat()
    try:
        # The server keeps the definition: read it like a stored one, without the documented
        # maxima for new input, so a schedule beyond them still runs here.
        schedule = validate_schedule(spec, default_timezone="UTC", stored=True)
    except ScheduleInvalid as err:
        raise Unconvertible(str(err), err.errors) from err
    return spec, schedule
