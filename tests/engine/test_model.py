"""Tests for the engine model."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, time, timedelta
import pathlib

import pytest

from custom_components.reef_scheduler.engine.model import (
    ActionType,
    CronTiming,
    FieldError,
    Frequency,
    IntervalTiming,
    OneOffTiming,
    RecurringTiming,
    ScheduleInvalid,
    ScheduleType,
    SunEvent,
    SunTiming,
    Target,
)

from .engine_helpers import make

ENGINE = pathlib.Path(__file__).parents[2] / "custom_components" / "reef_scheduler" / "engine"


@pytest.mark.parametrize(
    ("action", "idempotent"),
    [
        (ActionType.ON, True),
        (ActionType.OFF, True),
        (ActionType.SET_LEVEL, True),
        (ActionType.SET_PWM, True),
        (ActionType.RAMP, True),
        (ActionType.TOGGLE, False),
        (ActionType.CUSTOM, False),
    ],
)
def test_action_idempotent(action: ActionType, idempotent: bool) -> None:
    assert action.idempotent is idempotent


@pytest.mark.parametrize(
    ("timing", "kind"),
    [
        (OneOffTiming(datetime(2024, 1, 1, tzinfo=UTC)), ScheduleType.ONE_OFF),
        (IntervalTiming(timedelta(minutes=5)), ScheduleType.INTERVAL),
        (CronTiming("0 * * * *"), ScheduleType.CRON),
        (RecurringTiming(Frequency.DAILY, (time(8),)), ScheduleType.RECURRING),
        (SunTiming(SunEvent.SUNSET), ScheduleType.SUN),
    ],
)
def test_schedule_type(timing: object, kind: ScheduleType) -> None:
    assert make(timing).type is kind  # type: ignore[arg-type]


def test_target_is_empty() -> None:
    assert Target().is_empty
    assert not Target(area_ids=("reef",)).is_empty


def test_target_ids_in_order() -> None:
    target = Target(entity_ids=("light.reef",), device_ids=("d1",), area_ids=("tank",))
    assert target.ids == ("light.reef", "d1", "tank")
    assert Target().ids == ()


def test_schedule_is_frozen_and_defaults() -> None:
    schedule = make(CronTiming("0 * * * *"))
    assert schedule.catch_up == timedelta(minutes=15)
    assert schedule.retry.retries == 3
    with pytest.raises(AttributeError):
        schedule.name = "other"  # type: ignore[misc]


def test_schedule_invalid_keeps_all_errors() -> None:
    errors = [FieldError("cron", "invalid_cron"), FieldError("id", "required")]
    err = ScheduleInvalid(errors)
    assert err.errors == tuple(errors)
    assert str(err) == "cron: invalid_cron, id: required"
    assert isinstance(err, ValueError)


def test_engine_has_no_homeassistant_import() -> None:
    for path in ENGINE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(name.split(".")[0] == "homeassistant" for name in names), path
