"""Immutable dosing model: dosers (a calibrated pump) and dosing plans (a daily volume in doses).

A doser is configured once (a subentry of the local entry) and referred to by its pump's entity
id. A dosing schedule (spec ``type: dosing``) splits a daily volume into ``doses`` equal doses
at times spread evenly from ``start`` to ``end``; each dose runs the pump for
``ml / ml_per_second`` seconds. Dosing is an event (DESIGN §3): a dose is never repeated
blindly, and nothing exceeds the doser's daily maximum.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True, slots=True)
class Doser:
    """A peristaltic pump (a switch) with its calibration and guards."""

    pump: str  # switch entity id: the doser's id everywhere
    name: str
    ml_per_second: float  # from the calibration flow: measured ml / seconds run
    daily_max_ml: float  # no dose of any kind takes a local day's total past this
    container_ml: float | None = None  # None: no container tracking
    low_ml: float | None = None  # remaining volume at or below which a repair issue is raised


@dataclass(frozen=True, slots=True)
class Dosing:
    """A dosing schedule's plan: ``daily_ml`` split into ``doses`` doses from start to end."""

    doser: str  # the doser's pump entity id
    daily_ml: float
    doses: int = 1  # 1..48
    start: time = time(8)  # first dose (local time)
    end: time | None = None  # last dose; None with one dose; on the next day when not after start

    @property
    def dose_ml(self) -> float:
        """Return the volume of one dose."""
        return self.daily_ml / self.doses
