"""A light profile's levels over one run: from its due instant to the next local midnight.

A run of a profile schedule starts at local midnight (``day_end`` of the previous run) and its
levels are read on the wall clock of the schedule's zone, as microseconds since the local
midnight of the run's date. For a day channel at wall time w the level is:

    points interpolated at w (linear or smoothstep; wrapping at midnight)
    * acclimation factor of the run's date (if the channel acclimates)
    * cloud and storm dips (if the channel and the profile have weather on)
    → min(·, max_level) → a level in (0, min_level) becomes 0,

and a storm flash puts the flash channel at its max_level for 300 ms. The moon channel is
max_level * the illuminated fraction at the local midnight inside that night, during its hours.

DST (DESIGN.md §2, read on the wall clock): the wall clock of a 23-hour day jumps over the
missing hour, so the level jumps to the curve's value after the gap; on a 25-hour day the
repeated hour plays once, at its first occurrence, and the level reached at its end is held
during the second occurrence. The wall time used is the running maximum of the local clock, so
the curve never runs backwards or twice.

``next_change`` searches the wall clock section by section (sections end at every bend: points,
cloud and storm edges, flashes, moon on/off). Inside a section every factor is one monotone
piece, so a flat section is skipped with two evaluations and a monotone one is solved with
``first_true`` from an inverted guess; sections where factors move in opposite directions
(a cloud on a ramp) are bisected with interval bounds. The answer is exact to the microsecond.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from .acclimation import acclimation_factor
from .light_model import MOON, Channel, LightProfile, Moonlight
from .moon import illuminated_fraction
from .profile import Curve, first_true, round_level, shape, shape_inverse
from .timeline import offset_change, resolve_local
from .weather import DAY_US, Dip, cloud_dips, flash_spans, storm_dips, storm_spans, wall_of_time

type MoonWindow = Callable[[date], tuple[datetime, datetime] | None]
"""Moonrise and moonset (UTC) of the night starting on a local date, or None."""

_US = timedelta(microseconds=1)
_HOUR = timedelta(hours=1)
_FAR = 1 << 62  # a wall time beyond any day, as a section bound


def day_end(start: datetime, zone: ZoneInfo) -> datetime:
    """Return the next local-midnight run instant after ``start`` (DESIGN.md §2's policy)."""
    day = start.astimezone(zone).date()
    while True:
        day += timedelta(days=1)
        # A local date that never existed has no midnight: the next date's is the end.
        instant = resolve_local(datetime.combine(day, time()), zone)
        if instant is not None and instant > start:
            return instant


# --- the wall clock of one run ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Stretch:
    """Instants [start, end) whose wall time plays along (``plays``) or is held at ``wall``."""

    start: datetime
    end: datetime
    wall: int
    plays: bool

    def wall_at(self, t: datetime) -> int:
        """Return the wall time (µs) at an instant of this stretch."""
        return self.wall + ((t - self.start) // _US if self.plays else 0)

    def instant_of(self, wall: int) -> datetime:
        """Return the instant a playing stretch reaches a wall time."""
        return self.start + (wall - self.wall) * _US


def _offset_changes(start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """Return the instants in (start, end) where the zone's UTC offset changes."""
    changes: list[datetime] = []
    # Whole seconds keep offset_change's bisection on tzdata's whole-second transitions.
    probe = start.replace(microsecond=0)
    while probe < end:
        following = probe + _HOUR
        if following.astimezone(zone).utcoffset() != probe.astimezone(zone).utcoffset():
            change = offset_change(zone, probe, following)
            if start < change < end:
                changes.append(change)
        probe = following
    return changes


@dataclass(frozen=True, slots=True)
class _Clock:
    """The wall clock a run reads: stretches covering [start, end]."""

    start: datetime
    end: datetime
    stretches: tuple[_Stretch, ...]
    starts: tuple[datetime, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Index the stretches by their start."""
        object.__setattr__(self, "starts", tuple(s.start for s in self.stretches))

    @property
    def first_wall(self) -> int:
        """Wall time at the start."""
        return self.stretches[0].wall

    @property
    def last_wall(self) -> int:
        """Wall time at the end."""
        return self.stretches[-1].wall_at(self.end)

    def index(self, t: datetime) -> int:
        """Return the index of the stretch holding an instant of [start, end)."""
        return bisect_right(self.starts, t) - 1

    def wall_at(self, t: datetime) -> int:
        """Return the wall time of an instant; outside the run, real time from its ends."""
        # Not clamped: a storm or a moon window that ends after midnight must not end at it.
        if t <= self.start:
            return self.first_wall - (self.start - t) // _US
        if t >= self.end:
            return self.last_wall + (t - self.end) // _US
        return self.stretches[self.index(t)].wall_at(t)


def _clock(start: datetime, end: datetime, zone: ZoneInfo) -> _Clock:
    """Return the clock of [start, end]: the running maximum of the local wall clock."""
    origin = datetime.combine(start.astimezone(zone).date(), time())
    stretches: list[_Stretch] = []
    reached: int | None = None
    for begin, finish in pairwise([start, *_offset_changes(start, end, zone), end]):
        wall = (begin.astimezone(zone).replace(tzinfo=None) - origin) // _US
        length = (finish - begin) // _US
        playing = begin
        if reached is not None and wall < reached:
            # A repeated wall time: hold what the first occurrence reached until the clock
            # catches up.
            held = min(reached - wall, length)
            playing = begin + held * _US
            stretches.append(_Stretch(begin, playing, reached, plays=False))
            wall, length = reached, length - held
        if length > 0:
            stretches.append(_Stretch(playing, finish, wall, plays=True))
        reached = wall + length if reached is None else max(reached, wall + length)
    closing = (end.astimezone(zone).replace(tzinfo=None) - origin) // _US
    if reached is not None and closing > reached:
        # The clock springs forward at the very end (a midnight in a gap): the end reads the
        # wall after the gap, like the next run's start.
        stretches.append(_Stretch(end, end, closing, plays=True))
    return _Clock(start, end, tuple(stretches))


# --- levels as functions of the wall clock ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Segment:
    """One monotone piece of a factor: ``first`` at ``start`` to ``last`` at ``end``."""

    start: int
    end: int
    first: float
    last: float
    curve: Curve

    def value(self, wall: int) -> float:
        """Return the factor at a wall time, clamped to the ends outside the piece."""
        if wall <= self.start:
            return self.first
        # Sections never read a piece past its end; the clamp keeps the contract anyway.
        progress = shape(self.curve, min((wall - self.start) / (self.end - self.start), 1.0))
        return self.first + (self.last - self.first) * progress

    def wall_of(self, value: float) -> int:
        """Return about where the piece reaches a value (a search guess, clamped)."""
        fraction = (value - self.first) / (self.last - self.first)
        progress = shape_inverse(self.curve, min(max(fraction, 0.0), 1.0))
        return self.start + round(progress * (self.end - self.start))


@dataclass(frozen=True, slots=True)
class _Track:
    """A factor through (wall, value) knots, each piece shaped by ``curve``, flat outside."""

    walls: tuple[int, ...]
    values: tuple[float, ...]
    curve: Curve

    def piece(self, wall: int) -> _Segment | float:
        """Return the piece covering [wall, next knot), or its value where it is flat."""
        index = bisect_right(self.walls, wall) - 1
        if index < 0:
            return self.values[0]
        if index >= len(self.walls) - 1:
            return self.values[-1]
        first, last = self.values[index], self.values[index + 1]
        if first == last:
            return first
        return _Segment(self.walls[index], self.walls[index + 1], first, last, self.curve)


@dataclass(frozen=True, slots=True)
class _Section:
    """Wall times from ``start`` to the next section: ``fixed``, or scale * segments, capped."""

    start: int
    scale: float
    segments: tuple[_Segment, ...]
    fixed: float | None = None


@dataclass(frozen=True, slots=True)
class _Override:
    """Wall times [start, end) at a fixed level (a flash, the moon being up)."""

    start: int
    end: int
    level: float


@dataclass(frozen=True, slots=True)
class _WallLevel:
    """One channel's level as a function of the wall clock, in sections."""

    starts: tuple[int, ...]
    sections: tuple[_Section, ...]
    min_level: float
    max_level: float

    @classmethod
    def build(
        cls,
        tracks: Sequence[_Track],
        scale: float,
        overrides: Sequence[_Override],
        min_level: float = 0.0,
        max_level: float = 100.0,
    ) -> _WallLevel:
        """Cut the wall clock at every knot and override edge into sections."""
        bounds = {-_FAR}
        for track in tracks:
            bounds.update(track.walls)
        for override in overrides:
            bounds.update((override.start, override.end))
        ordered = sorted(bounds)
        sections: list[_Section] = []
        for wall in ordered:
            fixed = [o.level for o in overrides if o.start <= wall < o.end]
            factor, segments = scale, []
            for track in tracks:
                piece = track.piece(wall)
                if isinstance(piece, _Segment):
                    segments.append(piece)
                else:
                    factor *= piece
            sections.append(_Section(wall, factor, tuple(segments), max(fixed, default=None)))
        return cls(tuple(ordered), tuple(sections), min_level, max_level)

    def cap(self, raw: float) -> float:
        """Apply the cap, then send a level in (0, min_level) as off."""
        capped = min(raw, self.max_level)
        return 0.0 if 0.0 < capped < self.min_level else capped

    def raw(self, section: _Section, wall: int) -> float:
        """Return the uncapped level of a section at a wall time."""
        value = section.scale
        for segment in section.segments:
            value *= segment.value(wall)
        return value

    def section_level(self, section: _Section, wall: int) -> float:
        """Return the level of a section at a wall time."""
        if section.fixed is not None:
            return section.fixed
        return self.cap(self.raw(section, wall))

    def level(self, wall: int) -> float:
        """Return the level at a wall time."""
        return self.section_level(self.sections[bisect_right(self.starts, wall) - 1], wall)

    def next_change(self, after: int, until: int) -> int | None:
        """Return the first wall time in (after, until] whose rounded level differs."""
        current = round_level(self.level(after))
        index = bisect_right(self.starts, after) - 1
        low = after
        while low < until:
            section = self.sections[index]
            if low < section.start:
                # Entering a section: its first instant may jump (a flash, the moon rising).
                if round_level(self.section_level(section, section.start)) != current:
                    return section.start
                low = section.start
            high = (
                until if index + 1 == len(self.starts) else min(until, self.starts[index + 1] - 1)
            )
            if high > low:
                found = self._search(section, low, high, current)
                if found is not None:
                    return found
            low = high
            index += 1
        return None

    def _search(self, section: _Section, low: int, high: int, current: int) -> int | None:
        """Return the first wall time in (low, high] of one section whose rounded level differs."""
        if section.fixed is not None:
            return None
        moving = [s for s in section.segments if s.value(low) != s.value(high)]
        rising = [s.value(high) > s.value(low) for s in moving]
        if all(rising) or not any(rising):
            # Every factor moves one way (or none moves): the level is monotonic.
            if round_level(self.section_level(section, high)) == current:
                return None
            return first_true(
                lambda wall: round_level(self.section_level(section, wall)) != current,
                low,
                high,
                self._guess(section, moving, low, high, current),
            )
        return self._bisect(section, low, high, current)

    def _guess(
        self, section: _Section, moving: list[_Segment], low: int, high: int, current: int
    ) -> int:
        """Return about where a monotonic section's rounded level leaves ``current``."""
        start, end = self.raw(section, low), self.raw(section, high)
        target = max(current + 0.5 if end > start else current - 0.5, self.min_level)
        if len(moving) == 1:
            segment = moving[0]
            rest = start / segment.value(low) if segment.value(low) else 0.0
            if rest:
                return segment.wall_of(target / rest)
        fraction = (target - start) / (end - start)
        return low + round(min(max(fraction, 0.0), 1.0) * (high - low))

    def _bisect(self, section: _Section, low: int, high: int, current: int) -> int | None:
        """Return the first wall time in (low, high] whose rounded level differs, by bounds."""
        # Every factor is monotonic and not negative, so the level over [a, b] lies between
        # the products of each factor's smaller and larger end, and the cap is monotonic.
        first, last = low + 1, high
        smallest = largest = section.scale
        for segment in section.segments:
            a, b = segment.value(first), segment.value(last)
            smallest *= min(a, b)
            largest *= max(a, b)
        if round_level(self.cap(smallest)) == current == round_level(self.cap(largest)):
            return None
        if first == last:
            return last
        middle = (low + high) // 2
        found = self._bisect(section, low, middle, current)
        return found if found is not None else self._bisect(section, middle, high, current)


# --- the curve -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LightCurve:
    """Levels over [start, end] (one run), constant after; the max of its channels' levels."""

    _clock: _Clock = field(repr=False)
    _levels: tuple[_WallLevel, ...] = field(repr=False)
    flashes: bool = False  # a storm flash falls in the run: step the light, never fade it
    _knots: tuple[datetime, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Map every bend of the wall clock to its instant."""
        knots = {self.start, self.end}
        for stretch in self._clock.stretches:
            knots.add(stretch.start)
            if not stretch.plays:
                continue
            last = stretch.wall_at(stretch.end)
            for level in self._levels:
                first = bisect_right(level.starts, stretch.wall)
                for wall in level.starts[first : bisect_right(level.starts, last - 1)]:
                    knots.add(stretch.instant_of(wall))
        object.__setattr__(self, "_knots", tuple(sorted(knots)))

    @property
    def start(self) -> datetime:
        """The run's due instant."""
        return self._clock.start

    @property
    def end(self) -> datetime:
        """The next local midnight's run instant; the level is constant from here on."""
        return self._clock.end

    @property
    def knots(self) -> tuple[datetime, ...]:
        """Every bend of the curve (points, cloud and storm edges, flashes, moon, DST)."""
        return self._knots

    def level_at(self, t: datetime) -> float:
        """Return the level at ``t`` (the start's level before it, the end's after it)."""
        return self._level(self._clock.wall_at(min(max(t, self.start), self.end)))

    def next_change(self, after: datetime) -> datetime | None:
        """Return the first instant after ``after`` whose rounded level differs from now's."""
        if after >= self.end:
            return None
        after = max(after, self.start)
        current = round_level(self.level_at(after))
        stretches = self._clock.stretches
        first = self._clock.index(after)
        for index in range(first, len(stretches)):
            stretch = stretches[index]
            if index > first and round_level(self._level(stretch.wall)) != current:
                return stretch.start  # the wall clock jumped (a DST gap)
            if not stretch.plays:
                continue
            low = stretch.wall_at(after) if index == first else stretch.wall
            closing = index == len(stretches) - 1
            high = stretch.wall_at(stretch.end) - (0 if closing else 1)
            found = self._next_wall(low, high, current)
            if found is not None:
                return stretch.instant_of(found)
        return None

    def _level(self, wall: int) -> float:
        """Return the highest channel level at a wall time."""
        return max(level.level(wall) for level in self._levels)

    def _next_wall(self, low: int, high: int, current: int) -> int | None:
        """Return the first wall time in (low, high] whose rounded highest level differs."""
        # The highest level's rounding can only move where one channel's rounding moves.
        while True:
            found = [w for level in self._levels if (w := level.next_change(low, high)) is not None]
            if not found:
                return None
            low = min(found)
            if round_level(self._level(low)) != current:
                return low


# --- building the levels of a run ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RunContext:
    """The run's zone, seed and clock, shared by its channels."""

    zone: ZoneInfo
    seed: str
    clock: _Clock

    @property
    def day(self) -> date:
        """The run's local date (wall time 0 is its midnight)."""
        return self.clock.start.astimezone(self.zone).date()

    def midnight(self, day: date) -> datetime:
        """Return the instant of a date's local midnight (its gap's end when it has none)."""
        instant = resolve_local(datetime.combine(day, time()), self.zone)
        # A date that never existed has no midnight: the next date's stands in.
        return instant if instant is not None else self.midnight(day + timedelta(days=1))


def _points_track(channel: Channel, curve: Curve, low: int, high: int) -> _Track:
    """Return the channel's points repeated every day over wall times [low, high]."""
    if len(channel.points) == 1:
        return _Track((0,), (channel.points[0][1],), curve)
    days = range(low // DAY_US - 1, high // DAY_US + 2)
    walls = tuple(
        day * DAY_US + wall_of_time(moment) for day in days for moment, _ in channel.points
    )
    values = tuple(level for _ in days for _, level in channel.points)
    return _Track(walls, values, curve)


def _dip_track(dips: Iterable[Dip]) -> _Track | None:
    """Return one smooth factor track through non-overlapping dips, or None without dips."""
    walls: list[int] = []
    values: list[float] = []
    for dip in dips:
        low = 1.0 - dip.depth
        knots = [
            (dip.start, 1.0),
            (dip.start + dip.edge, low),
            (dip.end - dip.edge, low),
            (dip.end, 1.0),
        ]
        for wall, value in knots:
            if walls and wall <= walls[-1]:
                continue
            walls.append(wall)
            values.append(value)
    if not walls:
        return None
    return _Track(tuple(walls), tuple(values), Curve.SMOOTH)


def _day_level(
    profile: LightProfile, channel: Channel, run: _RunContext
) -> tuple[_WallLevel, bool]:
    """Return a day channel's level on the wall clock and whether a flash falls in the run."""
    tracks = [_points_track(channel, profile.curve, run.clock.first_wall, run.clock.last_wall)]
    scale = 1.0
    if channel.acclimate and profile.acclimation is not None:
        scale = acclimation_factor(profile.acclimation, run.day)
    overrides: list[_Override] = []
    if profile.weather and channel.weather:
        clouds = _dip_track(cloud_dips(profile.clouds, run.seed, run.day))
        now = None
        if profile.storm_now is not None:
            now = (run.clock.wall_at(profile.storm_now[0]), run.clock.wall_at(profile.storm_now[1]))
        spans = storm_spans(profile.storm, run.day, now)
        storm = _dip_track(storm_dips(profile.storm, spans))
        tracks += [track for track in (clouds, storm) if track is not None]
        if profile.storm is not None and profile.storm.flash_channel == channel.name:
            overrides = [
                _Override(first, last, channel.max_level)
                for first, last in flash_spans(profile.storm, spans, run.seed, run.day)
                if first < run.clock.last_wall and last > run.clock.first_wall
            ]
    level = _WallLevel.build(tracks, scale, overrides, channel.min_level, channel.max_level)
    return level, bool(overrides)


def _moon_level(moon: Moonlight, run: _RunContext, moon_window: MoonWindow | None) -> _WallLevel:
    """Return the moon channel's level: on during its hours, at the night's fraction."""
    overrides: list[_Override] = []
    for night in (run.day - timedelta(days=2), run.day - timedelta(days=1), run.day):
        span = _moon_span(moon, night, run, moon_window)
        if span is None or span[1] <= span[0]:
            continue
        fraction = illuminated_fraction(run.midnight(night + timedelta(days=1)))
        overrides.append(_Override(span[0], span[1], moon.max_level * fraction))
    return _WallLevel.build((_Track((0,), (0.0,), Curve.LINEAR),), 1.0, overrides)


def _moon_span(
    moon: Moonlight, night: date, run: _RunContext, moon_window: MoonWindow | None
) -> tuple[int, int] | None:
    """Return the wall span the moon channel is on during the night starting on a date."""
    if moon.start is not None and moon.end is not None:
        offset = (night - run.day).days * DAY_US
        first, last = wall_of_time(moon.start), wall_of_time(moon.end)
        if last <= first:
            last += DAY_US
        return offset + first, offset + last
    window = None if moon_window is None else moon_window(night)
    if window is None:
        return None
    return run.clock.wall_at(window[0]), run.clock.wall_at(window[1])


def _run(start: datetime, zone: ZoneInfo, seed: str) -> _RunContext:
    """Return the clock of the run starting at ``start``."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    start = start.astimezone(UTC)
    return _RunContext(zone, seed, _clock(start, day_end(start, zone), zone))


def _channel_level(
    profile: LightProfile, channel: str, run: _RunContext, moon_window: MoonWindow | None
) -> tuple[_WallLevel, bool]:
    """Return one channel's level on the run's wall clock and whether it flashes."""
    if channel == MOON:
        if profile.moon is None:
            raise ValueError("the profile has no moon channel")
        return _moon_level(profile.moon, run, moon_window), False
    day_channel = profile.channel(channel)
    if day_channel is None:
        raise ValueError(f"the profile has no channel {channel!r}")
    return _day_level(profile, day_channel, run)


def channel_curve(
    profile: LightProfile,
    channel: str,
    start: datetime,
    *,
    zone: ZoneInfo,
    seed: str,
    moon_window: MoonWindow | None = None,
) -> LightCurve:
    """Return one channel's curve (a day channel's name or MOON) for the run at ``start``."""
    run = _run(start, zone, seed)
    level, flashes = _channel_level(profile, channel, run, moon_window)
    return LightCurve(run.clock, (level,), flashes)


def light_curve(
    profile: LightProfile,
    entity_id: str,
    start: datetime,
    *,
    zone: ZoneInfo,
    seed: str,
    moon_window: MoonWindow | None = None,
) -> LightCurve:
    """Return a light's curve for the run at ``start``: the highest of its channels' levels."""
    names = [channel.name for channel in profile.channels if entity_id in channel.lights]
    if profile.moon is not None and entity_id in profile.moon.lights:
        names.append(MOON)
    if not names:
        raise ValueError(f"{entity_id} is not a light of the profile")
    run = _run(start, zone, seed)
    built = [_channel_level(profile, name, run, moon_window) for name in names]
    return LightCurve(
        run.clock,
        tuple(level for level, _ in built),
        any(flashes for _, flashes in built),
    )
