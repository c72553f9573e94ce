"""Immutable light profile model: channels, moonlight, acclimation and weather.

A light profile is one schedule whose lights follow levels that are functions of time (see
``light_curve``). Everything here is a definition; nothing holds runtime state, so a profile
prescribes the same level for the same instant after any restart. The services that pause
acclimation or start a storm change the definition (``Acclimation.paused_on``,
``LightProfile.storm_now``), never a counter kept in memory.

Times of day are read on the wall clock of the schedule's zone. Levels are percent (0..100).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from .profile import Curve

MOON = "moon"
"""Key of the moonlight channel among the channel names (a day channel may not use it)."""


@dataclass(frozen=True, slots=True)
class Channel:
    """A day channel: lights driven through points (time of day -> level), wrapping at midnight."""

    name: str
    lights: tuple[str, ...]
    points: tuple[tuple[time, float], ...]  # strictly increasing times; one point = constant
    min_level: float = 0.0  # a level above 0 but below this is sent as off (LED flicker)
    max_level: float = 100.0  # cap, applied after acclimation and weather
    acclimate: bool = True  # acclimation scales this channel
    weather: bool = True  # clouds and storms dim this channel


@dataclass(frozen=True, slots=True)
class Moonlight:
    """The lunar channel: max_level x the night's illuminated fraction, during its hours."""

    lights: tuple[str, ...]
    max_level: float  # calibrated level at full moon
    # Both None: from moonrise to moonset at Home Assistant's location; else local hours,
    # ``end`` on the next day when it is not after ``start``.
    start: time | None = None
    end: time | None = None


@dataclass(frozen=True, slots=True)
class Acclimation:
    """Scales the acclimated channels from start_percent to 100 % over ``days`` local days."""

    start_date: date  # day 1
    days: int
    start_percent: float
    paused_on: date | None = None  # paused: the factor stays that of this date until resumed


@dataclass(frozen=True, slots=True)
class Clouds:
    """Dips of the weather channels, drawn from a seed of (date, schedule id)."""

    per_hour: float  # average number of clouds per hour
    depth: float  # percent of the channel's level taken away at a cloud's deepest
    minutes: float  # typical length of one cloud
    weekdays: frozenset[int] = frozenset()  # 0 = Monday .. 6 = Sunday; empty = every day


@dataclass(frozen=True, slots=True)
class Storm:
    """A darker period with short flashes on one channel; daily at ``start`` on its weekdays."""

    minutes: float  # length of a scheduled storm
    depth: float  # percent of the weather channels' level taken away
    start: time | None = None  # None: only on demand (``LightProfile.storm_now``)
    weekdays: frozenset[int] = frozenset()  # empty = every day (with a start)
    flash_channel: str | None = None  # a day channel's name; None = no flashes
    flashes_per_minute: float = 3.0


@dataclass(frozen=True, slots=True)
class LightProfile:
    """A named set of channels with optional moonlight, acclimation and weather."""

    channels: tuple[Channel, ...]
    curve: Curve = Curve.LINEAR  # interpolation between points
    moon: Moonlight | None = None
    acclimation: Acclimation | None = None
    clouds: Clouds | None = None
    storm: Storm | None = None
    weather: bool = True  # the weather switch: clouds and storms on or off
    storm_now: tuple[datetime, datetime] | None = None  # an on-demand storm [start, end), UTC

    @property
    def lights(self) -> tuple[str, ...]:
        """Return every light of every channel, each once, in channel order."""
        ordered = [light for channel in self.channels for light in channel.lights]
        if self.moon is not None:
            ordered += self.moon.lights
        return tuple(dict.fromkeys(ordered))

    @property
    def channel_names(self) -> tuple[str, ...]:
        """Return the day channels' names in order, then MOON when the profile has moonlight."""
        names = tuple(channel.name for channel in self.channels)
        return names if self.moon is None else (*names, MOON)

    def channel(self, name: str) -> Channel | None:
        """Return the day channel of that name, if any."""
        return next((channel for channel in self.channels if channel.name == name), None)
