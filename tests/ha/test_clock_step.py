"""Wall-clock steps: the loop's monotonic clock does not move, the runner's guard notices.

A forward step is handled like a restart over the jumped interval (every run due in it is
recorded once: caught up inside its window, else skipped), then every target is reconciled;
a backward step never runs a due instant twice. Expectations are worked out by hand.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest

from custom_components.reef_scheduler.engine.ledger import RunStatus, Trigger
from custom_components.reef_scheduler.runner.runner import ScheduleRunner

from .clock import Clock
from .surface import HEATER, LEVEL, PUMP, T0, one_off, ramp_action, reef_tank, start_runner

STEPPED = "Missed when the clock jumped forward; outside the catch-up window"


@pytest.fixture(autouse=True)
async def tank(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Freeze time at T0 (10:00 in Berlin) with the reef tank's devices."""
    freezer.move_to(T0)
    await reef_tank(hass)


def every_15_min(action: str = "toggle") -> dict[str, Any]:
    """Return a schedule switching the pump every 15 minutes from T0."""
    return {
        "id": "wave",
        "name": "Wave",
        "type": "interval",
        "every": 900,
        "anchor": T0.isoformat(),
        "action": {"type": action, "target": {"entity_id": PUMP}},
    }


def runs(runner: ScheduleRunner, sid: str) -> list[tuple[datetime | None, Trigger, RunStatus]]:
    """Return (due, trigger, status) of every recorded run of a schedule."""
    return [(r.due, r.trigger, r.status) for r in runner.ledger_page(sid)[0]]


async def test_a_forward_step_is_handled_like_a_restart_over_the_jumped_interval(
    hass: HomeAssistant, clock: Clock
) -> None:
    _, runner = await start_runner(hass)
    await runner.async_add(every_15_min())  # catch-up window: 15 min (the default)
    feed = T0 + timedelta(minutes=10)
    await runner.async_add(
        {
            "id": "feed",
            "name": "Feed",
            "type": "one_off",
            "at": feed.isoformat(),
            "catch_up": 300,
            "action": {"type": "toggle", "target": {"entity_id": HEATER}},
        }
    )
    hold_due = T0 + timedelta(minutes=1)
    await runner.async_add(
        {
            "id": "hold",
            "name": "Hold",
            "type": "one_off",
            "at": hold_due.isoformat(),
            "action": {
                "type": "set_level",
                "level": 60,
                "duration": 1800,
                "target": {"entity_id": LEVEL},
            },
        }
    )
    await clock.move_to(hold_due)
    await clock.move_to(T0 + timedelta(minutes=5))
    assert hass.states.get(LEVEL).state == "60.0"

    clock.step(timedelta(minutes=61))  # 10:05 -> 11:06
    await clock.advance(5)  # the guard's next tick notices
    # 10:15, 10:30 and 10:45 are older than the 15-minute window; 11:00 is caught up once.
    assert runs(runner, "wave") == [
        (T0 + timedelta(minutes=15), Trigger.CATCH_UP, RunStatus.SKIPPED),
        (T0 + timedelta(minutes=30), Trigger.CATCH_UP, RunStatus.SKIPPED),
        (T0 + timedelta(minutes=45), Trigger.CATCH_UP, RunStatus.SKIPPED),
        (T0 + timedelta(minutes=60), Trigger.CATCH_UP, RunStatus.SUCCESS),
    ]
    assert {r.error for r in runner.ledger_page("wave")[0][:3]} == {STEPPED}
    assert hass.states.get(PUMP).state == "on"  # toggled once
    # The one-off is 56 minutes past its 5-minute window: recorded, not run.
    assert runs(runner, "feed") == [(feed, Trigger.CATCH_UP, RunStatus.SKIPPED)]
    assert hass.states.get(HEATER).state == "off"
    # The hold ended at 10:31, inside the jump: the level is switched off now.
    assert hass.states.get(LEVEL).state == "0.0"
    assert runs(runner, "hold") == [(hold_due, Trigger.TIMER, RunStatus.SUCCESS)]
    assert runner.states["wave"].next_due == T0 + timedelta(minutes=75)

    next_run = T0 + timedelta(minutes=75)
    await clock.move_to(next_run)
    assert runs(runner, "wave")[-1] == (next_run, Trigger.TIMER, RunStatus.SUCCESS)
    assert hass.states.get(PUMP).state == "off"


