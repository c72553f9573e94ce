"""Retry policy: exponential backoff with full jitter, and a circuit breaker (time injected)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
import math
import random
import time


def backoff_ceiling(attempt: int, *, base: float, cap: float) -> float:
    """Return the largest delay of retry ``attempt`` (0 = first retry): min(cap, base·2^attempt)."""
    if attempt < 0:
        raise ValueError("attempt must not be negative")
    if not (math.isfinite(base) and base >= 0 and math.isfinite(cap) and cap >= 0):
        raise ValueError("base and cap must be finite and not negative")
    try:
        return min(cap, math.ldexp(base, attempt))
    except OverflowError:
        # base·2^attempt beyond float range is certainly above any finite cap.
        return cap


def backoff_delay(
    attempt: int,
    *,
    base: float,
    cap: float,
    rng: random.Random | Callable[[], float],
) -> float:
    """Return a delay drawn uniformly from [0, backoff_ceiling(attempt)] ("full jitter")."""
    ceiling = backoff_ceiling(attempt, base=base, cap=cap)
    draw = rng.random() if isinstance(rng, random.Random) else rng()
    if not 0.0 <= draw <= 1.0:
        raise ValueError(f"rng must return a number in [0, 1], got {draw!r}")
    return ceiling * draw


class BreakerState(StrEnum):
    """State of a circuit breaker."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Stop calling a failing dependency, then let one trial call through after a cool-down."""

    # record_success / record_failure return the new state when it changed (else None), so a
    # caller logs "unavailable" and "back" exactly once each.

    __slots__ = (
        "_clock",
        "_cool_down",
        "_failure_threshold",
        "_failures",
        "_opened_at",
        "_trial_at",
    )

    def __init__(
        self,
        failure_threshold: int = 5,
        cool_down: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create a closed breaker."""
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if not (math.isfinite(cool_down) and cool_down >= 0):
            raise ValueError("cool_down must be finite and not negative")
        self._failure_threshold = failure_threshold
        self._cool_down = cool_down
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_at: float | None = None

    @property
    def state(self) -> BreakerState:
        """Return the current state (open turns half-open once the cool-down has passed)."""
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at < self._cool_down:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    @property
    def consecutive_failures(self) -> int:
        """Return the failures since the last success."""
        return self._failures

    def retry_in(self) -> float:
        """Return seconds until a call may be allowed again (0 when allowed now)."""
        now = self._clock()
        waits = [
            start + self._cool_down - now
            for start in (self._opened_at, self._trial_at)
            if start is not None
        ]
        return max([0.0, *waits])

    def allow(self) -> bool:
        """Return whether a call may go ahead; half-open, only one trial at a time."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.OPEN:
            return False
        now = self._clock()
        # A trial whose outcome is never recorded (cancelled) must not block forever.
        if self._trial_at is not None and now - self._trial_at < self._cool_down:
            return False
        self._trial_at = now
        return True

    def record_success(self) -> BreakerState | None:
        """Record a successful call; return CLOSED if that closed the breaker."""
        self._failures = 0
        self._trial_at = None
        if self._opened_at is None:
            return None
        self._opened_at = None
        return BreakerState.CLOSED

    def record_failure(self) -> BreakerState | None:
        """Record a failed call; return OPEN if that (re)opened the breaker."""
        self._failures += 1
        previous = self.state
        if previous is BreakerState.OPEN:
            # A late failure of a call let through before the breaker opened: nothing new.
            return None
        if previous is BreakerState.CLOSED and self._failures < self._failure_threshold:
            return None
        self._opened_at = self._clock()
        self._trial_at = None
        return BreakerState.OPEN
