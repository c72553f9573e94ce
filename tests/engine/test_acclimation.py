"""Tests for acclimation: day k and the factor as functions of the date, pause, resume, reset."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, strategies as st
import pytest

from custom_components.reef_scheduler.engine.acclimation import (
    acclimation_day,
    acclimation_factor,
    pause,
    reset,
    resume,
)
from custom_components.reef_scheduler.engine.light_model import Acclimation

START = date(2026, 11, 1)
TEN_DAYS = Acclimation(START, days=10, start_percent=50)


@pytest.mark.parametrize(
    ("today", "day", "factor"),
    [
        (date(2026, 10, 20), -11, 0.5),
        (date(2026, 10, 31), 0, 0.5),
        (date(2026, 11, 1), 1, 0.5),
        (date(2026, 11, 2), 2, 0.55),
        (date(2026, 11, 6), 6, 0.75),
        (date(2026, 11, 10), 10, 0.95),
        (date(2026, 11, 11), 11, 1.0),
        (date(2027, 3, 1), 121, 1.0),
    ],
)
def test_day_and_factor(today: date, day: int, factor: float) -> None:
    assert acclimation_day(TEN_DAYS, today) == day
    assert acclimation_factor(TEN_DAYS, today) == pytest.approx(factor)


def test_simulated_days_with_a_pause_and_restarts() -> None:
    """Each day recomputes from the stored definition alone, as after a restart."""
    stored = TEN_DAYS
    factors: list[float] = []
    today = START
    for _ in range(16):
        if today == date(2026, 11, 4):
            stored = pause(stored, today)
        if today == date(2026, 11, 7):
            stored = resume(stored, today)
        # A restart at any hour of the day reads the same definition and the same date.
        factors.append(acclimation_factor(stored, today))
        factors.append(acclimation_factor(stored, today))
        today += timedelta(days=1)
    daily = factors[::2]
    assert factors[1::2] == daily
    # Days 1-3, then held at day 4 over 4-6 Nov, then on from day 4 again on 7 Nov.
    assert daily[:8] == pytest.approx([0.5, 0.55, 0.6, 0.65, 0.65, 0.65, 0.65, 0.7])
    assert daily[-3:] == [1.0, 1.0, 1.0]
    assert stored == Acclimation(date(2026, 11, 4), days=10, start_percent=50)


def test_pause_and_resume_are_idempotent() -> None:
    paused = pause(TEN_DAYS, date(2026, 11, 3))
    assert pause(paused, date(2026, 11, 5)) is paused
    assert resume(TEN_DAYS, date(2026, 11, 5)) is TEN_DAYS
    # A paused view of an earlier date keeps that date's factor.
    assert acclimation_factor(paused, date(2026, 11, 2)) == pytest.approx(0.55)
    assert acclimation_factor(paused, date(2026, 12, 2)) == pytest.approx(0.6)


def test_reset_starts_day_one_today() -> None:
    later = date(2026, 11, 20)
    assert acclimation_day(reset(TEN_DAYS, later), later) == 1
    paused = reset(pause(TEN_DAYS, date(2026, 11, 5)), later)
    assert paused.paused_on == later
    assert acclimation_factor(paused, later + timedelta(days=30)) == pytest.approx(0.5)


@given(
    days=st.integers(1, 365),
    start_percent=st.floats(1, 100),
    offset=st.integers(-400, 800),
)
def test_factor_is_monotonic_and_bounded(days: int, start_percent: float, offset: int) -> None:
    acclimation = Acclimation(START, days=days, start_percent=start_percent)
    today = START + timedelta(days=offset)
    factor = acclimation_factor(acclimation, today)
    assert start_percent / 100 - 1e-12 <= factor <= 1.0 + 1e-12
    assert acclimation_factor(acclimation, today + timedelta(days=1)) >= factor
