"""The ``wave`` of a ``wave`` spec <-> WavePattern.

A wave pattern is one schedule: validate.py gives it the light profile's daily run at local
midnight and an action of type wave whose target is every pump. Every problem is a FieldError
under ``wave.<path>`` with a translated code. Lengths are whole seconds. A stored spec
(``Fields.stored``) is read without the documented pump count; every length keeps its range,
which the wave maths relies on.

Besides the ranges, a pattern must keep its pumps safe and its maths exact: no on or off
shorter than min_on / min_off, no switch pump in a variable-speed mode, two pumps or more to
alternate, a random hour that (on, off) pairs within the bounds can fill exactly, and a night
and a day each long enough for the change of settings to finish before the next one begins
(``MIN_WINDOW`` more than the longest on or off of the settings that begin).
"""

from __future__ import annotations

from datetime import time, timedelta
import math
from typing import Any

from .model import Action, ActionType, Target
from .presets import format_time_of_day
from .spec_fields import ENTITY_ID_RE, Fields
from .validate_profile import read_time
from .wave_model import WaveMode, WaveNight, WavePattern, WaveSettings

WAVE_TYPE = "wave"
WAVE_KEY = "wave"
# The documented limits (README "Wave patterns").
MAX_PUMPS = 8
MAX_LENGTH = 3600  # on, off, ramp (seconds)
MAX_RANDOM = 1800  # random lengths
PERIOD = (10, 86_400)  # sine
MAX_PROTECTION = 600  # min_on, min_off
RANDOM_BLOCK = 3600  # a random pattern's lengths fill each hour of real time exactly
# A night (and a day) lasts this much longer than the longest on or off of its settings, so the
# change of settings (held up to MAX_PROTECTION, then up to one on or off) ends well before
# the next change, also on a DST day (the wall clock moves up to 2 h).
MIN_WINDOW = timedelta(hours=3)
PUMP_DOMAINS = frozenset({"switch", "fan", "number", "input_number"})
SWITCH_DOMAINS = frozenset({"switch"})

_SETTINGS_KEYS = frozenset(
    {"mode", "on", "off", "on_max", "off_max", "period", "ramp", "min_speed", "max_speed"}
)
_WAVE_KEYS = _SETTINGS_KEYS | {"pumps", "min_on", "min_off", "night"}
_NIGHT_KEYS = _SETTINGS_KEYS | {"start", "end"}
# The length keys each mode needs (every other length key is refused).
_LENGTHS: dict[WaveMode, tuple[str, ...]] = {
    WaveMode.ALTERNATE: ("on",),
    WaveMode.PULSE: ("on", "off"),
    WaveMode.RANDOM: ("on", "off", "on_max", "off_max"),
    WaveMode.SINE: ("period",),
    WaveMode.RAMPED_PULSE: ("on", "off", "ramp"),
}
_ALL_LENGTHS = ("on", "off", "on_max", "off_max", "period", "ramp")


def wave_action(pattern: WavePattern) -> Action:
    """Return the action of a wave schedule: its pumps are the target."""
    return Action(ActionType.WAVE, Target(entity_ids=pattern.pumps), plan=pattern)


def read_wave(spec: Fields) -> WavePattern | None:
    """Return the wave pattern under the spec's ``wave`` key, or None after an error."""
    fields = spec.sub(WAVE_KEY, _WAVE_KEYS, required=True)
    if fields is None:
        return None
    before = len(fields.errors)
    pumps = _pumps(fields)
    min_on = fields.integer("min_on", 0, MAX_PROTECTION, code="wave_protection_out_of_range")
    min_off = fields.integer("min_off", 0, MAX_PROTECTION, code="wave_protection_out_of_range")
    protection = (
        timedelta(seconds=5 if min_on is None else min_on),
        timedelta(seconds=5 if min_off is None else min_off),
    )
    day = _settings(fields, pumps or (), protection)
    night = _night(fields, pumps or (), protection, day)
    if pumps is None or day is None or len(fields.errors) > before:
        return None
    return WavePattern(pumps, day, night, *protection)


def _pumps(fields: Fields) -> tuple[str, ...] | None:
    """Return 1..MAX_PUMPS entity ids of switches, fans or numbers, each once."""
    values = fields.items("pumps", MAX_PUMPS, "too_many_pumps")
    if values is None:
        fields.get("pumps", required=True)
        return None
    if not values:
        fields.fail("pumps", "required")
        return None
    before = len(fields.errors)
    found: dict[str, None] = {}
    for index, value in enumerate(values):
        if (
            isinstance(value, str)
            and ENTITY_ID_RE.fullmatch(value)
            and _domain(value) in (PUMP_DOMAINS)
        ):
            found[value] = None
        else:
            fields.fail(f"pumps.{index}", "invalid_pump", value=str(value))
    return tuple(found) if len(fields.errors) == before else None


