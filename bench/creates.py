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
import random
import statistics
import tempfile
import time
from typing import Any

from homeassistant import loader
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.runner import HassEventLoopPolicy
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from bench.run import hass_context
from bench.specs import SEED, ZONE, make_specs, write_schedules


def _p99(values: list[float]) -> float:
    """Return the 99th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


async def measure(count: int, creates: int) -> tuple[list[float], list[float]]:
    """Return the seconds of each create and of each create's definitions write."""
    specs = make_specs(count, dt_util.utcnow(), random.Random(SEED))
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as config_dir:
        write_schedules(config_dir, specs, None)
        async with hass_context(config_dir) as hass:
            await hass.config.async_set_time_zone(ZONE)
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            # The targets exist, as in a real reef.
            for target in {spec["action"]["target"]["entity_id"][0] for spec in specs}:
                hass.states.async_set(target, "off")
            entry = MockConfigEntry(
                domain="reef_scheduler",
                data={"kind": "local"},
                subentries_data=[
                    ConfigSubentryData(
                        data={"schedule_id": spec["id"], "definition": spec},
                        subentry_type="schedule",
                        title=spec["name"],
                        unique_id=spec["id"],
                    )
                    for spec in specs
                ],
                minor_version=2,
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
            f"| {count} | {statistics.median(seconds) * 1000:.1f} | {_p99(seconds) * 1000:.1f} | "
            f"{statistics.median(writes) * 1000:.1f} | {_p99(writes) * 1000:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--creates", type=int, default=50)
    args = parser.parse_args()
    asyncio.set_event_loop_policy(HassEventLoopPolicy(False))
    asyncio.run(main(args.counts, args.creates))
