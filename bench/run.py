"""Reef Scheduler benchmarks in a real Home Assistant event loop, in real time.

First the runner alone in the test harness's Home Assistant, then the whole integration from
outside in real Home Assistant processes (bench/probe.py). Prints a table, then as its last line
one JSON object with every figure. `--quick` runs each probe figure once with shorter idle
windows (the 30 s lateness windows stay); `--no-probe` runs the in-process figures only (under
a minute with `--quick`).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
import gc
from itertools import pairwise
import json
import random
import statistics
import sys
import tempfile
import time
import traceback
import tracemalloc
from typing import Any

from homeassistant.core import Context, HomeAssistant, ServiceCall
from homeassistant.runner import HassEventLoopPolicy
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_test_home_assistant,
)

from bench import probe
from bench.figures import pct
from bench.remote_list import measure_remote_list_1000_ms
from bench.specs import SEED, ZONE, make_specs, write_schedules
from custom_components.reef_scheduler.engine.ledger import RunStatus
from custom_components.reef_scheduler.engine.profile import Curve, Ramp, steps
from custom_components.reef_scheduler.engine.validate import validate_schedule
from custom_components.reef_scheduler.runner.actions import level_call
from custom_components.reef_scheduler.runner.levels import LevelController
from custom_components.reef_scheduler.runner.runner import (
    RunRequest,
    RunResult,
    ScheduleRunner,
)
from custom_components.reef_scheduler.runner.store import ReefStore


class NoopExecutor:
    """Records when each run's action starts; the action itself does nothing."""

    def __init__(self, expected: int = 0) -> None:
        """Start with no runs; `all_started` is set once `expected` runs have started."""
        self.started: list[tuple[datetime | None, float]] = []
        self.expected = expected
        self.all_started = asyncio.Event()

    async def async_execute(self, request: RunRequest) -> RunResult:
        """Note the wall-clock start and succeed."""
        self.started.append((request.due, time.time()))
        if len(self.started) >= self.expected:
            self.all_started.set()
        return RunResult(RunStatus.SUCCESS)

    async def async_validate(self, schedule: object) -> None:
        """Accept every schedule."""

    async def async_apply_state(self, *_args: object) -> RunResult:
        """Reconcile nothing: the benchmarks measure runs (they never start reconciling)."""
        return RunResult(RunStatus.SUCCESS)

    def prepare(self, schedule: object) -> None:
        """Nothing to build ahead."""

    def forget(self, sid: str) -> None:
        """Nothing kept per schedule."""

    async def async_stop(self) -> None:
        """Nothing runs in the background."""


def hass_context(config_dir: str) -> AbstractAsyncContextManager[HomeAssistant]:
    """Return a Home Assistant instance on this event loop."""
    return async_test_home_assistant(config_dir=config_dir)


async def with_runner(
    specs: list[dict[str, Any]],
    states: dict[str, Any] | None,
    body: Callable[[HomeAssistant, ScheduleRunner, NoopExecutor, float], Awaitable[Any]],
) -> Any:
    """Seed a fresh config dir, start a runner (timed) and run body with it."""
    with tempfile.TemporaryDirectory() as config_dir:
        write_schedules(config_dir, specs, states)
        async with hass_context(config_dir) as hass:
            await hass.config.async_set_time_zone(ZONE)
            executor = NoopExecutor()
            runner = ScheduleRunner(hass, ReefStore(hass), executor)
            gc.collect()
            started = time.perf_counter()
            await runner.async_start()
            setup_s = time.perf_counter() - started
            try:
                return await body(hass, runner, executor, setup_s)
            finally:
                await runner.async_stop()


