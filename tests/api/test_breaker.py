"""Tests of the client's circuit breaker with an injected clock."""

from __future__ import annotations

import pytest

from custom_components.reef_scheduler.api import (
    BellasReefCircuitOpenError,
    BellasReefConnectionError,
    CircuitBreaker,
    CircuitState,
)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def events() -> list[str]:
    return []


@pytest.fixture
def breaker(clock: FakeClock, events: list[str]) -> CircuitBreaker:
    return CircuitBreaker(
        failure_threshold=3,
        cooldown=30.0,
        clock=clock,
        on_open=lambda: events.append("lost"),
        on_close=lambda: events.append("back"),
    )


def test_opens_after_threshold_consecutive_failures(
    breaker: CircuitBreaker, events: list[str]
) -> None:
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # resets the streak
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is CircuitState.CLOSED
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    assert breaker.failures == 3
    assert events == ["lost"]
    with pytest.raises(BellasReefCircuitOpenError) as err:
        breaker.before_call()
    assert isinstance(err.value, BellasReefConnectionError)
    assert err.value.retry_after == 30.0
    assert "next attempt in 30 s" in str(err.value)


def test_half_open_after_cooldown_then_closes(
    breaker: CircuitBreaker, clock: FakeClock, events: list[str]
) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.now += 29.5
    assert breaker.state is CircuitState.OPEN
    assert breaker.retry_after == pytest.approx(0.5)
    clock.now += 0.5
    assert breaker.state is CircuitState.HALF_OPEN
    assert breaker.retry_after == 0.0
    breaker.before_call()  # a trial is allowed
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED
    assert events == ["lost", "back"]
    breaker.record_success()
    assert events == ["lost", "back"]  # "back" is said once


def test_failed_trial_reopens_without_reporting_again(
    breaker: CircuitBreaker, clock: FakeClock, events: list[str]
) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.now += 30
    assert breaker.state is CircuitState.HALF_OPEN
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    assert breaker.retry_after == 30.0  # the cool-down starts again
    assert events == ["lost"]
    assert repr(breaker) == "CircuitBreaker(state=open, failures=4)"


def test_works_without_callbacks() -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown=0)
    assert breaker.retry_after == 0.0
    breaker.record_failure()
    assert breaker.state is CircuitState.HALF_OPEN
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"failure_threshold": 0}, "failure_threshold"), ({"cooldown": -1}, "cooldown")],
)
def test_rejects_bad_settings(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CircuitBreaker(**kwargs)  # type: ignore[arg-type]
