"""The runner on the kernel's wall-clock timer, in real time (no frozen clock).

Runs are due half a second ahead; nothing asserts how late they start, only that they start
once and never before their wall-clock instant.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest

from custom_components.reef_scheduler.engine.ledger import RunRecord, RunStatus, Trigger
from custom_components.reef_scheduler.runner import wallclock
from custom_components.reef_scheduler.runner.runner import ScheduleRunner
from tests.kernel_clock import set_clock_in_place, timerfds

from .surface import PUMP, one_off, reef_tank, start_runner

pytestmark = [
    pytest.mark.real_clock,
    pytest.mark.skipif(not wallclock.USE_TIMERFD, reason="no timerfd on this platform"),
]
AHEAD = timedelta(milliseconds=500)
PUMP_ON = {"type": "on", "target": {"entity_id": [PUMP]}}
HANG = 10.0  # a guard against a hang, not a timing assertion


async def run_of(runner: ScheduleRunner, sid: str) -> RunRecord:
    """Wait for the schedule's first run to finish; return its record."""
    finished = asyncio.Event()

    def check() -> None:
        records = runner.ledger_page(sid)[0]
        if records and records[0].status is not RunStatus.IN_PROGRESS:
            finished.set()

    unsub = runner.async_listen(sid, check)
    try:
        await asyncio.wait_for(finished.wait(), HANG)
    finally:
        unsub()
    return runner.ledger_page(sid)[0][0]


async def test_a_run_starts_at_its_wall_clock_instant_and_unload_frees_the_timer(
    hass: HomeAssistant,
) -> None:
    await reef_tank(hass)
    before = timerfds()
    entry, runner = await start_runner(hass)
    assert timerfds() == before + 1
    due = dt_util.utcnow() + AHEAD
    await runner.async_add(one_off("wave", due, PUMP_ON))
    record = await run_of(runner, "wave")
    assert (record.due, record.trigger, record.status) == (due, Trigger.TIMER, RunStatus.SUCCESS)
    assert record.started is not None
    assert record.started >= due
    assert hass.states.get(PUMP).state == "on"
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert timerfds() == before


async def test_a_clock_set_in_place_neither_moves_nor_repeats_a_run(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    await reef_tank(hass)
    _, runner = await start_runner(hass)
    due = dt_util.utcnow() + AHEAD
    await runner.async_add(one_off("wave", due, PUMP_ON))
    with caplog.at_level(logging.WARNING):
        set_clock_in_place()  # the runner hears of it at once and arms again
        record = await run_of(runner, "wave")
    assert (record.trigger, record.status) == (Trigger.TIMER, RunStatus.SUCCESS)
    assert record.started is not None
    assert record.started >= due
    assert len(runner.ledger_page("wave")[0]) == 1
    assert "wall clock stepped" not in caplog.text
