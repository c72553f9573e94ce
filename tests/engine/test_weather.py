"""Tests for clouds and storms: seeded by date and schedule, on the date's wall clock."""

from __future__ import annotations

from datetime import date, time, timedelta
from itertools import pairwise

from hypothesis import given, strategies as st
import pytest

from custom_components.reef_scheduler.engine.light_model import Clouds, Storm
from custom_components.reef_scheduler.engine.weather import (
    DAY_US,
    DEFAULT_STORM,
    FLASH_US,
    MINUTE_US,
    cloud_dips,
    flash_spans,
    storm_dips,
    storm_spans,
)

CLOUDS = Clouds(per_hour=2, depth=40, minutes=5)
DAY = date(2026, 6, 1)  # a Monday
HOUR_US = 60 * MINUTE_US


class TestClouds:
    """Same date and seed, same clouds; another date or seed, others."""

    def test_same_date_and_seed_give_the_same_clouds(self) -> None:
        assert cloud_dips(CLOUDS, "s1", DAY) == cloud_dips(CLOUDS, "s1", DAY)
        assert cloud_dips(CLOUDS, "s1", DAY)

    def test_another_date_or_seed_gives_other_clouds(self) -> None:
        first = cloud_dips(CLOUDS, "s1", DAY)
        assert cloud_dips(CLOUDS, "s1", DAY + timedelta(days=1)) != first
        assert cloud_dips(CLOUDS, "s2", DAY) != first

    def test_no_clouds(self) -> None:
        assert cloud_dips(None, "s1", DAY) == ()
        assert cloud_dips(Clouds(0, 40, 5), "s1", DAY) == ()
        assert cloud_dips(Clouds(2, 0, 5), "s1", DAY) == ()

    def test_weekdays(self) -> None:
        weekdays = Clouds(2, 40, 5, weekdays=frozenset({0}))
        assert cloud_dips(weekdays, "s1", DAY) == cloud_dips(CLOUDS, "s1", DAY)
        assert cloud_dips(weekdays, "s1", DAY + timedelta(days=1)) == ()

    def test_rate_depth_and_length(self) -> None:
        days = [DAY + timedelta(days=k) for k in range(60)]
        counts = [len(cloud_dips(CLOUDS, "rate", day)) for day in days]
        # 2 per hour over 24 hours, a little less as clouds wait for each other.
        assert 40 <= sum(counts) / len(counts) <= 50
        for day in days:
            dips = cloud_dips(CLOUDS, "rate", day)
            for dip in dips:
                assert 0.2 <= dip.depth <= 0.4
                assert 2.5 * MINUTE_US <= dip.end - dip.start <= 7.5 * MINUTE_US + 1
                assert dip.edge == (dip.end - dip.start) // 2
            assert all(a.end <= b.start for a, b in pairwise(dips))
            assert all(dip.start >= 0 and dip.end <= DAY_US for dip in dips)

    @given(
        per_hour=st.floats(0, 12),
        depth=st.floats(0, 90),
        minutes=st.floats(0.5, 60),
        seed=st.text(max_size=8),
    )
    def test_dips_never_overlap(
        self, per_hour: float, depth: float, minutes: float, seed: str
    ) -> None:
        dips = cloud_dips(Clouds(per_hour, depth, minutes), seed, DAY)
        assert all(a.end <= b.start for a, b in pairwise(dips))
        assert all(0 <= d.start < d.end <= DAY_US for d in dips)


class TestStorms:
    """Scheduled storms on their weekdays, on demand, merged; flashes of 300 ms."""

    STORM = Storm(30, 60, time(15), frozenset({0}), flash_channel="White", flashes_per_minute=3)

    def test_scheduled_on_its_weekdays(self) -> None:
        assert storm_spans(self.STORM, DAY) == ((15 * HOUR_US, 15 * HOUR_US + 30 * MINUTE_US),)
        assert storm_spans(self.STORM, DAY + timedelta(days=1)) == ()

    def test_every_day_without_weekdays(self) -> None:
        daily = Storm(30, 60, time(15))
        assert storm_spans(daily, DAY + timedelta(days=3)) == storm_spans(daily, DAY)

    def test_late_storm_goes_on_after_midnight(self) -> None:
        late = Storm(60, 60, time(23, 30))
        assert storm_spans(late, DAY) == (
            (-30 * MINUTE_US, 30 * MINUTE_US),
            (23 * HOUR_US + 30 * MINUTE_US, 24 * HOUR_US + 30 * MINUTE_US),
        )

    def test_on_demand_merges_with_scheduled(self) -> None:
        now = (14 * HOUR_US, 15 * HOUR_US + 10 * MINUTE_US)
        assert storm_spans(self.STORM, DAY, now) == ((14 * HOUR_US, 15 * HOUR_US + 30 * MINUTE_US),)
        assert storm_spans(None, DAY, now) == (now,)
        assert storm_spans(Storm(20, 60), DAY) == ()
        assert storm_spans(None, DAY, (5, 5)) == ()

    def test_dips(self) -> None:
        spans = ((0, 30 * MINUTE_US), (HOUR_US, HOUR_US + 4 * MINUTE_US))
        dips = storm_dips(self.STORM, spans)
        assert [(d.depth, d.edge) for d in dips] == [(0.6, 2 * MINUTE_US), (0.6, MINUTE_US)]
        assert storm_dips(None, spans)[0].depth == DEFAULT_STORM.depth / 100
        assert storm_dips(Storm(20, 0), spans) == ()

    def test_flashes(self) -> None:
        spans = storm_spans(self.STORM, DAY)
        flashes = flash_spans(self.STORM, spans, "s1", DAY)
        assert flashes == flash_spans(self.STORM, spans, "s1", DAY)
        assert flashes != flash_spans(self.STORM, spans, "s1", DAY + timedelta(days=7))
        assert 60 <= len(flashes) <= 90  # 3 a minute for 30 minutes; overlapping ones merge
        begin, end = spans[0]
        assert all(begin <= a < b <= end for a, b in flashes)
        assert all(b - a >= FLASH_US for a, b in flashes)
        assert all(a[1] < b[0] for a, b in pairwise(flashes))

    @pytest.mark.parametrize(
        "storm",
        [Storm(30, 60, time(15)), Storm(30, 60, time(15), flash_channel="W", flashes_per_minute=0)],
    )
    def test_no_flashes(self, storm: Storm) -> None:
        assert flash_spans(storm, storm_spans(storm, DAY), "s1", DAY) == ()
