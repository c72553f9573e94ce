"""Full entry set-up with N schedules: runner, subentries, devices and entities, in real time.

`bench/run` measures the runner alone (`setup_10k_s`); this adds Home Assistant's config
subentries and its entity and device registries. Run with
`.venv/bin/python -m bench.entry_setup 1000 10000`; prints tables. A warm-up set-up (module
imports, manifests, platforms) runs first and is not counted; each figure is the median of
`--repeats` set-ups in the same process. Three starts:

- restart: subentries and registry entries exist (the entry was set up and unloaded before
  in the same Home Assistant); only the second set-up is timed.
- new registries: subentries exist, the entity and device registries are empty.
- first start: no subentries (the integration creates them), empty registries.

`--memory` adds the traced heap the "new registries" set-up keeps per schedule (tracemalloc
from before the entry is added, in separate set-ups): right after the set-up, and after Home
Assistant has written its registries (each registry entry then keeps its JSON). `--profile`
prints where one restart set-up of the first count spends its time.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
import contextlib
import cProfile
from dataclasses import dataclass
import gc
import io
import pstats
import random
import statistics
import tempfile
import time
import tracemalloc
from typing import Any

from homeassistant import loader
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.runner import HassEventLoopPolicy
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from bench.run import hass_context
from bench.specs import SEED, ZONE, make_specs, write_schedules

WARM_UP = 20
SETTLE_SECONDS = 2.0
RESTART, NEW_REGISTRIES, FIRST_START = "restart", "new registries", "first start"
STARTS = (RESTART, NEW_REGISTRIES, FIRST_START)


@dataclass(frozen=True, slots=True)
class SetUp:
    """What one entry set-up took and made."""

    seconds: float
    states: int
    registry_entries: int
    enabled_entries: int
    traced: tuple[int, int] | None  # bytes after the set-up, after the registries' write


@contextlib.asynccontextmanager
async def hass_with_store(
    count: int,
) -> AsyncIterator[tuple[HomeAssistant, list[dict[str, Any]]]]:
    """Yield a fresh Home Assistant whose store holds `count` schedules, with their specs."""
    specs = make_specs(count, dt_util.utcnow(), random.Random(SEED))
    # Home Assistant may still finish its own final writes while the folder is removed.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as config_dir:
        write_schedules(config_dir, specs, None)
        async with hass_context(config_dir) as hass:
            await hass.config.async_set_time_zone(ZONE)
            # Let the loader find custom_components in this checkout, not the harness's.
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            # The targets exist, as in a real reef (no "targets missing" repair issues).
            for target in {spec["action"]["target"]["entity_id"][0] for spec in specs}:
                hass.states.async_set(target, "off")
            yield hass, specs


def _traced() -> int:
    """Return the traced heap after a full collection."""
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def measure(
    count: int,
    start: str,
    *,
    traced: bool = False,
    profile: cProfile.Profile | None = None,
) -> SetUp:
    """Set the local entry up over `count` stored schedules; return what the set-up took."""
    async with hass_with_store(count) as (hass, specs):
        ids = [spec["id"] for spec in specs]
        if traced:
            # The previous Home Assistant's final registry writes may still run in the
            # executor: their allocations are not this set-up's.
            await asyncio.sleep(SETTLE_SECONDS)
            tracemalloc.start()
        before = _traced() if traced else 0
        subentries = [
            ConfigSubentryData(
                data={"schedule_id": sid},
                subentry_type="schedule",
                title=f"Schedule {sid[1:]}",
                unique_id=sid,
            )
            for sid in ids
            if start != FIRST_START
        ]
        entry = MockConfigEntry(
            domain="reef_scheduler",
            data={"kind": "local"},
            subentries_data=subentries,
            minor_version=2,
        )
        entry.add_to_hass(hass)
        if start == RESTART:
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            assert await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
            gc.collect()
        if profile is not None:
            profile.enable()
        started = time.perf_counter()
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        seconds = time.perf_counter() - started
        if profile is not None:
            profile.disable()
        kept = None
        if traced:
            after = _traced()
            # What a running Home Assistant keeps once it has written its registries.
            hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
            await hass.async_block_till_done()
            kept = (after - before, _traced() - before)
            tracemalloc.stop()
        registry = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        result = SetUp(
            seconds=seconds,
            states=len(hass.states.async_all()),
            registry_entries=len(registry),
            enabled_entries=sum(1 for item in registry if item.disabled_by is None),
            traced=kept,
        )
        await hass.config_entries.async_unload(entry.entry_id)
    return result


async def main(counts: list[int], repeats: int, memory: bool, profile: bool) -> None:
    """Print one row per schedule count and start."""
    for start in STARTS:
        await measure(WARM_UP, start)
    if profile:
        profiler = cProfile.Profile()
        await measure(counts[0], RESTART, profile=profiler)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        print(out.getvalue())
    print("| schedules | start | seconds (median) | all | states | registry entries (enabled) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for count in counts:
        for start in STARTS:
            runs = [await measure(count, start) for _ in range(repeats)]
            seconds = [run.seconds for run in runs]
            last = runs[-1]
            print(
                f"| {count} | {start} | {statistics.median(seconds):.3f} | "
                f"{' '.join(f'{s:.2f}' for s in seconds)} | {last.states} | "
                f"{last.registry_entries} ({last.enabled_entries}) |",
                flush=True,
            )
    if not memory:
        return
    print()
    print("| schedules | traced heap per schedule, B (median): set up | registries written | all |")
    print("| --- | --- | --- | --- |")
    for count in counts:
        runs = [await measure(count, NEW_REGISTRIES, traced=True) for _ in range(repeats)]
        pairs = [run.traced for run in runs if run.traced is not None]
        set_up = [pair[0] / count for pair in pairs]
        written = [pair[1] / count for pair in pairs]
        every = " ".join(f"{a:.0f}/{b:.0f}" for a, b in zip(set_up, written, strict=True))
        print(
            f"| {count} | {statistics.median(set_up):.0f} | {statistics.median(written):.0f} | "
            f"{every} |",
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", nargs="*", type=int, default=[1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory", action="store_true", help="also the traced heap")
    parser.add_argument("--profile", action="store_true", help="profile one restart set-up")
    args = parser.parse_args()
    asyncio.set_event_loop_policy(HassEventLoopPolicy(False))
    asyncio.run(main(args.counts, args.repeats, args.memory, args.profile))
