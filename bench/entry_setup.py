"""Full entry set-up with N schedules: runner, subentries, devices and entities, in real time.

`bench/run` measures the runner alone (`setup_10k_s`); this adds Home Assistant's config
subentries and its entity and device registries. Run with
`.venv/bin/python -m bench.entry_setup 1000 10000`; prints a table. A warm-up set-up (module
imports, manifests, platforms) runs first and is not counted; each figure is the median of
`--repeats` set-ups in the same process. `--memory` adds the traced heap per schedule
(tracemalloc from before the entry is added until it is set up, in separate set-ups);
`--profile` prints where one restart set-up of the first count spends its time.
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

from homeassistant import loader
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.runner import HassEventLoopPolicy
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from bench.run import SEED, ZONE, hass_context, make_specs, seed_store

WARM_UP = 20


@dataclass(frozen=True, slots=True)
class SetUp:
    """What one entry set-up took and made."""

    seconds: float
    states: int
    registry_entries: int
    enabled_entries: int
    traced_bytes: int | None


@contextlib.asynccontextmanager
async def _hass_with_store(count: int) -> AsyncIterator[tuple[HomeAssistant, list[str]]]:
    """Yield a fresh Home Assistant whose store holds `count` schedules, with their ids."""
    specs = make_specs(count, dt_util.utcnow(), random.Random(SEED))
    # Home Assistant may still finish its own final writes while the folder is removed.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as config_dir:
        await seed_store(config_dir, specs, None)
        async with hass_context(config_dir) as hass:
            await hass.config.async_set_time_zone(ZONE)
            # Let the loader find custom_components in this checkout, not the harness's.
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            yield hass, [spec["id"] for spec in specs]


async def measure(
    count: int,
    with_subentries: bool,
    *,
    traced: bool = False,
    profile: cProfile.Profile | None = None,
) -> SetUp:
    """Set the local entry up once over `count` stored schedules; return what it took."""
    async with _hass_with_store(count) as (hass, ids):
        names = {sid: f"Schedule {sid[1:]}" for sid in ids}
        gc.collect()
        if traced:
            tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0] if traced else 0
        subentries = [
            ConfigSubentryData(
                data={"schedule_id": sid},
                subentry_type="schedule",
                title=names[sid],
                unique_id=sid,
            )
            for sid in ids
            if with_subentries
        ]
        entry = MockConfigEntry(
            domain="reef_scheduler", data={"kind": "local"}, subentries_data=subentries
        )
        entry.add_to_hass(hass)
        if profile is not None:
            profile.enable()
        started = time.perf_counter()
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        seconds = time.perf_counter() - started
        if profile is not None:
            profile.disable()
        traced_bytes = None
        if traced:
            gc.collect()
            traced_bytes = tracemalloc.get_traced_memory()[0] - before
            tracemalloc.stop()
        registry = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        result = SetUp(
            seconds=seconds,
            states=len(hass.states.async_all()),
            registry_entries=len(registry),
            enabled_entries=sum(1 for item in registry if item.disabled_by is None),
            traced_bytes=traced_bytes,
        )
        await hass.config_entries.async_unload(entry.entry_id)
    return result


async def main(counts: list[int], repeats: int, memory: bool, profile: bool) -> None:
    """Print one row per schedule count and start kind."""
    await measure(WARM_UP, True)
    await measure(WARM_UP, False)
    if profile:
        profiler = cProfile.Profile()
        await measure(counts[0], True, profile=profiler)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        print(out.getvalue())
    print("| schedules | start | seconds (median) | all | states | registry entries (enabled) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for count in counts:
        for with_subentries, kind in ((True, "restart"), (False, "first start")):
            runs = [await measure(count, with_subentries) for _ in range(repeats)]
            seconds = [run.seconds for run in runs]
            last = runs[-1]
            print(
                f"| {count} | {kind} | {statistics.median(seconds):.3f} | "
                f"{' '.join(f'{s:.2f}' for s in seconds)} | {last.states} | "
                f"{last.registry_entries} ({last.enabled_entries}) |",
                flush=True,
            )
    if not memory:
        return
    print()
    print("| schedules | start | traced heap per schedule (B, median) | all |")
    print("| --- | --- | --- | --- |")
    for count in counts:
        for with_subentries, kind in ((True, "restart"), (False, "first start")):
            runs = [await measure(count, with_subentries, traced=True) for _ in range(repeats)]
            per = [(run.traced_bytes or 0) / count for run in runs]
            print(
                f"| {count} | {kind} | {statistics.median(per):.0f} | "
                f"{' '.join(f'{b:.0f}' for b in per)} |",
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
