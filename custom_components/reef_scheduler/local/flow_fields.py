"""The fields of the schedule steps: kinds of schedule, selectors, and form <-> spec values.

Durations are number boxes in minutes (catch-up as in the entry's options), transitions and
timeouts in seconds: a unit beside a number reads better than the duration selector's bare
"  :  :  ". Times of day are one text box, one time per line: it is one field that matches its
help, a refused time stays in it as typed, and the error can quote it. A light channel's points
are one text box too ("08:00 0, 10:00 80"), for the same reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any, Literal

from homeassistant.helpers import selector

from ..engine.model import Frequency, ScheduleType
from ..engine.presets import PRESETS
from ..engine.validate import PRESET_TYPE, WEEKDAY_NAMES
from ..engine.validate_dosing import DOSING_TYPE
from ..engine.validate_profile import LIGHT_DOMAINS, PROFILE_TYPE
from ..engine.validate_wave import WAVE_TYPE

# The first step's kinds: each opens a timing step of its own ("timing_<kind>"), but a light
# profile, a wave pattern and a dosing open steps of their own (their plan sets the timing).
ONCE = "once"
LIGHT_PROFILE = PROFILE_TYPE
WAVE = WAVE_TYPE
DOSING = DOSING_TYPE
PLAN_KINDS = frozenset({LIGHT_PROFILE, WAVE, DOSING})
RECURRING_KINDS = tuple(Frequency)
KINDS: tuple[str, ...] = (
    *RECURRING_KINDS,
    ScheduleType.INTERVAL,
    ScheduleType.CRON,
    ScheduleType.SUN,
    ONCE,
    *PRESETS,
    LIGHT_PROFILE,
    WAVE,
    DOSING,
)
MONTH_DAYS = [*(str(day) for day in range(1, 32)), "last"]
# "1_mon" .. "5_sun", "last_mon" .. "last_sun": the nth weekday of a month.
NTH_NAMES = {1: "1", 2: "2", 3: "3", 4: "4", 5: "5", -1: "last"}
NTH_WEEKDAYS = [f"{nth}_{day}" for nth in NTH_NAMES.values() for day in WEEKDAY_NAMES]
_SHORT_HOUR = re.compile(r"\d:\d\d(:\d\d)?")
_TIME_SEPARATORS = re.compile(r"[\s,;]+")
_POINT_SEPARATORS = re.compile(r"[,;\n]+")
_POINT = re.compile(r"(\S+)\s+(-?\d+(?:\.\d+)?)\s*%?")
# Seconds are kept to the millisecond: minutes typed as 0.1 are 6 s, not 6.000000000000001 s.
_SECOND_DIGITS = 3
_MINUTE_DIGITS = 6


def kind_of(spec: Mapping[str, Any]) -> str | None:
    """Return the kind a spec's timing is: a frequency, a schedule type, "once" or a preset."""
    match spec.get("type"):
        case ScheduleType.RECURRING:
            frequency = spec.get("frequency")
            return frequency if frequency in RECURRING_KINDS else None
        case ScheduleType.ONE_OFF:
            return ONCE
        case "preset":
            preset = spec.get("preset")
            return preset if preset in PRESETS else None
        case ScheduleType.INTERVAL | ScheduleType.CRON | ScheduleType.SUN as kind:
            return str(kind)
        case "light_profile" | "wave" | "dosing" as kind:
            return str(kind)
    return None


def kind_keys(kind: str) -> dict[str, Any]:
    """Return the spec keys that make a timing of a kind (the timing step adds the rest)."""
    if kind in RECURRING_KINDS:
        return {"type": ScheduleType.RECURRING.value, "frequency": kind}
    if kind == ONCE:
        return {"type": ScheduleType.ONE_OFF.value}
    if kind in PRESETS:
        return {"type": PRESET_TYPE, "preset": kind}
    return {"type": kind}


# ----- selectors ----------------------------------------------------------------------------


def select(options: list[str], key: str, *, multiple: bool = False) -> selector.SelectSelector:
    """Return a translated drop-down."""
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=options,
            translation_key=key,
            multiple=multiple,
            mode=selector.SelectSelectorMode.DROPDOWN,
        )
    )


def number(
    low: float, high: float, unit: str | None = None, step: float | Literal["any"] = 1
) -> selector.NumberSelector:
    """Return a number box, with its unit beside it."""
    config = selector.NumberSelectorConfig(
        min=low, max=high, step=step, mode=selector.NumberSelectorMode.BOX
    )
    if unit is not None:
        config["unit_of_measurement"] = unit
    return selector.NumberSelector(config)


