"""Light profile figures: service calls per channel per day, and the CPU time of stepping.

Calls: a diurnal profile with two 1-hour ramps (0 → 100 % from 08:00, 100 → 0 % from 19:00)
runs for one whole local day in Home Assistant's loop (the test harness's, its clock frozen and
moved from one armed timer to the next), on two lights: one without transition (stepped at each
whole-percent change) and one with (faded in segments). Calls are counted where the light
receives them, its turn_on / turn_off service. Time is simulated, so a day takes seconds.

CPU: the process time of every level and next change the runner asks for during one day of the
README's three-channel reef light (moonlight and clouds included), for each of its lights, as
the controller steps them: the profile stepping's own cost, without Home Assistant's.
`bench/run` runs it last (importing it makes Home Assistant's clock patchable, as in tests); run
it alone with `.venv/bin/python -m bench.profile_day`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
import json
import statistics
import tempfile
import time as clock
from typing import Any
from zoneinfo import ZoneInfo

from freezegun import freeze_time

# Makes Home Assistant's utcnow and its timer helpers read freezegun's clock (as in tests).
import pytest_homeassistant_custom_component.patch_time  # noqa: F401  # isort: skip
from homeassistant.components.light import LightEntityFeature
from homeassistant.core import Context, HomeAssistant, ServiceCall
from homeassistant.runner import HassEventLoopPolicy
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed_exact,
    async_test_home_assistant,
    get_scheduled_timer_handles,
)

from custom_components.reef_scheduler.engine.light_curve import day_end, light_curve
from custom_components.reef_scheduler.engine.light_model import (
    Channel,
    Clouds,
    LightProfile,
    Moonlight,
)
from custom_components.reef_scheduler.engine.moon import moon_window
from custom_components.reef_scheduler.engine.profile import steps
from custom_components.reef_scheduler.runner.actions import level_call
from custom_components.reef_scheduler.runner.levels import LevelController

ZONE = ZoneInfo("Europe/Berlin")
DAY = date(2026, 6, 1)
STEPPED, FADED = "light.stepped", "light.faded"
# Past a timer's estimated due instant: the harness's loop clock runs on in real time while
# the wall clock is frozen, so the estimate is early by the real time since the timer was armed.
_MARGIN = timedelta(milliseconds=20)


def diurnal_two_ramps() -> LightProfile:
    """Return one channel per light: 0 → 100 % over 08:00-09:00, 100 → 0 % over 19:00-20:00."""
    points = ((time(8), 0.0), (time(9), 100.0), (time(19), 100.0), (time(20), 0.0))
    return LightProfile(
        channels=(Channel("Stepped", (STEPPED,), points), Channel("Faded", (FADED,), points))
    )


def reef_light() -> LightProfile:
    """Return the README's worked example: blue, white and UV with moonlight and clouds."""
    blue = ((time(9), 0.0), (time(11), 80.0), (time(19), 80.0), (time(21, 30), 0.0))
    white = ((time(10), 0.0), (time(12), 60.0), (time(18), 60.0), (time(20), 0.0))
    uv = ((time(9, 30), 0.0), (time(11, 30), 40.0), (time(19, 30), 40.0), (time(21), 0.0))
    return LightProfile(
        channels=(
            Channel("Blue", ("light.reef_blue", "light.reef_blue_2"), blue, min_level=1),
            Channel("White", ("light.reef_white",), white, min_level=1),
            Channel("UV", ("light.reef_uv",), uv, min_level=1, weather=False),
        ),
        moon=Moonlight(("light.reef_blue",), max_level=5, start=time(21, 30), end=time(7)),
        clouds=Clouds(per_hour=2, depth=40, minutes=5),
    )


