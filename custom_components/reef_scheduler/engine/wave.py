"""A wave pattern's pump levels over one run: from its due instant to the next local midnight.

Every length is real elapsed time anchored at the Unix epoch, not at the run's start, so the
pattern runs on through midnight (and through a restart) as if nothing happened:

- alternate: slot k = floor(t / on); pump i of n is on when k % n == i;
- pulse: on for ``on``, then off for ``off``, periods from the epoch, every pump alike;
- random: each hour of the epoch is filled exactly with (on, off) pairs whose lengths lie in
  their bounds, drawn from ``random.Random`` seeded with a sha256 of "{seed}:{pump}:{hour}", so
  every hour starts with on and ends with off and a restart draws the same lengths again;
- sine: min_speed..max_speed over ``period``, pump i shifted by i/n of the period;
- ramped pulse: up from min_speed to max_speed over ``ramp``, max for ``on``, down over
  ``ramp``, min for ``off``, cycles from the epoch.

On/off modes send max_speed when on and 0 when off. The night's start and end are wall-clock
times of the schedule's zone (DESIGN.md §2: a time in a DST gap switches at the gap's end, a
repeated one at its first occurrence). At a switch S the pump keeps its level until its current
on or off has lasted min_on / min_off (on/off modes) and then until the new settings' next
change, from which the new settings run: no on or off is ever shorter than its minimum. The
validation keeps every night and day long enough for this to end well before the next switch,
so what happens at a switch depends only on the settings before and after it.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
import hashlib
import math
import random
from typing import Protocol
from zoneinfo import ZoneInfo

from .profile import first_true, round_level
from .timeline import resolve_local
from .validate_wave import RANDOM_BLOCK, random_pairs
from .wave_model import WaveMode, WavePattern, WaveSettings

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = 1_000_000
_ONE_US = timedelta(microseconds=1)
_BEFORE = -(1 << 62)  # before any instant: the first phase has always begun
# Switches searched around a run: the one before its start decides its first level.
_SWITCH_DAYS = 2
# A signal whose rounded level has not changed over this many monotonic pieces never changes.
_MAX_PIECES = 8


def to_us(instant: datetime) -> int:
    """Return whole microseconds since the Unix epoch."""
    return (instant - EPOCH) // _ONE_US


def from_us(value: int) -> datetime:
    """Return the UTC instant ``value`` microseconds after the Unix epoch."""
    return EPOCH + value * _ONE_US


def _us(length: timedelta | None) -> int:
    """Return a length in whole microseconds (0 for None)."""
    return 0 if length is None else length // _ONE_US


# --- the signals of one set of settings ----------------------------------------------------


class _Signal(Protocol):
    """One pump's level under one set of settings, as a function of µs since the epoch."""

    def level(self, t: int) -> float:
        """Return the level (percent) at ``t``."""

    def next_change(self, after: int) -> int | None:
        """Return the first µs after ``after`` whose rounded level differs, if any."""


class _OnOff(Protocol):
    """An on/off signal: it also knows the on or off segment around an instant."""

    def level(self, t: int) -> float:
        """Return the level (percent) at ``t``."""

    def next_change(self, after: int) -> int | None:
        """Return the first µs after ``after`` whose rounded level differs, if any."""

    def segment(self, t: int) -> tuple[bool, int, int]:
        """Return (on, start, end) of the segment holding ``t`` (start <= t < end)."""


@dataclass(frozen=True, slots=True)
class _Segments:
    """The level and changes of an on/off signal from its segments."""

    speed: float

    def segment(self, t: int) -> tuple[bool, int, int]:
        """Return the segment holding ``t`` (subclasses)."""
        raise NotImplementedError

    def level(self, t: int) -> float:
        """Return max_speed while on, 0 while off."""
        return self.speed if self.segment(t)[0] else 0.0

    def next_change(self, after: int) -> int | None:
        """Return the end of the segment holding ``after``: on and off alternate."""
        return self.segment(after)[2]


