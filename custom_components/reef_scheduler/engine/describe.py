"""What a schedule does, in one line: the structure a translation renders (no Home Assistant).

``describe`` returns the timing and the action as ``Phrase``s: a template key and the values of
its placeholders. Values are plain text (times, levels, durations), words taken from a
translation group (``Term``), lists (``Listing``) and the names of the action's targets
(``Names``). ``render`` fills the templates the caller looks up (the translations'
``selector.<group>.options.<key>``, in Python's format syntax) with the names it looks up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from .light_model import LightProfile
from .model import (
    Action,
    ActionType,
    CronTiming,
    Frequency,
    IntervalTiming,
    OneOffTiming,
    RecurringTiming,
    Schedule,
    SunTiming,
    Target,
)
from .profile import Curve
from .wave_model import WaveMode, WavePattern, WaveSettings

# The translation group of the templates below (``selector.describe.options``).
DESCRIBE = "describe"
# Groups whose words the flow's selectors already translate.
SUN_EVENT = "sun_event"
NTH_WEEKDAY = "nth_weekday"

# Lists longer than this show their first items and "and N more".
MAX_TARGETS_SHOWN = 3
MAX_TIMES_SHOWN = 4
_DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WORKDAYS = frozenset(range(5))
_WEEKEND = frozenset({5, 6})
_WEEK = frozenset(range(7))
MINUS = "\u2212"
_UNITS = ((86_400, "d"), (3600, "h"), (60, "min"), (1, "s"))


@dataclass(frozen=True, slots=True)
class Term:
    """A word from a translation group (``selector.<group>.options.<key>``)."""

    group: str
    key: str


@dataclass(frozen=True, slots=True)
class Names:
    """The names of an action's targets: entities, then devices, then areas."""

    target: Target


@dataclass(frozen=True, slots=True)
class Listing:
    """Items joined by commas; beyond ``limit`` the first ones and "and N more"."""

    items: tuple[Value, ...]
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class Phrase:
    """A template (``selector.<group>.options.<key>``) with its placeholders' values."""

    key: str
    values: tuple[tuple[str, Value], ...] = ()
    group: str = DESCRIBE


type Value = str | Term | Names | Listing | Phrase


def phrase(key: str, **values: Value) -> Phrase:
    """Return a phrase of the describe group."""
    return Phrase(key, tuple(values.items()))


@dataclass(frozen=True, slots=True)
class Description:
    """When a schedule runs and what each run does."""

    timing: Phrase
    action: Phrase

    @property
    def line(self) -> Phrase:
        """Return both in one line ("Daily 09:00 · Ramp Reef Blue 0 → 80 % over 1 h")."""
        return phrase("line", timing=self.timing, action=self.action)


def describe(schedule: Schedule, zone: ZoneInfo) -> Description:
    """Return what a schedule does; wall-clock fields are shown in its zone."""
    return Description(timing_phrase(schedule, zone), action_phrase(schedule.action))


def shortened[T](items: Sequence[T], limit: int | None) -> tuple[Sequence[T], int]:
    """Return the items to show and how many more there are (none within the limit)."""
    if limit is None or len(items) <= limit:
        return items, 0
    shown = max(limit - 1, 1)
    return items[:shown], len(items) - shown


# (group, key) -> the template's text; (kind: "entity", "device" or "area", id) -> a name.
type Templates = Callable[[str, str], str]
type Namer = Callable[[str, str], str]


class _Values(dict[str, str]):
    """Placeholder values; a placeholder without one stays as written."""

    def __missing__(self, key: str) -> str:
        return f"{{{key}}}"


def fill(template: str, values: Mapping[str, str]) -> str:
    """Return a template with its placeholders filled."""
    return template.format_map(_Values(values)) if values else template


def joined(items: Sequence[str], more: int, templates: Templates) -> str:
    """Return items joined by commas, and "and N more" for those left out."""
    text = ", ".join(items)
    return fill(templates(DESCRIBE, "more"), {"names": text, "count": str(more)}) if more else text


def render(value: Value, templates: Templates, name: Namer) -> str:
    """Return a phrase (or one of its values) as text; only the targets shown are named."""
    if isinstance(value, str):
        return value
    if isinstance(value, Term):
        return templates(value.group, value.key)
    if isinstance(value, Phrase):
        values = {key: render(item, templates, name) for key, item in value.values}
        return fill(templates(value.group, value.key), values)
    if isinstance(value, Names):
        target = value.target
        targets = [
            *(("entity", item) for item in target.entity_ids),
            *(("device", item) for item in target.device_ids),
            *(("area", item) for item in target.area_ids),
        ]
        shown_targets, more = shortened(targets, MAX_TARGETS_SHOWN)
        return joined([name(kind, item) for kind, item in shown_targets], more, templates)
    shown, more = shortened(value.items, value.limit)
    return joined([render(item, templates, name) for item in shown], more, templates)


