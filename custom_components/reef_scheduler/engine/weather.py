"""Clouds and storms of a light profile for one local date, on that date's wall clock.

Wall times are microseconds since the date's local midnight. Clouds and storm flashes are
drawn from ``random.Random`` seeded with the sha256 of f"{seed}:{date}" (the seed is the
schedule id; Python's ``hash`` is salted per process), so a date gives the same weather after
a restart and in a preview, and another date other weather.

Clouds arrive as a Poisson process of ``per_hour`` over the day; each lasts ``minutes`` * 0.5..1.5
and takes ``depth`` * 0.5..1 of the level away at its deepest, with a smoothstep dip down and up.
A cloud that would begin inside the previous one waits for it to pass, and one that would
cross midnight is dropped, so the dips never overlap. A storm darkens by ``depth`` with a
smooth two-minute edge (a quarter of a shorter storm) and draws ``flashes_per_minute`` flashes
of 300 ms at random instants; a scheduled storm that crosses midnight goes on the next day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from hashlib import sha256
import random

from .light_model import Clouds, Storm

DAY_US = 86_400_000_000
MINUTE_US = 60_000_000
FLASH_US = 300_000
STORM_EDGE_US = 2 * MINUTE_US
DEFAULT_STORM = Storm(minutes=20.0, depth=50.0)
"""Darkening of an on-demand storm when the profile defines no storm (no flashes)."""


@dataclass(frozen=True, slots=True)
class Dip:
    """A dip of the level over wall times [start, end]: ``depth`` at its deepest."""

    start: int
    end: int
    depth: float  # fraction of the level taken away (0..1)
    edge: int  # µs of the smooth fade at each side


def _randoms(seed: str, day: date) -> tuple[random.Random, random.Random]:
    """Return the date's two random streams (clouds, flashes) from one sha256 digest."""
    digest = sha256(f"{seed}:{day.isoformat()}".encode()).digest()
    # Halves of one digest: flashes do not move when the clouds change, nor the reverse.
    return random.Random(digest[:16]), random.Random(digest[16:])


def _applies(weekdays: frozenset[int], day: date) -> bool:
    """Return True when the weekday filter (empty = every day) lets a date through."""
    return not weekdays or day.weekday() in weekdays


def cloud_dips(clouds: Clouds | None, seed: str, day: date) -> tuple[Dip, ...]:
    """Return the date's clouds as non-overlapping dips in wall time order."""
    if clouds is None or clouds.per_hour / 60.0 <= 0 or clouds.depth <= 0:
        return ()
    if not _applies(clouds.weekdays, day):
        return ()
    rng, _ = _randoms(seed, day)
    dips: list[Dip] = []
    arrival = 0.0
    free = 0
    while True:
        arrival += rng.expovariate(clouds.per_hour / 60.0)
        length = clouds.minutes * rng.uniform(0.5, 1.5)
        depth = clouds.depth / 100.0 * rng.uniform(0.5, 1.0)
        if arrival >= 24 * 60:
            return tuple(dips)
        start = max(round(arrival * MINUTE_US), free)
        end = start + max(round(length * MINUTE_US), 2)
        if end > DAY_US:
            return tuple(dips)
        dips.append(Dip(start, end, depth, (end - start) // 2))
        free = end


def wall_of_time(moment: time) -> int:
    """Return a time of day as µs since midnight."""
    seconds = (moment.hour * 60 + moment.minute) * 60 + moment.second
    return seconds * 1_000_000 + moment.microsecond


def storm_spans(
    storm: Storm | None, day: date, now: tuple[int, int] | None = None
) -> tuple[tuple[int, int], ...]:
    """Return the date's storm periods [start, end) in wall time, overlapping ones merged.

    ``now`` is an on-demand storm already mapped to the date's wall clock.
    """
    spans: list[tuple[int, int]] = []
    if storm is not None and storm.start is not None and storm.minutes > 0:
        length = round(storm.minutes * MINUTE_US)
        for days_back in (1, 0):
            if _applies(storm.weekdays, day - timedelta(days=days_back)):
                begin = wall_of_time(storm.start) - days_back * DAY_US
                if begin + length > 0:
                    spans.append((begin, begin + length))
    if now is not None and now[1] > now[0]:
        spans.append(now)
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return tuple(merged)


def storm_dips(storm: Storm | None, spans: tuple[tuple[int, int], ...]) -> tuple[Dip, ...]:
    """Return the storm periods as dips of the storm's depth."""
    depth = (storm or DEFAULT_STORM).depth / 100.0
    if depth <= 0:
        return ()
    return tuple(
        Dip(begin, end, depth, min(STORM_EDGE_US, (end - begin) // 4)) for begin, end in spans
    )


def flash_spans(
    storm: Storm, spans: tuple[tuple[int, int], ...], seed: str, day: date
) -> tuple[tuple[int, int], ...]:
    """Return the flashes [start, end) of the date's storm periods, in order, not overlapping."""
    if storm.flash_channel is None or storm.flashes_per_minute <= 0:
        return ()
    _, rng = _randoms(seed, day)
    starts: list[int] = []
    for begin, end in spans:
        count = round(storm.flashes_per_minute * (end - begin) / MINUTE_US)
        latest = max(end - FLASH_US, begin)
        starts += (rng.randint(begin, latest) for _ in range(count))
    flashes: list[tuple[int, int]] = []
    for begin in sorted(starts):
        if flashes and begin <= flashes[-1][1]:
            flashes[-1] = (flashes[-1][0], begin + FLASH_US)
        else:
            flashes.append((begin, begin + FLASH_US))
    return tuple(flashes)
