"""Immutable schedule model: timings, actions, targets and policies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from .dosing_model import Dosing
from .light_model import LightProfile
from .profile import Curve
from .wave_model import WavePattern


class ScheduleType(StrEnum):
    """Kind of timing a schedule uses."""

    ONE_OFF = "one_off"
    INTERVAL = "interval"
    CRON = "cron"
    RECURRING = "recurring"
    SUN = "sun"


class ActionType(StrEnum):
    """What a run does to its target."""

    ON = "on"
    OFF = "off"
    TOGGLE = "toggle"
    SET_LEVEL = "set_level"
    SET_PWM = "set_pwm"
    RAMP = "ramp"
    CUSTOM = "custom"
    PROFILE = "profile"  # a light profile: levels as functions of the wall clock
    WAVE = "wave"  # a wave pattern: pump levels as functions of time
    DOSE = "dose"  # a dose of a dosing schedule: the doser's pump on for ml / rate seconds

    @property
    def idempotent(self) -> bool:
        """Return True when the action describes a target state rather than an event."""
        return self not in _EVENT_ACTIONS


_EVENT_ACTIONS = frozenset({ActionType.TOGGLE, ActionType.CUSTOM, ActionType.DOSE})


class Frequency(StrEnum):
    """Period of a recurring timing."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class SunEvent(StrEnum):
    """Solar event a sun timing follows."""

    SUNRISE = "sunrise"
    SUNSET = "sunset"
    DAWN = "dawn"
    DUSK = "dusk"
    NOON = "noon"


@dataclass(frozen=True, slots=True)
class OneOffTiming:
    """Run once at an aware UTC instant."""

    at: datetime


@dataclass(frozen=True, slots=True)
class IntervalTiming:
    """Run on the real-time grid ``anchor + k * every`` (k >= 0)."""

    every: timedelta
    # None: the grid starts at Schedule.created, else Schedule.start, else the Unix epoch.
    anchor: datetime | None = None


@dataclass(frozen=True, slots=True)
class CronTiming:
    """Run when a cron expression matches local wall-clock time.

    Five fields (minute hour day month weekday) or six, the sixth being seconds as croniter
    reads it by default (``second_at_beginning=False``).
    """

    expression: str


@dataclass(frozen=True, slots=True)
class RecurringTiming:
    """Run at local times of day on dates chosen by a daily, weekly or monthly rule."""

    frequency: Frequency
    times: tuple[time, ...]
    weekdays: frozenset[int] = frozenset()  # 0 = Monday .. 6 = Sunday; empty = every day
    month_days: tuple[int, ...] = ()  # 1..31, -1 = last day of the month
    nth_weekdays: tuple[tuple[int, int], ...] = ()  # (n in 1..5 or -1 = last, weekday)
    every: int = 1  # every N days / weeks / months, counted from anchor_date
    # None: the local date of Schedule.created, else of Schedule.start, else 1970-01-01.
    anchor_date: date | None = None

    def __post_init__(self) -> None:
        """Sort and de-duplicate the lists: the timeline relies on increasing times."""
        object.__setattr__(self, "times", tuple(sorted(set(self.times))))
        object.__setattr__(self, "month_days", tuple(sorted(set(self.month_days))))
        object.__setattr__(self, "nth_weekdays", tuple(sorted(set(self.nth_weekdays))))


@dataclass(frozen=True, slots=True)
class SunTiming:
    """Run at a solar event plus an offset, on the chosen weekdays (empty = every day)."""

    event: SunEvent
    offset: timedelta = timedelta(0)
    weekdays: frozenset[int] = frozenset()


type Timing = OneOffTiming | IntervalTiming | CronTiming | RecurringTiming | SunTiming

_TIMING_TYPES: Mapping[type, ScheduleType] = {
    OneOffTiming: ScheduleType.ONE_OFF,
    IntervalTiming: ScheduleType.INTERVAL,
    CronTiming: ScheduleType.CRON,
    RecurringTiming: ScheduleType.RECURRING,
    SunTiming: ScheduleType.SUN,
}


@dataclass(frozen=True, slots=True)
class Target:
    """Home Assistant entities, devices and areas an action is applied to."""

    entity_ids: tuple[str, ...] = ()
    device_ids: tuple[str, ...] = ()
    area_ids: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Return True when nothing is targeted."""
        return not (self.entity_ids or self.device_ids or self.area_ids)

    @property
    def ids(self) -> tuple[str, ...]:
        """Return every id targeted: entities, then devices, then areas."""
        return self.entity_ids + self.device_ids + self.area_ids


@dataclass(frozen=True, slots=True)
class Action:
    """What a run does; levels are percentages (0..100)."""

    type: ActionType
    target: Target = field(default_factory=Target)
    level: float | None = None  # set_level / set_pwm level, ramp end level
    start_level: float | None = None  # ramp only; None = the target's current level
    # Ramp length, or for on / set_level / set_pwm a hold after which the target is switched off.
    duration: timedelta | None = None
    curve: Curve = Curve.LINEAR
    transition: float | None = None
    # Raw Home Assistant script steps; validated on the Home Assistant side.
    sequence: tuple[Mapping[str, Any], ...] = ()
    # One field for the plan of a light profile, wave pattern or dosing schedule (memory: most
    # schedules have none). A profile's lights, a wave's pumps, a doser's pump are the target.
    plan: LightProfile | WavePattern | Dosing | None = None

    @property
    def profile(self) -> LightProfile | None:
        """Return the light profile of a profile action, else None."""
        return self.plan if isinstance(self.plan, LightProfile) else None

    @property
    def wave(self) -> WavePattern | None:
        """Return the wave pattern of a wave action, else None."""
        return self.plan if isinstance(self.plan, WavePattern) else None

    @property
    def dosing(self) -> Dosing | None:
        """Return the dosing plan of a dose action, else None."""
        return self.plan if isinstance(self.plan, Dosing) else None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry limits for a run's service calls (seconds)."""

    retries: int = 3
    base: float = 2.0
    cap: float = 60.0
    timeout: float = 10.0


DEFAULT_CATCH_UP = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A validated schedule: when (timing, window, zone) and what (action)."""

    id: str
    name: str
    timing: Timing
    action: Action
    enabled: bool = True
    timezone: str | None = None  # None = Home Assistant's zone, resolved by the caller
    start: datetime | None = None
    end: datetime | None = None
    catch_up: timedelta = DEFAULT_CATCH_UP
    tags: frozenset[str] = frozenset()
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    created: datetime | None = None
    preset: str | None = None  # the timing was expanded from this preset
    preset_params: Mapping[str, object] | None = None

    @property
    def type(self) -> ScheduleType:
        """Return the kind of timing."""
        return _TIMING_TYPES[type(self.timing)]


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field of a schedule spec; ``code`` is a translation key."""

    field: str  # dotted path into the spec, e.g. "action.level" or "times.1"
    code: str
    placeholders: Mapping[str, str] = MappingProxyType({})


class ScheduleInvalid(ValueError):
    """A schedule spec was rejected; ``errors`` lists every problem found."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        """Keep all errors and summarise them in the message."""
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__(", ".join(f"{error.field}: {error.code}" for error in self.errors))
