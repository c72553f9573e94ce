"""Spec dict <-> Schedule: the one validator for services, config flows and storage.

Every problem is collected as a FieldError (dotted field path + stable snake_case code, used as
translation key) and raised together in one ScheduleInvalid. Unknown keys are errors so that
typos never pass silently. Naive datetimes are read in the schedule's zone.

A stored spec (``stored=True``) is read leniently: the documented maxima hold for new input only,
so a definition stored before a limit existed keeps loading and running. It is still held to every
type check and to the bounds that its date and duration maths needs (``Fields.most``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
import dataclasses
from datetime import datetime, time, timedelta
from functools import lru_cache
import math
import re
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, croniter

from .light_model import LightProfile
from .model import (
    DEFAULT_CATCH_UP,
    Action,
    ActionType,
    CronTiming,
    FieldError,
    Frequency,
    IntervalTiming,
    OneOffTiming,
    RecurringTiming,
    RetryPolicy,
    Schedule,
    ScheduleInvalid,
    ScheduleType,
    SunEvent,
    SunTiming,
    Target,
    Timing,
)
from .presets import (
    MAX_SUN_OFFSET,
    expand_preset,
    format_time_of_day,
    parse_time_of_day,
)
from .profile import Curve
from .spec_fields import (
    ENTITY_ID_RE,
    MAX_INSTANT,
    MAX_ITEMS,
    MISSING,
    SAFE_COUNT,
    SAFE_SECONDS,
    WEEKDAY_NAMES,
    Fields,
    bound_text,
    iso_utc,
    weekday_names,
    weekday_number,
)
from .timeline import get_zone, is_zone, next_run
from .validate_dosing import (
    DOSING_KEY,
    DOSING_TYPE,
    dosing_action,
    dosing_timing,
    dosing_to_dict,
    read_dosing,
)
from .validate_profile import (
    PROFILE_KEY,
    PROFILE_TIMING,
    PROFILE_TYPE,
    profile_action,
    profile_to_dict,
    read_profile,
)
from .validate_wave import WAVE_KEY, WAVE_TYPE, read_wave, wave_action, wave_to_dict

__all__ = [
    "WEEKDAY_NAMES",
    "FieldError",
    "ScheduleInvalid",
    "check_new_id",
    "check_runs",
    "schedule_to_dict",
    "validate_schedule",
    "with_profile",
]

PRESET_TYPE = "preset"
# The documented limits (README "Limits"); each error text that names one says the same.
MAX_ID_LENGTH = 64
MAX_NAME_LENGTH = 100
MAX_TIMES = 48
MAX_RAMP = timedelta(hours=24)
MAX_HOLD = timedelta(days=7)
MIN_DURATION = timedelta(seconds=1)
MAX_INTERVAL = timedelta(days=365)
MAX_CATCH_UP = timedelta(days=7)
MAX_TRANSITION = 3600
MAX_RETRIES = 10
MAX_RETRY_DELAY = 3600
MAX_TIMEOUT = 600
MAX_EVERY = 1000
MAX_TAGS = 20
MAX_TAG_LENGTH = 64
MAX_TARGETS = 100
MAX_TARGET_ID_LENGTH = 255
MAX_CRON_LENGTH = 100

_COMMON_KEYS = frozenset(
    {"id", "name", "enabled", "timezone", "type", "start", "end", "catch_up", "tags"}
    | {"retry", "created", "action"}
)
_TYPE_KEYS: Mapping[str, frozenset[str]] = {
    "one_off": frozenset({"at"}),
    "interval": frozenset({"every", "anchor"}),
    "cron": frozenset({"cron"}),
    "recurring": frozenset(
        {"frequency", "times", "weekdays", "month_days", "nth_weekdays", "every", "anchor_date"}
    ),
    "sun": frozenset({"event", "offset", "weekdays"}),
    PRESET_TYPE: frozenset({"preset", "params"}),
    PROFILE_TYPE: frozenset({PROFILE_KEY}),
    WAVE_TYPE: frozenset({WAVE_KEY}),
    DOSING_TYPE: frozenset({DOSING_KEY}),
}
# Every type-specific key: what changing a schedule's type drops from its spec.
TIMING_KEYS: frozenset[str] = frozenset().union(*_TYPE_KEYS.values())
_ACTION_KEYS = frozenset(
    {"type", "target", "level", "start_level", "duration", "curve", "transition", "sequence"}
)
_TARGET_KEYS = {"entity_id": "entity_ids", "device_id": "device_ids", "area_id": "area_ids"}
_RETRY_KEYS = frozenset({"retries", "base", "cap", "timeout"})
_NTH_KEYS = frozenset({"n", "weekday"})
_LEVEL_ACTIONS = frozenset({ActionType.SET_LEVEL, ActionType.SET_PWM, ActionType.RAMP})
_HOLD_ACTIONS = frozenset({ActionType.ON, ActionType.SET_LEVEL, ActionType.SET_PWM})
_ID_RE = re.compile(r"[A-Za-z0-9_-]+")
_NTH_VALUES = (1, 2, 3, 4, 5, -1)
# Shared by every schedule without its own policy (frozen, so sharing is safe and saves memory).
_DEFAULT_RETRY = RetryPolicy()


# --- validation -----------------------------------------------------------------------------


def validate_schedule(
    data: Mapping[str, Any], *, default_timezone: str, stored: bool = False
) -> Schedule:
    """Validate a spec dict and return its Schedule, or raise ScheduleInvalid with all errors.

    ``stored``: read a spec stored before, without the documented maxima (see the module doc).
    """
    if not isinstance(data, Mapping):
        raise ScheduleInvalid([FieldError("", "invalid_type", {"expected": "mapping"})])
    errors: list[FieldError] = []
    kind = data.get("type")
    type_keys = _TYPE_KEYS.get(kind, TIMING_KEYS) if isinstance(kind, str) else TIMING_KEYS
    spec = Fields(data, "", errors, _COMMON_KEYS | type_keys, stored=stored)
    timezone = _timezone(spec)
    zone = get_zone(timezone or default_timezone)
    schedule_id = _schedule_id(spec)
    name = _name(spec, schedule_id)
    enabled = spec.typed("enabled", bool)
    start, end = _window(spec, zone)
    catch_up = spec.seconds(
        "catch_up",
        0,
        spec.most(MAX_CATCH_UP.total_seconds(), SAFE_SECONDS),
        code="catch_up_out_of_range",
    )
    tags = _tags(spec)
    retry = _retry(spec)
    created = spec.instant("created", zone)
    timing: Timing | None
    if kind == PROFILE_TYPE:
        spec.forbid("action")
        profile = read_profile(spec, zone)
        action = None if profile is None else profile_action(profile)
        timing, preset, params = PROFILE_TIMING, None, None
    elif kind == WAVE_TYPE:
        spec.forbid("action")
        pattern = read_wave(spec)
        action = None if pattern is None else wave_action(pattern)
        timing, preset, params = PROFILE_TIMING, None, None
    elif kind == DOSING_TYPE:
        spec.forbid("action")
        dosing = read_dosing(spec)
        action = None if dosing is None else dosing_action(dosing)
        timing = None if dosing is None else dosing_timing(dosing)
        preset, params = None, None
    else:
        action = _action(spec)
        timing, hold, preset, params = _timing(spec, zone)
        action = _apply_hold(spec, action, hold)
    if errors or schedule_id is None or name is None or timing is None or action is None:
        raise ScheduleInvalid(errors)
    return Schedule(
        id=schedule_id,
        name=name,
        timing=timing,
        action=action,
        enabled=True if enabled is None else enabled,
        timezone=timezone,
        start=start,
        end=end,
        catch_up=DEFAULT_CATCH_UP if catch_up is None else catch_up,
        tags=tags,
        retry=retry,
        created=created,
        preset=preset,
        preset_params=params,
    )


def _timezone(spec: Fields) -> str | None:
    """Return the schedule's IANA zone key, if given and valid."""
    key = spec.typed("timezone", str)
    if key is None:
        return None
    if not is_zone(key):
        spec.fail("timezone", "invalid_timezone", value=key)
        return None
    return key