async def _run_day(hass: HomeAssistant, calls: dict[str, int]) -> None:
    """Follow the two-ramp profile on both lights from local midnight to the next one."""

    async def turn_on(call: ServiceCall) -> None:
        entity_id = call.data["entity_id"]
        calls[entity_id] += 1
        state = hass.states.get(entity_id)
        attributes = dict(state.attributes) if state is not None else {}
        attributes["brightness"] = round(call.data.get("brightness_pct", 100) * 2.55)
        hass.states.async_set(entity_id, "on", attributes)

    async def turn_off(call: ServiceCall) -> None:
        entity_id = call.data["entity_id"]
        calls[entity_id] += 1
        state = hass.states.get(entity_id)
        hass.states.async_set(entity_id, "off", state.attributes if state is not None else {})

    hass.services.async_register("light", "turn_on", turn_on)
    hass.services.async_register("light", "turn_off", turn_off)
    hass.states.async_set(STEPPED, "off", {"supported_features": 0})
    hass.states.async_set(FADED, "off", {"supported_features": LightEntityFeature.TRANSITION})
    controller = LevelController(hass, lambda coro, name: hass.async_create_task(coro))
    context = Context()
    profile = diurnal_two_ramps()
    start = datetime.now(UTC)
    end = day_end(start, ZONE)
    for entity_id in (STEPPED, FADED):

        async def apply(level: float, fade: float | None, entity_id: str = entity_id) -> None:
            call = level_call(hass, entity_id, level, fade)
            await hass.services.async_call(
                call.domain, call.service, call.data, blocking=True, context=context
            )

        curve = light_curve(profile, entity_id, start, zone=ZONE, seed="bench")
        await controller.async_start(entity_id, curve, apply, context, lambda _text: None)
    await hass.async_block_till_done()
    # Fire each armed timer in turn until the day is over and nothing drives the lights.
    while controller.active(STEPPED) or controller.active(FADED):
        handles = [h for h in get_scheduled_timer_handles(hass.loop) if not h.cancelled()]
        if not handles:
            break
        now = datetime.now(UTC)
        due = now + timedelta(seconds=min(h.when() for h in handles) - hass.loop.time())
        target = max(due, now) + _MARGIN
        if target > end + timedelta(minutes=1):
            break
        with freeze_time(target):
            async_fire_time_changed_exact(hass, target)
            await hass.async_block_till_done()
    controller.cancel_all()


async def measure_calls() -> dict[str, int]:
    """Return the calls each light received over one simulated day of the two-ramp profile."""
    calls = {STEPPED: 0, FADED: 0}
    start = datetime.combine(DAY, time(), ZONE).astimezone(UTC)
    with tempfile.TemporaryDirectory() as config_dir, freeze_time(start):
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            await hass.config.async_set_time_zone(str(ZONE))
            await _run_day(hass, calls)
    return calls


def cpu_ms_per_day(repeats: int = 7) -> float:
    """Return the median process time (ms) of stepping every light of the reef light for a day."""
    profile = reef_light()
    window = moon_window(52.52, 13.40, ZONE)  # Berlin
    samples = []
    for offset in range(repeats):
        start = datetime.combine(DAY + timedelta(days=offset), time(), ZONE).astimezone(UTC)
        end = day_end(start, ZONE)
        began = clock.process_time()
        for entity_id in profile.lights:
            curve = light_curve(
                profile, entity_id, start, zone=ZONE, seed="reef", moon_window=window
            )
            for instant, _level in steps(curve, start):
                if instant >= end:
                    break
        samples.append((clock.process_time() - began) * 1000)
    return statistics.median(samples)


async def main() -> dict[str, Any]:
    """Return the profile figures of bench/run's JSON."""
    calls = await measure_calls()
    return {
        "profile_calls_day_no_transition": calls[STEPPED],
        "profile_calls_day_transition": calls[FADED],
        "profile_cpu_ms_per_day": round(cpu_ms_per_day(), 2),
    }


if __name__ == "__main__":
    asyncio.set_event_loop_policy(HassEventLoopPolicy(False))
    print(json.dumps(asyncio.run(main())))