# --- values -------------------------------------------------------------------------------


def clock(value: time | datetime) -> str:
    """Return a time of day as HH:MM, with seconds only when it has some."""
    if value.second:
        return f"{value.hour:02}:{value.minute:02}:{value.second:02}"
    return f"{value.hour:02}:{value.minute:02}"


def number(value: float) -> str:
    """Return a level without needless decimals (80, 12.5)."""
    return f"{round(value, 1):g}"


def duration(value: timedelta) -> str:
    """Return a duration in days, hours, minutes and seconds ("1 h 30 min", "0.3 s")."""
    total = value.total_seconds()
    if 0 < total < 10 and total != int(total):
        return f"{total:.1f} s"
    rest = round(total)
    parts = []
    for size, unit in _UNITS:
        if rest >= size:
            amount, rest = divmod(rest, size)
            parts.append(f"{amount} {unit}")
    return " ".join(parts) or "0 s"


def offset(value: timedelta) -> str:
    """Return a signed offset ("+1 h", "\u221230 min")."""
    sign = MINUS if value < timedelta(0) else "+"
    return f"{sign}{duration(abs(value))}"


def _days(weekdays: frozenset[int]) -> Listing:
    """Return weekdays as short names in week order."""
    return Listing(tuple(Term(DESCRIBE, f"day_{_DAY_KEYS[day]}") for day in sorted(weekdays)))


def _month_days(timing: RecurringTiming) -> Listing:
    """Return the days of a monthly rule: dates, the last day, then nth weekdays."""
    items: list[Value] = [
        Term(DESCRIBE, "last_day") if day == -1 else str(day) for day in timing.month_days
    ]
    items += [
        Term(NTH_WEEKDAY, f"{'last' if n == -1 else n}_{_DAY_KEYS[day]}")
        for n, day in timing.nth_weekdays
    ]
    return Listing(tuple(items), MAX_TIMES_SHOWN)


# --- timing -------------------------------------------------------------------------------


def timing_phrase(schedule: Schedule, zone: ZoneInfo) -> Phrase:
    """Return when a schedule runs ("Weekdays 07:30, 19:00", "Every 15 min")."""
    if schedule.action.type in (ActionType.PROFILE, ActionType.WAVE):
        # Its daily run at midnight is how it works, not what it does: it shapes the whole day.
        return phrase("every_day")
    match schedule.timing:
        case OneOffTiming(at=at):
            local = at.astimezone(zone)
            return phrase("once", at=f"{local.date().isoformat()} {clock(local)}")
        case IntervalTiming(every=every):
            return phrase("every", interval=duration(every))
        case CronTiming(expression=expression):
            return phrase("cron", expression=expression)
        case RecurringTiming() as timing:
            return _recurring(timing)
        case SunTiming() as timing:
            event = Term(SUN_EVENT, timing.event.value)
            sun = (
                phrase("sun_offset", event=event, offset=offset(timing.offset))
                if timing.offset
                else phrase("sun", event=event)
            )
            return _with_days(sun, timing.weekdays)


def _with_days(timing: Phrase, weekdays: frozenset[int]) -> Phrase:
    """Add the weekdays a timing is limited to (all or none: no limit)."""
    if not weekdays or weekdays == _WEEK:
        return timing
    return phrase("with_days", timing=timing, days=_days(weekdays))


def _on_days(weekdays: frozenset[int], times: Listing) -> Phrase:
    """Return times on some weekdays: weekdays, weekends, every day or the named days."""
    if weekdays == _WORKDAYS:
        return phrase("weekdays", times=times)
    if weekdays == _WEEKEND:
        return phrase("weekends", times=times)
    if weekdays == _WEEK or not weekdays:
        return phrase("daily", times=times)
    return phrase("days_at", days=_days(weekdays), times=times)


def _recurring(timing: RecurringTiming) -> Phrase:
    """Return a daily, weekly or monthly rule with its times of day."""
    times = Listing(tuple(clock(value) for value in timing.times), MAX_TIMES_SHOWN)
    every = str(timing.every)
    match timing.frequency:
        case Frequency.DAILY if timing.every == 1:
            return _on_days(timing.weekdays, times)
        case Frequency.DAILY:
            return _with_days(phrase("every_days", every=every, times=times), timing.weekdays)
        case Frequency.WEEKLY if timing.every == 1:
            return _on_days(timing.weekdays, times)
        case Frequency.WEEKLY:
            days = _days(timing.weekdays or _WEEK)
            return phrase("every_weeks", every=every, days=days, times=times)
        case Frequency.MONTHLY if timing.every == 1:
            return phrase("monthly", days=_month_days(timing), times=times)
        case Frequency.MONTHLY:
            return phrase("every_months", every=every, days=_month_days(timing), times=times)