def free_number(unit: str | None = None) -> selector.NumberSelector:
    """Return a number box without bounds: the checks behind it refuse with a translated text."""
    config = selector.NumberSelectorConfig(step="any", mode=selector.NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return selector.NumberSelector(config)


def minutes_box(low_seconds: float, high_seconds: float) -> selector.NumberSelector:
    """Return a box for a duration in minutes, fractions allowed (0.5 = 30 s)."""
    return number(low_seconds / 60, high_seconds / 60, "min", "any")


def weekdays_select() -> selector.SelectSelector:
    """Return the multiple choice of weekdays."""
    return select(list(WEEKDAY_NAMES), "weekday", multiple=True)


def times_box() -> selector.TextSelector:
    """Return the text box for times of day, one per line."""
    return selector.TextSelector(selector.TextSelectorConfig(multiline=True))


def lights_select() -> selector.EntitySelector:
    """Return the multiple choice of entities a light channel can drive."""
    return selector.EntitySelector(
        selector.EntitySelectorConfig(domain=sorted(LIGHT_DOMAINS), multiple=True)
    )


# ----- values -------------------------------------------------------------------------------


def to_seconds(minutes: Any) -> Any:
    """Return seconds from a minutes box value (an int when whole); None stays None."""
    if not isinstance(minutes, int | float):
        return minutes
    return whole(round(minutes * 60, _SECOND_DIGITS))


def to_minutes(seconds: Any) -> float | None:
    """Return a minutes box value from seconds (an int when whole)."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return None
    minutes = round(seconds / 60, _MINUTE_DIGITS)
    return int(minutes) if minutes.is_integer() else minutes


def whole(value: Any) -> Any:
    """Return a whole float as an int (the engine wants integers for counts)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def parse_times(text: str) -> list[str]:
    """Return the times typed in the times box (lines, or commas), "7:30" as "07:30"."""
    return [short_time(value) for value in _TIME_SEPARATORS.split(text) if value]


def times_text(times: Any) -> str | None:
    """Return the times box text of a spec's times."""
    if not isinstance(times, list | tuple) or not times:
        return None
    return "\n".join(str(value) for value in times)


def short_time(value: str) -> str:
    """Return a typed time of day with two hour digits ("7:30" as "07:30")."""
    return f"0{value}" if _SHORT_HOUR.fullmatch(value) else value


def parse_points(text: str) -> list[dict[str, Any]]:
    """Return the points typed in a channel's box ("08:00 0, 10:00 80").

    Raises ValueError with the piece that is no "time level" pair; the engine checks the
    times and levels themselves.
    """
    points: list[dict[str, Any]] = []
    for piece in (part.strip() for part in _POINT_SEPARATORS.split(text)):
        if not piece:
            continue
        if (match := _POINT.fullmatch(piece)) is None:
            raise ValueError(piece)
        points.append({"time": short_time(match.group(1)), "level": whole(float(match.group(2)))})
    return points


def points_text(points: Any) -> str | None:
    """Return a channel's points as its box shows them ("08:00 0, 10:00 80")."""
    # What is no point (in a stored spec that no longer validates) is left out.
    pieces = [
        f"{point.get('time')} {whole(point.get('level'))}"
        for point in (points if isinstance(points, list | tuple) else ())
        if isinstance(point, Mapping)
    ]
    return ", ".join(pieces) or None


def month_day(value: str) -> int:
    """Return a month day option as the engine's number (-1 = last)."""
    return -1 if value == "last" else int(value)


def month_day_option(value: Any) -> str | None:
    """Return the option of a month day, if the form can show it."""
    option = "last" if value == -1 else str(value)
    return option if option in MONTH_DAYS else None


def nth_weekday(value: str) -> dict[str, Any]:
    """Return an nth weekday option ("last_fri") as the engine's mapping."""
    nth, _, day = value.partition("_")
    return {"n": -1 if nth == "last" else int(nth), "weekday": day}


def nth_option(value: Any) -> str | None:
    """Return the option of an nth weekday mapping, if the form can show it."""
    if not isinstance(value, Mapping):
        return None
    nth = value.get("n")
    option = f"{NTH_NAMES.get(nth) if isinstance(nth, int) else None}_{value.get('weekday')}"
    return option if option in NTH_WEEKDAYS else None


def weekday_option(value: Any) -> str | None:
    """Return the option of a weekday name, if the form can show it."""
    name = value.lower() if isinstance(value, str) else None
    return name if name in WEEKDAY_NAMES else None


def options_of(values: Any, convert: Any, order: list[str]) -> list[str]:
    """Return the options of a list of spec values the form can show, in the form's order."""
    if not isinstance(values, list | tuple):
        return []
    found = {option for option in map(convert, values) if option is not None}
    return sorted(found, key=order.index)
