"""Tests for the moon: illuminated fraction and phase on 2026's phases, moonrise and moonset."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.reef_scheduler.engine.moon import (
    PHASES,
    illuminated_fraction,
    moon_age,
    moon_window,
    phase_name,
)

# 2026's principal phases (UTC, to the minute), as published; the eclipses pin four of them:
# the annular solar eclipse of 17 Feb and the total one of 12 Aug fall on new moons, the total
# lunar eclipse of 3 Mar and the partial one of 28 Aug on full moons.
NEW = [
    "01-18 19:52", "02-17 12:01", "03-19 01:23", "04-17 11:52", "05-16 20:01", "06-15 02:54",
    "07-14 09:43", "08-12 17:37", "09-11 03:27", "10-10 15:50", "11-09 07:02", "12-09 00:52",
]  # fmt: skip
FIRST_QUARTER = [
    "01-26 04:47", "02-24 12:27", "03-25 19:17", "04-24 02:31", "05-23 11:10", "06-21 21:55",
    "07-21 11:05", "08-20 02:46", "09-18 20:43", "10-18 16:12", "11-17 11:47", "12-17 05:42",
]  # fmt: skip
FULL = [
    "01-03 10:03", "02-01 22:09", "03-03 11:38", "04-02 02:12", "05-01 17:23", "05-31 08:45",
    "06-29 23:57", "07-29 14:36", "08-28 04:18", "09-26 16:49", "10-26 04:12", "11-24 14:53",
    "12-24 01:28",
]  # fmt: skip
LAST_QUARTER = [
    "01-10 15:48", "02-09 12:43", "03-11 09:38", "04-10 04:51", "05-09 21:10", "06-08 10:00",
    "07-07 19:28", "08-06 02:21", "09-04 07:51", "10-03 13:24", "11-01 20:28", "12-01 06:08",
    "12-30 18:59",
]  # fmt: skip
TABLE = [
    *((moment, 0.0, "new_moon") for moment in NEW),
    *((moment, 0.5, "first_quarter") for moment in FIRST_QUARTER),
    *((moment, 1.0, "full_moon") for moment in FULL),
    *((moment, 0.5, "last_quarter") for moment in LAST_QUARTER),
]


def instant(moment: str) -> datetime:
    """Return a 2026 "MM-DD HH:MM" UTC moment."""
    return datetime.strptime(f"2026-{moment}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


@pytest.mark.parametrize(("moment", "fraction", "phase"), TABLE)
def test_2026_phases(moment: str, fraction: float, phase: str) -> None:
    assert illuminated_fraction(instant(moment)) == pytest.approx(fraction, abs=0.02)
    assert phase_name(instant(moment)) == phase


def test_eclipse_anchors() -> None:
    assert illuminated_fraction(instant("03-03 11:34")) > 0.999  # total lunar eclipse
    assert illuminated_fraction(instant("08-12 17:46")) < 0.001  # total solar eclipse
    assert illuminated_fraction(instant("02-17 12:12")) < 0.001  # annular solar eclipse
    assert illuminated_fraction(instant("08-28 04:13")) > 0.999  # partial lunar eclipse


def test_phases_run_through_a_month_in_order() -> None:
    start = instant("01-18 19:52")
    names = [phase_name(start + timedelta(hours=6 * k)) for k in range(4 * 30)]
    order = [name for k, name in enumerate(names) if k == 0 or names[k - 1] != name]
    assert order == [*PHASES, "new_moon"]


def test_age_and_fraction_agree() -> None:
    waxing = instant("01-22 12:00")
    waning = instant("01-14 12:00")
    assert 0 < moon_age(waxing) < 7
    assert 21 < moon_age(waning) < 28
    assert phase_name(waxing) == "waxing_crescent"
    assert phase_name(waning) == "waning_crescent"
    assert phase_name(instant("01-06 12:00")) == "waning_gibbous"
    assert phase_name(instant("01-30 12:00")) == "waxing_gibbous"


# Moonrise and the following moonset (UTC) of the night starting on a local date, from an
# independent ephemeris (PyEphem 4.2.1, centre at -34 arcmin without refraction, i.e. the upper
# limb with standard refraction).
BERLIN = (52.52, 13.405, ZoneInfo("Europe/Berlin"))
SYDNEY = (-33.87, 151.21, ZoneInfo("Australia/Sydney"))
WINDOWS = [
    (BERLIN, date(2026, 1, 1), "2026-01-01 12:21", "2026-01-02 06:57"),
    (BERLIN, date(2026, 3, 1), "2026-03-01 14:14", "2026-03-02 05:35"),
    (BERLIN, date(2026, 5, 1), "2026-05-01 18:53", "2026-05-02 03:13"),
    (BERLIN, date(2026, 7, 1), "2026-07-01 20:52", "2026-07-02 04:52"),
    (BERLIN, date(2026, 9, 1), "2026-09-01 18:51", "2026-09-02 11:07"),
    (BERLIN, date(2026, 11, 1), "2026-11-01 21:26", "2026-11-02 13:11"),
    (SYDNEY, date(2026, 1, 1), "2026-01-01 07:08", "2026-01-01 16:48"),
    (SYDNEY, date(2026, 5, 1), "2026-05-01 06:38", "2026-05-01 20:49"),
    (SYDNEY, date(2026, 9, 1), "2026-09-01 11:52", "2026-09-01 22:34"),
    (SYDNEY, date(2026, 11, 1), "2026-11-01 14:46", "2026-11-02 01:17"),
]


@pytest.mark.parametrize(("place", "day", "rise", "moonset"), WINDOWS)
def test_moonrise_and_moonset(
    place: tuple[float, float, ZoneInfo], day: date, rise: str, moonset: str
) -> None:
    window = moon_window(*place)(day)
    assert window is not None
    expected = [datetime.fromisoformat(f"{text}+00:00") for text in (rise, moonset)]
    for found, reference in zip(window, expected, strict=True):
        assert abs(found - reference) < timedelta(minutes=4)


def test_night_without_a_rise() -> None:
    # Berlin, 17 Dec 2026: the Moon rises at 12:00:35 local, just after noon, so the night of
    # the 16th has no rise between its noon and the next; that rise is the 17th's.
    window = moon_window(*BERLIN)
    assert window(date(2026, 12, 16)) is None or window(date(2026, 12, 17)) is None
    assert window(date(2026, 12, 18)) is not None


def test_rise_falls_between_noon_and_the_next_noon() -> None:
    latitude, longitude, zone = SYDNEY
    window = moon_window(latitude, longitude, zone)
    day = date(2026, 6, 1)
    while day < date(2026, 7, 1):
        found = window(day)
        if found is not None:
            rise, moonset = found
            local = rise.astimezone(zone)
            assert (local.date(), local.hour >= 12) in {(day, True), (day + timedelta(1), False)}
            assert rise < moonset < rise + timedelta(hours=36)
        day += timedelta(days=1)


def test_polar_nights_and_days_have_no_window() -> None:
    # Near the pole the Moon stays up (or down) for days around its extreme declinations.
    window = moon_window(89.0, 0.0, ZoneInfo("UTC"))
    nights = [window(date(2026, 1, 1) + timedelta(days=k)) for k in range(30)]
    assert any(night is None for night in nights)


def test_a_date_that_never_existed_has_no_window() -> None:
    assert moon_window(-13.8, -171.8, ZoneInfo("Pacific/Apia"))(date(2011, 12, 30)) is None
