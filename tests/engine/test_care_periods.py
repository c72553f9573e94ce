"""Care periods as pure functions: held levels, levels before, merging, ending, pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from custom_components.reef_scheduler.engine.care_model import CareKind, CarePeriod, DeviceHold
from custom_components.reef_scheduler.engine.care_periods import (
    began,
    ended,
    held_levels,
    level_before,
    merged,
    next_change,
    pause_end,
    with_before,
)

T0 = datetime(2026, 3, 4, 10, tzinfo=UTC)
PUMP, SKIMMER, LIGHT = "switch.pump", "switch.skimmer", "light.blue"
MIN = timedelta(minutes=1)


def feed(start: datetime = T0, minutes: int = 10, **fields: object) -> CarePeriod:
    """Return feed mode holding the pump (at once) and the skimmer (5 min later)."""
    devices = (DeviceHold(PUMP), DeviceHold(SKIMMER, restore_after=5 * MIN))
    return CarePeriod(CareKind.FEED, start, start + minutes * MIN, devices, **fields)  # type: ignore[arg-type]


def test_a_period_holds_each_device_until_its_stage() -> None:
    period = feed()
    assert period.held_level(LIGHT, T0) is None
    assert period.release(LIGHT) is None
    assert held_levels({CareKind.FEED: period}, T0 + 9 * MIN) == {PUMP: 0.0, SKIMMER: 0.0}
    assert held_levels({CareKind.FEED: period}, T0 + 10 * MIN) == {SKIMMER: 0.0}
    assert held_levels({CareKind.FEED: period}, T0 + 15 * MIN) == {}
    assert period.last_release == T0 + 15 * MIN
    assert next_change([period], T0) == T0 + 10 * MIN
    assert next_change([period], T0 + 10 * MIN) == T0 + 15 * MIN
    assert next_change([period], T0 + 15 * MIN) is None


def test_maintenance_wins_and_the_level_before_is_the_first_periods() -> None:
    maintenance = CarePeriod(CareKind.MAINTENANCE, T0, T0 + 60 * MIN, (DeviceHold(LIGHT, 30.0),))
    maintenance = with_before(maintenance, {}, {LIGHT: 80.0}, T0)
    assert began(maintenance)
    periods = {CareKind.MAINTENANCE: maintenance}
    fed = CarePeriod(CareKind.FEED, T0 + MIN, T0 + 5 * MIN, (DeviceHold(LIGHT), DeviceHold(PUMP)))
    assert not began(fed)
    fed = with_before(fed, periods, {LIGHT: 30.0, PUMP: 100.0}, T0 + MIN)
    assert dict(fed.before) == {LIGHT: 80.0, PUMP: 100.0}
    periods[CareKind.FEED] = fed
    assert held_levels(periods, T0 + 2 * MIN) == {LIGHT: 30.0, PUMP: 0.0}
    assert level_before(periods, LIGHT) == 80.0
    assert level_before(periods, "switch.other") is None


def test_asking_again_extends_a_period_under_way_and_replaces_one_over() -> None:
    old = with_before(feed(), {}, {PUMP: 100.0, SKIMMER: 100.0}, T0)
    again = CarePeriod(CareKind.FEED, T0 + 8 * MIN, T0 + 18 * MIN, (DeviceHold(LIGHT),))
    extended = merged(old, again, T0 + 8 * MIN)
    assert (extended.start, extended.end) == (T0, T0 + 18 * MIN)
    assert [d.entity_id for d in extended.devices] == [PUMP, SKIMMER, LIGHT]
    assert dict(extended.before) == {PUMP: 100.0, SKIMMER: 100.0}
    # In its stages (the pump restored, the skimmer not yet): a new period from now.
    late = CarePeriod(CareKind.FEED, T0 + 12 * MIN, T0 + 22 * MIN, (DeviceHold(PUMP),))
    staged = merged(old, late, T0 + 12 * MIN)
    assert (staged.start, staged.end) == (T0 + 12 * MIN, T0 + 22 * MIN)
    assert dict(staged.before) == {SKIMMER: 100.0}
    assert merged(old, late, T0 + 20 * MIN) is late
    assert merged(None, late, T0) is late


def test_ending_and_pauses() -> None:
    period = feed(schedule_ids=frozenset({"chosen"}), tags=frozenset({"dosing"}))
    assert ended(period, T0 + 3 * MIN).end == T0 + 3 * MIN  # type: ignore[union-attr]
    assert ended(period, T0 - MIN) is None
    at = T0 + MIN
    assert pause_end([period], "pumping", (), (PUMP,), at) == T0 + 10 * MIN
    assert pause_end([period], "skim", (), (PUMP, SKIMMER), at) == T0 + 15 * MIN
    assert pause_end([period], "chosen", (), (), at) == T0 + 10 * MIN
    assert pause_end([period], "dose", ("dosing",), (), at) == T0 + 10 * MIN
    assert pause_end([period], "other", (), (LIGHT,), at) is None
    assert pause_end([period], "pumping", (), (PUMP,), T0 - MIN) is None  # not begun
    assert pause_end([period], "pumping", (), (PUMP,), T0 + 10 * MIN) is None  # released
    before = MappingProxyType({PUMP: None})
    assert began(CarePeriod(CareKind.FEED, T0, T0, (DeviceHold(PUMP),), before=before))
