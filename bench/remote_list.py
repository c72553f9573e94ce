"""Listing 1 000 schedules from the fake Bella's Reef over loopback with the bundled client.

Run standalone with ``.venv/bin/python -m bench.remote_list``; ``bench/run`` imports
``measure_remote_list_1000_ms``. The client pages with the server's maximum page size (1 000),
so one list is one login-authenticated request plus parsing into frozen dataclasses; the naive
baseline pages by the server's default of 100 rows.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
import statistics
import time

from custom_components.reef_scheduler.api import BellasReefClient
from tests.api.server import FakeBellasReef, running

SCHEDULES = 1000
RUNS = 7
USERNAME = "bench"
PASSWORD = "bench-password"


def _fake() -> FakeBellasReef:
    """Return a fake holding 1 000 schedules of mixed types."""
    fake = FakeBellasReef()
    fake.add_user(USERNAME, PASSWORD)
    fake.add_device(1)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for index in range(SCHEDULES):
        match index % 3:
            case 0:
                fake.add_schedule(name=f"Interval {index}", interval_seconds=60 + index)
            case 1:
                fake.add_schedule(
                    name=f"Cron {index}",
                    schedule_type="cron",
                    interval_seconds=None,
                    cron_expression=f"{index % 60} {index % 24} * * *",
                )
            case _:
                fake.add_schedule(
                    name=f"Once {index}",
                    schedule_type="one_off",
                    interval_seconds=None,
                    start_time=start + timedelta(minutes=index),
                    device_ids=[1],
                )
    return fake


async def _async_measure(runs: int, page_size: int) -> list[float]:
    """Return the duration in ms of each full listing."""
    fake = _fake()
    durations: list[float] = []
    async with (
        running(fake) as urls,
        BellasReefClient(
            urls.core_url, urls.scheduler_url, USERNAME, PASSWORD, page_size=page_size
        ) as client,
    ):
        await client.login()
        await client.list_schedules()  # warm-up: connection pool, first parse
        for _ in range(runs):
            started = time.perf_counter()
            schedules = await client.list_schedules()
            durations.append((time.perf_counter() - started) * 1000)
            assert len(schedules) == SCHEDULES
    return durations


def _run(runs: int, page_size: int) -> list[float]:
    """Run the measurement in its own event loop (a worker thread if one is running here)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_async_measure(runs, page_size))
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _async_measure(runs, page_size)).result()


def measure_remote_list_1000_ms(runs: int = RUNS) -> float:
    """Return the median time in ms to list 1 000 schedules from the fake over loopback."""
    return statistics.median(_run(runs, 1000))


def main() -> None:
    """Print a table: median and worst of the client and of a 100-row paging baseline."""
    rows = [
        ("client (pages of 1000)", _run(RUNS, 1000)),
        ("baseline (pages of 100)", _run(RUNS, 100)),
    ]
    print(f"{'list 1000 schedules':<26}{'median ms':>12}{'max ms':>10}")
    for name, durations in rows:
        print(f"{name:<26}{statistics.median(durations):>12.1f}{max(durations):>10.1f}")


if __name__ == "__main__":
    main()
