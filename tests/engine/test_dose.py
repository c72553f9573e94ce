"""Tests for the book of a doser: days, container, the dose under way and its settling."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from custom_components.reef_scheduler.engine.dose import (
    DoserBook,
    Settled,
    UnderWay,
    dose_seconds,
    dosed_ml,
    ml_text,
    settle,
)
from custom_components.reef_scheduler.engine.dosing_model import Doser, Dosing

ALK = Doser("switch.alk", "Alk doser", 0.5, daily_max_ml=30, container_ml=500, low_ml=100)
START = datetime(2026, 3, 4, 7, tzinfo=UTC)
DOSE = UnderWay("alk", 3, START, 12.0, 6.0)


def test_a_dose_runs_its_volume_over_the_rate() -> None:
    assert dose_seconds(Dosing(ALK.pump, 24, 4, time(8), time(20)), ALK) == 12
    assert dosed_ml(12, ALK) == 6
    assert dosed_ml(-1, ALK) == 0
    assert ml_text(6.0) == "6 ml"
    assert ml_text(2.50001) == "2.5 ml"


def test_the_book_keeps_two_days_and_counts_the_container_down() -> None:
    book = DoserBook(remaining_ml=10)
    for day in (1, 2, 3):
        book.add(date(2026, 3, day), 4)
    assert book.days == {date(2026, 3, 2): 4, date(2026, 3, 3): 4}
    assert book.remaining_ml == 0  # never below empty
    assert book.dosed_on(date(2026, 3, 1)) == 0


def test_the_guard_counts_a_dose_under_way_and_lets_an_exact_fit_pass() -> None:
    day = date(2026, 3, 4)
    book = DoserBook(days={day: 18.0})
    assert book.fits(ALK, 12, day)  # 30 ml: exactly the maximum
    book.under_way = DOSE
    assert book.counted_on(day) == 24
    assert book.fits(ALK, 6, day)
    assert not book.fits(ALK, 6.1, day)
    # Tenths of a second summed as floats still fit exactly.
    tenths = DoserBook(days={day: sum([0.1] * 3)})
    assert tenths.fits(Doser("switch.x", "X", 1, daily_max_ml=0.4), 0.1, day)


def test_the_stored_form_reads_back() -> None:
    book = DoserBook({date(2026, 3, 4): 12.5}, 480.0, UnderWay("alk", 3, START, 12.0, 6.0, START))
    assert DoserBook.from_dict(book.as_dict()) == book
    assert DoserBook.from_dict(DoserBook().as_dict()) == DoserBook()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"days": {"yesterday": 3}},
        {"days": {}, "under_way": {"schedule": "alk"}},
        {"days": {}, "under_way": DOSE.as_dict() | {"started": "2026-03-04T07:00:00"}},
    ],
)
def test_a_damaged_stored_form_is_refused(data: dict[str, object]) -> None:
    with pytest.raises((KeyError, ValueError, TypeError, AttributeError)):
        DoserBook.from_dict(data)


def test_a_dose_left_under_way_is_settled_by_what_the_pump_shows() -> None:
    later = START + timedelta(seconds=30)
    # Found on after a kill: it ran until now.
    assert settle(DOSE, ALK, later, pump_on=True) == Settled(15.0, at_most=False, pump_was_on=True)
    # Found off after a kill: at most its planned volume.
    assert settle(DOSE, ALK, later, pump_on=False) == Settled(6.0, at_most=True, pump_was_on=False)
    # Switched off by a stop after 5 s: what it gave until then, never more than planned.
    stopped = UnderWay("alk", 3, START, 12.0, 6.0, START + timedelta(seconds=5))
    assert settle(stopped, ALK, later, pump_on=False) == Settled(2.5, False, False)
    late = UnderWay("alk", 3, START, 12.0, 6.0, START + timedelta(seconds=50))
    assert settle(late, ALK, later, pump_on=False).ml == 6
