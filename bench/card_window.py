"""The day card's window: the DAY of 1 000 schedules, built and serialised, in real time.

The local entry is set up over bench/specs.py's 1 000 schedules (daily times, pump intervals of
5 to 60 minutes, cron every 2 hours, one-offs; 50 pumps), with their devices and Enabled
switches. Each answer is what the websocket command does for an admin: the DAY of the 24 hours
from now (every run of the window still to come, the 50 pumps' curves) built and turned into
the JSON message sent. Times are wall-clock milliseconds per answer over ``repeats`` answers
after one warm-up; the target is 200 ms. `bench/run` runs it; run it alone with
`.venv/bin/python -m bench.card_window [--repeats N]`, which prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from homeassistant.components import websocket_api
from homeassistant.core import ServiceCall
from homeassistant.helpers.json import json_bytes
from homeassistant.runner import HassEventLoopPolicy
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from bench.entry_setup import hass_with_store
from bench.figures import pct
from custom_components.reef_scheduler.const import ENTRY_MINOR_VERSION
from custom_components.reef_scheduler.websocket import day_request, the_day

COUNT = 1000
REPEATS = 30


async def measure(count: int, repeats: int) -> tuple[list[float], dict[str, int]]:
    """Return the milliseconds of each answer and the size of the last one."""
    async with hass_with_store(count) as (hass, _specs):

        async def switch(call: ServiceCall) -> None:
            for entity_id in call.data["entity_id"]:
                hass.states.async_set(entity_id, "on" if call.service == "turn_on" else "off")

        # The pumps answer (the start-up reconcile switches them on; no retries in the loop).
        hass.services.async_register("switch", "turn_on", switch)
        hass.services.async_register("switch", "turn_off", switch)
        entry = MockConfigEntry(
            domain="reef_scheduler", data={"kind": "local"}, minor_version=ENTRY_MINOR_VERSION
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        now = dt_util.utcnow()
        request = day_request(hass, {"start": now, "hours": 24}, now)
        answer = b""
        times: list[float] = []
        for index in range(repeats + 1):
            started = time.perf_counter()
            day = the_day(hass, request, None)
            answer = json_bytes(websocket_api.result_message(1, day))
            if index:  # the first answer warms up
                times.append((time.perf_counter() - started) * 1000)
        size = {
            "schedules": len(day["schedules"]),
            "runs": sum(len(row["runs"]) for row in day["schedules"]),
            "targets": len(day["targets"]),
            "bytes": len(answer),
        }
        await hass.config_entries.async_unload(entry.entry_id)
    return times, size


async def main(quick: bool = False, repeats: int | None = None) -> dict[str, Any]:
    """Return the card figures of bench/run's JSON."""
    times, size = await measure(COUNT, repeats or (7 if quick else REPEATS))
    return {
        "card_day_1000_ms_median": round(statistics.median(times), 2),
        "card_day_1000_ms_p95": round(pct(times, 0.95), 2),
        "card_day_1000_runs": size["runs"],
        "card_day_1000_kb": round(size["bytes"] / 1024, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args()
    asyncio.set_event_loop_policy(HassEventLoopPolicy(False))
    figures = asyncio.run(main(repeats=args.repeats))
    print("| figure | value | target |")
    print("| --- | --- | --- |")
    targets = {"card_day_1000_ms_median": "≤ 200", "card_day_1000_ms_p95": "≤ 200"}
    for key, value in figures.items():
        print(f"| {key} | {value} | {targets.get(key, '')} |")