async def bench_setup(count: int, with_state: bool, repeats: int = 3) -> float:
    """Return seconds to load and arm `count` stored schedules (median of repeats)."""
    now = dt_util.utcnow()
    specs = make_specs(count, now, random.Random(SEED))
    states = None
    if with_state:
        zone = ZONE
        states = {}
        from custom_components.reef_scheduler.engine.timeline import get_zone, next_run

        for spec in specs:
            schedule = validate_schedule(spec, default_timezone=zone)
            due = next_run(schedule, now, tz=get_zone(zone))
            states[spec["id"]] = {"next_due": due.isoformat() if due else None, "runs": 0}

    async def measure(
        hass: HomeAssistant, runner: ScheduleRunner, _: NoopExecutor, setup_s: float
    ) -> float:
        assert runner.armed == count
        return setup_s

    return statistics.median([await with_runner(specs, states, measure) for _ in range(repeats)])


async def bench_memory(count: int) -> float:
    """Return bytes allocated per loaded schedule (tracemalloc, runner state only)."""
    now = dt_util.utcnow()
    specs = make_specs(count, now, random.Random(SEED))

    async def measure(
        hass: HomeAssistant, runner: ScheduleRunner, _: NoopExecutor, __: float
    ) -> float:
        return 0.0

    with tempfile.TemporaryDirectory() as config_dir:
        write_schedules(config_dir, specs, None)
        async with hass_context(config_dir) as hass:
            await hass.config.async_set_time_zone(ZONE)
            runner = ScheduleRunner(hass, ReefStore(hass), NoopExecutor())
            gc.collect()
            tracemalloc.start()
            before = tracemalloc.take_snapshot()
            await runner.async_start()
            gc.collect()
            after = tracemalloc.take_snapshot()
            tracemalloc.stop()
            retained = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
            assert runner.armed == count
            await runner.async_stop()
    return retained / count


async def naive_poller(dues: list[datetime], rng: random.Random) -> list[float]:
    """Serve the due times like a 30-second polling scheduler; return each lateness (ms)."""
    lateness: list[float] = []
    pending = list(dues)
    await asyncio.sleep(rng.uniform(0, 30))  # a poller's phase is arbitrary
    while True:
        now = time.time()
        fired = [due for due in pending if due.timestamp() <= now]
        lateness.extend((now - due.timestamp()) * 1000 for due in fired)
        pending = pending[len(fired) :]
        if not pending:
            return lateness
        await asyncio.sleep(30)


async def bench_lateness(
    count: int, window_s: float
) -> tuple[list[float], asyncio.Task[list[float]]]:
    """Fire `count` one-off schedules due over the window; a 30 s poller serves the same dues.

    Returns the runner's lateness (ms) and the poller's task, which may still be running.
    """
    rng = random.Random(SEED)
    start = dt_util.utcnow() + timedelta(seconds=3)
    dues = sorted(start + timedelta(seconds=rng.uniform(0, window_s)) for _ in range(count))
    specs = [
        {
            "id": f"late{i}",
            "name": f"Late {i}",
            "type": "one_off",
            "at": due.isoformat(),
            "action": {"type": "on", "target": {"entity_id": ["switch.pump"]}},
        }
        for i, due in enumerate(dues)
    ]
    poller = asyncio.create_task(naive_poller(dues, rng))

    async def measure(
        hass: HomeAssistant, runner: ScheduleRunner, executor: NoopExecutor, _: float
    ) -> list[float]:
        executor.expected = count
        timeout = dues[-1].timestamp() + 5 - time.time()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(executor.all_started.wait(), timeout)
        return [
            (started - due.timestamp()) * 1000
            for due, started in executor.started
            if due is not None
        ]

    # Schedules are created before the runner starts: no stored state, so no catch-up.
    return await with_runner(specs, {}, measure), poller