async def test_a_backward_step_never_runs_a_due_instant_twice(
    hass: HomeAssistant, clock: Clock
) -> None:
    _, runner = await start_runner(hass)
    await runner.async_add(every_15_min())
    await clock.move_to(T0 + timedelta(minutes=15))
    await clock.move_to(T0 + timedelta(minutes=20))
    assert hass.states.get(PUMP).state == "on"

    clock.step(timedelta(minutes=-61))  # 10:20 -> 09:19
    await clock.advance(5)
    assert runner.states["wave"].next_due == T0 + timedelta(minutes=30)
    wall = T0 - timedelta(minutes=41)
    while wall < T0 + timedelta(minutes=31):
        wall += timedelta(minutes=5)
        await clock.move_to(wall)
    # 10:15 came round again and did not run again; 10:30 ran once.
    assert runs(runner, "wave") == [
        (T0 + timedelta(minutes=15), Trigger.TIMER, RunStatus.SUCCESS),
        (T0 + timedelta(minutes=30), Trigger.TIMER, RunStatus.SUCCESS),
    ]
    assert hass.states.get(PUMP).state == "off"


async def test_a_backward_step_re_applies_nothing(hass: HomeAssistant, clock: Clock) -> None:
    _, runner = await start_runner(hass)
    await runner.async_add(every_15_min("on"))
    await clock.move_to(T0 + timedelta(minutes=15))
    assert hass.states.get(PUMP).state == "on"
    await hass.services.async_call("input_boolean", "turn_off", {"entity_id": PUMP}, blocking=True)
    clock.step(timedelta(minutes=-61))
    await clock.advance(5)
    # Before 10:15 by the wall clock, but that run happened: nothing is undone or redone.
    assert hass.states.get(PUMP).state == "off"
    assert runs(runner, "wave") == [(T0 + timedelta(minutes=15), Trigger.TIMER, RunStatus.SUCCESS)]


async def test_a_ramp_under_way_waits_through_a_backward_step(
    hass: HomeAssistant, clock: Clock
) -> None:
    _, runner = await start_runner(hass)
    due = T0 + timedelta(minutes=1)
    ramp = ramp_action(LEVEL, 0, 100, 600)
    await runner.async_add(one_off("dawn", due, ramp))
    await clock.move_to(due)
    await clock.move_to(due + timedelta(minutes=5))
    assert hass.states.get(LEVEL).state == "50.0"
    clock.step(timedelta(minutes=-61))
    for _ in range(10):
        await clock.advance(60)
    assert hass.states.get(LEVEL).state == "50.0"  # waits, neither back to 0 nor on
    while dt_util.utcnow() < due + timedelta(minutes=8):
        await clock.advance(60)
    assert hass.states.get(LEVEL).state == "80.0"


async def test_a_pause_ending_inside_a_forward_step(hass: HomeAssistant, clock: Clock) -> None:
    _, runner = await start_runner(hass)
    await runner.async_add(every_15_min())
    runner.async_pause("wave", T0 + timedelta(minutes=30))
    await clock.move_to(T0 + timedelta(minutes=5))
    clock.step(timedelta(minutes=61))
    await clock.advance(5)
    records = runner.ledger_page("wave")[0]
    assert [(r.due, r.status, r.error) for r in records] == [
        (T0 + timedelta(minutes=15), RunStatus.SKIPPED, "Paused"),
        (T0 + timedelta(minutes=30), RunStatus.SKIPPED, "Paused"),
        (T0 + timedelta(minutes=45), RunStatus.SKIPPED, STEPPED),
        (T0 + timedelta(minutes=60), RunStatus.SUCCESS, None),
    ]
    assert runner.states["wave"].paused_until is None


async def test_a_forward_step_after_a_day_without_a_wake_up_is_still_a_step(
    hass: HomeAssistant, clock: Clock
) -> None:
    _, runner = await start_runner(hass)
    due = T0 + timedelta(days=1, minutes=30)
    toggle = {"type": "toggle", "target": {"entity_id": HEATER}}
    await runner.async_add(one_off("feed", due, toggle, catch_up=300))
    await clock.advance(timedelta(days=1))  # nothing ran: the runner's last reading is a day old
    clock.step(timedelta(minutes=61))  # over the one-off's instant
    await clock.advance(5)
    # Handled as missed (31 minutes past its 5-minute window), not run late as a timer run.
    assert runs(runner, "feed") == [(due, Trigger.CATCH_UP, RunStatus.SKIPPED)]
    assert hass.states.get(HEATER).state == "off"
