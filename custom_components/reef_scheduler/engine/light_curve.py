"""A light profile's levels over one run: from its due instant to the next local midnight.

A run of a profile schedule starts at local midnight (``day_end`` of the previous run) and its
levels are read on the wall clock of the schedule's zone, as microseconds since the local
midnight of the run's date. For a day channel at wall time w the level is:

    points interpolated at w (linear or smoothstep; wrapping at midnight)
    * acclimation factor of the run's date (if the channel acclimates)
    * cloud and storm dips (if the channel and the profile have weather on)
    → min(·, max_level) → a level in (0, min_level) becomes 0,

and a storm flash puts the flash channel at its max_level for 300 ms (``flash_at`` tells when).
The moon channel is max_level * the illuminated fraction at the local midnight inside that
night, during its hours: its ``start``..``end`` (``end`` on the next day when not after
``start``), or moonrise..moonset from ``moon_window`` (engine.moon: a night's window opens with
the first rise between its noon and the next). The nights starting up to two days before the
run may light it. Without a window, a moon that follows moonrise stays dark.

DST (DESIGN.md §2, read on the wall clock): the wall clock of a 23-hour day jumps over the
missing hour, so the level jumps to the curve's value after the gap; on a 25-hour day the
repeated hour plays once, at its first occurrence, and the level reached at its end is held
during the second occurrence. The wall time used is the running maximum of the local clock, so
the curve never runs backwards or twice. A run whose next midnight falls in a gap ends at the
gap's end, reading the wall clock after the gap like the next run's start.

``next_change`` works on the wall clock (engine.light_clock) section by section
(engine.light_levels), so it is exact to the microsecond and cheap over flat stretches.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .acclimation import acclimation_factor
from .light_clock import WallClock, wall_clock
from .light_levels import Override, Track, WallLevel
from .light_model import MOON, Channel, LightProfile, Moonlight
from .moon import illuminated_fraction
from .profile import Curve, round_level
from .timeline import resolve_local
from .weather import DAY_US, Dip, cloud_dips, flash_spans, storm_dips, storm_spans, wall_of_time

type Spans = tuple[tuple[int, int], ...]
"""Wall time spans [start, end) in µs, in order, not overlapping."""

type MoonWindow = Callable[[date], tuple[datetime, datetime] | None]
"""Moonrise and moonset (UTC) of the night starting on a local date, or None."""


_LAST = 1 << 62  # beyond any wall time: a flash starting at a wall time sorts before it


def day_end(start: datetime, zone: ZoneInfo) -> datetime:
    """Return the next local-midnight run instant after ``start`` (DESIGN.md §2's policy)."""
    day = start.astimezone(zone).date()
    while True:
        day += timedelta(days=1)
        # A local date that never existed has no midnight: the next date's is the end.
        instant = resolve_local(datetime.combine(day, time()), zone)
        if instant is not None and instant > start:
            return instant


@dataclass(frozen=True, slots=True)
class LightCurve:
    """Levels over [start, end] (one run), constant after; the max of its channels' levels."""

    _clock: WallClock = field(repr=False)
    _levels: tuple[WallLevel, ...] = field(repr=False)
    _flashes: Spans = field(default=(), repr=False)  # the storm flashes in the run
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
    def flashes(self) -> bool:
        """Return True when a storm flash falls in the run: step the light, never fade it."""
        return bool(self._flashes)

    @property
    def knots(self) -> tuple[datetime, ...]:
        """Every bend of the curve (points, cloud and storm edges, flashes, moon, DST)."""
        return self._knots

    def level_at(self, t: datetime) -> float:
        """Return the level at ``t`` (the start's level before it, the end's after it)."""
        return self._level(self._clock.wall_at(min(max(t, self.start), self.end)))

    def flash_at(self, t: datetime) -> bool:
        """Return True while ``t`` (clamped to the run as in ``level_at``) lies in a flash."""
        wall = self._clock.wall_at(min(max(t, self.start), self.end))
        index = bisect_right(self._flashes, (wall, _LAST)) - 1
        return index >= 0 and wall < self._flashes[index][1]

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
    clock: WallClock

    @property
    def day(self) -> date:
        """The run's local date (wall time 0 is its midnight)."""
        return self.clock.start.astimezone(self.zone).date()

    def midnight(self, day: date) -> datetime:
        """Return the instant of a date's local midnight (its gap's end when it has none)."""
        instant = resolve_local(datetime.combine(day, time()), self.zone)
        # A date that never existed has no midnight: the next date's stands in.
        return instant if instant is not None else self.midnight(day + timedelta(days=1))


def _points_track(channel: Channel, curve: Curve, low: int, high: int) -> Track:
    """Return the channel's points repeated every day over wall times [low, high]."""
    if len(channel.points) == 1:
        return Track((0,), (channel.points[0][1],), curve)
    days = range(low // DAY_US - 1, high // DAY_US + 2)
    walls = tuple(
        day * DAY_US + wall_of_time(moment) for day in days for moment, _ in channel.points
    )
    values = tuple(level for _ in days for _, level in channel.points)
    return Track(walls, values, curve)


def _dip_track(dips: Iterable[Dip]) -> Track | None:
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
    return Track(tuple(walls), tuple(values), Curve.SMOOTH)


def _day_level(
    profile: LightProfile, channel: Channel, run: _RunContext
) -> tuple[WallLevel, Spans]:
    """Return a day channel's level on the wall clock and the flashes in the run."""
    tracks = [_points_track(channel, profile.curve, run.clock.first_wall, run.clock.last_wall)]
    scale = 1.0
    if channel.acclimate and profile.acclimation is not None:
        scale = acclimation_factor(profile.acclimation, run.day)
    overrides: list[Override] = []
    if profile.weather and channel.weather:
        clouds = _dip_track(cloud_dips(profile.clouds, run.seed, run.day))
        now = None
        if profile.storm_now is not None:
            now = (run.clock.wall_at(profile.storm_now[0]), run.clock.wall_at(profile.storm_now[1]))
        # Spans further than a day from the run change nothing in it but would cost flashes.
        window = (run.clock.first_wall - DAY_US, run.clock.last_wall + DAY_US)
        spans = tuple(
            (max(first, window[0]), min(last, window[1]))
            for first, last in storm_spans(profile.storm, run.day, now)
            if first < window[1] and last > window[0]
        )
        storm = _dip_track(storm_dips(profile.storm, spans))
        tracks += [track for track in (clouds, storm) if track is not None]
        if profile.storm is not None and profile.storm.flash_channel == channel.name:
            overrides = [
                Override(first, last, channel.max_level)
                for first, last in flash_spans(profile.storm, spans, run.seed, run.day)
                if first < run.clock.last_wall and last > run.clock.first_wall
            ]
    level = WallLevel.build(tracks, scale, overrides, channel.min_level, channel.max_level)
    return level, tuple((flash.start, flash.end) for flash in overrides)


def _moon_level(moon: Moonlight, run: _RunContext, moon_window: MoonWindow | None) -> WallLevel:
    """Return the moon channel's level: on during its hours, at the night's fraction."""
    overrides: list[Override] = []
    for night in (run.day - timedelta(days=2), run.day - timedelta(days=1), run.day):
        span = _moon_span(moon, night, run, moon_window)
        if span is None or span[1] <= span[0]:
            continue
        fraction = illuminated_fraction(run.midnight(night + timedelta(days=1)))
        overrides.append(Override(span[0], span[1], moon.max_level * fraction))
    return WallLevel.build((Track((0,), (0.0,), Curve.LINEAR),), 1.0, overrides)


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
    return _RunContext(zone, seed, wall_clock(start, day_end(start, zone), zone))


def _channel_level(
    profile: LightProfile, channel: str, run: _RunContext, moon_window: MoonWindow | None
) -> tuple[WallLevel, Spans]:
    """Return one channel's level on the run's wall clock and its flashes."""
    if channel == MOON:
        if profile.moon is None:
            raise ValueError("the profile has no moon channel")
        return _moon_level(profile.moon, run, moon_window), ()
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
    # Only the storm's flash channel has flashes: they stay in order and apart.
    return LightCurve(
        run.clock,
        tuple(level for level, _ in built),
        tuple(span for _, flashes in built for span in flashes),
    )