@dataclass(frozen=True, slots=True)
class _Alternate(_Segments):
    """Pump ``index`` of ``count`` is on during its turns of ``on`` µs."""

    on: int
    index: int
    count: int

    def segment(self, t: int) -> tuple[bool, int, int]:
        """Return the turn holding ``t`` or the others' turns around it."""
        slot = t // self.on
        if slot % self.count == self.index:
            return True, slot * self.on, (slot + 1) * self.on
        previous = slot - (slot - self.index) % self.count
        following = slot + (self.index - slot) % self.count
        return False, (previous + 1) * self.on, following * self.on


@dataclass(frozen=True, slots=True)
class _Pulse(_Segments):
    """On for ``on`` µs, off for ``off`` µs, periods from the epoch."""

    on: int
    off: int

    def segment(self, t: int) -> tuple[bool, int, int]:
        """Return the on or off of the period holding ``t``."""
        base = t - t % (self.on + self.off)
        if t - base < self.on:
            return True, base, base + self.on
        return False, base + self.on, base + self.on + self.off


@dataclass(frozen=True, slots=True)
class _Random(_Segments):
    """Seeded (on, off) pairs filling each hour of the epoch exactly."""

    seed: str
    entity_id: str
    bounds: tuple[int, int, int, int]  # on, off, on_max, off_max in seconds

    def segment(self, t: int) -> tuple[bool, int, int]:
        """Return the drawn on or off holding ``t``."""
        block_us = RANDOM_BLOCK * _US
        block = t // block_us
        base = block * block_us
        edges = random_block(self.seed, self.entity_id, block, self.bounds)
        index = bisect_right(edges, (t - base) // _US) - 1
        end = edges[index + 1] if index + 1 < len(edges) else RANDOM_BLOCK
        return index % 2 == 0, base + edges[index] * _US, base + end * _US


@lru_cache(maxsize=256)
def random_block(
    seed: str, entity_id: str, block: int, bounds: tuple[int, int, int, int]
) -> tuple[int, ...]:
    """Return the seconds into a random block at which a pump goes on, off, on, ... (from 0)."""
    on, off, on_max, off_max = bounds
    low, high = on + off, on_max + off_max
    count = random_pairs(low, high)
    if count is None:
        raise ValueError("no (on, off) pairs within the bounds fill a block")
    digest = hashlib.sha256(f"{seed}:{entity_id}:{block}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    edges: list[int] = []
    at, left = 0, RANDOM_BLOCK
    for remaining in range(count, 0, -1):
        # The pairs still to come must fit what is left: each between low and high.
        total = rng.randint(
            max(low, left - (remaining - 1) * high), min(high, left - (remaining - 1) * low)
        )
        length = rng.randint(max(on, total - off_max), min(on_max, total - off))
        edges += [at, at + length]
        at, left = at + total, left - total
    return tuple(edges)


@dataclass(frozen=True, slots=True)
class _Pieces:
    """A periodic level made of monotonic pieces, read in the domain x = t * scale + shift."""

    scale: int
    shift: int
    period: int  # in x
    bounds: tuple[int, ...]  # piece starts within a period, in x, from 0
    low: float
    high: float

    def position(self, x: int) -> float:
        """Return the level at the position ``x`` (subclasses)."""
        raise NotImplementedError

    def level(self, t: int) -> float:
        """Return the level at ``t``."""
        return self.position(t * self.scale + self.shift)

    def next_change(self, after: int) -> int | None:
        """Return the first µs after ``after`` whose rounded level differs from its level then."""
        if round_level(self.low) == round_level(self.high):
            return None
        current = round_level(self.level(after))

        def changed(t: int) -> bool:
            return round_level(self.level(t)) != current

        lo = after
        for _ in range(_MAX_PIECES):
            hi = self._piece_end(lo)
            # Monotonic on [lo, hi]: the rounded level changes inside it only if it does at hi.
            if changed(hi):
                return first_true(changed, lo, hi, lo + 1)
            lo = hi
        return None

    def _piece_end(self, t: int) -> int:
        """Return the first µs after ``t`` at which the next piece begins."""
        x = t * self.scale + self.shift
        cycle, within = divmod(x, self.period)
        index = bisect_right(self.bounds, within)
        following = cycle * self.period + (
            self.bounds[index] if index < len(self.bounds) else self.period
        )
        return max(-((self.shift - following) // self.scale), t + 1)


@dataclass(frozen=True, slots=True)
class _Sine(_Pieces):
    """low..high and back over a period, starting at low."""

    def position(self, x: int) -> float:
        """Return the level at a position of the period."""
        phase = (x % self.period) / self.period
        return self.low + (self.high - self.low) * (1.0 - math.cos(2.0 * math.pi * phase)) / 2.0


@dataclass(frozen=True, slots=True)
class _Ramped(_Pieces):
    """Up over a ramp, high for on, down over a ramp, low for off."""

    def position(self, x: int) -> float:
        """Return the level at a position of the cycle."""
        within = x % self.period
        up, top, down, _bottom = self.bounds
        if within < top:
            return self.low + (self.high - self.low) * (within - up) / (top - up)
        if within < down:
            return self.high
        ramp = top - up
        if within < down + ramp:
            return self.high - (self.high - self.low) * (within - down) / ramp
        return self.low


def signal(settings: WaveSettings, pumps: tuple[str, ...], entity_id: str, seed: str) -> _Signal:
    """Return one pump's signal under a set of settings."""
    index, count = pumps.index(entity_id), len(pumps)
    on, off, speed = _us(settings.on), _us(settings.off), settings.max_speed
    match settings.mode:
        case WaveMode.ALTERNATE:
            return _Alternate(speed, on, index, count)
        case WaveMode.PULSE:
            return _Pulse(speed, on, off)
        case WaveMode.RANDOM:
            on_max, off_max = settings.on_max or settings.on, settings.off_max or settings.off
            bounds = (on // _US, off // _US, _us(on_max) // _US, _us(off_max) // _US)
            return _Random(speed, seed, entity_id, bounds)
        case WaveMode.SINE:
            period = _us(settings.period)
            return _Sine(
                count,
                index * period,
                count * period,
                (0, count * period // 2),
                settings.min_speed,
                speed,
            )
        case WaveMode.RAMPED_PULSE:
            ramp = _us(settings.ramp)
            marks = (0, ramp, ramp + on, ramp + on + ramp)
            return _Ramped(1, 0, 2 * ramp + on + off, marks, settings.min_speed, speed)


# --- one pump over one run ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Phase:
    """From ``begin`` (µs) on: a signal, or a level held through a change of settings."""

    begin: int
    signal: _Signal | None = None
    held: float = 0.0

    def level(self, t: int) -> float:
        """Return the phase's level at ``t``."""
        return self.held if self.signal is None else self.signal.level(t)


@dataclass(frozen=True, slots=True)
class WaveCurve:
    """One pump's levels over [start, end] (one run), constant after: a ``Profile``."""

    start: datetime
    end: datetime
    _phases: tuple[_Phase, ...] = field(repr=False)
    _protection: tuple[int, int] = field(default=(0, 0), repr=False)  # min on, min off (µs)
    _begins: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Index the phases by their beginnings."""
        object.__setattr__(self, "_begins", tuple(phase.begin for phase in self._phases))

    @property
    def knots(self) -> tuple[datetime, ...]:
        """The run's start and end: the level is constant outside them."""
        return (self.start, self.end)

    def level_at(self, t: datetime) -> float:
        """Return the level at ``t`` (the start's before it, the end's after it)."""
        return self._level(to_us(min(max(t, self.start), self.end)))

    def next_change(self, after: datetime) -> datetime | None:
        """Return the first instant after ``after`` whose rounded level differs from now's."""
        if after >= self.end:
            return None
        now = to_us(max(after, self.start))
        last = to_us(self.end)
        current = round_level(self._level(now))
        index = bisect_right(self._begins, now) - 1
        while True:
            phase = self._phases[index]
            following = self._begins[index + 1] if index + 1 < len(self._begins) else None
            found = None if phase.signal is None else phase.signal.next_change(now)
            if found is not None and (following is None or found < following):
                return from_us(found) if found <= last else None
            if following is None or following > last:
                return None
            if round_level(self._level(following)) != current:
                return from_us(following)
            now, index = following, index + 1

    def _level(self, t: int) -> float:
        """Return the level at µs ``t``."""
        return self._phases[bisect_right(self._begins, t) - 1].level(t)

    def resume(self, now: datetime, current: float) -> WaveCurve:
        """Return the curve a pump at ``current`` follows from ``now`` on (a start, a restart).

        Switching the pump to an on or off of the pattern that ends sooner than its minimum
        would make it too short: the pump keeps its state until that on or off ends (when the
        pattern comes back to its state), then follows the pattern.
        """
        t = to_us(min(max(now, self.start), self.end))
        phase = self._phases[bisect_right(self._begins, t) - 1]
        wanted = round_level(self._level(t)) > 0
        if not isinstance(phase.signal, _Segments) or wanted == (round_level(current) > 0):
            return self
        following = self.next_change(from_us(t))
        shortest = self._protection[0 if wanted else 1]
        if following is None or to_us(following) - t >= shortest:
            return self
        end = to_us(following)
        index = bisect_right(self._begins, end) - 1
        after = self._phases[index]
        phases = (
            *self._phases[: bisect_right(self._begins, t)],
            _Phase(t, held=current),
            _Phase(end, after.signal, after.held),
            *self._phases[index + 1 :],
        )
        return WaveCurve(self.start, self.end, phases, self._protection)


def wave_curve(
    pattern: WavePattern,
    entity_id: str,
    start: datetime,
    end: datetime,
    *,
    zone: ZoneInfo,
    seed: str,
) -> WaveCurve:
    """Return a pump's levels from ``start`` to ``end`` (a run: local midnight to the next)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if entity_id not in pattern.pumps:
        raise ValueError(f"{entity_id} is not a pump of the pattern")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    day = signal(pattern.day, pattern.pumps, entity_id, seed)
    night = pattern.night
    protection = (_us(pattern.min_on), _us(pattern.min_off))
    if night is None:
        return WaveCurve(start, end, (_Phase(_BEFORE, day),), protection)
    dark = signal(night.settings, pattern.pumps, entity_id, seed)
    switches = _switches(night.start, night.end, start, end, zone)
    modes = {True: night.settings.mode, False: pattern.day.mode}
    signals = {True: dark, False: day}
    # Days around the run always hold switches: the settings before the first are the others.
    is_night = not switches[0][1]
    phases = [_Phase(_BEFORE, signals[is_night])]
    settled = _BEFORE
    for instant, to_night in switches:
        before, after = signals[is_night], signals[to_night]
        begin = _hold_until(
            before, modes[is_night], after, modes[to_night], instant, settled, pattern
        )
        if begin > instant:
            phases.append(_Phase(instant, held=before.level(instant)))
        phases.append(_Phase(begin, after))
        settled, is_night = begin, to_night
    return WaveCurve(start, end, tuple(phases), protection)


def _hold_until(
    before: _Signal,
    mode_before: WaveMode,
    after: _Signal,
    mode_after: WaveMode,
    instant: int,
    settled: int,
    pattern: WavePattern,
) -> int:
    """Return when the settings after a switch at ``instant`` take over (µs)."""
    earliest = instant
    if not mode_before.variable:
        assert isinstance(before, _Segments)
        on, began, _ = before.segment(instant)
        # The level before ``settled`` was held at least as long: counting from it is safe.
        protection = pattern.min_on if on else pattern.min_off
        earliest = max(instant, max(began, settled) + _us(protection))
    if mode_after.variable:
        return earliest
    found = after.next_change(earliest - 1)
    return earliest if found is None else found


def _switches(
    night_start: time, night_end: time, start: datetime, end: datetime, zone: ZoneInfo
) -> list[tuple[int, bool]]:
    """Return the switches (µs, to night) around a run, each a change of settings."""
    first = start.astimezone(zone).date() - timedelta(days=_SWITCH_DAYS)
    last = end.astimezone(zone).date() + timedelta(days=1)
    wraps = night_end <= night_start
    found: list[tuple[int, bool]] = []
    day: date = first
    while day <= last:
        for at, on_day, to_night in (
            (night_start, day, True),
            (night_end, day + timedelta(days=1) if wraps else day, False),
        ):
            resolved = resolve_local(datetime.combine(on_day, at), zone)
            if resolved is not None:
                found.append((to_us(resolved), to_night))
        day += timedelta(days=1)
    found.sort()
    switches: list[tuple[int, bool]] = []
    for instant, to_night in found:
        # A date that never existed drops its switch: the next one of the same kind is none.
        if not switches or switches[-1][1] != to_night:
            switches.append((instant, to_night))
    return switches
