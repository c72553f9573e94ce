"""Tests of the client's models: JSON parsing, request bodies and datetime handling."""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.reef_scheduler.api import (
    UNSET,
    ActionStatus,
    ActionType,
    BellasReefRequestError,
    CleanupResult,
    DeviceAction,
    DeviceActionCreate,
    DeviceActionStats,
    DeviceActionUpdate,
    Health,
    RemoteSchedule,
    RunStatus,
    ScheduleCreate,
    ScheduleStats,
    ScheduleType,
    ScheduleUpdate,
    User,
)
from custom_components.reef_scheduler.api.models import (
    SchemaError,
    format_datetime,
    parse_datetime,
    parse_list,
    parse_token,
)

# Trimmed from the contract's §7 examples.
SCHEDULE_JSON: dict[str, Any] = {
    "name": "Lights on once",
    "device_ids": [2],
    "schedule_type": "one_off",
    "cron_expression": None,
    "interval_seconds": None,
    "start_time": "2026-11-22T12:15:00Z",
    "end_time": None,
    "timezone": "UTC",
    "is_enabled": True,
    "action_type": "on",
    "action_params": None,
    "id": 1,
    "next_run": None,
    "last_run": "2026-11-22T12:13:10.045531Z",
    "last_run_status": "failed",
    "created_at": "2026-11-22T12:05:00.325396Z",
    "updated_at": None,
}
ACTION_JSON: dict[str, Any] = {
    "device_id": 2,
    "action_type": "set_pwm",
    "parameters": {"target": 55},
    "scheduled_time": "2026-11-22T12:05:44Z",
    "id": 1,
    "schedule_id": 1,
    "status": "success",
    "executed_time": None,
    "result": {"manual_execution": True, "executed_by": "bellas"},
    "error_message": None,
    "created_at": "2026-11-22T12:05:44.639026Z",
    "updated_at": None,
}
AT = datetime(2026, 12, 24, 17, 0, tzinfo=UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=12,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22T12:05:00.325396Z", datetime(2026, 11, 22, 12, 5, 0, 325396, tzinfo=UTC)),
        ("2026-12-24T18:00:00+01:00", datetime(2026, 12, 24, 17, 0, tzinfo=UTC)),
        # Naive server timestamps are UTC (core's /health, Q8).
        ("2026-11-22T12:03:56.082285", datetime(2026, 11, 22, 12, 3, 56, 82285, tzinfo=UTC)),
    ],
)
def test_parse_datetime_is_aware_utc(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_format_datetime_uses_z_and_refuses_naive() -> None:
    berlin = timezone(timedelta(hours=1))
    assert format_datetime(datetime(2026, 12, 24, 18, 0, tzinfo=berlin)) == "2026-12-24T17:00:00Z"
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2026, 12, 24, 18, 0))


@given(st.datetimes(timezones=st.just(UTC)), st.timezones())
def test_format_then_parse_round_trips(instant: datetime, zone: tzinfo) -> None:
    # Real instants shown in any zone (a wall-clock time inside a DST gap is no instant).
    value = instant.astimezone(zone)
    assert parse_datetime(format_datetime(value)) == value


def test_remote_schedule_from_json() -> None:
    schedule = RemoteSchedule.from_json(SCHEDULE_JSON)
    assert schedule.id == 1
    assert schedule.device_ids == (2,)
    assert schedule.schedule_type is ScheduleType.ONE_OFF
    assert schedule.action_type is ActionType.ON
    assert schedule.start_time == datetime(2026, 11, 22, 12, 15, tzinfo=UTC)
    assert schedule.last_run_status is RunStatus.FAILED
    assert schedule.next_run is None
    assert schedule.created_at.tzinfo is UTC
    with pytest.raises(AttributeError):
        schedule.name = "x"  # type: ignore[misc]


