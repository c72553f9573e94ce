"""Conversion between a local spec and a Bella's Reef server schedule, both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from typing import Any

from hypothesis import assume, given, settings, strategies as st
import pytest

from custom_components.reef_scheduler.api import RemoteSchedule, ScheduleCreate
from custom_components.reef_scheduler.api.models import format_datetime
from custom_components.reef_scheduler.engine.model import (
    CronTiming,
    Curve,
    RecurringTiming,
    Schedule,
)
from custom_components.reef_scheduler.engine.timeline import get_zone, next_runs
from custom_components.reef_scheduler.engine.validate import WEEKDAY_NAMES, validate_schedule
from custom_components.reef_scheduler.remote.convert import (
    NotSupportedByServer,
    Unconvertible,
    cron_to_utc,
    remote_to_spec,
    to_server,
)

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)  # a Monday, CET (+01:00)
SUMMER = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)  # CEST (+02:00)
MAPPING = {2: ("input_boolean.pump",), 3: ("light.led",)}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Pure conversions: no Home Assistant instance (a property test runs hundreds)."""


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


def stored(create: ScheduleCreate, created_at: datetime) -> RemoteSchedule:
    """Return what the server answers a creation with: the body sent, plus its own columns."""
    body = json.loads(json.dumps(create.to_json()))
    columns = {"next_run": None, "last_run": None, "last_run_status": None, "updated_at": None}
    return RemoteSchedule.from_json(
        body | columns | {"id": 7, "created_at": format_datetime(created_at)}
    )


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


# --- spec -> server ---------------------------------------------------------------------------


def local(**fields: Any) -> Schedule:
    """Return a validated Berlin schedule switching the pump on, with the given timing."""
    action = {"type": "on", "target": {"entity_id": ["input_boolean.pump"]}}
    spec = {"id": "new", "timezone": "Europe/Berlin", "action": action} | fields
    return validate_schedule(spec, default_timezone="UTC")


@pytest.mark.parametrize(
    ("fields", "start_time"),
    [
        # The first run of the window on the anchor's grid, not the anchor.
        (
            {"type": "interval", "every": 3600, "anchor": T0.isoformat()}
            | {"start": (T0 + timedelta(minutes=90)).isoformat()},
            T0 + timedelta(hours=2),
        ),
        # Without an anchor the grid starts at the window's start.
        (
            {"type": "interval", "every": 3600, "start": (T0 + timedelta(days=1)).isoformat()},
            T0 + timedelta(days=1),
        ),
        # A cron's window start is its start_time.
        (
            {"type": "cron", "cron": "30 7 * * *", "start": (T0 + timedelta(days=2)).isoformat()},
            T0 + timedelta(days=2),
        ),
        # A window that opens on a run keeps that run (08:00 in Berlin is 07:00 UTC).
        (
            {"type": "recurring", "frequency": "daily", "times": ["08:00"]}
            | {"start": "2026-01-14T07:00:00+00:00"},
            datetime(2026, 1, 14, 7, 0, tzinfo=UTC),
        ),
    ],
    ids=["interval_anchor", "interval", "cron", "recurring"],
)
def test_window_start_reaches_the_server(fields: dict[str, Any], start_time: datetime) -> None:
    schedule = local(**fields)
    create = to_server(schedule, "Europe/Berlin", MAPPING, T0)
    assert create.start_time == start_time
    _, back = remote_to_spec(stored(create, T0), MAPPING)
    first = next_runs(schedule, T0, 3, tz=get_zone("Europe/Berlin"))
    assert next_runs(back, T0, 3, tz=get_zone(back.timezone or "UTC")) == first


def test_one_off_before_its_window_is_not_sent() -> None:
    schedule = local(type="one_off", at=T0.isoformat(), start=(T0 + timedelta(hours=1)).isoformat())
    with pytest.raises(NotSupportedByServer, match="window"):
        to_server(schedule, "Europe/Berlin", MAPPING, T0 - timedelta(days=1))


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
    # The server takes any text as a zone; a folder of zones is no zone either.
    _, schedule = remote_to_spec(remote(timezone="Europe"), MAPPING)
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


# --- round trip -------------------------------------------------------------------------------

# The round trip draws what the server holds without loss; what it cannot hold is refused (see
# test_backend.py). Where a draw is narrower than a local schedule may be, this is why:
# - targets are whole mapped devices, sorted: the server stores device ids, and a device comes
#   back as all of its entities in order;
# - durations and intervals are whole seconds, the server's unit (fractions are refused);
# - recurring runs once a day, every day or on one weekday: the server's daily and weekly;
# - ``created`` is the instant of saving, as the runner stamps a new schedule: an interval
#   without anchor or window keeps the grid of its creation, which the server has as created_at.
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe")
# Device 3 drives two entities: the server stores device ids, so a target is whole devices.
DEVICES = {2: ("input_boolean.pump",), 3: ("light.led", "light.moon"), 4: ("number.pwm",)}
HORIZON = 20


def _seconds(low: int, high: int) -> st.SearchStrategy[int]:
    """Durations in whole seconds: the server's unit."""
    return st.integers(min_value=low, max_value=high)