async def bench_idle(count: int, seconds: float) -> float:
    """Return the loop's wake-ups per minute (selector returns) with the runner idle."""
    now = dt_util.utcnow()
    specs = make_specs(count, now, random.Random(SEED))
    for spec in specs:
        spec.update(
            type="one_off",
            at=(now + timedelta(days=2)).isoformat(),
        )
        for key in ("frequency", "times", "every", "cron"):
            spec.pop(key, None)

    async def measure(
        hass: HomeAssistant, runner: ScheduleRunner, _: NoopExecutor, __: float
    ) -> float:
        # Every return of the loop's selector is a wake-up, whoever caused it.
        selector = hass.loop._selector  # type: ignore[attr-defined]
        original = selector.select
        wakeups = 0

        def counted(timeout: float | None = None) -> Any:
            nonlocal wakeups
            wakeups += 1
            return original(timeout)

        selector.select = counted
        try:
            await asyncio.sleep(seconds)
        finally:
            selector.select = original
        return wakeups * 60 / seconds

    return await with_runner(specs, None, measure)


def ramp_plan(duration: timedelta) -> tuple[int, float]:
    """Return (calls, largest step in %) of a 0→100 % linear ramp stepped without transition."""
    start = dt_util.utcnow()
    levels = [level for _, level in steps(Ramp(start, duration, 0, 100, Curve.LINEAR), start)]
    return len(levels), max((b - a for a, b in pairwise(levels)), default=0)


async def bench_ramp_real(seconds: float) -> tuple[int, float]:
    """Run a 0→100 % ramp of `seconds` on a light without transition; return (calls, max step).

    The call count of a stepped ramp does not depend on its length (one call per whole
    percent), so a short ramp in real time checks the controller against the 60-min plan.
    """
    calls: list[float] = []
    with tempfile.TemporaryDirectory() as config_dir:
        async with hass_context(config_dir) as hass:

            async def turn_on(call: ServiceCall) -> None:
                calls.append(float(call.data["brightness_pct"]))
                brightness = round(call.data["brightness_pct"] * 2.55)
                hass.states.async_set("light.bench", "on", {"brightness": brightness})

            async def turn_off(call: ServiceCall) -> None:
                calls.append(0.0)
                hass.states.async_set("light.bench", "off")

            hass.services.async_register("light", "turn_on", turn_on)
            hass.services.async_register("light", "turn_off", turn_off)
            hass.states.async_set("light.bench", "off")
            controller = LevelController(hass, lambda coro, name: hass.async_create_task(coro))
            context = Context()

            async def apply(level: float, fade: float | None) -> None:
                call = level_call(hass, "light.bench", level, fade)
                await hass.services.async_call(
                    call.domain, call.service, call.data, blocking=True, context=context
                )

            now = dt_util.utcnow()
            ramp = Ramp(now, timedelta(seconds=seconds), 0, 100, Curve.LINEAR)
            await controller.async_start("light.bench", ramp, apply, context, lambda _: None)
            await asyncio.sleep(seconds + 0.5)
            await hass.async_block_till_done()
            assert not controller.active("light.bench")
    return len(calls), max((b - a for a, b in pairwise(calls)), default=0)