def _domain(entity_id: str) -> str:
    """Return an entity id's domain."""
    return entity_id.split(".", 1)[0]


def _settings(
    fields: Fields, pumps: tuple[str, ...], protection: tuple[timedelta, timedelta]
) -> WaveSettings | None:
    """Return one set of settings: the mode, its lengths and speeds, checked against the pumps."""
    before = len(fields.errors)
    mode = fields.choice("mode", WaveMode, "invalid_wave_mode")
    if mode is None:
        return None
    needed = _LENGTHS[mode]
    fields.forbid(*(key for key in _ALL_LENGTHS if key not in needed))
    if not mode.variable:
        fields.forbid("min_speed")
    longest = MAX_RANDOM if mode is WaveMode.RANDOM else MAX_LENGTH
    lengths: dict[str, int | None] = {}
    for key in needed:
        low, high = _bounds(key, lengths, longest)
        lengths[key] = fields.integer(
            key, low, high, code="wave_length_out_of_range", required=True
        )
    min_speed = fields.number("min_speed", 0, 100, code="level_out_of_range")
    max_speed = fields.number("max_speed", 1, 100, code="level_out_of_range")
    low_speed = 0.0 if min_speed is None else float(min_speed)
    high_speed = 100.0 if max_speed is None else float(max_speed)
    if high_speed < low_speed:
        fields.fail("max_speed", "max_below_min")
    _check_pumps(fields, mode, pumps)
    if len(fields.errors) > before or any(value is None for value in lengths.values()):
        return None
    given = {key: timedelta(seconds=value or 0) for key, value in lengths.items()}
    default = WaveSettings(mode)
    settings = WaveSettings(
        mode,
        on=given.get("on", default.on),
        off=given.get("off", default.off),
        on_max=given.get("on_max"),
        off_max=given.get("off_max"),
        period=given.get("period"),
        ramp=given.get("ramp"),
        min_speed=low_speed,
        max_speed=high_speed,
    )
    _check_protection(fields, settings, len(pumps), protection)
    if mode is WaveMode.RANDOM and not _fillable(settings):
        fields.fail("on_max", "wave_random_block")
    return None if len(fields.errors) > before else settings


def _bounds(key: str, lengths: dict[str, int | None], longest: int) -> tuple[int, int]:
    """Return the range of one length key (a maximum is at least its minimum)."""
    if key == "period":
        return PERIOD
    if key in ("on_max", "off_max"):
        return lengths.get(key.removesuffix("_max")) or 1, longest
    return 1, longest


def _check_pumps(fields: Fields, mode: WaveMode, pumps: tuple[str, ...]) -> None:
    """Refuse switch pumps in a variable-speed mode and a lone pump that should alternate."""
    if mode.variable:
        switches = [pump for pump in pumps if _domain(pump) in SWITCH_DOMAINS]
        if switches:
            fields.fail("mode", "wave_switch_pump", value=switches[0])
    if mode is WaveMode.ALTERNATE and len(pumps) == 1:
        fields.fail("mode", "wave_alternate_pumps")


def _check_protection(
    fields: Fields, settings: WaveSettings, count: int, protection: tuple[timedelta, timedelta]
) -> None:
    """Refuse an on or off shorter than the pumps' protection (on/off lengths)."""
    min_on, min_off = protection
    mode = settings.mode
    if mode is WaveMode.SINE:
        return
    if settings.on < min_on:
        fields.fail("on", "wave_below_min_on", min=_text(min_on))
    # Alternating pumps are off while the others take their turns.
    off = settings.on * (count - 1) if mode is WaveMode.ALTERNATE else settings.off
    if mode is not WaveMode.ALTERNATE and off < min_off:
        fields.fail("off", "wave_below_min_off", min=_text(min_off))
    elif mode is WaveMode.ALTERNATE and count > 1 and off < min_off:
        fields.fail("on", "wave_below_min_off", min=_text(min_off))


def _fillable(settings: WaveSettings) -> bool:
    """Return True when (on, off) pairs within the random bounds can fill an hour exactly."""
    low, high = pair_bounds(settings)
    return random_pairs(low, high) is not None