def test_remote_schedule_null_device_ids_read_as_empty() -> None:
    schedule = RemoteSchedule.from_json({**SCHEDULE_JSON, "device_ids": None})
    assert schedule.device_ids == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "1"}, r"schedule\.id: expected an integer, got str"),
        ({"id": True}, r"schedule\.id: expected an integer, got bool"),
        ({"name": None}, r"schedule\.name: expected a string, got null"),
        ({"is_enabled": "yes"}, r"schedule\.is_enabled: expected a boolean"),
        ({"schedule_type": "daily"}, r"schedule\.schedule_type: expected one of"),
        ({"start_time": "tomorrow"}, r"schedule\.start_time: expected an ISO-8601 datetime"),
        ({"start_time": 5}, r"schedule\.start_time: expected a string"),
        ({"device_ids": [1, "2"]}, r"schedule\.device_ids: expected an array of integers"),
        ({"device_ids": {}}, r"schedule\.device_ids: expected an array"),
        ({"action_params": [1]}, r"schedule\.action_params: expected an object"),
    ],
)
def test_remote_schedule_rejects_bad_fields(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        RemoteSchedule.from_json({**SCHEDULE_JSON, **change})


def test_missing_required_field_and_non_object() -> None:
    body = {k: v for k, v in SCHEDULE_JSON.items() if k != "created_at"}
    with pytest.raises(SchemaError, match=r"created_at: expected a string, got nothing"):
        RemoteSchedule.from_json(body)
    with pytest.raises(SchemaError, match="expected an object, got list"):
        RemoteSchedule.from_json([])
    with pytest.raises(SchemaError, match="expected an array, got dict"):
        parse_list({})


@given(json_values)
def test_parsers_only_raise_schema_error(data: Any) -> None:
    for parser in (RemoteSchedule.from_json, DeviceAction.from_json, ScheduleStats.from_json):
        with suppress(SchemaError):
            parser(data)


def test_other_models_from_json() -> None:
    user = User.from_json(
        {
            "id": 1,
            "username": "bellas",
            "email": None,
            "phone_number": None,
            "is_active": True,
            "is_admin": False,
            "created_at": "2026-11-22T12:00:00Z",
            "updated_at": None,
        }
    )
    assert user.username == "bellas"
    health = Health.from_json({"status": "healthy", "timestamp": "2026-11-22T12:03:56.082285"})
    assert health.is_healthy
    assert health.timestamp == datetime(2026, 11, 22, 12, 3, 56, 82285, tzinfo=UTC)
    assert not Health.from_json({"status": "degraded", "service": "x"}).is_healthy
    action = DeviceAction.from_json(ACTION_JSON)
    assert action.status is ActionStatus.SUCCESS
    assert action.result == {"manual_execution": True, "executed_by": "bellas"}
    stats = ScheduleStats.from_json(
        {
            "total_schedules": 23,
            "enabled_schedules": 4,
            "schedules_by_type": {"cron": 5, "static": 2},
            "next_runs": [
                {
                    "id": 3,
                    "name": "Daily",
                    "next_run": "2026-11-23T07:30:00Z",
                    "schedule_type": "cron",
                }
            ],
        }
    )
    assert stats.schedules_by_type == {"cron": 5, "static": 2}
    assert stats.next_runs[0].next_run == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    with pytest.raises(SchemaError, match="schedules_by_type: expected an object of integers"):
        ScheduleStats.from_json(
            {"total_schedules": 1, "enabled_schedules": 1, "schedules_by_type": {"cron": "5"}}
        )
    action_stats = DeviceActionStats.from_json(
        {
            "total_actions": 3,
            "pending_actions": 1,
            "successful_actions": 1,
            "failed_actions": 1,
            "actions_by_status": {"pending": 1},
        }
    )
    assert action_stats.actions_by_status == {"pending": 1}
    assert CleanupResult.from_json({"deleted_count": 2, "days": 30}) == CleanupResult(2, 30)


def test_parse_token() -> None:
    assert parse_token({"access_token": "abc", "token_type": "bearer"}) == "abc"
    with pytest.raises(SchemaError, match="not bearer"):
        parse_token({"access_token": "abc", "token_type": "mac"})


@pytest.mark.parametrize(
    ("kind", "specific", "value"),
    [
        (ScheduleType.CRON, "cron_expression", "30 7 * * *"),
        (ScheduleType.INTERVAL, "interval_seconds", 60),
        (ScheduleType.ONE_OFF, "start_time", AT),
    ],
)
def test_schedule_create_always_sends_type_specific_keys(
    kind: ScheduleType, specific: str, value: Any
) -> None:
    create = ScheduleCreate(
        name="x", schedule_type=kind, action_type=ActionType.ON, **{specific: value}
    )
    body = create.to_json()
    # Every type-specific key is present, so the server's validators always run (Q2).
    assert {"cron_expression", "interval_seconds", "start_time"} <= body.keys()
    assert body["schedule_type"] == kind.value
    assert body["action_type"] == "on"
    assert body["device_ids"] == []


def test_schedule_create_body_formats_values() -> None:
    berlin = timezone(timedelta(hours=1))
    create = ScheduleCreate(
        name="Sunset",
        schedule_type=ScheduleType.ONE_OFF,
        action_type=ActionType.RAMP,
        device_ids=(2, 3),
        start_time=datetime(2026, 12, 24, 18, 0, tzinfo=berlin),
        action_params={"levels": [0, 80], "curve": {"kind": "linear"}},
    )
    assert create.to_json() == {
        "name": "Sunset",
        "schedule_type": "one_off",
        "action_type": "ramp",
        "device_ids": [2, 3],
        "cron_expression": None,
        "interval_seconds": None,
        "start_time": "2026-12-24T17:00:00Z",
        "end_time": None,
        "timezone": "UTC",
        "is_enabled": True,
        "action_params": {"levels": [0, 80], "curve": {"kind": "linear"}},
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"schedule_type": ScheduleType.CRON}, "cron_expression is required"),
        (
            {"schedule_type": ScheduleType.CRON, "cron_expression": ""},
            "cron_expression is required",
        ),
        ({"schedule_type": ScheduleType.INTERVAL}, "interval_seconds is required"),
        ({"schedule_type": ScheduleType.INTERVAL, "interval_seconds": 0}, "at least 1"),
        ({"schedule_type": ScheduleType.ONE_OFF}, "start_time is required"),
        (
            {"schedule_type": ScheduleType.ONE_OFF, "start_time": datetime(2026, 1, 1)},
            "timezone-aware",
        ),
        ({"schedule_type": ScheduleType.STATIC, "name": ""}, "1 to 100"),
        ({"schedule_type": ScheduleType.STATIC, "name": "n" * 101}, "1 to 100"),
    ],
)
def test_schedule_create_validates_locally(fields: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {"name": "x", "action_type": ActionType.ON}
    with pytest.raises(ValueError, match=message):
        ScheduleCreate(**{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"interval_seconds": None}, "interval_seconds cannot be cleared"),
        ({"cron_expression": None}, "cron_expression cannot be cleared"),
        ({"cron_expression": ""}, "cron_expression cannot be cleared"),
        ({"start_time": None}, "start_time cannot be cleared"),
        ({"schedule_type": ScheduleType.CRON}, "cron_expression is required"),
        (
            {"schedule_type": ScheduleType.INTERVAL, "interval_seconds": None},
            "interval_seconds is required",
        ),
        (
            {"schedule_type": ScheduleType.ONE_OFF, "start_time": None},
            "start_time is required",
        ),
    ],
)
def test_schedule_update_never_breaks_the_row(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(BellasReefRequestError, match=message):
        ScheduleUpdate(**fields)


def test_remote_schedule_round_trips_through_json() -> None:
    remote = RemoteSchedule.from_json(SCHEDULE_JSON)
    assert RemoteSchedule.from_json(remote.to_json()) == remote


def test_schedule_create_matches_remote() -> None:
    create = ScheduleCreate(
        name="Lights on once",
        schedule_type=ScheduleType.ONE_OFF,
        action_type=ActionType.ON,
        device_ids=(2,),
        start_time=datetime(2026, 11, 22, 12, 15, tzinfo=UTC),
    )
    remote = RemoteSchedule.from_json({**SCHEDULE_JSON, "last_run": None, "last_run_status": None})
    assert create.matches(remote)
    assert not create.matches(RemoteSchedule.from_json({**SCHEDULE_JSON, "name": "other"}))


def test_schedule_update_sends_only_set_fields() -> None:
    assert ScheduleUpdate().to_json() == {}
    update = ScheduleUpdate(is_enabled=False, end_time=None)
    assert update.to_json() == {"end_time": None, "is_enabled": False}
    cron = ScheduleUpdate(
        start_time=AT, schedule_type=ScheduleType.CRON, cron_expression="0 8 * * *"
    )
    assert cron.to_json() == {
        "schedule_type": "cron",
        "cron_expression": "0 8 * * *",
        "start_time": "2026-12-24T17:00:00Z",
    }
    # Another type's field may be cleared along with the type change (a full PUT does).
    change = ScheduleUpdate(
        schedule_type=ScheduleType.INTERVAL, interval_seconds=60, cron_expression=None
    )
    assert change.to_json()["cron_expression"] is None
    assert update.name is UNSET
    assert repr(UNSET) == "UNSET"
    with pytest.raises(ValueError, match="1 to 100"):
        ScheduleUpdate(name="")
    with pytest.raises(ValueError, match="at least 1"):
        ScheduleUpdate(interval_seconds=0)
    with pytest.raises(ValueError, match="timezone-aware"):
        ScheduleUpdate(end_time=datetime(2026, 1, 1))


def test_device_action_bodies() -> None:
    create = DeviceActionCreate(
        device_id=2, action_type=ActionType.SET_PWM, scheduled_time=AT, parameters={"target": 55}
    )
    assert create.to_json() == {
        "device_id": 2,
        "action_type": "set_pwm",
        "scheduled_time": "2026-12-24T17:00:00Z",
        "parameters": {"target": 55},
        "schedule_id": None,
    }
    update = DeviceActionUpdate(status=ActionStatus.FAILED, error_message="light unavailable")
    assert update.to_json() == {"status": "failed", "error_message": "light unavailable"}
    with pytest.raises(ValueError, match="timezone-aware"):
        DeviceActionCreate(
            device_id=2, action_type=ActionType.ON, scheduled_time=datetime(2026, 1, 1)
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        DeviceActionUpdate(executed_time=datetime(2026, 1, 1))


def test_unsendable_value_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="cannot send set as JSON"):
        ScheduleUpdate(action_params={"x": {1, 2}}).to_json()  # type: ignore[dict-item]
