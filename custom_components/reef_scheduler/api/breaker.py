"""Circuit breaker for the client: stop hammering a server that cannot be reached."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
import time

from .const import DEFAULT_COOLDOWN, DEFAULT_FAILURE_THRESHOLD
from .exceptions import BellasReefCircuitOpenError


class CircuitState(StrEnum):
    """States of the breaker."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Closed -> open after N connection failures -> half-open after a cool-down -> closed."""

    def __init__(
        self,
        *,
        failure_threshold: int = DEFAULT_FAILURE_THRESHOLD,
        cooldown: float = DEFAULT_COOLDOWN,
        clock: Callable[[], float] = time.monotonic,
        on_open: Callable[[], None] | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        """Configure the thresholds; on_open/on_close fire once per outage ("lost"/"back")."""
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if cooldown < 0:
            raise ValueError("cooldown must not be negative")
        self._threshold = failure_threshold
        self._cooldown = cooldown
        self._clock = clock
        self._on_open = on_open
        self._on_close = on_close
        self._failures = 0
        self._opened_at: float | None = None

    def __repr__(self) -> str:
        """Show state and counters."""
        return f"CircuitBreaker(state={self.state}, failures={self._failures})"

    @property
    def state(self) -> CircuitState:
        """Return the current state; OPEN turns HALF_OPEN once the cool-down has passed."""
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self.retry_after > 0:
            return CircuitState.OPEN
        return CircuitState.HALF_OPEN

    @property
    def retry_after(self) -> float:
        """Return the seconds left before a trial call is allowed (0 when allowed)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self._cooldown - self._clock())

    @property
    def failures(self) -> int:
        """Return the number of consecutive connection failures."""
        return self._failures

    def before_call(self) -> None:
        """Raise BellasReefCircuitOpenError while open; half-open lets calls through as trials."""
        if self.state is CircuitState.OPEN:
            raise BellasReefCircuitOpenError(self.retry_after)

    def record_success(self) -> None:
        """Note that the server answered; closes the circuit."""
        was_open = self._opened_at is not None
        self._failures = 0
        self._opened_at = None
        if was_open and self._on_close is not None:
            self._on_close()

    def record_failure(self) -> None:
        """Note a connection failure; opens, or re-opens after a failed trial."""
        self._failures += 1
        if self._opened_at is not None:
            # A failed half-open trial restarts the cool-down; the outage was already reported.
            self._opened_at = self._clock()
            return
        if self._failures >= self._threshold:
            self._opened_at = self._clock()
            if self._on_open is not None:
                self._on_open()