def pair_bounds(settings: WaveSettings) -> tuple[int, int]:
    """Return the shortest and longest (on + off) of a random pattern, in seconds."""
    on_max = settings.on_max or settings.on
    off_max = settings.off_max or settings.off
    return _seconds(settings.on + settings.off), _seconds(on_max + off_max)


def random_pairs(low: int, high: int) -> int | None:
    """Return how many pairs of [low, high] seconds fill a random block, None when none can."""
    fewest, most = math.ceil(RANDOM_BLOCK / high), RANDOM_BLOCK // low
    if fewest > most:
        return None
    # Pairs of average length: the lengths spread over their whole range.
    return min(max(round(2 * RANDOM_BLOCK / (low + high)), fewest), most)


def longest_segment(settings: WaveSettings, count: int) -> timedelta:
    """Return the longest on or off the settings hold a pump (0 for variable speeds)."""
    match settings.mode:
        case WaveMode.ALTERNATE:
            return settings.on * max(count - 1, 1)
        case WaveMode.PULSE:
            return max(settings.on, settings.off)
        case WaveMode.RANDOM:
            return max(settings.on_max or settings.on, settings.off_max or settings.off)
        case _:
            return timedelta(0)


def _night(
    fields: Fields,
    pumps: tuple[str, ...],
    protection: tuple[timedelta, timedelta],
    day: WaveSettings | None,
) -> WaveNight | None:
    """Return the night: its hours and settings, each window long enough for its settings."""
    section = fields.sub("night", _NIGHT_KEYS)
    if section is None:
        return None
    before = len(section.errors)
    start = read_time(section, "start", required=True)
    end = read_time(section, "end", required=True)
    if start is not None and start == end:
        section.fail("end", "wave_night_hours")
    settings = _settings(section, pumps, protection)
    if start is None or end is None or settings is None or len(section.errors) > before:
        return None
    night = WaveNight(start, end, settings)
    if day is not None:
        length = night_length(night)
        count = len(pumps)
        if length < longest_segment(settings, count) + MIN_WINDOW:
            section.fail("end", "wave_window_too_short", min=_minutes(settings, count))
        elif timedelta(days=1) - length < longest_segment(day, count) + MIN_WINDOW:
            section.fail("start", "wave_window_too_short", min=_minutes(day, count))
    return None if len(section.errors) > before else night


def night_length(night: WaveNight) -> timedelta:
    """Return the night's length on the wall clock (it ends the next day when not after start)."""
    return (_of_day(night.end) - _of_day(night.start)) % timedelta(days=1)


def _of_day(at: time) -> timedelta:
    """Return the time since midnight of a time of day (whole seconds)."""
    return timedelta(hours=at.hour, minutes=at.minute, seconds=at.second)


def _minutes(settings: WaveSettings, count: int) -> str:
    """Return the shortest window for some settings, in whole minutes (rounded up)."""
    return str(math.ceil((longest_segment(settings, count) + MIN_WINDOW).total_seconds() / 60))


def _seconds(value: timedelta) -> int:
    """Return a whole-second length as an int."""
    return int(value.total_seconds())


def _text(value: timedelta) -> str:
    """Return a length in seconds for a placeholder."""
    return str(_seconds(value))


# --- serialisation --------------------------------------------------------------------------


def wave_to_dict(pattern: WavePattern) -> dict[str, Any]:
    """Return the spec of a wave pattern that reads back to an equal WavePattern."""
    spec: dict[str, Any] = {"pumps": list(pattern.pumps)}
    spec |= _settings_to_dict(pattern.day)
    spec |= {"min_on": _seconds(pattern.min_on), "min_off": _seconds(pattern.min_off)}
    if (night := pattern.night) is not None:
        spec["night"] = {
            "start": format_time_of_day(night.start),
            "end": format_time_of_day(night.end),
        } | _settings_to_dict(night.settings)
    return spec


def _settings_to_dict(settings: WaveSettings) -> dict[str, Any]:
    """Return the keys of one set of settings (only those its mode takes)."""
    spec: dict[str, Any] = {"mode": settings.mode.value}
    for key in _LENGTHS[settings.mode]:
        value = getattr(settings, key)
        spec[key] = _seconds(value)
    if settings.mode.variable:
        spec["min_speed"] = _plain(settings.min_speed)
    spec["max_speed"] = _plain(settings.max_speed)
    return spec


def _plain(value: float) -> int | float:
    """Return a whole number as an int, so the stored spec reads like its input."""
    return int(value) if float(value).is_integer() else value
