"""Retry policy: exponential backoff with full jitter.

The circuit breaker that guards the remote server lives with the HA-free client (api/breaker.py).
"""

from __future__ import annotations

from collections.abc import Callable
import math
import random


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
