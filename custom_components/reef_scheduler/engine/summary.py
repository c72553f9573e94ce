"""A schedule's runs in brief: the state attributes of its Enabled switch (both entry kinds)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from .ledger import INTERRUPTED_ERROR, RunStatus

ATTR_STATUS = "status"
ATTR_NEXT_RUN = "next_run"
ATTR_LAST_RUN = "last_run"
ATTR_LAST_RESULT = "last_result"
ATTR_LAST_ERROR = "last_error"
ATTR_RUNS = "runs"
# Kept out of the recorder: they change with every run (the status with a pause or the last
# run), the run history and the calendar keep the runs, and a recorded attributes row per run
# is work the recorder does right as the next runs are due (its thread competes with the loop
# for the interpreter).
UNRECORDED = frozenset(
    {ATTR_STATUS, ATTR_NEXT_RUN, ATTR_LAST_RUN, ATTR_LAST_RESULT, ATTR_LAST_ERROR, ATTR_RUNS}
)
# The last result of a schedule that has never run (a fault reads otherwise).
NOT_RUN = "not_run"
# The last error of a failed run that recorded no reason (an old state, a server's report).
NO_REASON = "The run failed without giving a reason"


class Status(StrEnum):
    """Where a schedule stands: runs to come, paused, no run left, or switched off."""

    SCHEDULED = "scheduled"
    PAUSED = "paused"
    FINISHED = "finished"
    DISABLED = "disabled"


def status_of(*, enabled: bool, expired: bool, paused: bool, next_run: datetime | None) -> Status:
    """Return a schedule's status; one whose runs are over is finished, enabled or not."""
    if expired:
        return Status.FINISHED
    if not enabled:
        return Status.DISABLED
    if paused:
        return Status.PAUSED
    return Status.SCHEDULED if next_run is not None else Status.FINISHED


def reason(result: str | None, error: str | None) -> str | None:
    """Return why a run failed or was interrupted, in words, also when none was recorded."""
    if error or result not in (RunStatus.FAILED, RunStatus.INTERRUPTED):
        return error
    return INTERRUPTED_ERROR if result == RunStatus.INTERRUPTED else NO_REASON


class RunSummary(NamedTuple):
    """When a schedule runs next, how its last run went, how often it ran (None: unknown)."""

    next_run: datetime | None
    last_run: datetime | None
    last_result: str | None
    last_error: str | None
    runs: int | None
    status: Status | None = None

    def attributes(self) -> dict[str, str | int | None]:
        """Return the state attributes: instants as ISO 8601 strings, results as words."""
        never = self.last_result is None and self.last_run is None and not self.runs
        return {
            ATTR_STATUS: None if self.status is None else self.status.value,
            ATTR_NEXT_RUN: None if self.next_run is None else self.next_run.isoformat(),
            ATTR_LAST_RUN: None if self.last_run is None else self.last_run.isoformat(),
            ATTR_LAST_RESULT: NOT_RUN if never else self.last_result,
            ATTR_LAST_ERROR: reason(self.last_result, self.last_error),
            ATTR_RUNS: self.runs,
        }