def _schedule_id(spec: Fields) -> str | None:
    """Return the required, non-blank id."""
    value = spec.typed("id", str, required=True)
    if value is not None and not value.strip():
        spec.fail("id", "required")
        return None
    return value


def _name(spec: Fields, schedule_id: str | None) -> str | None:
    """Return the display name (defaults to the id), at most MAX_NAME_LENGTH characters.

    The default is checked too: the stored spec names it, and must validate again.
    """
    value = schedule_id if spec.get("name") is MISSING else spec.typed("name", str)
    if value is not None and not value.strip():
        spec.fail("name", "name_empty")
        return None
    if value is not None and len(value) > MAX_NAME_LENGTH:
        spec.fail("name", "name_too_long", max=str(MAX_NAME_LENGTH))
        return None
    return value


def _window(spec: Fields, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """Return the start and end of the window; end must come after start."""
    start, end = spec.instant("start", zone), spec.instant("end", zone)
    if start is not None and end is not None and end <= start:
        spec.fail("end", "end_before_start")
    return start, end


def _tags(spec: Fields) -> frozenset[str]:
    """Return at most MAX_TAGS tags, each a string of 1..MAX_TAG_LENGTH characters."""
    tags = set()
    for index, tag in enumerate(spec.items("tags", MAX_TAGS, "too_many_tags") or ()):
        if not isinstance(tag, str) or not tag:
            spec.fail(f"tags.{index}", "invalid_type", expected="str")
        elif len(tag) > spec.most(MAX_TAG_LENGTH, math.inf):
            spec.fail(f"tags.{index}", "tag_too_long", max=str(MAX_TAG_LENGTH))
        else:
            tags.add(tag)
    return frozenset(tags)


def _retry(spec: Fields) -> RetryPolicy:
    """Return the retry policy (defaults for whatever is not given)."""
    section = spec.sub("retry", _RETRY_KEYS)
    default = _DEFAULT_RETRY
    if section is None:
        return default
    retries = section.integer(
        "retries", 0, int(section.most(MAX_RETRIES, SAFE_COUNT)), code="retries_out_of_range"
    )
    delay = section.most(MAX_RETRY_DELAY, SAFE_SECONDS)
    base = section.number("base", 0.01, delay, code="retry_delay_out_of_range")
    cap = section.number("cap", 0.01, delay, code="retry_delay_out_of_range")
    timeout = section.number(
        "timeout", 0.1, section.most(MAX_TIMEOUT, SAFE_SECONDS), code="timeout_out_of_range"
    )
    policy = RetryPolicy(
        retries=default.retries if retries is None else retries,
        base=default.base if base is None else float(base),
        cap=default.cap if cap is None else float(cap),
        timeout=default.timeout if timeout is None else float(timeout),
    )
    if policy.cap < policy.base:
        section.fail(
            "cap",
            "retry_delay_out_of_range",
            min=bound_text(policy.base),
            max=bound_text(MAX_RETRY_DELAY),
        )
    # Most schedules keep the defaults: one shared object instead of one each.
    return _DEFAULT_RETRY if policy == _DEFAULT_RETRY else policy


# --- action -----------------------------------------------------------------------------


def _action(spec: Fields) -> Action | None:
    """Return the action, checking which fields its type needs and allows."""
    section = spec.sub("action", _ACTION_KEYS, required=True)
    if section is None:
        return None
    kind = section.choice("type", ActionType, "invalid_action_type")
    if kind is ActionType.PROFILE:
        # A profile's action comes from its spec's ``profile``: it is a kind of schedule.
        section.fail("type", "profile_action_type")
        return None
    if kind is ActionType.WAVE:
        # A wave's action comes from its spec's ``wave``: it is a kind of schedule.
        section.fail("type", "wave_action_type")
    if kind is ActionType.DOSE:
        # A dose comes from a dosing schedule's ``dosing``: a daily volume in doses.
        section.fail("type", "dose_action_type")
        return None
    if kind is None:
        return None
    target = _target(section, kind)
    level = _level(section, kind, "level", required=kind in _LEVEL_ACTIONS)
    start_level = _level(section, kind, "start_level", allowed=kind is ActionType.RAMP)
    duration = _duration(section, kind)
    curve = _curve(section, kind)
    transition = _transition(section, kind)
    sequence = _sequence(section, kind)
    if target is None:
        return None
    return Action(kind, target, level, start_level, duration, curve, transition, sequence)


def _target(section: Fields, kind: ActionType) -> Target | None:
    """Return the target; only custom actions may go without one."""
    fields = section.sub("target", _TARGET_KEYS)
    ids: dict[str, tuple[str, ...]] = {}
    for key, attribute in _TARGET_KEYS.items():
        present = fields is not None and key in fields.data
        ids[attribute] = _target_ids(fields, key) if fields is not None and present else ()
    target = Target(**ids)
    if target.is_empty and kind is not ActionType.CUSTOM:
        section.fail("target", "empty_target")
        return None
    if len(target.ids) > section.most(MAX_TARGETS, SAFE_COUNT):
        section.fail("target", "too_many_targets", max=str(MAX_TARGETS))
        return None
    return target


def _target_ids(fields: Fields, key: str) -> tuple[str, ...]:
    """Return de-duplicated ids of one target kind (string or list accepted)."""
    found: dict[str, None] = {}
    for index, value in enumerate(fields.items(key, MAX_TARGETS, "too_many_targets") or ()):
        if not isinstance(value, str) or not value:
            fields.fail(f"{key}.{index}", "invalid_type", expected="str")
        elif len(value) > fields.most(MAX_TARGET_ID_LENGTH, math.inf):
            fields.fail(f"{key}.{index}", "target_id_too_long", max=str(MAX_TARGET_ID_LENGTH))
        elif key == "entity_id" and not ENTITY_ID_RE.fullmatch(value):
            fields.fail(f"{key}.{index}", "invalid_entity_id", value=value)
        else:
            found[value] = None
    return tuple(found)


def _level(
    section: Fields, kind: ActionType, key: str, *, required: bool = False, allowed: bool = True
) -> float | None:
    """Return a percentage level where the action type uses one."""
    if not (allowed and (required or kind in _LEVEL_ACTIONS)):
        section.forbid(key)
        return None
    value = section.number(key, 0, 100, code="level_out_of_range", required=required)
    return None if value is None else float(value)


def _duration(section: Fields, kind: ActionType) -> timedelta | None:
    """Return the ramp length (required) or the optional hold of on / set_level / set_pwm."""
    if kind is ActionType.RAMP:
        high = MAX_RAMP.total_seconds()
        value = section.number(
            "duration", -math.inf, high, code="duration_too_large", required=True
        )
    elif kind in _HOLD_ACTIONS:
        high = section.most(MAX_HOLD.total_seconds(), SAFE_SECONDS)
        value = section.number("duration", -math.inf, high, code="duration_too_large")
    else:
        section.forbid("duration")
        return None
    if value is not None and value < MIN_DURATION.total_seconds():
        section.fail("duration", "duration_too_small", min=bound_text(MIN_DURATION.total_seconds()))
        return None
    return None if value is None else timedelta(seconds=value)


def _curve(section: Fields, kind: ActionType) -> Curve:
    """Return the ramp curve (ramps only)."""
    if kind is not ActionType.RAMP:
        section.forbid("curve")
        return Curve.LINEAR
    if section.get("curve") is MISSING:
        return Curve.LINEAR
    return section.choice("curve", Curve, "invalid_curve") or Curve.LINEAR


def _transition(section: Fields, kind: ActionType) -> float | None:
    """Return the light transition in seconds (not for custom actions)."""
    if kind is ActionType.CUSTOM:
        section.forbid("transition")
        return None
    high = section.most(MAX_TRANSITION, SAFE_SECONDS)
    value = section.number("transition", 0, high, code="transition_out_of_range")
    return None if value is None else float(value)


def _sequence(section: Fields, kind: ActionType) -> tuple[Mapping[str, Any], ...]:
    """Return the custom script steps: a non-empty list of mappings (checked later by HA)."""
    if kind is not ActionType.CUSTOM:
        section.forbid("sequence")
        return ()
    steps = section.get("sequence", required=True)
    if steps is MISSING:
        return ()
    if not isinstance(steps, list | tuple) or not steps:
        section.fail("sequence", "invalid_sequence")
        return ()
    if len(steps) > section.most(MAX_ITEMS, SAFE_COUNT):
        section.fail("sequence", "too_many_items", max=str(MAX_ITEMS))
        return ()
    for index, step in enumerate(steps):
        if not isinstance(step, Mapping) or not all(isinstance(key, str) for key in step):
            section.fail(f"sequence.{index}", "invalid_sequence")
    return tuple(MappingProxyType(dict(step)) for step in steps if isinstance(step, Mapping))


def _apply_hold(spec: Fields, action: Action | None, hold: timedelta | None) -> Action | None:
    """Give the action the hold a preset prescribes."""
    if action is None or hold is None:
        return action
    if action.type not in _HOLD_ACTIONS:
        spec.fail("action.type", "invalid_preset_action", value=action.type.value)
        return None
    if action.duration is not None:
        spec.fail("action.duration", "not_allowed")
        return None
    return dataclasses.replace(action, duration=hold)


# --- timing -----------------------------------------------------------------------------

type _TimingResult = tuple[Timing | None, timedelta | None, str | None, Mapping[str, object] | None]


def _timing(spec: Fields, zone: ZoneInfo) -> _TimingResult:
    """Return the timing, a preset's hold, and the preset name and params if any."""
    kind = spec.get("type", required=True)
    if kind is MISSING:
        return None, None, None, None
    if kind == PRESET_TYPE:
        return _preset(spec)
    match kind:
        case "one_off":
            at = spec.instant("at", zone, required=True)
            timing: Timing | None = None if at is None else OneOffTiming(at)
        case "interval":
            timing = _interval(spec, zone)
        case "cron":
            timing = _cron(spec)
        case "recurring":
            timing = _recurring(spec)
        case "sun":
            timing = _sun(spec)
        case _:
            choices = ", ".join([*_TYPE_KEYS])
            spec.fail("type", "invalid_schedule_type", value=str(kind), choices=choices)
            timing = None
    return timing, None, None, None


def _preset(spec: Fields) -> _TimingResult:
    """Expand a preset, reporting its param errors."""
    name = spec.typed("preset", str, required=True)
    params = spec.sub("params", _AnyKeys())
    raw = {} if params is None else dict(params.data)
    if name is None:
        return None, None, None, None
    try:
        timing, hold = expand_preset(name, raw)
    except ScheduleInvalid as err:
        spec.errors.extend(err.errors)
        return None, None, None, None
    return timing, hold, name, MappingProxyType(raw)


class _AnyKeys(Collection[str]):
    """A key set containing every key (preset params are checked by the preset)."""

    def __contains__(self, key: object) -> bool:
        """Return True for any key."""
        return True

    def __iter__(self) -> Iterator[str]:
        """Iterate nothing."""
        return iter(())

    def __len__(self) -> int:
        """Return 0."""
        return 0


def _interval(spec: Fields, zone: ZoneInfo) -> IntervalTiming | None:
    """Return an interval timing of at least one second."""
    every = spec.number("every", 1, math.inf, code="interval_too_small", required=True)
    if every is not None and every > spec.most(MAX_INTERVAL.total_seconds(), SAFE_SECONDS):
        spec.fail("every", "interval_too_large")
        every = None
    anchor = spec.instant("anchor", zone)
    return None if every is None else IntervalTiming(timedelta(seconds=every), anchor)


def _cron(spec: Fields) -> CronTiming | None:
    """Return a cron timing of 5 or 6 fields that matches at least once."""
    value = spec.typed("cron", str, required=True)
    if value is None:
        return None
    expression = " ".join(value.split())
    if len(expression) > spec.most(MAX_CRON_LENGTH, math.inf):
        spec.fail("cron", "cron_too_long", max=str(MAX_CRON_LENGTH))
        return None
    code = _cron_problem(expression)
    if code is not None:
        spec.fail("cron", code)
        return None
    return CronTiming(expression)


@lru_cache(maxsize=1024)
def _cron_problem(expression: str) -> str | None:
    """Return the error code of an unusable cron expression, or None (cached: croniter is slow)."""
    if len(expression.split()) not in (5, 6) or not croniter.is_valid(expression):
        return "invalid_cron"
    try:
        croniter(expression, datetime(2000, 1, 1)).get_next(datetime)
    except CroniterBadDateError:
        return "cron_never_runs"
    return None


def _recurring(spec: Fields) -> RecurringTiming | None:
    """Return a daily, weekly or monthly timing."""
    frequency = spec.choice("frequency", Frequency, "invalid_frequency")
    times = _times(spec)
    every = spec.integer(
        "every", 1, int(spec.most(MAX_EVERY, SAFE_COUNT)), code="every_out_of_range"
    )
    anchor_date = spec.day("anchor_date")
    before = len(spec.errors)
    weekdays: frozenset[int] = frozenset()
    month_days: tuple[int, ...] = ()
    nth: tuple[tuple[int, int], ...] = ()
    if frequency is Frequency.MONTHLY:
        spec.forbid("weekdays")
        month_days, nth = _month_days(spec), _nth_weekdays(spec)
        if not (month_days or nth) and len(spec.errors) == before:
            spec.fail("month_days", "required")
    else:
        spec.forbid("month_days", "nth_weekdays")
        weekdays = spec.weekdays("weekdays")
        if frequency is Frequency.WEEKLY and not weekdays and len(spec.errors) == before:
            spec.fail("weekdays", "empty_weekdays")
    if frequency is None or times is None or len(spec.errors) > before:
        return None
    return RecurringTiming(frequency, times, weekdays, month_days, nth, every or 1, anchor_date)


def _times(spec: Fields) -> tuple[time, ...] | None:
    """Return 1..MAX_TIMES local times of day, de-duplicated and sorted."""
    before = len(spec.errors)
    values = spec.items("times")
    if values is None:
        spec.get("times", required=True)
        return None
    parsed = set()
    for index, value in enumerate(values):
        at = parse_time_of_day(value)
        if at is None:
            spec.fail(f"times.{index}", "invalid_time", value=str(value))
        parsed.add(at)
    if not values:
        spec.fail("times", "required")
    elif len(parsed) > MAX_TIMES:
        spec.fail("times", "too_many_times", max=str(MAX_TIMES))
    if len(spec.errors) > before:
        return None
    return tuple(sorted(at for at in parsed if at is not None))


def _month_days(spec: Fields) -> tuple[int, ...]:
    """Return the days of the month (1..31, -1 = last), sorted."""
    days = set()
    for index, value in enumerate(spec.items("month_days") or ()):
        valid = isinstance(value, int) and not isinstance(value, bool)
        if valid and (1 <= value <= 31 or value == -1):
            days.add(value)
        else:
            spec.fail(f"month_days.{index}", "invalid_month_day", value=str(value))
    return tuple(sorted(days))


def _nth_weekdays(spec: Fields) -> tuple[tuple[int, int], ...]:
    """Return (n, weekday) pairs such as the last Sunday (-1, 6), sorted."""
    pairs = set()
    for item in spec.entries("nth_weekdays", _NTH_KEYS) or ():
        n = item.get("n", required=True)
        weekday = weekday_number(item.get("weekday", required=True))
        if n is not MISSING and (
            not isinstance(n, int) or isinstance(n, bool) or n not in _NTH_VALUES
        ):
            item.fail("n", "invalid_nth", value=str(n))
        elif weekday is None and "weekday" in item.data:
            item.fail("weekday", "invalid_weekday", value=str(item.data["weekday"]))
        elif n is not MISSING and weekday is not None:
            pairs.add((n, weekday))
    return tuple(sorted(pairs))


def _sun(spec: Fields) -> SunTiming | None:
    """Return a sun timing with an offset of at most ±12 h."""
    event = spec.choice("event", SunEvent, "invalid_sun_event")
    limit = MAX_SUN_OFFSET
    offset = spec.seconds("offset", -limit, limit, code="offset_out_of_range")
    weekdays = spec.weekdays("weekdays")
    return None if event is None else SunTiming(event, offset or timedelta(0), weekdays)


# --- checks of new definitions ------------------------------------------------------------


def check_new_id(value: object) -> None:
    """Raise ScheduleInvalid unless a string id may name a new schedule.

    Only ids chosen for new schedules are checked: ids stored by earlier versions keep loading.
    """
    if isinstance(value, str) and not (len(value) <= MAX_ID_LENGTH and _ID_RE.fullmatch(value)):
        raise ScheduleInvalid([FieldError("id", "invalid_id", {"max": str(MAX_ID_LENGTH)})])


def check_runs(
    schedule: Schedule, now: datetime, *, tz: ZoneInfo, before: Schedule | None = None
) -> None:
    """Raise ScheduleInvalid when a new or re-timed schedule would never run after ``now``.

    A stored schedule may outlive its runs (it expires); a definition saved now must have one
    before MAX_INSTANT. ``before`` is the stored version: when an edit keeps the timing, the
    window and the zone, nothing is checked (an expired one-off can still be renamed). Sun
    timings need the sun to tell and are only checked against their window.
    """
    if before is not None and _when(before) == _when(schedule):
        return
    timing = schedule.timing
    if schedule.end is not None and schedule.end <= now:
        error = FieldError("end", "in_past")
    elif isinstance(timing, OneOffTiming) and timing.at <= now:
        error = FieldError("at", "in_past")
    elif isinstance(timing, SunTiming):
        return
    elif (first := next_run(schedule, now, tz=tz)) is None or first > MAX_INSTANT:
        error = FieldError(_TIMING_FIELDS[schedule.type], "never_runs")
    else:
        return
    raise ScheduleInvalid([error])


_TIMING_FIELDS = {
    ScheduleType.ONE_OFF: "at",
    ScheduleType.INTERVAL: "every",
    ScheduleType.CRON: "cron",
    ScheduleType.RECURRING: "every",
}


def _when(schedule: Schedule) -> tuple[object, ...]:
    """Return what decides when a schedule runs."""
    return (schedule.timing, schedule.start, schedule.end, schedule.timezone)


# --- serialisation --------------------------------------------------------------------------


def schedule_to_dict(schedule: Schedule) -> dict[str, Any]:
    """Return the JSON-serialisable spec that validates back to an equal Schedule."""
    spec: dict[str, Any] = {
        "id": schedule.id,
        "name": schedule.name,
        "enabled": schedule.enabled,
        "catch_up": _seconds(schedule.catch_up),
        "tags": sorted(schedule.tags),
        "retry": dataclasses.asdict(schedule.retry),
        "action": _action_to_dict(schedule.action, hold_from_preset=schedule.preset is not None),
    }
    optional = {
        "timezone": schedule.timezone,
        "start": _iso(schedule.start),
        "end": _iso(schedule.end),
        "created": _iso(schedule.created),
    }
    spec.update((key, value) for key, value in optional.items() if value is not None)
    if schedule.action.profile is not None:
        del spec["action"]
        spec |= {"type": PROFILE_TYPE, PROFILE_KEY: profile_to_dict(schedule.action.profile)}
    elif schedule.action.wave is not None:
        del spec["action"]
        spec |= {"type": WAVE_TYPE, WAVE_KEY: wave_to_dict(schedule.action.wave)}
    elif schedule.action.dosing is not None:
        del spec["action"]
        spec |= {"type": DOSING_TYPE, DOSING_KEY: dosing_to_dict(schedule.action.dosing)}
    elif schedule.preset is not None:
        spec |= {"type": PRESET_TYPE, "preset": schedule.preset}
        spec["params"] = dict(schedule.preset_params or {})
        if expand_preset(schedule.preset, spec["params"])[1] is None:
            spec["action"] = _action_to_dict(schedule.action, hold_from_preset=False)
    else:
        spec |= {"type": schedule.type.value} | _timing_to_dict(schedule.timing)
    return spec


def with_profile(schedule: Schedule, profile: LightProfile) -> dict[str, Any]:
    """Return the spec of a light profile schedule with another profile (for its edits)."""
    return schedule_to_dict(dataclasses.replace(schedule, action=profile_action(profile)))


def _seconds(value: timedelta) -> int | float:
    """Return a duration in seconds, as an int when whole."""
    seconds = value.total_seconds()
    return int(seconds) if seconds.is_integer() else seconds


def _iso(value: datetime | None) -> str | None:
    """Return an instant as an ISO string in UTC."""
    return None if value is None else iso_utc(value)


def _timing_to_dict(timing: Timing) -> dict[str, Any]:
    """Return the type-specific keys of a timing."""
    match timing:
        case OneOffTiming(at=at):
            return {"at": _iso(at)}
        case IntervalTiming(every=every, anchor=anchor):
            return {"every": _seconds(every)} | ({} if anchor is None else {"anchor": _iso(anchor)})
        case CronTiming(expression=expression):
            return {"cron": expression}
        case SunTiming(event=event, offset=offset, weekdays=weekdays):
            return {
                "event": event.value,
                "offset": _seconds(offset),
                "weekdays": weekday_names(weekdays),
            }
        case RecurringTiming():
            return _recurring_to_dict(timing)


def _recurring_to_dict(timing: RecurringTiming) -> dict[str, Any]:
    """Return the keys of a recurring timing."""
    spec: dict[str, Any] = {
        "frequency": timing.frequency.value,
        "times": [format_time_of_day(at) for at in timing.times],
        "every": timing.every,
    }
    if timing.frequency is Frequency.MONTHLY:
        spec["month_days"] = list(timing.month_days)
        spec["nth_weekdays"] = [
            {"n": n, "weekday": WEEKDAY_NAMES[day]} for n, day in timing.nth_weekdays
        ]
    else:
        spec["weekdays"] = weekday_names(timing.weekdays)
    if timing.anchor_date is not None:
        spec["anchor_date"] = timing.anchor_date.isoformat()
    return spec


def _action_to_dict(action: Action, *, hold_from_preset: bool) -> dict[str, Any]:
    """Return the spec of an action; a preset's hold is left to the preset."""
    target = action.target
    spec: dict[str, Any] = {
        "type": action.type.value,
        "target": {
            "entity_id": list(target.entity_ids),
            "device_id": list(target.device_ids),
            "area_id": list(target.area_ids),
        },
    }
    optional = {
        "level": action.level,
        "start_level": action.start_level,
        "duration": None
        if action.duration is None or hold_from_preset
        else _seconds(action.duration),
        "transition": action.transition,
    }
    spec.update((key, value) for key, value in optional.items() if value is not None)
    if action.type is ActionType.RAMP:
        spec["curve"] = action.curve.value
    if action.sequence:
        spec["sequence"] = [dict(step) for step in action.sequence]
    return spec
