"""Tests for backoff with full jitter and the circuit breaker."""

from __future__ import annotations

import random

from hypothesis import given, strategies as st
import pytest

from custom_components.reef_scheduler.engine.retry import (
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
