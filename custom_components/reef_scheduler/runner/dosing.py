"""Dosing by volume at run time: the doses, their store and guards (issue 18)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..engine.dosing_model import Doser
from ..engine.model import FieldError, Schedule, ScheduleInvalid

type Dosers = Callable[[], Mapping[str, Doser]]
"""The entry's dosers by pump entity id, as configured now (its doser subentries)."""


def check_doser(schedule: Schedule, dosers: Dosers | None) -> None:
    """Raise ScheduleInvalid when a dosing schedule's doser is not configured."""
    plan = schedule.action.dosing
    if plan is not None and (dosers is None or plan.doser not in dosers()):
        error = FieldError("dosing.doser", "unknown_doser", {"value": plan.doser})
        raise ScheduleInvalid((error,))
