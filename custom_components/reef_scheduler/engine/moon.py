"""The moon: illuminated fraction, phase name and moonrise/moonset, from low-precision formulas.

Illuminated fraction: Meeus, *Astronomical Algorithms* (2nd ed.), chapter 48's low-precision
phase angle i from the mean elongation D, the Sun's mean anomaly M and the Moon's M'
(chapter 47's polynomials); k = (1 + cos i) / 2, within about 0.5 % of the full theory.

Phase name: the elongation 180° - i mapped to a 28-day age (0 new, 7 first quarter, 14 full,
21 last quarter) and named with Home Assistant's moon sensor thresholds and keys.

Moonrise/moonset: the Moon's ecliptic position from the Astronomical Almanac's low-precision
series (longitude ±0.3°, latitude ±0.2°, parallax ±0.003°; section D, "Low-precision
formulae for the Moon"), turned into altitude with the mean obliquity and sidereal time, and
the rise/set altitude h0 = 0.7275·π - 34 arcmin (Meeus chapter 15: refraction, semidiameter and
parallax of the geocentric position). Crossings are found by scanning every 10 minutes and
bisecting to a second; times are good to a few minutes (UT is used for TT: ΔT ≈ 69 s moves
the Moon by 0.01°). A rise and set less than 10 minutes apart can be missed near the poles.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, partial
import math
from zoneinfo import ZoneInfo

from .timeline import resolve_local

_J2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)
_SCAN = timedelta(minutes=10)
_SECOND = timedelta(seconds=1)
_SET_WITHIN = timedelta(hours=36)

PHASES = (
    "new_moon",
    "waxing_crescent",
    "first_quarter",
    "waxing_gibbous",
    "full_moon",
    "waning_gibbous",
    "last_quarter",
    "waning_crescent",
)
# Upper bounds of Home Assistant's moon sensor on the 28-day age, with the phase below each.
_AGE_BOUNDS = ((0.5, 0), (6.5, 1), (7.5, 2), (13.5, 3), (14.5, 4), (20.5, 5), (21.5, 6), (27.5, 7))


def _days(instant: datetime) -> float:
    """Return days since J2000.0 (JD - 2451545.0)."""
    return (instant - _J2000).total_seconds() / 86_400.0


def _sin(degrees: float) -> float:
    return math.sin(math.radians(degrees))


def _cos(degrees: float) -> float:
    return math.cos(math.radians(degrees))


def phase_angle(instant: datetime) -> float:
    """Return the Moon's phase angle i in degrees [0, 360) (Meeus 48.4, low precision)."""
    t = _days(instant) / 36_525.0
    elongation = (
        297.8501921 + 445_267.1114034 * t - 0.0018819 * t**2 + t**3 / 545_868 - t**4 / 113_065_000
    )
    sun = 357.5291092 + 35_999.0502909 * t - 0.0001536 * t**2 + t**3 / 24_490_000
    moon = 134.9633964 + 477_198.8675055 * t + 0.0087414 * t**2 + t**3 / 69_699 - t**4 / 14_712_000
    angle = (
        180.0
        - elongation
        - 6.289 * _sin(moon)
        + 2.100 * _sin(sun)
        - 1.274 * _sin(2 * elongation - moon)
        - 0.658 * _sin(2 * elongation)
        - 0.214 * _sin(2 * moon)
        - 0.110 * _sin(elongation)
    )
    return angle % 360.0


def illuminated_fraction(instant: datetime) -> float:
    """Return the illuminated fraction of the Moon's disc (0..1) at an instant."""
    return (1.0 + _cos(phase_angle(instant))) / 2.0


def moon_age(instant: datetime) -> float:
    """Return the Moon's age on a 28-day scale (0 new, 7 first quarter, 14 full, 21 last)."""
    return ((180.0 - phase_angle(instant)) % 360.0) / 360.0 * 28.0


def phase_name(instant: datetime) -> str:
    """Return Home Assistant's moon phase key at an instant."""
    age = moon_age(instant)
    return PHASES[next((phase for bound, phase in _AGE_BOUNDS if age < bound), 0)]


