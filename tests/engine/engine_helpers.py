"""Pure helpers shared by the engine tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.reef_scheduler.engine.model import (
    Action,
    ActionType,
    Frequency,
    RecurringTiming,
    Schedule,
    ScheduleInvalid,
    SunEvent,
    Target,
    Timing,
)
from custom_components.reef_scheduler.engine.profile import Profile, round_level
from custom_components.reef_scheduler.engine.validate import validate_schedule

ACTION = Action(ActionType.ON, Target(entity_ids=("light.reef",)))


def make(timing: Timing, **kwargs: object) -> Schedule:
    """Return a schedule with a plain on action."""
    return Schedule("s1", "Test", timing, ACTION, **kwargs)


def at(zone: str, *args: int, fold: int = 0) -> datetime:
    """Return the UTC instant of a local wall-clock time."""
    return datetime(*args, tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)


def berlin(*args: int) -> datetime:
    """Return the instant of a Berlin wall-clock time."""
    return at("Europe/Berlin", *args)


def daily_at(*times: str) -> RecurringTiming:
    """Return a daily timing at these times of day ("HH:MM")."""
    return RecurringTiming(Frequency.DAILY, tuple(time.fromisoformat(t) for t in times))


def errors_of(data: object, *, stored: bool = False) -> set[tuple[str, str]]:
    """Return the (field, code) of every error validating a spec in Berlin raises."""
    with pytest.raises(ScheduleInvalid) as info:
        validate_schedule(data, default_timezone="Europe/Berlin", stored=stored)  # type: ignore[arg-type]
    return {(error.field, error.code) for error in info.value.errors}


def spec_with(spec: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Return a spec with some keys changed (None deletes)."""
    return {key: value for key, value in (spec | changes).items() if value is not None}


def plan_spec_errors(
    key: str, target: str, not_a_plan: object = ()
) -> list[tuple[dict[str, Any], set[tuple[str, str]]]]:
    """Return what every plan-carrying type refuses around its plan key ``key``.

    Its plan missing or of the wrong type, an action of its own (on ``target``), timing keys.
    """
    return [
        ({key: None}, {(key, "required")}),
        ({key: list(not_a_plan)}, {(key, "invalid_type")}),
        ({"action": {"type": "on", "target": {"entity_id": target}}}, {("action", "not_allowed")}),
        ({"times": ["08:00"]}, {("times", "unknown_key")}),
    ]


def utc(*args: int) -> datetime:
    """Return an aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


def wall(instants: list[datetime], zone: str) -> list[str]:
    """Render instants as local "YYYY-MM-DD HH:MM+HHMM" strings for readable assertions."""
    tz = ZoneInfo(zone)
    return [i.astimezone(tz).strftime("%Y-%m-%d %H:%M%z") for i in instants]


class FakeSun:
    """A sun calculator placing each event at a fixed local wall-clock time (DST policy)."""

    def __init__(self, zone: str, times: dict[SunEvent, time], missing: set[date] | None = None):
        self.tz = ZoneInfo(zone)
        self.times = times
        self.missing = missing or set()
        self.calls: list[date] = []

    def __call__(self, day: date, event: SunEvent) -> datetime | None:
        self.calls.append(day)
        if day in self.missing or event not in self.times:
            return None
        local = datetime.combine(day, self.times[event], tzinfo=self.tz)
        return local.astimezone(UTC)


ONE_HOUR = timedelta(hours=1)

US = timedelta(microseconds=1)


def assert_next_change_contract(profile: Profile, after: datetime) -> None:
    """Check next_change against the level function around the instant it returns."""
    current = round_level(profile.level_at(after))
    change = profile.next_change(after)
    last = profile.knots[-1]
    if change is None:
        # Pieces between knots are monotonic, so equal rounding at every later knot means
        # the rounded level never moves again.
        assert all(round_level(profile.level_at(k)) == current for k in profile.knots if k > after)
        return
    assert after < change <= last
    assert round_level(profile.level_at(change)) != current
    if change - US > after:
        assert round_level(profile.level_at(change - US)) == current
    # "First": the midpoint of the quiet span has not changed either.
    assert round_level(profile.level_at(after + (change - after) / 2)) == current
