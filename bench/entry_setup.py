"""Full entry set-up with N schedules: runner, subentries, devices and entities, in real time.

`bench/run` measures the runner alone (`setup_10k_s`); this adds Home Assistant's entity and
device registries (7 entities per schedule, 3 of them enabled). Run with
`.venv/bin/python -m bench.entry_setup 1000 10000`; prints a table.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time

from homeassistant import loader
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.runner import HassEventLoopPolicy
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from bench.run import hass_context
from bench.specs import SEED, ZONE, make_specs, write_schedules


async def measure(count: int, with_subentries: bool) -> tuple[float, int]:
    """Return (seconds to set up the entry, states created) for `count` stored schedules."""
    specs = make_specs(count, dt_util.utcnow(), random.Random(SEED))
    # Home Assistant may still finish its own final writes while the folder is removed.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as config_dir:
        write_schedules(config_dir, specs, None)
        async with hass_context(config_dir) as hass:
            await hass.config.async_set_time_zone(ZONE)
            subentries = [
                ConfigSubentryData(
                    data={"schedule_id": spec["id"]},
                    subentry_type="schedule",
                    title=spec["name"],
                    unique_id=spec["id"],
                )
                for spec in specs
                if with_subentries
            ]
            entry = MockConfigEntry(
                domain="reef_scheduler", data={"kind": "local"}, subentries_data=subentries
            )
            entry.add_to_hass(hass)
            # Let the loader find custom_components in this checkout, not the harness's.
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            started = time.perf_counter()
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            seconds = time.perf_counter() - started
            states = len(hass.states.async_all())
            await hass.config_entries.async_unload(entry.entry_id)
    return seconds, states


async def main(counts: list[int]) -> None:
    """Print one row per schedule count and start kind."""
    print("| schedules | start | seconds | states |")
    print("| --- | --- | --- | --- |")
    for count in counts:
        for with_subentries, kind in ((True, "restart"), (False, "first start")):
            seconds, states = await measure(count, with_subentries)
            print(f"| {count} | {kind} | {seconds:.2f} | {states} |", flush=True)


if __name__ == "__main__":
    asyncio.set_event_loop_policy(HassEventLoopPolicy(False))
    asyncio.run(main([int(arg) for arg in sys.argv[1:]] or [1000]))
