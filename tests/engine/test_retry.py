"""Tests for backoff with full jitter and the circuit breaker."""

from __future__ import annotations

import random

from hypothesis import given, strategies as st
import pytest

from custom_components.reef_scheduler.engine.retry import (
    BreakerState,
    CircuitBreaker,
    backoff_ceiling,
    backoff_delay,
)

finite = st.floats(min_value=0, max_value=1e6)


class TestBackoff:
    """Delays are uniform in [0, min(cap, base * 2**attempt)]."""

    def test_ceiling_grows_then_caps(self) -> None:
        ceilings = [backoff_ceiling(n, base=0.5, cap=10.0) for n in range(8)]
        assert ceilings == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]

    def test_huge_attempt_is_capped_not_overflowing(self) -> None:
        assert backoff_ceiling(5000, base=1.0, cap=60.0) == 60.0
        assert backoff_delay(5000, base=1.0, cap=60.0, rng=lambda: 1.0) == 60.0

    @given(
        attempt=st.integers(min_value=0, max_value=2000),
        base=finite,
        cap=finite,
        seed=st.integers(),
    )
    def test_delay_within_bounds(self, attempt: int, base: float, cap: float, seed: int) -> None:
        delay = backoff_delay(attempt, base=base, cap=cap, rng=random.Random(seed))
        # Past 2**1000 the doubling exceeds any generated cap (and float range soon after).
        assert 0.0 <= delay <= (cap if attempt > 1000 else min(cap, base * 2.0**attempt))

    @given(attempt=st.integers(min_value=0, max_value=50), base=finite, cap=finite)
    def test_ceiling_is_monotonic(self, attempt: int, base: float, cap: float) -> None:
        here = backoff_ceiling(attempt, base=base, cap=cap)
        assert here <= backoff_ceiling(attempt + 1, base=base, cap=cap) <= cap

    @pytest.mark.parametrize(("draw", "expected"), [(0.0, 0.0), (0.25, 1.0), (1.0, 4.0)])
    def test_draw_scales_the_ceiling(self, draw: float, expected: float) -> None:
        assert backoff_delay(2, base=1.0, cap=30.0, rng=lambda: draw) == expected

    def test_seeded_random_is_reproducible(self) -> None:
        first = [backoff_delay(3, base=1.0, cap=30.0, rng=random.Random(7)) for _ in range(3)]
        assert len(set(first)) == 1
        assert first[0] == 8.0 * random.Random(7).random()

    @pytest.mark.parametrize(
        ("attempt", "base", "cap", "message"),
        [
            (-1, 1.0, 1.0, "attempt"),
            (0, -1.0, 1.0, "base"),
            (0, 1.0, float("inf"), "cap"),
            (0, float("nan"), 1.0, "base"),
        ],
    )
    def test_invalid_arguments(self, attempt: int, base: float, cap: float, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            backoff_delay(attempt, base=base, cap=cap, rng=random.Random(0))

    @pytest.mark.parametrize("draw", [-0.1, 1.5])
    def test_rng_out_of_range(self, draw: float) -> None:
        with pytest.raises(ValueError, match="rng"):
            backoff_delay(0, base=1.0, cap=1.0, rng=lambda: draw)


class FakeClock:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """Return a fake clock."""
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    """Return a breaker opening after 3 failures with a 30 s cool-down."""
    return CircuitBreaker(failure_threshold=3, cool_down=30.0, clock=clock)


def trip(breaker: CircuitBreaker) -> None:
    """Open a closed breaker."""
    for _ in range(breaker.consecutive_failures, 3):
        breaker.record_failure()
    assert breaker.state is BreakerState.OPEN


class TestCircuitBreaker:
    """State machine, transitions reported once, fake time."""

    def test_starts_closed(self, breaker: CircuitBreaker) -> None:
        assert breaker.state is BreakerState.CLOSED
        assert breaker.retry_in() == 0.0

    def test_closed_until_threshold(self, breaker: CircuitBreaker) -> None:
        assert breaker.record_failure() is None
        assert breaker.record_failure() is None
        assert breaker.allow()
        assert breaker.record_failure() is BreakerState.OPEN
        assert breaker.state is BreakerState.OPEN
        assert not breaker.allow()
        assert breaker.consecutive_failures == 3

    def test_success_resets_the_failure_count(self, breaker: CircuitBreaker) -> None:
        breaker.record_failure()
        breaker.record_failure()
        assert breaker.record_success() is None
        assert breaker.consecutive_failures == 0
        assert breaker.record_failure() is None
        assert breaker.state is BreakerState.CLOSED

    def test_half_open_after_cool_down_allows_one_trial(
        self, breaker: CircuitBreaker, clock: FakeClock
    ) -> None:
        trip(breaker)
        clock.now += 29.9
        assert not breaker.allow()
        assert breaker.retry_in() == pytest.approx(0.1)
        clock.now += 0.1
        assert breaker.state is BreakerState.HALF_OPEN
        assert breaker.retry_in() == 0.0
        assert breaker.allow()
        assert not breaker.allow()
        assert breaker.retry_in() == pytest.approx(30.0)

    def test_trial_success_closes_once(self, breaker: CircuitBreaker, clock: FakeClock) -> None:
        trip(breaker)
        clock.now += 30
        assert breaker.allow()
        assert breaker.record_success() is BreakerState.CLOSED
        assert breaker.record_success() is None
        assert breaker.state is BreakerState.CLOSED
        assert breaker.allow()

    def test_trial_failure_reopens_for_a_full_cool_down(
        self, breaker: CircuitBreaker, clock: FakeClock
    ) -> None:
        trip(breaker)
        clock.now += 30
        assert breaker.allow()
        clock.now += 5
        assert breaker.record_failure() is BreakerState.OPEN
        assert not breaker.allow()
        clock.now += 29
        assert not breaker.allow()
        clock.now += 1
        assert breaker.allow()

    def test_late_failure_while_open_changes_nothing(
        self, breaker: CircuitBreaker, clock: FakeClock
    ) -> None:
        trip(breaker)
        clock.now += 20
        assert breaker.record_failure() is None
        clock.now += 10
        assert breaker.state is BreakerState.HALF_OPEN

    def test_late_success_while_open_closes(self, breaker: CircuitBreaker) -> None:
        trip(breaker)
        assert breaker.record_success() is BreakerState.CLOSED
        assert breaker.allow()

    def test_unreported_trial_expires(self, breaker: CircuitBreaker, clock: FakeClock) -> None:
        trip(breaker)
        clock.now += 30
        assert breaker.allow()
        clock.now += 29
        assert not breaker.allow()
        clock.now += 1
        assert breaker.allow()

    def test_zero_cool_down_is_immediately_half_open(self, clock: FakeClock) -> None:
        breaker = CircuitBreaker(failure_threshold=1, cool_down=0.0, clock=clock)
        assert breaker.record_failure() is BreakerState.OPEN
        assert breaker.state is BreakerState.HALF_OPEN
        assert breaker.allow()

    def test_defaults(self) -> None:
        breaker = CircuitBreaker()
        for _ in range(4):
            breaker.record_failure()
        assert breaker.state is BreakerState.CLOSED
        assert breaker.record_failure() is BreakerState.OPEN
        assert breaker.retry_in() == pytest.approx(30.0, abs=1.0)

    @pytest.mark.parametrize(
        ("threshold", "cool_down", "message"),
        [(0, 1.0, "failure_threshold"), (1, -1.0, "cool_down"), (1, float("nan"), "cool_down")],
    )
    def test_invalid(self, threshold: int, cool_down: float, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            CircuitBreaker(threshold, cool_down)
