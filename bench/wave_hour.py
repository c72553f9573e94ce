"""Wave figures: loop timer wake-ups and pattern changes in one hour of 4 pumps, random mode.

The README's random pattern (on 10-60 s, off 20-90 s) drives four switch pumps for one hour
(10:00-11:00 in Berlin) in Home Assistant's loop (the test harness's, its clock frozen and
moved from one armed timer to the next), each pump followed from its prescribed effect as the
runner does (``effect_of`` then ``follow``, then the level controller). Wake-ups are the level
controller's timer callbacks that fire in the hour (one loop timer per pump, armed at its next
change: never a polling tick); changes are the instants the pattern changes a pump's level, from
the engine's curves, summed over the pumps. The two are equal when every wake-up is a change.
`bench/run` runs it after bench/profile_day.py (importing it makes Home Assistant's clock
patchable, as in tests); run it alone with `.venv/bin/python -m bench.wave_hour`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
import json
import tempfile
from typing import Any
from zoneinfo import ZoneInfo

from freezegun import freeze_time

# Makes Home Assistant's utcnow and its timer helpers read freezegun's clock (as in tests).
import pytest_homeassistant_custom_component.patch_time  # noqa: F401  # isort: skip
from homeassistant.core import Context, HomeAssistant, ServiceCall, callback
from homeassistant.runner import HassEventLoopPolicy
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed_exact,
    async_test_home_assistant,
    get_scheduled_timer_handles,
)

from custom_components.reef_scheduler.engine.prescribed import LightRun, effect_of, follow
from custom_components.reef_scheduler.engine.validate_wave import wave_action
from custom_components.reef_scheduler.engine.wave_model import WaveMode, WavePattern, WaveSettings
from custom_components.reef_scheduler.runner.actions import level_call
from custom_components.reef_scheduler.runner.levels import LevelController

ZONE = ZoneInfo("Europe/Berlin")
DAY = date(2026, 6, 1)
HOUR = (time(10), time(11))
PUMPS = tuple(f"switch.wave_{index}" for index in range(4))
SECOND = timedelta(seconds=1)
PATTERN = WavePattern(
    PUMPS, WaveSettings(WaveMode.RANDOM, 10 * SECOND, 20 * SECOND, 60 * SECOND, 90 * SECOND)
)
SEED = "waves"
# Past a timer's estimated due instant: the harness's loop clock runs on in real time while
# the wall clock is frozen, so the estimate is early by the real time since the timer was armed.
_MARGIN = timedelta(milliseconds=20)


class _CountingController(LevelController):
    """The level controller, counting its timer callbacks."""

    wakeups = 0

    @callback
    def _on_step(self, entity_id: str, active: Any, now: datetime) -> None:
        """Count one wake-up, then step as usual."""
        self.wakeups += 1
        super()._on_step(entity_id, active, now)


def _local(at: time) -> datetime:
    """Return an instant of the bench's day on Berlin's wall clock."""
    return datetime.combine(DAY, at, ZONE).astimezone(UTC)


def pattern_changes(start: datetime, end: datetime) -> int:
    """Return the changes of every pump's level in (start, end], from the engine's curves."""
    midnight = _local(time())
    total = 0
    for pump in PUMPS:
        curve = effect_of(wave_action(PATTERN), midnight, light=LightRun(pump, ZONE, SEED))
        assert curve is not None
        at = curve.next_change(start)
        while at is not None and at <= end:
            total += 1
            at = curve.next_change(at)
    return total


async def _run_hour(hass: HomeAssistant, start: datetime, end: datetime) -> tuple[int, int]:
    """Follow the pattern on the four pumps over the hour; return (wake-ups, calls)."""
    calls = [0]

    async def switch(call: ServiceCall) -> None:
        calls[0] += 1
        hass.states.async_set(call.data["entity_id"], "on" if call.service == "turn_on" else "off")

    hass.services.async_register("switch", "turn_on", switch)
    hass.services.async_register("switch", "turn_off", switch)
    for pump in PUMPS:
        hass.states.async_set(pump, "off")
    controller = _CountingController(hass, lambda coro, name: hass.async_create_task(coro))
    context = Context()
    midnight = _local(time())
    for pump in PUMPS:

        async def apply(level: float, fade: float | None, pump: str = pump) -> None:
            call = level_call(hass, pump, level, fade)
            await hass.services.async_call(
                call.domain, call.service, call.data, blocking=True, context=context
            )

        effect = effect_of(wave_action(PATTERN), midnight, light=LightRun(pump, ZONE, SEED))
        assert effect is not None
        plan = follow(effect, start, 0.0)
        assert plan is not None
        await controller.async_start(pump, plan, apply, context, lambda _text: None)
    await hass.async_block_till_done()
    calls[0] = 0  # the first calls are the start, not the hour's changes
    # Fire each armed timer in turn until the hour is over.
    while True:
        handles = [h for h in get_scheduled_timer_handles(hass.loop) if not h.cancelled()]
        if not handles:
            break
        now = datetime.now(UTC)
        due = now + timedelta(seconds=min(h.when() for h in handles) - hass.loop.time())
        target = max(due, now) + _MARGIN
        if target > end + _MARGIN:
            break
        with freeze_time(target):
            async_fire_time_changed_exact(hass, target)
            await hass.async_block_till_done()
    controller.cancel_all()
    return controller.wakeups, calls[0]


async def measure() -> tuple[int, int, int]:
    """Return (wake-ups, changes, calls) over the simulated hour."""
    start, end = _local(HOUR[0]), _local(HOUR[1])
    with tempfile.TemporaryDirectory() as config_dir, freeze_time(start):
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            await hass.config.async_set_time_zone(str(ZONE))
            wakeups, calls = await _run_hour(hass, start, end)
    return wakeups, pattern_changes(start, end), calls


async def main() -> dict[str, Any]:
    """Return the wave figures of bench/run's JSON."""
    wakeups, changes, calls = await measure()
    return {
        "wave_wakeups_per_hour_4_pumps": wakeups,
        "wave_changes_per_hour_4_pumps": changes,
        "wave_calls_per_hour_4_pumps": calls,
    }


if __name__ == "__main__":
    asyncio.set_event_loop_policy(HassEventLoopPolicy(False))
    print(json.dumps(asyncio.run(main())))
