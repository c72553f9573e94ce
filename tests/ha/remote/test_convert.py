"""Conversion between a local spec and a Bella's Reef server schedule, both ways."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from custom_components.reef_scheduler.api import RemoteSchedule
from custom_components.reef_scheduler.engine.model import CronTiming, RecurringTiming
from custom_components.reef_scheduler.remote.convert import (
    NotSupportedByServer,
    Unconvertible,
    cron_to_utc,
    remote_to_spec,
)

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)  # a Monday, CET (+01:00)
SUMMER = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)  # CEST (+02:00)
MAPPING = {2: ("input_boolean.pump",), 3: ("light.led",)}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Pure conversions: no Home Assistant instance."""


def remote(**fields: Any) -> RemoteSchedule:
    """Return a server schedule as the client parses it."""
    data: dict[str, Any] = {
        "id": 7,
        "name": "Seeded",
        "device_ids": [2],
        "schedule_type": "interval",
        "interval_seconds": 60,
        "cron_expression": None,
        "start_time": None,
        "end_time": None,
        "timezone": "Europe/Berlin",
        "is_enabled": True,
        "action_type": "on",
        "action_params": None,
        "created_at": T0.isoformat(),
    }
    return RemoteSchedule.from_json(data | fields)


# --- cron to UTC ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "zone", "at", "expected"),
    [
        ("30 7 * * *", "Europe/Berlin", T0, "30 6 * * *"),
        ("30 7 * * *", "Europe/Berlin", SUMMER, "30 5 * * *"),
        ("30 7 * * *", "UTC", T0, "30 7 * * *"),
        ("*/15 * * * *", "Europe/Berlin", T0, "*/15 * * * *"),
        ("0 */6 * * *", "Europe/Berlin", T0, "0 5,11,17,23 * * *"),
        ("0 0 * * 1-5", "Europe/Berlin", T0, "0 23 * * 0,1,2,3,4"),
        ("0 23 * * 1", "America/New_York", T0, "0 4 * * 2"),
        ("15 8 * * *", "Asia/Kolkata", T0, "45 2 * * *"),
        ("10 * * * *", "Asia/Kolkata", T0, "40 * * * *"),
    ],
)
def test_cron_to_utc(expression: str, zone: str, at: datetime, expected: str) -> None:
    assert cron_to_utc(expression, zone, at) == expected


@pytest.mark.parametrize(
    ("expression", "zone"),
    [
        ("0 0 1 * *", "Europe/Berlin"),
        ("0 8 * * * 5", "Europe/Berlin"),
        ("0 0 * * MON", "Europe/Berlin"),
        ("0 0,12 * * 1", "Europe/Berlin"),
        ("0,30 8 * * *", "Asia/Kolkata"),
    ],
)
def test_cron_to_utc_not_supported(expression: str, zone: str) -> None:
    with pytest.raises(NotSupportedByServer):
        cron_to_utc(expression, zone, T0)


# --- server -> spec ---------------------------------------------------------------------------


def test_remote_to_spec_conversions() -> None:
    _, schedule = remote_to_spec(remote(start_time=T0.isoformat()), MAPPING)
    assert schedule.timing.anchor == T0

    _, schedule = remote_to_spec(
        remote(
            schedule_type="recurring",
            start_time="2026-01-14T17:00:00Z",
            action_params={"recurring_pattern": {"frequency": "weekly"}},
        ),
        MAPPING,
    )
    assert isinstance(schedule.timing, RecurringTiming)
    assert [t.isoformat() for t in schedule.timing.times] == ["18:00:00"]
    assert schedule.timing.weekdays == frozenset({2})

    spec, _ = remote_to_spec(
        remote(
            schedule_type="recurring",
            start_time=T0.isoformat(),
            action_params={"recurring_pattern": {"frequency": "monthly"}},
        ),
        MAPPING,
    )
    assert (spec["type"], spec["every"]) == ("interval", 30 * 86400)

    spec, schedule = remote_to_spec(
        remote(schedule_type="static", start_time=T0.isoformat(), timezone="Mars/Olympus"),
        MAPPING,
    )
    assert (spec["type"], spec["frequency"], spec["times"]) == ("recurring", "daily", ["09:00:00"])
    assert schedule.timezone == "UTC"

    _, schedule = remote_to_spec(
        remote(
            schedule_type="cron",
            cron_expression="30 6 * * *",
            timezone="UTC",
            action_type="ramp",
            action_params={
                "start_level": 0,
                "end_level": 80,
                "duration": 1800,
                "curve": "smooth",
                "reef_scheduler": {
                    "timing": {"type": "cron", "cron": "30 7 * * *"},
                    "timezone": "Europe/Berlin",
                    "fingerprint": "stale",
                },
            },
            device_ids=[3],
        ),
        MAPPING,
    )
    assert schedule.timing == CronTiming("30 6 * * *")  # hint no longer matches: server's cron
    assert schedule.timezone == "UTC"
    assert (schedule.action.level, schedule.action.start_level) == (80, 0)
    assert schedule.action.target.entity_ids == ("light.led",)


@pytest.mark.parametrize(
    "bad",
    [
        remote(device_ids=[4]),
        remote(action_type="custom"),
        remote(schedule_type="one_off", interval_seconds=None),
        remote(action_type="set_level"),  # no level
    ],
    ids=["unmapped", "custom", "no_timing_field", "no_level"],
)
def test_remote_to_spec_unconvertible(bad: RemoteSchedule) -> None:
    with pytest.raises(Unconvertible):
        remote_to_spec(bad, MAPPING)
