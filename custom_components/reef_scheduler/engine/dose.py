"""The pure maths and book of dosing: how long a dose runs, what a doser gave per local day.

A doser's book holds the ml per local date (today and yesterday suffice), the container's
remaining ml and the dose under way (written before the pump goes on, cleared after it went
off). Nothing takes a local day's total past the doser's daily maximum: a dose under way counts
with its planned ml until it is settled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .dosing_model import Doser, Dosing

SECONDS_STEP = 0.1
"""A dose runs the pump for whole tenths of a second."""
_EPSILON = 1e-9  # ml: float sums of tenths must not refuse a dose that fits exactly
_KEPT_DAYS = 2  # today and yesterday


def dose_seconds(plan: Dosing, doser: Doser) -> float:
    """Return how long one dose of the plan runs the doser's pump (rounded to 0.1 s)."""
    return round(plan.dose_ml / doser.ml_per_second, 1)


def dosed_ml(seconds: float, doser: Doser) -> float:
    """Return the volume the doser's pump gives in some seconds (rounded to 0.001 ml)."""
    return round(max(seconds, 0.0) * doser.ml_per_second, 3)


@dataclass(slots=True)
class UnderWay:
    """A dose whose pump was (about to be) switched on: what a restart must settle."""

    schedule: str
    slot: int
    started: datetime
    seconds: float
    ml: float  # planned
    ended: datetime | None = None  # the pump was switched off then (a stop, not a kill)

    def as_dict(self) -> dict[str, Any]:
        """Return the stored form."""
        return {
            "schedule": self.schedule,
            "slot": self.slot,
            "started": self.started.isoformat(),
            "seconds": self.seconds,
            "ml": self.ml,
            "ended": None if self.ended is None else self.ended.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UnderWay:
        """Read the stored form (ValueError, TypeError or KeyError when damaged)."""
        ended = data.get("ended")
        return cls(
            schedule=str(data["schedule"]),
            slot=int(data["slot"]),
            started=_instant(data["started"]),
            seconds=float(data["seconds"]),
            ml=float(data["ml"]),
            ended=None if ended is None else _instant(ended),
        )


@dataclass(slots=True)
class DoserBook:
    """What one doser gave and holds: ml per local date, the container, the dose under way."""

    days: dict[date, float] = field(default_factory=dict)
    remaining_ml: float | None = None  # None: the container is not tracked
    under_way: UnderWay | None = None

    def dosed_on(self, day: date) -> float:
        """Return the ml settled on a local date."""
        return self.days.get(day, 0.0)

    def counted_on(self, day: date) -> float:
        """Return the ml a guard counts on a local date: settled plus a dose still under way."""
        under_way = self.under_way.ml if self.under_way is not None else 0.0
        return self.dosed_on(day) + under_way

    def fits(self, doser: Doser, ml: float, day: date) -> bool:
        """Return True when ``ml`` more keep the local date's total within the daily maximum."""
        return self.counted_on(day) + ml <= doser.daily_max_ml + _EPSILON

    def add(self, day: date, ml: float) -> None:
        """Book ml dosed on a local date (the container loses them too); forget older dates."""
        self.days[day] = round(self.dosed_on(day) + ml, 3)
        for old in sorted(self.days)[:-_KEPT_DAYS]:
            del self.days[old]
        if self.remaining_ml is not None:
            self.remaining_ml = round(max(self.remaining_ml - ml, 0.0), 3)

    def as_dict(self) -> dict[str, Any]:
        """Return the stored form."""
        return {
            "days": {day.isoformat(): ml for day, ml in self.days.items()},
            "remaining_ml": self.remaining_ml,
            "under_way": None if self.under_way is None else self.under_way.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DoserBook:
        """Read the stored form (ValueError, TypeError, KeyError or AttributeError if damaged)."""
        remaining = data.get("remaining_ml")
        under_way = data.get("under_way")
        return cls(
            days={date.fromisoformat(day): float(ml) for day, ml in data["days"].items()},
            remaining_ml=None if remaining is None else float(remaining),
            under_way=None if under_way is None else UnderWay.from_dict(under_way),
        )


@dataclass(frozen=True, slots=True)
class Settled:
    """How a dose found under way at a start is booked: its ml and whether that is a bound."""

    ml: float
    at_most: bool  # the pump was found off: it ran for at most the planned time
    pump_was_on: bool


def settle(under_way: UnderWay, doser: Doser, now: datetime, *, pump_on: bool) -> Settled:
    """Return what a dose left under way by a stop or kill gave.

    Pump found on: it ran from the dose's start until now (and is switched off now). Switched
    off by a stop: it ran until then. Found off after a kill: at most the planned ml (the guard
    stays safe; the pump may have stopped early or never started).
    """
    if pump_on:
        return Settled(dosed_ml((now - under_way.started).total_seconds(), doser), False, True)
    if under_way.ended is not None:
        ran = min((under_way.ended - under_way.started).total_seconds(), under_way.seconds)
        return Settled(dosed_ml(ran, doser), False, False)
    return Settled(under_way.ml, True, False)


def _instant(value: object) -> datetime:
    """Return a stored aware instant (ValueError for anything else)."""
    instant = datetime.fromisoformat(str(value))
    if instant.utcoffset() is None:
        raise ValueError(f"naive instant {value}")
    return instant


def ml_text(ml: float) -> str:
    """Return a volume as text without trailing zeros, e.g. "6 ml" or "2.5 ml"."""
    return f"{round(ml, 3):g} ml"