def _position(instant: datetime) -> tuple[float, float, float]:
    """Return the Moon's right ascension, declination and parallax in degrees (geocentric)."""
    t = _days(instant) / 36_525.0
    longitude = (
        218.32
        + 481_267.881 * t
        + 6.29 * _sin(135.0 + 477_198.87 * t)
        - 1.27 * _sin(259.3 - 413_335.36 * t)
        + 0.66 * _sin(235.7 + 890_534.22 * t)
        + 0.21 * _sin(269.9 + 954_397.74 * t)
        - 0.19 * _sin(357.5 + 35_999.05 * t)
        - 0.11 * _sin(186.5 + 966_404.03 * t)
    )
    latitude = (
        5.13 * _sin(93.3 + 483_202.02 * t)
        + 0.28 * _sin(228.2 + 960_400.89 * t)
        - 0.28 * _sin(318.3 + 6_003.15 * t)
        - 0.17 * _sin(217.6 - 407_332.21 * t)
    )
    parallax = (
        0.9508
        + 0.0518 * _cos(135.0 + 477_198.87 * t)
        + 0.0095 * _cos(259.3 - 413_335.36 * t)
        + 0.0078 * _cos(235.7 + 890_534.22 * t)
        + 0.0028 * _cos(269.9 + 954_397.74 * t)
    )
    obliquity = 23.439291 - 0.0130042 * t
    x = _cos(latitude) * _cos(longitude)
    y = _cos(obliquity) * _cos(latitude) * _sin(longitude) - _sin(obliquity) * _sin(latitude)
    z = _sin(obliquity) * _cos(latitude) * _sin(longitude) + _cos(obliquity) * _sin(latitude)
    right_ascension = math.degrees(math.atan2(y, x))
    declination = math.degrees(math.asin(max(-1.0, min(1.0, z))))
    return right_ascension, declination, parallax


def _above_horizon(instant: datetime, latitude: float, longitude: float) -> float:
    """Return the Moon's altitude above its rise/set altitude h0, in degrees."""
    right_ascension, declination, parallax = _position(instant)
    sidereal = 280.46061837 + 360.98564736629 * _days(instant) + longitude
    hour_angle = sidereal - right_ascension
    sine = _sin(latitude) * _sin(declination) + _cos(latitude) * _cos(declination) * _cos(
        hour_angle
    )
    altitude = math.degrees(math.asin(max(-1.0, min(1.0, sine))))
    return altitude - (0.7275 * parallax - 34.0 / 60.0)


def _crossing(
    height: Callable[[datetime], float], begin: datetime, end: datetime, rising: bool
) -> datetime | None:
    """Return the first instant in (begin, end] the height crosses 0 upward (or downward)."""
    before = height(begin)
    probe = begin
    while probe < end:
        after_probe = min(probe + _SCAN, end)
        after = height(after_probe)
        if (before <= 0 < after) if rising else (before > 0 >= after):
            low, high = probe, after_probe
            while high - low > _SECOND:
                middle = low + (high - low) / 2
                if (height(middle) > 0) == rising:
                    high = middle
                else:
                    low = middle
            return high.replace(microsecond=0)
        probe, before = after_probe, after
    return None


@lru_cache(maxsize=64)
def _window(
    latitude: float, longitude: float, zone: ZoneInfo, day: date
) -> tuple[datetime, datetime] | None:
    """Return moonrise and the following moonset of the night starting on a local date."""
    noon = resolve_local(datetime.combine(day, time(12)), zone)
    following = resolve_local(datetime.combine(day + timedelta(days=1), time(12)), zone)
    if noon is None or following is None:
        return None
    height = partial(_above_horizon, latitude=latitude, longitude=longitude)
    rise = _crossing(height, noon, following, rising=True)
    if rise is None:
        return None
    moonset = _crossing(height, rise, rise + _SET_WITHIN, rising=False)
    return None if moonset is None else (rise, moonset)


def moon_window(
    latitude: float, longitude: float, zone: ZoneInfo
) -> Callable[[date], tuple[datetime, datetime] | None]:
    """Return the light curve's moon window at a place: date -> (moonrise, moonset), cached.

    The night starting on a local date is the Moon's first rise from that date's noon to the
    next noon, until the following set; None when it does not rise then (once a month) or
    does not set within 36 hours.
    """
    return partial(_window, latitude, longitude, zone)
