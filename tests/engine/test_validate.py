"""Tests for spec validation and serialisation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
import json
import pathlib
import re
from typing import Any

from hypothesis import event, given, settings, strategies as st
import pytest

from custom_components.reef_scheduler.engine import validate
from custom_components.reef_scheduler.engine.model import (
    Action,
    ActionType,
    CronTiming,
    Curve,
    Frequency,
    IntervalTiming,
    OneOffTiming,
    RecurringTiming,
    RetryPolicy,
    Schedule,
    ScheduleInvalid,
    SunEvent,
    SunTiming,
    Target,
)
from custom_components.reef_scheduler.engine.timeline import get_zone
from custom_components.reef_scheduler.engine.validate import schedule_to_dict, validate_schedule

from .engine_helpers import errors_of

ZONE = "Europe/Berlin"
TARGET = {"entity_id": "light.reef"}


def spec(**changes: Any) -> dict[str, Any]:
    """Return a valid daily spec with some keys changed (None deletes a key)."""
    data: dict[str, Any] = {
        "id": "s1",
        "type": "recurring",
        "frequency": "daily",
        "times": ["08:00"],
        "action": {"type": "on", "target": TARGET},
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def action(**fields: Any) -> dict[str, Any]:
    return {"target": TARGET} | fields


def test_minimal_daily() -> None:
    schedule = validate_schedule(spec(), default_timezone=ZONE)
    assert schedule == Schedule(
        id="s1",
        name="s1",
        timing=RecurringTiming(Frequency.DAILY, (time(8),)),
        action=Action(ActionType.ON, Target(entity_ids=("light.reef",))),
    )


def test_naive_datetimes_use_schedule_zone_then_default() -> None:
    local = validate_schedule(spec(start="2024-07-01T08:00"), default_timezone=ZONE)
    assert local.start == datetime(2024, 7, 1, 6, tzinfo=UTC)
    tokyo = validate_schedule(
        spec(start="2024-07-01T08:00", timezone="Asia/Tokyo"), default_timezone=ZONE
    )
    assert tokyo.start == datetime(2024, 6, 30, 23, tzinfo=UTC)
    assert tokyo.timezone == "Asia/Tokyo"
    aware = validate_schedule(spec(start=datetime(2024, 7, 1, tzinfo=UTC)), default_timezone=ZONE)
    assert aware.start == datetime(2024, 7, 1, tzinfo=UTC)


def test_naive_datetime_in_gap_moves_to_gap_end() -> None:
    schedule = validate_schedule(spec(start="2024-03-31T02:30"), default_timezone=ZONE)
    assert schedule.start == datetime(2024, 3, 31, 1, tzinfo=UTC)


def test_recurring_is_normalised() -> None:
    schedule = validate_schedule(
        spec(
            frequency="monthly",
            times=["20:00", "08:00:30", "20:00"],
            month_days=[15, -1, 15],
            nth_weekdays=[{"n": -1, "weekday": "sun"}, {"n": 1, "weekday": "Mon"}],
            every=2,
            anchor_date="2024-01-01",
        ),
        default_timezone=ZONE,
    )
    assert schedule.timing == RecurringTiming(
        Frequency.MONTHLY,
        (time(8, 0, 30), time(20)),
        frozenset(),
        (-1, 15),
        ((-1, 6), (1, 0)),
        2,
        date(2024, 1, 1),
    )


def test_action_variants() -> None:
    ramp = validate_schedule(
        spec(
            action=action(
                type="ramp", level=80, start_level=0, duration=900, curve="smooth", transition=2
            )
        ),
        default_timezone=ZONE,
    ).action
    assert ramp == Action(
        ActionType.RAMP,
        Target(entity_ids=("light.reef",)),
        80.0,
        0.0,
        timedelta(minutes=15),
        Curve.SMOOTH,
        2.0,
    )
    custom = validate_schedule(
        spec(action={"type": "custom", "sequence": [{"delay": 1}]}), default_timezone=ZONE
    ).action
    assert custom.target.is_empty
    assert [dict(step) for step in custom.sequence] == [{"delay": 1}]
    hold = validate_schedule(
        spec(action=action(type="set_pwm", level=40.5, duration=3600)), default_timezone=ZONE
    ).action
    assert hold.duration == timedelta(hours=1)
    targets = validate_schedule(
        spec(action={"type": "off", "target": {"device_id": ["d1", "d1"], "area_id": "tank"}}),
        default_timezone=ZONE,
    ).action.target
    assert targets == Target((), ("d1",), ("tank",))


def test_preset_expands_with_hold() -> None:
    schedule = validate_schedule(
        spec(
            type="preset",
            preset="photoperiod",
            params={"on": "22:00", "off": "06:00"},
            frequency=None,
            times=None,
        ),
        default_timezone=ZONE,
    )
    assert schedule.timing == RecurringTiming(Frequency.DAILY, (time(22),))
    assert schedule.action.duration == timedelta(hours=8)
    assert schedule.preset == "photoperiod"
    assert schedule.preset_params == {"on": "22:00", "off": "06:00"}
    assert schedule_to_dict(schedule)["action"] == {
        "type": "on",
        "target": {"entity_id": ["light.reef"], "device_id": [], "area_id": []},
    }


def test_preset_without_hold_keeps_action_duration() -> None:
    schedule = validate_schedule(
        spec(
            type="preset",
            preset="dawn_lights",
            frequency=None,
            times=None,
            action=action(type="on", duration=60),
        ),
        default_timezone=ZONE,
    )
    assert schedule.timing == SunTiming(SunEvent.SUNRISE)
    assert schedule.action.duration == timedelta(minutes=1)
    assert validate_schedule(schedule_to_dict(schedule), default_timezone="UTC") == schedule


NO_TIMING = {"frequency": None, "times": None}

ERROR_CASES: list[tuple[dict[str, Any], set[tuple[str, str]]]] = [
    ({"id": None}, {("id", "required")}),
    ({"id": "  "}, {("id", "required")}),
    ({"id": 5}, {("id", "invalid_type")}),
    ({"typo": 1}, {("typo", "unknown_key")}),
    # A light profile is a schedule type (light_profile), never an action of another one.
    ({"action": action(type="profile")}, {("action.type", "profile_action_type")}),
    ({"action": action(type="wave")}, {("action.type", "wave_action_type")}),
    ({"action": action(type="dose")}, {("action.type", "dose_action_type")}),
    ({"name": ""}, {("name", "name_empty")}),
    ({"name": "x" * 101}, {("name", "name_too_long")}),
    # The name defaults to the id and is checked after that (the stored spec names it).
    ({"id": "x" * 101}, {("name", "name_too_long")}),
    ({"enabled": "yes"}, {("enabled", "invalid_type")}),
    ({"timezone": "Mars/Base"}, {("timezone", "invalid_timezone")}),
    ({"timezone": "../etc"}, {("timezone", "invalid_timezone")}),
    ({"timezone": "Europe"}, {("timezone", "invalid_timezone")}),  # a folder of zones
    ({"start": "soon"}, {("start", "invalid_datetime")}),
    ({"start": "0001-01-01T00:00"}, {("start", "date_out_of_range")}),
    ({"start": "0001-01-01T00:00+05:00"}, {("start", "date_out_of_range")}),
    ({"end": "9999-12-31T23:59-05:00"}, {("end", "date_out_of_range")}),
    ({"end": "2100-01-01T00:00:01Z"}, {("end", "date_out_of_range")}),
    ({"start": "1969-12-31T23:59:59Z"}, {("start", "date_out_of_range")}),
    ({"start": "2024-01-01" + "0" * 100}, {("start", "invalid_datetime")}),
    ({"created": 12}, {("created", "invalid_datetime")}),
    ({"start": "2024-01-02T00:00Z", "end": "2024-01-01T00:00Z"}, {("end", "end_before_start")}),
    ({"catch_up": -1}, {("catch_up", "catch_up_out_of_range")}),
    ({"catch_up": 1e300}, {("catch_up", "catch_up_out_of_range")}),
    ({"catch_up": 7 * 86_400 + 1}, {("catch_up", "catch_up_out_of_range")}),
    ({"catch_up": 10**400}, {("catch_up", "invalid_type")}),
    ({"catch_up": float("inf")}, {("catch_up", "invalid_type")}),
    ({"catch_up": True}, {("catch_up", "invalid_type")}),
    ({"catch_up": "15m"}, {("catch_up", "invalid_type")}),
    ({"tags": ["a", 3]}, {("tags.1", "invalid_type")}),
    ({"tags": [str(i) for i in range(21)]}, {("tags", "too_many_tags")}),
    ({"tags": ["a" * 65]}, {("tags.0", "tag_too_long")}),
    ({"tags": {"a": 1}}, {("tags", "invalid_type")}),
    (
        {"retry": {"retries": 11, "timeout": 0}},
        {("retry.retries", "retries_out_of_range"), ("retry.timeout", "timeout_out_of_range")},
    ),
    ({"retry": {"base": 10, "cap": 5}}, {("retry.cap", "retry_delay_out_of_range")}),
    ({"retry": {"base": 1e15}}, {("retry.base", "retry_delay_out_of_range")}),
    (
        {"retry": {"timeout": 601, "retries": False}},
        {("retry.timeout", "timeout_out_of_range"), ("retry.retries", "invalid_type")},
    ),
    ({"retry": {"bogus": 1}}, {("retry.bogus", "unknown_key")}),
    ({"retry": 3}, {("retry", "invalid_type")}),
    ({"action": None}, {("action", "required")}),
    ({"action": {"type": "blink", "target": TARGET}}, {("action.type", "invalid_action_type")}),
    ({"action": {"type": "on"}}, {("action.target", "empty_target")}),
    ({"action": {"type": "on", "target": {"entity_id": []}}}, {("action.target", "empty_target")}),
    (
        {"action": action(type="on", target={"entity_id": ["Light.Reef"]})},
        {("action.target.entity_id.0", "invalid_entity_id"), ("action.target", "empty_target")},
    ),
    (
        {"action": action(type="on", target={"device_id": [1]})},
        {("action.target.device_id.0", "invalid_type"), ("action.target", "empty_target")},
    ),
    (
        {"action": action(type="on", target={"zone": "x", "entity_id": "light.a"})},
        {("action.target.zone", "unknown_key")},
    ),
    ({"action": action(type="set_level")}, {("action.level", "required")}),
    ({"action": action(type="set_level", level=100.5)}, {("action.level", "level_out_of_range")}),
    ({"action": action(type="set_pwm", level="50")}, {("action.level", "invalid_type")}),
    ({"action": action(type="set_level", level=float("nan"))}, {("action.level", "invalid_type")}),
    (
        {"action": action(type="on", level=5, start_level=3)},
        {("action.level", "not_allowed"), ("action.start_level", "not_allowed")},
    ),
    ({"action": action(type="ramp", level=50)}, {("action.duration", "required")}),
    (
        {"action": action(type="ramp", level=50, duration=0.5)},
        {("action.duration", "duration_too_small")},
    ),
    (
        {"action": action(type="ramp", level=50, duration=86_401)},
        {("action.duration", "duration_too_large")},
    ),
    (
        {"action": action(type="ramp", level=50, duration=60, start_level=-1)},
        {("action.start_level", "level_out_of_range")},
    ),
    (
        {"action": action(type="ramp", level=50, duration=60, curve="cubic")},
        {("action.curve", "invalid_curve")},
    ),
    ({"action": action(type="on", curve="smooth")}, {("action.curve", "not_allowed")}),
    ({"action": action(type="on", duration=0)}, {("action.duration", "duration_too_small")}),
    ({"action": action(type="off", duration=60)}, {("action.duration", "not_allowed")}),
    (
        {"action": action(type="toggle", transition=-1)},
        {("action.transition", "transition_out_of_range")},
    ),
    (
        {"action": action(type="on", duration=1e15)},
        {("action.duration", "duration_too_large")},
    ),
    (
        {"action": action(type="set_level", level=5, duration=7 * 86_400 + 1)},
        {("action.duration", "duration_too_large")},
    ),
    (
        {"action": action(type="on", target={"entity_id": [f"light.l{i}" for i in range(101)]})},
        {("action.target.entity_id", "too_many_targets"), ("action.target", "empty_target")},
    ),
    (
        {
            "action": action(
                type="on",
                target={
                    "entity_id": [f"light.l{i}" for i in range(50)],
                    "area_id": [f"a{i}" for i in range(51)],
                },
            )
        },
        {("action.target", "too_many_targets")},
    ),
    (
        {"action": action(type="on", target={"device_id": ["d" * 256]})},
        {("action.target.device_id.0", "target_id_too_long"), ("action.target", "empty_target")},
    ),
    (
        {"action": {"type": "custom", "sequence": [{"delay": 1}] * 101}},
        {("action.sequence", "too_many_items")},
    ),
    ({"action": {"type": "custom"}}, {("action.sequence", "required")}),
    ({"action": {"type": "custom", "sequence": []}}, {("action.sequence", "invalid_sequence")}),
    (
        {"action": {"type": "custom", "sequence": ["x"]}},
        {("action.sequence.0", "invalid_sequence")},
    ),
    (
        {"action": {"type": "custom", "sequence": [{"delay": 1}], "transition": 1}},
        {("action.transition", "not_allowed")},
    ),
    ({"action": action(type="on", sequence=[{"delay": 1}])}, {("action.sequence", "not_allowed")}),
    ({"action": "on"}, {("action", "invalid_type")}),
    ({"type": None, **NO_TIMING}, {("type", "required")}),
    ({"type": "weekly", **NO_TIMING}, {("type", "invalid_schedule_type")}),
    ({"type": "one_off", **NO_TIMING}, {("at", "required")}),
    ({"type": "one_off", "at": "2024-13-01T00:00", **NO_TIMING}, {("at", "invalid_datetime")}),
    (
        {"type": "one_off", "at": "2011-12-30T10:00", "timezone": "Pacific/Apia", **NO_TIMING},
        {("at", "invalid_datetime")},
    ),
    ({"type": "interval", "every": 0, **NO_TIMING}, {("every", "interval_too_small")}),
    ({"type": "interval", "every": 1e15, **NO_TIMING}, {("every", "interval_too_large")}),
    (
        {"type": "interval", "every": 365 * 86_400 + 1, **NO_TIMING},
        {("every", "interval_too_large")},
    ),
    ({"type": "interval", "every": 1e300, **NO_TIMING}, {("every", "interval_too_large")}),
    ({"type": "interval", "every": float("nan"), **NO_TIMING}, {("every", "invalid_type")}),
    (
        {"type": "interval", "every": 60, "anchor": "9999-01-01T00:00", **NO_TIMING},
        {("anchor", "date_out_of_range")},
    ),
    ({"type": "one_off", "at": "0001-01-01T00:00", **NO_TIMING}, {("at", "date_out_of_range")}),
    ({"type": "interval", **NO_TIMING}, {("every", "required")}),
    ({"type": "cron", "cron": "61 * * * *", **NO_TIMING}, {("cron", "invalid_cron")}),
    ({"type": "cron", "cron": "@daily", **NO_TIMING}, {("cron", "invalid_cron")}),
    ({"type": "cron", "cron": "0 0 30 2 *", **NO_TIMING}, {("cron", "cron_never_runs")}),
    ({"type": "cron", "cron": "0 " * 60, **NO_TIMING}, {("cron", "cron_too_long")}),
    ({"type": "cron", "cron": "0 0 * * *", "at": "x", **NO_TIMING}, {("at", "unknown_key")}),
    ({"frequency": "yearly"}, {("frequency", "invalid_frequency")}),
    ({"times": ["8:00", "08:00"]}, {("times.0", "invalid_time")}),
    ({"times": []}, {("times", "required")}),
    ({"times": None}, {("times", "required")}),
    ({"times": 800}, {("times", "invalid_type")}),
    (
        {"times": [f"{h:02}:{m:02}" for h in range(5) for m in range(0, 60, 6)]},
        {("times", "too_many_times")},
    ),
    ({"every": 0}, {("every", "every_out_of_range")}),
    ({"every": 1001}, {("every", "every_out_of_range")}),
    ({"anchor_date": "2024-02-30"}, {("anchor_date", "invalid_date")}),
    ({"anchor_date": "0001-01-01"}, {("anchor_date", "date_out_of_range")}),
    ({"anchor_date": "2100-01-02"}, {("anchor_date", "date_out_of_range")}),
    ({"weekdays": ["mon"] * 101}, {("weekdays", "too_many_items")}),
    ({"weekdays": ["mon", "funday"]}, {("weekdays.1", "invalid_weekday")}),
    ({"frequency": "weekly"}, {("weekdays", "empty_weekdays")}),
    ({"month_days": [1]}, {("month_days", "not_allowed")}),
    ({"frequency": "monthly"}, {("month_days", "required")}),
    (
        {"frequency": "monthly", "month_days": [0, 32, True]},
        {
            ("month_days.0", "invalid_month_day"),
            ("month_days.1", "invalid_month_day"),
            ("month_days.2", "invalid_month_day"),
        },
    ),
    (
        {"frequency": "monthly", "weekdays": ["mon"], "month_days": [1]},
        {("weekdays", "not_allowed")},
    ),
    (
        {"frequency": "monthly", "nth_weekdays": [{"n": 6, "weekday": "mon"}]},
        {("nth_weekdays.0.n", "invalid_nth")},
    ),
    (
        {"frequency": "monthly", "nth_weekdays": [{"n": 1, "weekday": "xx"}]},
        {("nth_weekdays.0.weekday", "invalid_weekday")},
    ),
    (
        {"frequency": "monthly", "nth_weekdays": [{"weekday": "mon", "x": 1}]},
        {("nth_weekdays.0.n", "required"), ("nth_weekdays.0.x", "unknown_key")},
    ),
    ({"frequency": "monthly", "nth_weekdays": ["mon"]}, {("nth_weekdays.0", "invalid_type")}),
    (
        {"frequency": "monthly", "nth_weekdays": [{"n": [1], "weekday": "mon"}]},
        {("nth_weekdays.0.n", "invalid_nth")},
    ),
    ({"type": "sun", **NO_TIMING}, {("event", "required")}),
    ({"type": "sun", "event": "eclipse", **NO_TIMING}, {("event", "invalid_sun_event")}),
    (
        {"type": "sun", "event": "sunset", "offset": 43_201, **NO_TIMING},
        {("offset", "offset_out_of_range")},
    ),
    ({"type": "preset", "preset": "nope", **NO_TIMING}, {("preset", "invalid_preset")}),
    ({"type": "preset", **NO_TIMING}, {("preset", "required")}),
    (
        {"type": "preset", "preset": "photoperiod", "params": {"on": "08:00"}, **NO_TIMING},
        {("params.off", "required")},
    ),
    (
        {"type": "preset", "preset": "dawn_lights", "params": [], **NO_TIMING},
        {("params", "invalid_type")},
    ),
    (
        {
            "type": "preset",
            "preset": "photoperiod",
            "params": {"on": "08:00", "off": "09:00"},
            "action": action(type="off"),
            **NO_TIMING,
        },
        {("action.type", "invalid_preset_action")},
    ),
    (
        {
            "type": "preset",
            "preset": "photoperiod",
            "params": {"on": "08:00", "off": "09:00"},
            "action": action(type="on", duration=5),
            **NO_TIMING,
        },
        {("action.duration", "not_allowed")},
    ),
]


@pytest.mark.parametrize(("changes", "expected"), ERROR_CASES)
def test_error_codes(changes: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    assert errors_of(spec(**changes)) == expected


def test_not_a_mapping() -> None:
    assert errors_of(["id"]) == {("", "invalid_type")}


def test_all_errors_are_collected() -> None:
    found = errors_of(
        {"type": "cron", "cron": "x", "name": "", "action": {"type": "set_level", "level": -1}}
    )
    assert found == {
        ("id", "required"),
        ("name", "name_empty"),
        ("cron", "invalid_cron"),
        ("action.target", "empty_target"),
        ("action.level", "level_out_of_range"),
    }


NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
ONE_OFF = {"type": "one_off", **NO_TIMING}

RUN_CASES: list[tuple[dict[str, Any], tuple[str, str]]] = [
    ({**ONE_OFF, "at": "2026-03-02T09:00:00Z"}, ("at", "in_past")),
    ({**ONE_OFF, "at": "2026-03-02T10:00:00Z", "end": "2026-03-02T08:00Z"}, ("end", "in_past")),
    ({"end": "2026-03-01T00:00Z"}, ("end", "in_past")),
    # Outside its window.
    ({**ONE_OFF, "at": "2026-06-01T00:00Z", "end": "2026-05-01T00:00Z"}, ("at", "never_runs")),
    (
        {"type": "interval", "every": 365 * 86_400, "anchor": "2026-01-01T00:00Z"}
        | {"end": "2026-06-01T00:00Z", **NO_TIMING},
        ("every", "never_runs"),
    ),
    (
        {"type": "cron", "cron": "0 0 1 1 *", "end": "2026-06-01T00:00Z", **NO_TIMING},
        ("cron", "never_runs"),
    ),
    # Every 1000 months from February 2026: next in 2109, beyond the horizon.
    ({"frequency": "monthly", "month_days": [1], "every": 1000}, ("every", "never_runs")),
    # The 31st of every twelfth month counted from February.
    (
        {"frequency": "monthly", "month_days": [31], "every": 12, "anchor_date": "2026-02-01"},
        ("every", "never_runs"),
    ),
]


@pytest.mark.parametrize(("changes", "expected"), RUN_CASES)
def test_check_runs_refuses_what_never_runs(
    changes: dict[str, Any], expected: tuple[str, str]
) -> None:
    schedule = validate_schedule(spec(created=NOW.isoformat(), **changes), default_timezone=ZONE)
    with pytest.raises(ScheduleInvalid) as info:
        validate.check_runs(schedule, NOW, tz=get_zone(ZONE))
    assert [(error.field, error.code) for error in info.value.errors] == [expected]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {**ONE_OFF, "at": "2026-03-02T09:00:01Z"},
        {"type": "sun", "event": "sunrise", **NO_TIMING},
        {"type": "interval", "every": 365 * 86_400, **NO_TIMING},
        {"type": "cron", "cron": "0 0 29 2 *", **NO_TIMING},
        {"end": "2100-01-01T00:00Z"},
        {"frequency": "monthly", "month_days": [1], "every": 12},
    ],
)
def test_check_runs_accepts_what_runs(changes: dict[str, Any]) -> None:
    schedule = validate_schedule(spec(created=NOW.isoformat(), **changes), default_timezone=ZONE)
    validate.check_runs(schedule, NOW, tz=get_zone(ZONE))


def test_check_runs_lets_an_edit_keep_a_passed_timing() -> None:
    """An expired one-off can be renamed; changing its time to another past one is refused."""
    past = validate_schedule(spec(**ONE_OFF, at="2026-03-01T09:00Z"), default_timezone=ZONE)
    renamed = validate_schedule(
        spec(**ONE_OFF, at="2026-03-01T09:00Z", name="Old"), default_timezone=ZONE
    )
    validate.check_runs(renamed, NOW, tz=get_zone(ZONE), before=past)
    moved = validate_schedule(spec(**ONE_OFF, at="2026-03-01T10:00Z"), default_timezone=ZONE)
    with pytest.raises(ScheduleInvalid):
        validate.check_runs(moved, NOW, tz=get_zone(ZONE), before=past)


@pytest.mark.parametrize("value", ["morning_ramp", "0" * 32, "A-1", "x" * 64, 5, None])
def test_new_id_accepted(value: object) -> None:
    validate.check_new_id(value)


@pytest.mark.parametrize("value", ["", "x" * 65, "morning ramp", "rampe_müde", "a/b", "a.b"])
def test_new_id_refused(value: str) -> None:
    with pytest.raises(ScheduleInvalid) as info:
        validate.check_new_id(value)
    assert [(error.field, error.code) for error in info.value.errors] == [("id", "invalid_id")]


def test_stored_ids_of_any_form_still_load() -> None:
    """The id rule is for new schedules: an id stored by an earlier version keeps loading."""
    schedule = validate_schedule(spec(id="Morning Ramp / 2"), default_timezone=ZONE)
    assert schedule.id == "Morning Ramp / 2"


def _codes() -> set[str]:
    """Return every error code the cases of this module show."""
    return (
        {code for _, expected in ERROR_CASES for _, code in expected}
        | {code for _, (_, code) in RUN_CASES}
        | {"invalid_id"}
    )


def test_every_code_is_translated() -> None:
    """Each code has a message for actions and an error text for the schedule form."""
    folder = pathlib.Path(validate.__file__).parent.parent / "translations"
    english = json.loads((folder / "en.json").read_text("utf-8"))
    form = english["config_subentries"]["schedule"]["error"]
    assert _codes() - set(english["exceptions"]) == set()
    assert _codes() - set(form) == set()


def test_every_defined_code_is_exercised() -> None:
    engine = pathlib.Path(validate.__file__).parent
    names = ("validate.py", "spec_fields.py", "presets.py")
    source = "".join((engine / name).read_text() for name in names)
    defined = set(re.findall(r'(?:fail\(|FieldError\()[^,]+,\s*"([a-z_]+)"', source))
    defined |= set(re.findall(r'code="([a-z_]+)"', source))
    defined |= set(re.findall(r'\.choice\([^)]*"([a-z_]+)"\)', source))
    tested = _codes()
    assert defined, "the code scan found nothing"
    assert defined <= tested, defined - tested


# --- round trip -----------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
seconds = st.integers(min_value=1, max_value=7 * 86_400).map(lambda s: timedelta(seconds=s))
weekday_sets = st.frozensets(st.integers(0, 6))
times = st.lists(
    st.times().map(lambda t: t.replace(microsecond=0)), min_size=1, max_size=5, unique=True
).map(lambda values: tuple(sorted(values)))


@st.composite
def recurring(draw: st.DrawFn) -> RecurringTiming:
    frequency = draw(st.sampled_from(Frequency))
    weekdays: frozenset[int] = frozenset()
    month_days: tuple[int, ...] = ()
    nth: tuple[tuple[int, int], ...] = ()
    if frequency is Frequency.MONTHLY:
        month_days = tuple(sorted(draw(st.sets(st.sampled_from([-1, *range(1, 32)])))))
        pairs = st.tuples(st.sampled_from([-1, 1, 2, 3, 4, 5]), st.integers(0, 6))
        nth = tuple(sorted(draw(st.sets(pairs, min_size=0 if month_days else 1))))
    else:
        weekdays = draw(weekday_sets.filter(lambda w: w or frequency is Frequency.DAILY))
    anchor = draw(st.none() | st.dates(date(2000, 1, 1), date(2100, 1, 1)))
    return RecurringTiming(
        frequency, draw(times), weekdays, month_days, nth, draw(st.integers(1, 12)), anchor
    )


timings = st.one_of(
    instants.map(OneOffTiming),
    st.builds(IntervalTiming, seconds, st.none() | instants),
    st.sampled_from(["*/15 * * * *", "30 2 * * 1-5", "0 8 1,15 * *", "0 0 * * * 30"]).map(
        CronTiming
    ),
    recurring(),
    st.builds(
        SunTiming,
        st.sampled_from(SunEvent),
        st.integers(-43_200, 43_200).map(lambda s: timedelta(seconds=s)),
        weekday_sets,
    ),
)
levels = st.floats(0, 100, allow_nan=False)
ids = st.lists(st.from_regex(r"[a-z]{1,6}\.[a-z_]{1,8}", fullmatch=True), unique=True, max_size=3)
targets = st.builds(
    Target,
    ids.map(tuple).filter(bool),
    st.lists(st.text("abc123", min_size=1), unique=True, max_size=2).map(tuple),
    st.lists(st.text("xyz", min_size=1), unique=True, max_size=2).map(tuple),
)


# Light profiles, waves and dosing are schedule types of their own (tested in their modules).
_PLAN_ACTIONS = frozenset({ActionType.PROFILE, ActionType.WAVE, ActionType.DOSE})


@st.composite
def actions(draw: st.DrawFn) -> Action:
    # Profiles are a schedule type of their own (test_validate_profile.py).
    kind = draw(st.sampled_from([kind for kind in ActionType if kind not in _PLAN_ACTIONS]))
    if kind is ActionType.CUSTOM:
        steps = st.dictionaries(st.sampled_from(["delay", "service"]), st.integers(), min_size=1)
        return Action(kind, sequence=tuple(draw(st.lists(steps, min_size=1, max_size=3))))
    transition = draw(st.none() | st.floats(0, 3600, allow_nan=False))
    target = draw(targets)
    if kind is ActionType.RAMP:
        duration = timedelta(seconds=draw(st.integers(1, 86_400)))
        return Action(
            kind,
            target,
            draw(levels),
            draw(st.none() | levels),
            duration,
            draw(st.sampled_from(Curve)),
            transition,
        )
    level = draw(levels) if kind in {ActionType.SET_LEVEL, ActionType.SET_PWM} else None
    hold = None
    if kind in {ActionType.ON, ActionType.SET_LEVEL, ActionType.SET_PWM}:
        hold = draw(st.none() | seconds)
    return Action(kind, target, level, duration=hold, transition=transition)


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    start = draw(st.none() | instants)
    end = draw(st.none() | instants)
    if start is not None and end is not None and end <= start:
        end = None
    return Schedule(
        id=draw(st.text(min_size=1, max_size=8).filter(str.strip)),
        name=draw(st.text(min_size=1, max_size=100).filter(str.strip)),
        timing=draw(timings),
        action=draw(actions()),
        enabled=draw(st.booleans()),
        timezone=draw(st.sampled_from([None, "UTC", "Europe/Berlin", "Australia/Lord_Howe"])),
        start=start,
        end=end,
        catch_up=timedelta(seconds=draw(st.integers(0, 7 * 86_400))),
        tags=draw(st.frozensets(st.text(min_size=1, max_size=5), max_size=3)),
        retry=RetryPolicy(draw(st.integers(0, 10)), 1.5, 30.0, 5.0),
        created=draw(st.none() | instants),
    )


@settings(max_examples=300)
@given(schedules())
def test_round_trip(schedule: Schedule) -> None:
    data = json.loads(json.dumps(schedule_to_dict(schedule)))
    assert validate_schedule(data, default_timezone="America/New_York") == schedule


@given(
    st.sampled_from(["photoperiod", "hourly_pulse", "dawn_lights"]),
    st.integers(0, 23),
    st.integers(1, 59),
)
def test_preset_round_trip(preset: str, hour: int, minute: int) -> None:
    params: dict[str, object] = {
        "photoperiod": {"on": f"{hour:02}:00", "off": f"{hour:02}:{minute:02}"},
        "hourly_pulse": {"minute": minute, "minutes": minute},
        "dawn_lights": {"offset": -minute * 60},
    }[preset]
    data = spec(type="preset", preset=preset, params=params, **NO_TIMING)
    schedule = validate_schedule(data, default_timezone=ZONE)
    assert validate_schedule(schedule_to_dict(schedule), default_timezone="UTC") == schedule
    assert schedule_to_dict(schedule)["params"] == params


# --- whatever is accepted loads again ---------------------------------------------------------

_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(
        [
            "x" * 101,
            "x" * 64,
            "2026-03-02T08:00",
            "2099-12-31T23:30-05:00",
            "1970-01-01T00:00Z",
            "0001-01-01",
            "Asia/Tokyo",
            "07:30",
            "0 8 * * mon-fri",
            ["mon", "fri"],
            [1, -1, 31],
            [{"n": -1, "weekday": "sun"}],
            {"retries": 2, "timeout": 5},
            {"on": "08:00", "off": "20:00"},
            ["pumps", "lights"],
        ]
    ),
)
_BASES = st.sampled_from(
    [
        spec(),
        spec(type="interval", every=900, **NO_TIMING),
        spec(type="cron", cron="0 8 * * *", **NO_TIMING),
        spec(type="one_off", at="2026-03-02T10:00", **NO_TIMING),
        spec(type="sun", event="sunset", **NO_TIMING),
        spec(type="preset", preset="photoperiod", params={"on": "08:00", "off": "20:00"}),
        spec(action=action(type="ramp", level=50, duration=60)),
        spec(action=action(type="set_level", level=5, duration=60)),
    ]
)
_KEYS = st.sampled_from(sorted(validate._COMMON_KEYS | validate.TIMING_KEYS - {"action", "type"}))


@settings(max_examples=1000)
@given(_BASES, st.dictionaries(_KEYS, _VALUES, max_size=2))
def test_what_is_accepted_loads_again(base: dict[str, Any], changes: dict[str, Any]) -> None:
    """A spec that validates is stored as schedule_to_dict and must validate to the same again.

    Changes may drop the name (it defaults to the id) or set any key to a value near a limit.
    """
    data = {key: value for key, value in (base | changes).items() if value is not None}
    try:
        schedule = validate_schedule(data, default_timezone=ZONE)
    except ScheduleInvalid:
        event("refused")
        return
    event("accepted")
    stored = json.loads(json.dumps(schedule_to_dict(schedule)))
    assert validate_schedule(stored, default_timezone=ZONE) == schedule
    # Whatever new input may be is loaded from the store too, and to the same schedule.
    assert validate_schedule(data, default_timezone=ZONE, stored=True) == schedule
    assert validate_schedule(stored, default_timezone=ZONE, stored=True) == schedule


_BEYOND = st.sampled_from(
    [
        ("catch_up", 8 * 86_400),
        ("catch_up", 1e300),
        ("tags", [f"t{index}" for index in range(25)]),
        ("tags", ["x" * 65]),
        ("retry", {"retries": 12, "base": 7200, "cap": 7200, "timeout": 1000}),
        ("retry", {"retries": 10**30}),
        ("start", "1960-01-01T00:00"),
        ("end", "2150-01-01T00:00Z"),
        ("end", "9999-12-31T23:59"),
        ("created", "0001-01-01T00:00"),
        ("anchor_date", "2200-01-01"),
        ("every", 2000),
        ("weekdays", ["mon"] * 101),
    ]
)


@settings(max_examples=300)
@given(_BASES, st.dictionaries(_KEYS, _VALUES, max_size=1), st.lists(_BEYOND, max_size=3))
def test_what_is_stored_loads_again(
    base: dict[str, Any], changes: dict[str, Any], beyond: list[tuple[str, Any]]
) -> None:
    """A stored spec, also one beyond the documented maxima, loads again from its stored form."""
    data = {
        key: value for key, value in (base | changes | dict(beyond)).items() if value is not None
    }
    try:
        schedule = validate_schedule(data, default_timezone=ZONE, stored=True)
    except ScheduleInvalid:
        event("refused")
        return
    event("accepted")
    stored = json.loads(json.dumps(schedule_to_dict(schedule)))
    assert validate_schedule(stored, default_timezone=ZONE, stored=True) == schedule


# --- stored specs: the maxima apply to new input only -------------------------------------------

_LONG_CRON = ",".join(str(minute) for minute in range(60)) + " 8 * * *"
STORED_CASES: list[tuple[dict[str, Any], set[tuple[str, str]]]] = [
    ({"catch_up": 8 * 86_400}, {("catch_up", "catch_up_out_of_range")}),
    ({"tags": [f"t{index}" for index in range(25)]}, {("tags", "too_many_tags")}),
    ({"tags": ["x" * 65]}, {("tags.0", "tag_too_long")}),
    ({"retry": {"retries": 12}}, {("retry.retries", "retries_out_of_range")}),
    (
        {"retry": {"base": 7200, "cap": 7200}},
        {("retry.base", "retry_delay_out_of_range"), ("retry.cap", "retry_delay_out_of_range")},
    ),
    ({"retry": {"timeout": 1000}}, {("retry.timeout", "timeout_out_of_range")}),
    (
        {"action": action(type="on", duration=8 * 86_400)},
        {("action.duration", "duration_too_large")},
    ),
    (
        {"action": action(type="on", transition=7200)},
        {("action.transition", "transition_out_of_range")},
    ),
    (
        {"action": {"type": "on", "target": {"entity_id": [f"light.l{i}" for i in range(101)]}}},
        {("action.target.entity_id", "too_many_targets"), ("action.target", "empty_target")},
    ),
    (
        {"action": {"type": "on", "target": {"device_id": ["d" * 256]}}},
        {("action.target.device_id.0", "target_id_too_long"), ("action.target", "empty_target")},
    ),
    (
        {"action": {"type": "custom", "sequence": [{"delay": 1}] * 101}},
        {("action.sequence", "too_many_items")},
    ),
    ({"type": "interval", "every": 400 * 86_400, **NO_TIMING}, {("every", "interval_too_large")}),
    ({"type": "cron", "cron": _LONG_CRON, **NO_TIMING}, {("cron", "cron_too_long")}),
    ({"every": 2000}, {("every", "every_out_of_range")}),
    ({"weekdays": ["mon"] * 101}, {("weekdays", "too_many_items")}),
    ({"anchor_date": "2200-01-01"}, {("anchor_date", "date_out_of_range")}),
    ({"start": "1960-01-01T00:00"}, {("start", "date_out_of_range")}),
    ({"end": "2150-01-01T00:00Z"}, {("end", "date_out_of_range")}),
    ({"type": "one_off", "at": "2150-01-01T00:00", **NO_TIMING}, {("at", "date_out_of_range")}),
]


@pytest.mark.parametrize(("changes", "strict"), STORED_CASES)
def test_a_stored_spec_beyond_a_maximum_loads(
    changes: dict[str, Any], strict: set[tuple[str, str]]
) -> None:
    data = spec(**changes)
    assert errors_of(data) == strict
    schedule = validate_schedule(data, default_timezone=ZONE, stored=True)
    stored = json.loads(json.dumps(schedule_to_dict(schedule)))
    assert validate_schedule(stored, default_timezone=ZONE, stored=True) == schedule


# Values the maths could not hold stay invalid in the store (they never loaded before either).
OVERFLOW_CASES: list[tuple[dict[str, Any], set[tuple[str, str]]]] = [
    ({"catch_up": 1e300}, {("catch_up", "catch_up_out_of_range")}),
    ({"catch_up": 10**400}, {("catch_up", "invalid_type")}),
    ({"catch_up": float("nan")}, {("catch_up", "invalid_type")}),
    ({"action": action(type="on", duration=1e15)}, {("action.duration", "duration_too_large")}),
    ({"type": "interval", "every": 1e15, **NO_TIMING}, {("every", "interval_too_large")}),
    ({"every": 10**12}, {("every", "every_out_of_range")}),
    ({"retry": {"retries": 10**30}}, {("retry.retries", "retries_out_of_range")}),
    ({"start": "0001-01-01T00:00"}, {("start", "date_out_of_range")}),
    ({"end": "9999-12-31T23:59:59"}, {("end", "date_out_of_range")}),
    ({"end": "9999-12-31T23:59:59+14:00"}, {("end", "date_out_of_range")}),
    ({"anchor_date": "0001-01-01"}, {("anchor_date", "date_out_of_range")}),
    ({"retry": {"retries": "12"}}, {("retry.retries", "invalid_type")}),
    ({"tags": [5]}, {("tags.0", "invalid_type")}),
    ({"level": 5}, {("level", "unknown_key")}),
]


@pytest.mark.parametrize(("changes", "expected"), OVERFLOW_CASES)
def test_a_stored_spec_keeps_its_type_and_overflow_checks(
    changes: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    assert errors_of(spec(**changes), stored=True) == expected