def _instant(now: datetime, days: int) -> st.SearchStrategy[datetime]:
    """Instants around ``now`` (within ``days`` either side)."""
    return st.timedeltas(timedelta(days=-days), timedelta(days=days)).map(lambda d: now + d)


def _timings(now: datetime) -> dict[str, st.SearchStrategy[dict[str, Any]]]:
    """Timings the server has a form for, by type."""
    time_of_day = st.times().map(lambda at: at.replace(microsecond=0).isoformat())
    once_a_day = st.lists(time_of_day, min_size=1, max_size=1)
    field = st.sampled_from
    cron = st.tuples(
        field(["*", "0", "30", "*/15", "5,35", "0-10"]),
        field(["*", "0", "7", "23", "*/6", "8-17", "2,22"]),
        field(["*", "1", "15"]),
        field(["*", "1-6", "3"]),
        field(["*", "1-5", "0", "6", "1"]),
    ).map(" ".join)
    return {
        "one_off": _instant(now, 400).map(lambda at: {"type": "one_off", "at": at.isoformat()}),
        "interval": st.fixed_dictionaries(
            {"type": st.just("interval"), "every": _seconds(1, 40 * 86400)},
            optional={"anchor": _instant(now, 400).map(datetime.isoformat)},
        ),
        "cron": cron.map(lambda expression: {"type": "cron", "cron": expression}),
        "daily": st.fixed_dictionaries(
            {
                "type": st.just("recurring"),
                "frequency": st.just("daily"),
                "times": once_a_day,
                "weekdays": st.sampled_from([[], list(WEEKDAY_NAMES)]),
            }
        ),
        "weekly": st.fixed_dictionaries(
            {
                "type": st.just("recurring"),
                "frequency": st.just("weekly"),
                "times": once_a_day,
                "weekdays": st.sampled_from(WEEKDAY_NAMES).map(lambda day: [day]),
            }
        ),
    }


def _action() -> st.SearchStrategy[dict[str, Any]]:
    """Actions the server has a form for, on whole mapped devices."""
    devices = st.sets(st.sampled_from(sorted(DEVICES)), min_size=1)
    target = devices.map(
        lambda chosen: {"entity_id": sorted(e for device in chosen for e in DEVICES[device])}
    )
    level = st.floats(0, 100) | st.integers(0, 100)
    common = {"target": target}
    optional = {"transition": st.floats(0, 3600)}
    hold = {**optional, "duration": _seconds(1, 2 * 86400)}
    return st.one_of(
        st.fixed_dictionaries({"type": st.just("on"), **common}, optional=hold),
        st.fixed_dictionaries({"type": st.just("off"), **common}, optional=optional),
        st.fixed_dictionaries(
            {"type": st.sampled_from(["set_level", "set_pwm"]), "level": level, **common},
            optional=hold,
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("ramp"),
                "level": level,
                "duration": _seconds(1, 86400),
                "curve": st.sampled_from([curve.value for curve in Curve]),
                **common,
            },
            optional={**optional, "start_level": level},
        ),
    )


@st.composite
def _case(draw: st.DrawFn, kind: str) -> tuple[Schedule, str, datetime]:
    """Return a valid local schedule of a kind, its zone and the instant it is saved."""
    now = draw(st.datetimes(datetime(2025, 1, 1), datetime(2029, 12, 31), timezones=st.just(UTC)))
    zone = draw(st.sampled_from(ZONES))
    start = draw(st.none() | _instant(now, 60))
    length = st.timedeltas(timedelta(seconds=1), timedelta(days=120))
    end = draw(st.none() | length.map(lambda d: (start or now - timedelta(days=60)) + d))
    window = {"start": start, "end": end}
    spec = {
        "id": "new",
        "name": draw(st.text("abc ", min_size=1, max_size=5).filter(str.strip)),
        "enabled": draw(st.booleans()),
        "timezone": zone,
        # Saved the moment it is created (the server's created_at is that moment too).
        "created": now.isoformat(),
        **{key: value.isoformat() for key, value in window.items() if value is not None},
        **draw(_timings(now)[kind]),
        "action": draw(_action()),
    }
    return validate_schedule(spec, default_timezone="UTC"), zone, now


@pytest.mark.parametrize("kind", ["one_off", "interval", "cron", "daily", "weekly"])
@settings(max_examples=100)
@given(data=st.data())
def test_round_trip_runs_the_same(kind: str, data: st.DataObject) -> None:
    """What run-here makes of a saved schedule runs when the local one does and does the same."""
    original, zone, now = data.draw(_case(kind))
    try:
        create = to_server(original, zone, DEVICES, now)
    except NotSupportedByServer:
        assume(False)
    _, back = remote_to_spec(stored(create, now), DEVICES)

    expected = next_runs(original, now, HORIZON, tz=get_zone(zone))
    assert next_runs(back, now, HORIZON, tz=get_zone(back.timezone or "UTC")) == expected
    assert back.action == original.action
    assert (back.name, back.enabled) == (original.name, original.enabled)
