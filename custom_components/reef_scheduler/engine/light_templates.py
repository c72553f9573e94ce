"""Light profile templates: expansions to ordinary channels with points, never stored.

- ``diurnal``: off until ``start``, up to the channel's peak over ``ramp``, held, and down to
  off over ``ramp`` so the light is on for ``photoperiod`` (ramps included).
- ``follow_sun``: a diurnal day centred on the middle of the caller's sunrise..sunset, its
  length clamped to [min_photoperiod, max_photoperiod] and shifted by ``offset``.
- ``sine``: peak x sin(pi x progress) over ``photoperiod`` from ``start``, as 24 linear pieces
  (within 0.3 % of the peak of a true sine with the profile's linear curve).

Times wrap at midnight like every profile's points. Each channel gets the caller's lights and
the model's defaults for the rest, to be edited like any profile.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
import math
from zoneinfo import ZoneInfo

from .light_model import Channel

_DAY = timedelta(days=1)
SINE_PIECES = 24


@dataclass(frozen=True, slots=True)
class TemplateChannel:
    """A channel to expand: its name, lights and level at the top of the day."""

    name: str
    lights: tuple[str, ...]
    peak: float


def _time_of(offset: timedelta) -> time:
    """Return the time of day ``offset`` after midnight, wrapping, to the second."""
    seconds = round(offset.total_seconds()) % 86_400
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def _since_midnight(moment: time) -> timedelta:
    """Return a time of day as the span since midnight."""
    return timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second)


def _channels(
    channels: Iterable[TemplateChannel], offsets: list[tuple[timedelta, float]]
) -> tuple[Channel, ...]:
    """Return channels through points at (offset since midnight, fraction of the peak)."""
    expanded = []
    for channel in channels:
        points = {_time_of(offset): channel.peak * fraction for offset, fraction in offsets}
        expanded.append(Channel(channel.name, channel.lights, tuple(sorted(points.items()))))
    return tuple(expanded)


def _check_period(photoperiod: timedelta) -> None:
    """Reject a photoperiod that is not within a day (exclusive at both ends)."""
    if not timedelta(0) < photoperiod < _DAY:
        raise ValueError("photoperiod must be longer than 0 and shorter than a day")


def diurnal(
    channels: Iterable[TemplateChannel], *, start: time, ramp: timedelta, photoperiod: timedelta
) -> tuple[Channel, ...]:
    """Return channels that ramp up at ``start`` and down to end ``photoperiod`` later."""
    _check_period(photoperiod)
    if not timedelta(seconds=1) <= ramp <= photoperiod / 2:
        raise ValueError("ramp must be at least a second and at most half the photoperiod")
    first = _since_midnight(start)
    offsets = [
        (first, 0.0),
        (first + ramp, 1.0),
        (first + photoperiod - ramp, 1.0),
        (first + photoperiod, 0.0),
    ]
    return _channels(channels, offsets)


def follow_sun(
    channels: Iterable[TemplateChannel],
    *,
    sunrise: datetime,
    sunset: datetime,
    zone: ZoneInfo,
    min_photoperiod: timedelta,
    max_photoperiod: timedelta,
    offset: timedelta = timedelta(0),
    ramp: timedelta = timedelta(hours=1),
) -> tuple[Channel, ...]:
    """Return a diurnal day around the sun's, clamped in length and shifted by ``offset``."""
    if sunset <= sunrise:
        raise ValueError("sunset must be after sunrise")
    if min_photoperiod > max_photoperiod:
        raise ValueError("min_photoperiod must not exceed max_photoperiod")
    photoperiod = min(max(sunset - sunrise, min_photoperiod), max_photoperiod)
    _check_period(photoperiod)
    middle = sunrise + (sunset - sunrise) / 2 + offset
    begin = (middle - photoperiod / 2).astimezone(zone)
    return diurnal(
        channels,
        start=begin.time().replace(microsecond=0),
        ramp=max(min(ramp, photoperiod / 2), timedelta(seconds=1)),
        photoperiod=photoperiod,
    )


def sine(
    channels: Iterable[TemplateChannel], *, start: time, photoperiod: timedelta
) -> tuple[Channel, ...]:
    """Return channels following half a sine wave from ``start`` over ``photoperiod``."""
    _check_period(photoperiod)
    if photoperiod < timedelta(seconds=SINE_PIECES):
        raise ValueError("photoperiod is too short for a sine")
    first = _since_midnight(start)
    offsets = [
        (first + photoperiod * k / SINE_PIECES, math.sin(math.pi * k / SINE_PIECES))
        for k in range(SINE_PIECES + 1)
    ]
    # sin(pi) is 1.2e-16, not 0: the last point is off exactly.
    offsets[-1] = (offsets[-1][0], 0.0)
    return _channels(channels, offsets)
