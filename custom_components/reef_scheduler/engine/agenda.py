"""The calendars' view of runs: which calendar a schedule belongs to, and its runs day by day.

A schedule belongs to one of three calendars by what it acts on: lights (every target it reaches
is a light), equipment (switches, fans, numbers, valves: pumps, heaters, skimmers) or other
(custom actions, mixed or unknown targets). A run is drawn from its start for as long as its
effect lasts (a ramp or a hold), at least a second; a recorded run at least until it finished.
A day of a schedule with more than ``SUMMARISE_ABOVE`` runs (a day in the schedule's zone: 23 or
25 hours at a DST change) is drawn as one band from its first run to the end of its last, with
the count of each result, instead of one event per run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .ledger import RunRecord, RunStatus
from .light_curve import day_end
from .model import Action, ActionType
from .timeline import resolve_local

# A 15-minute pulse (96 runs) or an hourly one (24) is a band; twelve ramps a day are not.
SUMMARISE_ABOVE = 12
MIN_SHOWN = timedelta(seconds=1)
# The tally's key of runs still to come, beside the run statuses.
UPCOMING = "upcoming"
TALLY_ORDER = (*(status.value for status in RunStatus), UPCOMING)


class Category(StrEnum):
    """The calendar a schedule shows in."""

    LIGHTS = "lights"
    EQUIPMENT = "equipment"
    OTHER = "other"


LIGHT_DOMAINS = frozenset({"light"})
EQUIPMENT_DOMAINS = frozenset(
    {
        "switch",
        "input_boolean",
        "fan",
        "number",
        "input_number",
        "valve",
        "climate",
        "water_heater",
        "humidifier",
        "cover",
    }
)


def category_of(action_type: ActionType, domains: Iterable[str]) -> Category:
    """Return the calendar of an action on entities of these domains.

    Domains that are neither lights nor equipment (a device's sensors) do not count; with none
    of either, or both, the schedule is "other".
    """
    if action_type is ActionType.CUSTOM:
        return Category.OTHER
    if action_type is ActionType.PROFILE:  # dimmable numbers and fans are its lights too
        return Category.LIGHTS
    if action_type is ActionType.WAVE:  # its fans and numbers are pumps
        return Category.EQUIPMENT
    known = {domain for domain in domains if domain in LIGHT_DOMAINS or domain in EQUIPMENT_DOMAINS}
    if not known:
        return Category.OTHER
    if known <= LIGHT_DOMAINS:
        return Category.LIGHTS
    if known <= EQUIPMENT_DOMAINS:
        return Category.EQUIPMENT
    return Category.OTHER


# Runs that shape their whole local day: from midnight to the next.
_DAY_ACTIONS = frozenset({ActionType.PROFILE, ActionType.WAVE})


def effect_length(action: Action) -> timedelta:
    """Return how long a run's effect lasts: a ramp's or a hold's duration, else nothing.

    A light profile's or wave's run shapes its whole day (``drawn`` ends it at the next local
    midnight).
    """
    if action.type in _DAY_ACTIONS:
        return timedelta(days=1)
    return action.duration or timedelta(0)


def drawn(action: Action, occurrence: Occurrence, zone: ZoneInfo) -> Occurrence:
    """Return a run as a calendar draws it: a light profile's fills its local day exactly.

    Its effect lasts until the next local midnight: 23 or 25 hours on a DST day, where
    ``effect_length``'s day would end an hour off.
    """
    if action.type not in _DAY_ACTIONS:
        return occurrence
    return Occurrence(occurrence.start, day_end(occurrence.start, zone), occurrence.record)


class Occurrence(NamedTuple):
    """One run on a calendar: recorded (with its record) or to come (without).

    A tuple: a day card's window holds tens of thousands (bench/card_window.py).
    """

    start: datetime
    end: datetime
    record: RunRecord | None = None

    @property
    def result(self) -> str:
        """Return the run's status, or "upcoming" for a run to come."""
        return UPCOMING if self.record is None else self.record.status.value


def upcoming(due: datetime, length: timedelta) -> Occurrence:
    """Return a run to come, drawn for its effect's length."""
    return Occurrence(due, due + max(length, MIN_SHOWN))


def recorded(record: RunRecord, length: timedelta) -> Occurrence | None:
    """Return a recorded run from its start (else due) until its effect or the run ended."""
    start = record.started or record.due or record.finished
    if start is None:
        return None
    end = max(start + max(length, MIN_SHOWN), record.finished or start)
    return Occurrence(start, end, record)


@dataclass(frozen=True, slots=True)
class Band:
    """A day's runs of one schedule drawn as one event, with how many ended how."""

    day: date
    start: datetime
    end: datetime
    runs: int
    tally: tuple[tuple[str, int], ...]  # (status or "upcoming", count), in TALLY_ORDER
    more: bool = False  # the day has more runs than were counted


def local_midnights(start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """Return the starts of the zone's days that overlap [start, end), and the next day's.

    A day whose date never existed in the zone is left out: its runs belong to no day. Such a
    date is a single one between two that existed, so at least one start is returned.
    """
    first = start.astimezone(zone).date()
    last = max(end - MIN_SHOWN, start).astimezone(zone).date()
    midnights = []
    for offset in range((last - first).days + 2):
        midnight = resolve_local(datetime.combine(first + timedelta(days=offset), time()), zone)
        if midnight is not None:
            midnights.append(midnight)
    return midnights


def plan(
    occurrences: Iterable[Occurrence],
    zone: ZoneInfo,
    start: datetime,
    end: datetime,
    *,
    summarise_above: int = SUMMARISE_ABOVE,
    capped: Mapping[date, datetime] | None = None,
) -> list[Occurrence | Band]:
    """Return what a calendar shows of a schedule's runs in [start, end).

    Runs are grouped by their day in the zone; a day with more than ``summarise_above`` runs is
    one band. ``capped`` names days whose runs were not all counted, with the day's end: their
    band lasts until then. Runs and bands are kept when they overlap the window.
    """
    days: dict[date, list[Occurrence]] = {}
    for occurrence in occurrences:
        days.setdefault(occurrence.start.astimezone(zone).date(), []).append(occurrence)
    shown: list[Occurrence | Band] = []
    for day, runs in days.items():
        if len(runs) <= summarise_above and not (capped and day in capped):
            shown += [run for run in runs if run.start < end and run.end > start]
            continue
        counts = Counter(run.result for run in runs)
        band = Band(
            day,
            min(run.start for run in runs),
            max(run.end for run in runs),
            len(runs),
            tuple((key, counts[key]) for key in TALLY_ORDER if counts[key]),
        )
        if capped and (day_end := capped.get(day)) is not None:
            band = Band(band.day, band.start, max(band.end, day_end), band.runs, band.tally, True)
        if band.start < end and band.end > start:
            shown.append(band)
    return shown