async def simulated(module: str) -> dict[str, Any]:
    """Return the figures of a simulated-clock bench, run in a process of its own.

    Its frozen clock steps from one armed loop timer to the next, whoever armed it: timers the
    other figures left on this loop would make it crawl (and freezegun patches this process).
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"{module} failed with exit code {process.returncode}")
    figures: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return figures


async def main(quick: bool) -> dict[str, Any]:
    """Run every benchmark and return the figures."""
    results: dict[str, Any] = {}
    lateness, poller = await bench_lateness(1000, 8.0 if quick else 30.0)
    if not quick:
        # Full runs wait for the poller so that nothing else shares the loop with it.
        await poller
    results["lateness_p50_ms"] = round(pct(lateness, 0.5), 3)
    results["lateness_p99_ms"] = round(pct(lateness, 0.99), 3)
    results["lateness_max_ms"] = round(max(lateness), 3)
    results["fired"] = len(lateness)
    repeats = 1 if quick else 3
    results["setup_1k_s"] = round(await bench_setup(1000, True, repeats), 4)
    results["setup_10k_s"] = round(await bench_setup(10_000, True, repeats), 4)
    results["setup_10k_cold_s"] = round(await bench_setup(10_000, False, repeats), 4)
    results["mem_per_schedule_bytes"] = round(await bench_memory(10_000))
    idle = 5.0 if quick else 60.0
    results["idle_wakeups_per_min_1k"] = round(await bench_idle(1000, idle), 1)
    results["idle_wakeups_per_min_10k"] = round(await bench_idle(10_000, idle), 1)
    calls, step = ramp_plan(timedelta(minutes=60))
    results["ramp_calls_60min_no_transition"] = calls
    results["ramp_max_step_pct"] = step
    real_calls, real_step = await bench_ramp_real(5.0 if quick else 20.0)
    results["ramp_calls_real_no_transition"] = real_calls
    results["ramp_max_step_pct_real"] = real_step
    # The client's figure runs its own loop in a thread (it is HA-free).
    results["remote_list_1000_ms"] = round(
        await asyncio.to_thread(measure_remote_list_1000_ms, 3 if quick else 7), 2
    )
    # Imported here: it sets up the entry with bench/entry_setup.py, which imports this module.
    from bench import card_window

    results |= await card_window.main(quick)
    poll = await poller
    results |= await simulated("bench.profile_day")
    results |= await simulated("bench.wave_hour")
    results["poll30_p50_ms"] = round(pct(poll, 0.5), 1)
    results["poll30_p99_ms"] = round(pct(poll, 0.99), 1)
    return results


TARGETS = {
    "ramp_calls_60min_no_transition": ("≤ 101", lambda v: v <= 101),
    "ramp_calls_real_no_transition": ("≤ 101", lambda v: v <= 101),
    "ramp_max_step_pct": ("≤ 1", lambda v: v <= 1),
    "ramp_max_step_pct_real": ("≤ 1", lambda v: v <= 1),
    # The day of bench/profile_day.py: two 0 ↔ 100 % ramps of 1 h, so 200 whole-percent changes
    # plus the first call; with transition one fade per 5 minutes of ramp plus the first call.
    "profile_calls_day_no_transition": ("≤ 201", lambda v: v <= 201),
    "profile_calls_day_transition": ("≤ 25", lambda v: v <= 25),
    "remote_list_1000_ms": ("≤ 300", lambda v: v <= 300),
    "card_day_1000_ms_median": ("≤ 200", lambda v: v <= 200),
    "card_day_1000_ms_p95": ("≤ 200", lambda v: v <= 200),
    "lateness_p99_ms": ("≤ 5", lambda v: v <= 5),
    "setup_10k_s": ("≤ 1", lambda v: v <= 1),
    "mem_per_schedule_bytes": ("≤ 2048", lambda v: v <= 2048),
    **probe.TARGETS,
}


def print_table(results: dict[str, Any]) -> None:
    """Print the figures as a Markdown table."""
    print("| figure | value | target |")
    print("| --- | --- | --- |")
    for key, value in results.items():
        target, ok = TARGETS.get(key, ("", None))
        mark = "" if ok is None else (" ✓" if ok(value) else " ✗")
        print(f"| {key} | {value} | {target}{mark} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one run per probe figure")
    parser.add_argument(
        "--repeat", type=int, help="runs per probe figure (default 3, 1 with --quick)"
    )
    parser.add_argument(
        "--no-probe", action="store_true", help="skip the real Home Assistant processes"
    )
    args = parser.parse_args()
    asyncio.set_event_loop_policy(HassEventLoopPolicy(False))
    figures = asyncio.run(main(args.quick))
    failed = False
    if not args.no_probe:
        try:
            figures |= probe.run(args.quick, args.repeat)
        except Exception:  # the in-process figures are still worth printing
            traceback.print_exc()
            failed = True
    print_table(figures)
    print(json.dumps(figures))
    sys.exit(1 if failed else 0)
