"""What one schedule create costs with N schedules stored, in real time on a real store.

A create validates the spec, writes every definition (the store is one file) and adds the
schedule's subentry, device and entities. Run with
`.venv/bin/python -m bench.creates 1000 10000`; prints a table. The entry is set up over N
stored schedules (their subentries exist), then `--creates` schedules are created one after
another through the local backend (as the service and the subentry flow do); each figure is
the median and p99 of those. "write" is the definitions write alone (building what is written,
then the store's write), timed on the same creates.

Measured 2026-11-28 (2 shared cores, 50 creates; the p99 is the first create after the start,
which builds every schedule's stored form once):

| schedules | before: create ms (median) | write ms | after: create ms (median) | write ms |
| --- | --- | --- | --- | --- |
| 1 000 | 51.5 | 41.8 | 18.2 | 10.8 |
| 10 000 | 423.4 | 368.6 | 63.8 | 42.2 |
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.runner import HassEventLoopPolicy
from pytest_homeassistant_custom_component.common import MockConfigEntry

from bench.entry_setup import hass_with_store
from bench.figures import pct


async def measure(count: int, creates: int) -> tuple[list[float], list[float]]:
    """Return the seconds of each create and of each create's definitions write."""
    async with hass_with_store(count) as (hass, specs):
        entry = MockConfigEntry(
            domain="reef_scheduler",
            data={"kind": "local"},
            subentries_data=[
                ConfigSubentryData(
                    data={"schedule_id": spec["id"], "definition": json.dumps(spec)},
                    subentry_type="schedule",
                    title=spec["name"],
                    unique_id=spec["id"],
                )
                for spec in specs
            ],
            minor_version=3,
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        backend = entry.runtime_data.backend
        runner = backend.runner
        writes: list[float] = []
        save = runner._async_save_definitions  # timed as it is

        async def timed_save() -> Any:
            started = time.perf_counter()
            try:
                return await save()
            finally:
                writes.append(time.perf_counter() - started)

        runner._async_save_definitions = timed_save
        seconds: list[float] = []
        for i in range(creates):
            spec = {
                "id": f"new{i}",
                "name": f"New {i}",
                "type": "interval",
                "every": 3600,
                "action": {"type": "on", "target": {"entity_id": ["switch.pump_0"]}},
            }
            started = time.perf_counter()
            await backend.async_create(spec)
            seconds.append(time.perf_counter() - started)
            await hass.async_block_till_done()
        await hass.config_entries.async_unload(entry.entry_id)
    return seconds, writes


async def main(counts: list[int], creates: int) -> None:
    """Print one row per schedule count."""
    await measure(20, 5)  # warm-up: imports, manifests, platforms
    print("| schedules | create ms (median) | p99 | write ms (median) | p99 |")
    print("| --- | --- | --- | --- | --- |")
    for count in counts:
        seconds, writes = await measure(count, creates)
        print(
            f"| {count} | {statistics.median(seconds) * 1000:.1f} "
            f"| {pct(seconds, 0.99) * 1000:.1f} "
            f"| {statistics.median(writes) * 1000:.1f} | {pct(writes, 0.99) * 1000:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--creates", type=int, default=50)
    args = parser.parse_args()
    asyncio.set_event_loop_policy(HassEventLoopPolicy(False))
    asyncio.run(main(args.counts, args.creates))
