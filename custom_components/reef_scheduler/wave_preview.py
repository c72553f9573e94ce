"""A wave's ``preview``: each pump's level steps over one local date, as the runner follows them.

The run that begins at that date's local midnight, read from the same curves the runner follows
(``wave_curve``, seeded by the schedule's id, so the same random lengths). Pumps that change
often are cut at MAX_PREVIEW_STEPS steps and named in ``truncated``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .engine.light_curve import day_end
from .engine.model import Schedule
from .engine.profile import Profile
from .engine.wave import wave_curve
from .light_services import preview_steps


def wave_levels(
    schedule: Schedule, day: date, zone: ZoneInfo
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Return each pump's (local instant, rounded level) steps over a local date, and those cut.

    CPU-bound: the caller runs it in the executor.
    """
    pattern = schedule.action.wave
    assert pattern is not None

    def curve(pump: str, start: datetime) -> Profile:
        end = day_end(start, zone)
        return wave_curve(pattern, pump, start, end, zone=zone, seed=schedule.id)

    return preview_steps(pattern.pumps, curve, day, zone)
