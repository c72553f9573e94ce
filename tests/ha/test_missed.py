"""What becomes of missed runs (runner/missed.py): the rules, without Home Assistant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.reef_scheduler.engine.ledger import Trigger
from custom_components.reef_scheduler.engine.model import Schedule
from custom_components.reef_scheduler.engine.prescribed import Prescription, Steady
from custom_components.reef_scheduler.engine.timeline import get_zone
from custom_components.reef_scheduler.engine.validate import validate_schedule
from custom_components.reef_scheduler.runner.missed import (
    MAX_MISSED_RECORDS,
    PAUSED,
    Cause,
    Skip,
    StateCatchUps,
    missed_runs,
    triage,
)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
ZONE = "Europe/Berlin"


def every_minute(action: str) -> Schedule:
    """Return a schedule running every minute from a day before T0, catch-up window 5 min."""
    return validate_schedule(
        {
            "id": action,
            "name": action,
            "type": "interval",
            "every": 60,
            "anchor": (T0 - timedelta(days=1)).isoformat(),
            "catch_up": 300,
            "action": {"type": action, "target": {"entity_id": ["switch.pump"]}},
        },
        default_timezone=ZONE,
    )


def minutes(*values: int) -> list[datetime]:
    """Return T0 + each value in minutes."""
    return [T0 + timedelta(minutes=value) for value in values]


def test_missed_runs_are_listed_latest_first_and_bounded() -> None:
    schedule = every_minute("toggle")
    tz = get_zone(ZONE)
    runs, truncated = missed_runs(
        schedule, T0, T0 + timedelta(minutes=3), tz=tz, sun=None, excluded=None
    )
    assert (runs, truncated) == (minutes(3, 2, 1, 0), False)
    skipped = T0 + timedelta(minutes=2)
    runs, _ = missed_runs(
        schedule,
        T0,
        T0 + timedelta(minutes=3),
        tz=tz,
        sun=None,
        excluded=lambda _sid, due: due == skipped,
    )
    assert runs == minutes(3, 1, 0)
    runs, truncated = missed_runs(
        schedule, T0, T0 + timedelta(hours=5), tz=tz, sun=None, excluded=None
    )
    assert len(runs) == MAX_MISSED_RECORDS
    assert truncated
    assert runs[0] == T0 + timedelta(hours=5)
    # Missed since before the schedule's first run: the list ends with that run.
    first = T0 - timedelta(days=1)
    runs, truncated = missed_runs(
        schedule,
        first - timedelta(days=1),
        first + timedelta(minutes=1),
        tz=tz,
        sun=None,
        excluded=None,
    )
    assert (runs, truncated) == ([first + timedelta(minutes=1), first], False)


def test_a_state_catches_up_its_latest_run_and_skips_the_others() -> None:
    now = T0 + timedelta(minutes=30)
    missed = triage(every_minute("on"), minutes(30, 20, 10), now, cause=Cause.STOPPED)
    assert missed.catch_up == now
    reason = f"{Cause.STOPPED}; a later run replaced it"
    assert missed.skipped == (
        Skip(T0 + timedelta(minutes=10), reason, Trigger.CATCH_UP),
        Skip(T0 + timedelta(minutes=20), reason, Trigger.CATCH_UP),
    )
    assert triage(every_minute("on"), [], now, cause=Cause.STOPPED).catch_up is None


def test_an_event_catches_up_once_inside_its_window() -> None:
    now = T0 + timedelta(minutes=10)
    missed = triage(every_minute("toggle"), minutes(9, 8, 1), now, cause=Cause.CLOCK_STEP)
    assert missed.catch_up == T0 + timedelta(minutes=9)
    assert [(skip.due, skip.reason) for skip in missed.skipped] == [
        (T0 + timedelta(minutes=1), f"{Cause.CLOCK_STEP}; outside the catch-up window"),
        (T0 + timedelta(minutes=8), f"{Cause.CLOCK_STEP}; only the latest missed run is caught up"),
    ]
    late = triage(every_minute("toggle"), minutes(1), now, cause=Cause.STOPPED)
    assert late.catch_up is None
    assert late.skipped == (
        Skip(
            T0 + timedelta(minutes=1),
            f"{Cause.STOPPED}; outside the catch-up window",
            Trigger.CATCH_UP,
        ),
    )


def test_paused_runs_are_skipped_but_a_state_applies_its_latest() -> None:
    now = T0 + timedelta(minutes=10)
    until = T0 + timedelta(minutes=9)
    event = triage(
        every_minute("toggle"), minutes(9, 8), now, cause=Cause.STOPPED, paused_until=until
    )
    assert event.catch_up is None
    assert {(skip.reason, skip.trigger) for skip in event.skipped} == {(PAUSED, Trigger.TIMER)}
    state = triage(every_minute("on"), minutes(9, 8), now, cause=Cause.STOPPED, paused_until=until)
    assert state.catch_up == T0 + timedelta(minutes=9)
    assert state.skipped == (Skip(T0 + timedelta(minutes=8), PAUSED, Trigger.TIMER),)


def test_a_truncated_list_says_so_on_its_oldest_record() -> None:
    now = T0 + timedelta(minutes=10)
    missed = triage(every_minute("on"), minutes(10, 9), now, cause=Cause.STOPPED, truncated=True)
    assert missed.skipped[0].reason.endswith("(older missed runs are not listed)")


def prescription(entity_id: str, schedule_id: str, due: datetime) -> Prescription:
    """Return a steady "on" prescription."""
    return Prescription(
        entity_id, schedule_id, every_minute("on").action.type, due, due, Steady(100)
    )


def test_state_catch_ups_settle_entity_by_entity() -> None:
    pending = StateCatchUps()
    assert pending.add("a", 0, T0) is None
    assert pending.add("b", 3, T0) is None
    replaced = pending.add("b", 4, T0 + timedelta(minutes=1))
    assert replaced is not None
    assert replaced.slot == 3
    assert pending.add("gone", 0, T0) is None
    assert pending.add("empty", 0, T0) is None
    # "gone" no longer describes a state, "empty" reaches no entity: both are done now.
    done = pending.learn({"a": ["light.x", "light.y"], "b": ["light.y"], "empty": []})
    assert sorted(sid for sid, _ in done) == ["empty", "gone"]
    assert "a" in pending
    assert pending.get("a") is not None

    # light.y: "b" wins (a later run), "a" loses there; "b" is done.
    done = pending.settle("light.y", prescription("light.y", "b", T0 + timedelta(minutes=1)))
    assert [(sid, c.won, c.errors) for sid, c in done] == [("b", 1, {})]
    # light.x: "a" wins but the call failed.
    done = pending.settle("light.x", prescription("light.x", "a", T0), attempts=4, error="boom")
    assert [(sid, c.won, c.attempts, c.errors) for sid, c in done] == [
        ("a", 1, 4, {"light.x": "boom"})
    ]
    assert pending.settle("light.x", None) == []
    assert pending.get("a") is None


def test_a_replaced_catch_up_releases_its_entities() -> None:
    pending = StateCatchUps()
    pending.add("a", 0, T0)
    pending.add("b", 0, T0)
    pending.learn({"a": ["light.x"], "b": ["light.x"]})
    pending.add("a", 1, T0 + timedelta(minutes=1))  # a later missed run replaces it
    pending.learn({"a": ["light.x"], "b": ["light.x"]})
    pending.learn({"a": ["light.z"], "b": ["light.z"]})  # known entities stay as they were
    done = pending.settle("light.x", None)
    assert [(sid, c.slot, c.won) for sid, c in done] == [("a", 1, 0), ("b", 0, 0)]
    # A schedule deleted while its catch-up waits: nothing waits for its entity any more.
    pending.add("c", 0, T0)
    pending.learn({"c": ["light.q"]})
    assert pending.pop("c") is not None
    assert pending.settle("light.q", None) == []
