"""Immutable wave pattern model: circulation pumps driven by on/off or speed patterns.

A wave pattern is one schedule (spec ``type: wave``) whose pumps follow levels that are
functions of time (see ``wave``): nothing here holds runtime state, so a restart lands every
pump on the level its pattern prescribes for the instant, and a random pattern continues the
same sequence (its lengths are drawn from a seed of the schedule id, the pump and a fixed block
of real time). Lengths are real elapsed time; the night window is read on the wall clock of the
schedule's zone. Levels are percent (0..100); on/off patterns send ``max_speed`` when on (a
switch is simply on) and off when off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from enum import StrEnum


class WaveMode(StrEnum):
    """How the pumps move."""

    ALTERNATE = "alternate"  # pumps take turns: each on for ``on``, the others off
    PULSE = "pulse"  # every pump on for ``on``, then off for ``off``
    RANDOM = "random"  # each pump on for [on, on_max], off for [off, off_max], seeded
    SINE = "sine"  # variable speed: min_speed..max_speed over ``period``, pumps spread in phase
    RAMPED_PULSE = "ramped_pulse"  # variable: up over ``ramp``, max ``on``, down, min ``off``

    @property
    def variable(self) -> bool:
        """Return True for a mode that needs variable-speed pumps (number, input_number, fan)."""
        return self in (WaveMode.SINE, WaveMode.RAMPED_PULSE)


@dataclass(frozen=True, slots=True)
class WaveSettings:
    """One set of pattern settings (the day's, or the night's)."""

    mode: WaveMode
    on: timedelta = timedelta(seconds=30)  # alternate: each turn; random: shortest on
    off: timedelta = timedelta(seconds=30)  # pulse / ramped pulse; random: shortest off
    on_max: timedelta | None = None  # random only: longest on
    off_max: timedelta | None = None  # random only: longest off
    period: timedelta | None = None  # sine only: one full cycle
    ramp: timedelta | None = None  # ramped pulse only: each ramp's length
    min_speed: float = 0.0  # variable modes: the lowest speed
    max_speed: float = 100.0  # the speed when on (number, input_number, fan pumps)


@dataclass(frozen=True, slots=True)
class WaveNight:
    """Other settings between two local times (``end`` on the next day when not after ``start``)."""

    start: time
    end: time
    settings: WaveSettings


@dataclass(frozen=True, slots=True)
class WavePattern:
    """Pumps and their pattern: day settings, an optional night, pump protection."""

    pumps: tuple[str, ...]  # switch, fan, number, input_number; 1..8 (alternate: 2..8)
    day: WaveSettings
    night: WaveNight | None = None
    # A pump is never switched on for less than min_on nor off for less than min_off, also
    # across the switch between day and night settings (on/off modes only).
    min_on: timedelta = timedelta(seconds=5)
    min_off: timedelta = timedelta(seconds=5)