# --- action -------------------------------------------------------------------------------


def action_phrase(action: Action) -> Phrase:
    """Return what a run does ("Ramp Reef Blue 0 → 80 % over 1 h", "Turn off Return pump")."""
    targets = Names(action.target)
    match action.type:
        case ActionType.ON:
            return _held(phrase("on", targets=targets), action)
        case ActionType.OFF | ActionType.TOGGLE:
            return phrase(action.type.value, targets=targets)
        case ActionType.SET_LEVEL | ActionType.SET_PWM:
            level = number(action.level or 0.0)
            return _held(phrase(action.type.value, targets=targets, level=level), action)
        case ActionType.RAMP:
            return _ramp(action, targets)
        case ActionType.CUSTOM:
            steps = len(action.sequence)
            return phrase("custom_one") if steps == 1 else phrase("custom", count=str(steps))
        case ActionType.PROFILE:
            return _profile(action.profile)
        case ActionType.WAVE:
            return _wave(action.wave, targets)
        case ActionType.DOSE:
            ml = 0.0 if action.dosing is None else action.dosing.dose_ml
            return phrase("dose", ml=f"{round(ml, 2):g}", targets=targets)


def _profile(profile: LightProfile | None) -> Phrase:
    """Return a light profile: its channels and what it adds ("3 channels · moonlight, clouds")."""
    if profile is None:
        return phrase("profile", channels=phrase("channels", count="0"))
    count = len(profile.channels)
    channels = phrase("channel_one") if count == 1 else phrase("channels", count=str(count))
    features = [
        key
        for key, present in (
            ("moonlight", profile.moon is not None),
            ("acclimation", profile.acclimation is not None),
            ("clouds", profile.clouds is not None and profile.weather),
            ("storm", profile.storm is not None and profile.weather),
            ("weather_off", (profile.clouds or profile.storm) is not None and not profile.weather),
        )
        if present
    ]
    if not features:
        return phrase("profile", channels=channels)
    listing = Listing(tuple(Term(DESCRIBE, key) for key in features))
    return phrase("profile_with", channels=channels, features=listing)


def _wave(pattern: WavePattern | None, targets: Names) -> Phrase:
    """Return a wave pattern: its pumps, how they move, and at night ("22:00-07:00: pulse ...")."""
    if pattern is None:
        return phrase("wave", targets=targets, settings="")
    day = _wave_settings(pattern.day)
    if (night := pattern.night) is None:
        return phrase("wave", targets=targets, settings=day)
    return phrase(
        "wave_night",
        targets=targets,
        settings=day,
        start=clock(night.start),
        end=clock(night.end),
        night=_wave_settings(night.settings),
    )


def _wave_settings(settings: WaveSettings) -> Phrase:
    """Return one set of wave settings ("pulse 10 s on, 50 s off")."""
    on, off = duration(settings.on), duration(settings.off)
    speeds = {"low": number(settings.min_speed), "high": number(settings.max_speed)}
    match settings.mode:
        case WaveMode.ALTERNATE:
            return phrase("wave_alternate", on=on)
        case WaveMode.PULSE:
            return phrase("wave_pulse", on=on, off=off)
        case WaveMode.RANDOM:
            longest = (settings.on_max or settings.on, settings.off_max or settings.off)
            return phrase(
                "wave_random",
                on=on,
                on_max=duration(longest[0]),
                off=off,
                off_max=duration(longest[1]),
            )
        case WaveMode.SINE:
            period = duration(settings.period or timedelta(0))
            return phrase("wave_sine", period=period, **speeds)
        case WaveMode.RAMPED_PULSE:
            ramp = duration(settings.ramp or timedelta(0))
            return phrase("wave_ramped_pulse", on=on, off=off, ramp=ramp, **speeds)


def _held(text: Phrase, action: Action) -> Phrase:
    """Add how long the target holds before it is switched off, if it is."""
    if action.duration is None:
        return text
    return phrase("for", text=text, duration=duration(action.duration))


def _ramp(action: Action, targets: Names) -> Phrase:
    """Return a ramp: its levels, its length and, when not linear, its curve."""
    level = number(action.level or 0.0)
    levels = (
        phrase("to_level", level=level)
        if action.start_level is None
        else phrase("from_to", start=number(action.start_level), level=level)
    )
    text = phrase(
        "ramp", targets=targets, levels=levels, duration=duration(action.duration or timedelta(0))
    )
    return text if action.curve is Curve.LINEAR else phrase("smooth", text=text)
