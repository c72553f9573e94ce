"""Tests for the profile maths: ramps, point profiles, steps and transition segments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.reef_scheduler.engine.profile import (
    Curve,
    PointProfile,
    Ramp,
    first_true,
    round_level,
    steps,
    transition_segments,
)

from .engine_helpers import assert_next_change_contract

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
US = timedelta(microseconds=1)

instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
# Halves hit the rounding thresholds exactly; arbitrary floats hit everything in between.
levels = st.one_of(st.floats(min_value=0, max_value=100), st.integers(0, 200).map(lambda n: n / 2))
durations = st.one_of(
    st.just(timedelta(0)),
    st.timedeltas(min_value=US, max_value=timedelta(milliseconds=5)),
    st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=2)),
)
ramps = st.builds(Ramp, instants, durations, levels, levels, st.sampled_from(Curve))


@st.composite
def point_profiles(draw: st.DrawFn) -> PointProfile:
    """Draw a profile with 1-6 points at strictly increasing instants."""
    start = draw(instants)
    gaps = draw(st.lists(st.timedeltas(min_value=US, max_value=timedelta(hours=6)), max_size=5))
    moments = [start]
    for gap in gaps:
        moments.append(moments[-1] + gap)
    return PointProfile(tuple((moment, draw(levels)) for moment in moments))


def ramp(
    start_level: float = 0.0,
    end_level: float = 100.0,
    curve: Curve = Curve.LINEAR,
    duration: timedelta = HOUR,
) -> Ramp:
    """Build a ramp starting at T0."""
    return Ramp(T0, duration, start_level, end_level, curve)


class TestRoundLevel:
    """Half-up rounding, robust to float noise."""

    @pytest.mark.parametrize(
        ("level", "expected"),
        [(0.0, 0), (0.5, 1), (1.5, 2), (2.5, 3), (2.4999999, 2), (0.49999999999999994, 0)],
    )
    def test_values(self, level: float, expected: int) -> None:
        assert round_level(level) == expected


class TestFirstTrue:
    """The guess only affects cost, never the answer."""

    @pytest.mark.parametrize("guess", [-50, 0, 1, 2, 36, 37, 38, 60, 99, 100, 500])
    def test_any_guess_finds_the_boundary(self, guess: int) -> None:
        calls: list[int] = []

        def reached(k: int) -> bool:
            calls.append(k)
            return k >= 37

        assert first_true(reached, 0, 100, guess) == 37
        assert all(0 < k <= 100 for k in calls)

    def test_accurate_guess_is_cheap(self) -> None:
        calls: list[int] = []

        def reached(k: int) -> bool:
            calls.append(k)
            return k >= 1_234_567

        assert first_true(reached, -1, 3_600_000_000, 1_234_567) == 1_234_567
        assert len(calls) == 2


class TestRamp:
    """Level function and validation of a single ramp."""

    @pytest.mark.parametrize("curve", list(Curve))
    def test_level_is_clamped_outside_the_ramp(self, curve: Curve) -> None:
        r = ramp(20, 80, curve)
        assert r.level_at(T0 - HOUR) == 20
        assert r.level_at(T0) == 20
        assert r.level_at(r.end) == 80
        assert r.level_at(r.end + HOUR) == 80
        assert r.level_at(T0 + HOUR / 2) == pytest.approx(50)

    def test_end_and_knots(self) -> None:
        r = ramp()
        assert r.end == T0 + HOUR
        assert r.knots == (T0, T0 + HOUR)

    def test_linear_level(self) -> None:
        assert ramp().level_at(T0 + HOUR / 4) == pytest.approx(25)
        assert ramp(100, 0).rounded_level_at(T0 + HOUR / 4) == 75

    def test_smooth_eases_in_and_out(self) -> None:
        r = ramp(curve=Curve.SMOOTH)
        # Smoothstep at u = 0.25 is 3/16 - 2/64 = 0.15625.
        assert r.level_at(T0 + HOUR / 4) == pytest.approx(15.625)
        assert r.level_at(T0 + HOUR * 3 / 4) == pytest.approx(84.375)

    def test_zero_duration_is_a_step_at_start(self) -> None:
        r = ramp(10, 90, duration=timedelta(0))
        assert r.level_at(T0 - US) == 10
        assert r.level_at(T0) == 90
        assert r.next_change(T0 - HOUR) == T0
        assert r.next_change(T0) is None

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"start_level": -1}, "start_level"),
            ({"end_level": 100.5}, "end_level"),
            ({"end_level": float("nan")}, "end_level"),
            ({"duration": -US}, "duration"),
        ],
    )
    def test_invalid(self, kwargs: dict[str, float | timedelta], message: str) -> None:
        values: dict[str, object] = {
            "start": T0,
            "duration": HOUR,
            "start_level": 0.0,
            "end_level": 100.0,
            "curve": Curve.LINEAR,
        }
        values.update(kwargs)
        with pytest.raises(ValueError, match=message):
            Ramp(**values)  # type: ignore[arg-type]

    def test_naive_start_is_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            Ramp(datetime(2025, 1, 1), HOUR, 0, 100, Curve.LINEAR)


class TestNextChange:
    """next_change: analytic, exact to the microsecond, None when done."""

    def test_first_change_of_linear_ramp(self) -> None:
        # 0 -> 100 over an hour: 0.5 % is reached at 18 s exactly.
        assert ramp().next_change(T0) == T0 + timedelta(seconds=18)
        assert ramp().next_change(T0 - HOUR) == T0 + timedelta(seconds=18)

    def test_falling_ramp_changes_strictly_below_the_half(self) -> None:
        # 100 -> 0: level 99.5 (at 18 s) still rounds to 100; one microsecond later it is 99.
        assert ramp(100, 0).next_change(T0) == T0 + timedelta(seconds=18) + US

    def test_none_when_finished_or_flat(self) -> None:
        assert ramp().next_change(T0 + HOUR) is None
        assert ramp().next_change(T0 + 2 * HOUR) is None
        assert ramp(40, 40).next_change(T0) is None
        # Moves, but never to another whole percent.
        assert ramp(40.1, 40.4).next_change(T0) is None

    @pytest.mark.parametrize("curve", list(Curve))
    @pytest.mark.parametrize(("low", "high"), [(0, 100), (100, 0)])
    def test_sixty_minute_full_ramp(self, curve: Curve, low: float, high: float) -> None:
        calls = list(steps(ramp(low, high, curve), T0))
        assert len(calls) == 101
        assert {abs(b - a) for (_, a), (_, b) in pairwise(calls)} == {1}
        assert [level for _, level in calls][:: 100 if low == 0 else -100] == [0, 100]
        assert all(t1 < t2 for (t1, _), (t2, _) in pairwise(calls))
        assert calls[-1][0] <= T0 + HOUR

    @settings(max_examples=400)
    @given(r=ramps, offset=st.floats(min_value=-0.1, max_value=1.1))
    def test_contract_on_random_ramps(self, r: Ramp, offset: float) -> None:
        assert_next_change_contract(r, r.start + r.duration * offset)

    @given(r=ramps)
    def test_steps_are_single_percent_on_slow_ramps(self, r: Ramp) -> None:
        if r.duration < timedelta(seconds=1):
            return
        calls = list(steps(r, r.start))
        assert len(calls) == abs(round_level(r.end_level) - round_level(r.start_level)) + 1
        assert all(abs(b - a) == 1 for (_, a), (_, b) in pairwise(calls))


class TestPointProfile:
    """Piecewise-linear profiles follow the same protocol."""

    day = PointProfile(
        (
            (T0, 0.0),
            (T0 + HOUR, 50.0),
            (T0 + 3 * HOUR, 50.0),
            (T0 + 4 * HOUR, 20.0),
        )
    )

    def test_level_at(self) -> None:
        assert self.day.level_at(T0 - HOUR) == 0
        assert self.day.level_at(T0 + HOUR / 2) == pytest.approx(25)
        assert self.day.level_at(T0 + 2 * HOUR) == 50
        assert self.day.level_at(T0 + 3.5 * HOUR) == pytest.approx(35)
        assert self.day.level_at(T0 + 5 * HOUR) == 20
        assert self.day.knots == tuple(t for t, _ in self.day.points)

    def test_next_change_skips_the_plateau(self) -> None:
        # 50 -> 20 over an hour: 49.5 is crossed at 60 s, so 49 begins just after.
        assert self.day.next_change(T0 + HOUR) == T0 + 3 * HOUR + timedelta(seconds=60) + US
        assert self.day.next_change(T0 + 4 * HOUR) is None

    def test_steps_rise_then_fall(self) -> None:
        levels = [level for _, level in steps(self.day, T0 - HOUR)]
        assert levels == [*range(51), *range(49, 19, -1)]

    def test_single_point_is_constant(self) -> None:
        flat = PointProfile(((T0, 30.0),))
        assert flat.level_at(T0 + HOUR) == 30
        assert flat.next_change(T0 - HOUR) is None
        assert list(steps(flat, T0)) == [(T0, 30)]

    @pytest.mark.parametrize(
        ("points", "message"),
        [
            ((), "at least one"),
            (((T0, 0.0), (T0, 10.0)), "strictly increasing"),
            (((T0, 0.0), (T0 - HOUR, 10.0)), "strictly increasing"),
            (((T0, 101.0),), "level"),
            (((datetime(2025, 1, 1), 1.0),), "timezone-aware"),
        ],
    )
    def test_invalid(self, points: tuple[tuple[datetime, float], ...], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            PointProfile(points)

    @settings(max_examples=400)
    @given(profile=point_profiles(), offset=st.floats(min_value=-0.1, max_value=1.1))
    def test_contract_on_random_profiles(self, profile: PointProfile, offset: float) -> None:
        first, last = profile.knots[0], profile.knots[-1]
        assert_next_change_contract(profile, first + (last - first) * offset)


class TestTransitionSegments:
    """Segments for lights with a native transition."""

    def test_whole_ramp_on_a_grid(self) -> None:
        segments = transition_segments(ramp(), T0, timedelta(minutes=5))
        assert len(segments) == 12
        assert [start for start, _, _ in segments] == [
            T0 + timedelta(minutes=5 * k) for k in range(12)
        ]
        assert {seconds for _, _, seconds in segments} == {300.0}
        assert [target for _, target, _ in segments][:3] == [8, 17, 25]
        assert segments[-1][1] == 100

    def test_resume_mid_ramp_keeps_the_grid(self) -> None:
        now = T0 + timedelta(minutes=7)
        segments = transition_segments(ramp(), now, timedelta(minutes=5))
        assert segments[0] == (now, 17, 180.0)
        assert segments[1][0] == T0 + timedelta(minutes=10)
        assert len(segments) == 11

    def test_before_and_after_the_ramp(self) -> None:
        assert transition_segments(ramp(), T0 - HOUR, HOUR) == [(T0, 100, 3600.0)]
        assert transition_segments(ramp(), T0 + HOUR, HOUR) == []

    def test_smooth_curve_is_followed_at_the_edges(self) -> None:
        r = ramp(curve=Curve.SMOOTH)
        segments = transition_segments(r, T0, timedelta(minutes=15))
        assert [target for _, target, _ in segments] == [16, 50, 84, 100]

    def test_point_profile_cuts_at_its_knots(self) -> None:
        profile = PointProfile(((T0, 0.0), (T0 + timedelta(minutes=90), 60.0)))
        segments = transition_segments(profile, T0, HOUR)
        assert segments == [(T0, 40, 3600.0), (T0 + HOUR, 60, 1800.0)]
        assert transition_segments(TestPointProfile.day, T0 + HOUR / 2, 2 * HOUR) == [
            (T0 + HOUR / 2, 50, 1800.0),
            (T0 + HOUR, 50, 3600.0),
            (T0 + 2 * HOUR, 50, 3600.0),
            (T0 + 3 * HOUR, 20, 3600.0),
        ]

    def test_max_segment_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="max_segment"):
            transition_segments(ramp(), T0, timedelta(0))


def test_hold_is_a_profile_with_one_change_at_its_end() -> None:
    from custom_components.reef_scheduler.engine.profile import Hold

    start = datetime(2026, 1, 1, 10, tzinfo=UTC)
    end = start + timedelta(hours=10)
    hold = Hold(start, end, 80.0)
    assert hold.knots == (start, end)
    assert hold.level_at(start) == 80.0
    assert hold.level_at(end - timedelta(microseconds=1)) == 80.0
    assert hold.level_at(end) == 0.0
    assert hold.next_change(start) == end
    assert hold.next_change(end) is None
    assert list(steps(hold, start)) == [(start, 80), (end, 0)]
    assert Hold(start, end, 0.2).next_change(start) is None
    with pytest.raises(ValueError, match="end"):
        Hold(end, start, 50.0)
    with pytest.raises(ValueError, match="level"):
        Hold(start, end, 150.0)
