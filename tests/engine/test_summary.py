"""The Enabled switch's attributes: where a schedule stands, never-run and failed runs in words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.reef_scheduler.engine.ledger import INTERRUPTED_ERROR
from custom_components.reef_scheduler.engine.summary import (
    NO_REASON,
    RunSummary,
    Status,
    reason,
    status_of,
)

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("enabled", "expired", "paused", "next_run", "expected"),
    [
        (True, False, False, T0, Status.SCHEDULED),
        (True, False, True, T0, Status.PAUSED),
        (False, False, False, None, Status.DISABLED),
        (True, False, False, None, Status.FINISHED),  # a one-off that ran
        (False, True, False, None, Status.FINISHED),  # its window passed: enabling is no help
        (True, True, True, None, Status.FINISHED),
    ],
)
def test_status(
    enabled: bool, expired: bool, paused: bool, next_run: datetime | None, expected: Status
) -> None:
    assert status_of(enabled=enabled, expired=expired, paused=paused, next_run=next_run) is (
        expected
    )


def test_failed_runs_always_say_why() -> None:
    assert reason("failed", "switch.x is unavailable") == "switch.x is unavailable"
    assert reason("failed", None) == NO_REASON
    assert reason("failed", "") == NO_REASON
    assert reason("interrupted", None) == INTERRUPTED_ERROR
    # A skipped run's note is no error; a success has none.
    assert reason("skipped", None) is None
    assert reason("success", None) is None


def test_attributes() -> None:
    never = RunSummary(T0, None, None, None, 0, Status.SCHEDULED)
    assert never.attributes() == {
        "status": "scheduled",
        "next_run": T0.isoformat(),
        "last_run": None,
        "last_result": "not_run",
        "last_error": None,
        "runs": 0,
    }
    # Ran, but the result is unknown (a server's unfinished status): not "not run".
    unknown = RunSummary(None, T0, None, None, None)
    assert unknown.attributes()["last_result"] is None
    assert unknown.attributes()["status"] is None
    failed = RunSummary(None, T0, "failed", None, 3, Status.FINISHED)
    assert (failed.attributes()["last_error"], failed.attributes()["status"]) == (
        NO_REASON,
        "finished",
    )
