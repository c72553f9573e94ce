"""A schedule's runs in brief: the state attributes of its Enabled switch (both entry kinds)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

ATTR_NEXT_RUN = "next_run"
ATTR_LAST_RUN = "last_run"
ATTR_LAST_RESULT = "last_result"
ATTR_LAST_ERROR = "last_error"
ATTR_RUNS = "runs"
# Kept out of the recorder: they change with every run, the run history and the calendar keep
# the runs, and a recorded attributes row per run is work the recorder does right as the next
# runs are due (its thread competes with the loop for the interpreter).
UNRECORDED = frozenset({ATTR_NEXT_RUN, ATTR_LAST_RUN, ATTR_LAST_RESULT, ATTR_LAST_ERROR, ATTR_RUNS})


class RunSummary(NamedTuple):
    """When a schedule runs next, how its last run went, how often it ran (None: unknown)."""

    next_run: datetime | None
    last_run: datetime | None
    last_result: str | None
    last_error: str | None
    runs: int | None

    def attributes(self) -> dict[str, str | int | None]:
        """Return the state attributes: instants as ISO 8601 strings."""
        return {
            ATTR_NEXT_RUN: None if self.next_run is None else self.next_run.isoformat(),
            ATTR_LAST_RUN: None if self.last_run is None else self.last_run.isoformat(),
            ATTR_LAST_RESULT: self.last_result,
            ATTR_LAST_ERROR: self.last_error,
            ATTR_RUNS: self.runs,
        }
