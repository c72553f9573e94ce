"""Reef Scheduler measured from outside, the user's way: real Home Assistant processes.

Every run starts a real Home Assistant (`python -m homeassistant`, this interpreter) from the
dev config (scripts/dev_instance.py) in a temporary folder, with the probe integration of
bench/probe_component linked in and logging at Home Assistant's default (warning), one process
at a time, and talks to it over REST with a token made once (one onboarded template folder whose
auth files every other folder copies). Schedules, the local entry and one schedule subentry each
are written to storage before Home Assistant starts; a "prep" start creates the registries
(entities, devices), and the measured starts are restarts of copies of that folder.

Figures (medians of --repeat runs; see docs/benchmarks.md, "From outside: the probe"):
- lateness at the device: 1 000 one-off schedules due on whole seconds over 30 s, a `custom`
  action calling `reef_probe.hit` (instant its handler starts) and an `on` action on an
  `input_boolean` (its state_changed event's time_fired);
- set-up over bare HA: spawn to RUNNING and every next-run sensor armed, with N schedules,
  minus spawn to RUNNING without the entry;
- memory per schedule: RSS and traced heap (-X tracemalloc) with N schedules minus 0;
- loop wake-ups per minute, idle: returns of the loop's selector that could sleep, minus bare HA.

Run by bench/run after its own figures, or alone: `python -m bench.probe [--quick]`.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import json
import math
import os
from pathlib import Path
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from types import MappingProxyType
from typing import Any

import aiohttp
from homeassistant.config_entries import (
    SOURCE_USER,
    STORAGE_KEY as ENTRIES_KEY,
    STORAGE_VERSION as ENTRIES_VERSION,
    STORAGE_VERSION_MINOR as ENTRIES_MINOR_VERSION,
    ConfigEntry,
    ConfigSubentryData,
)

from bench.figures import entry_figures, lateness, medians, rounded, size_label
from bench.specs import SEED, make_specs, write_schedules
from custom_components.reef_scheduler.config_flow import ReefSchedulerConfigFlow
from custom_components.reef_scheduler.const import (
    CONF_ENTRY_KIND,
    DOMAIN,
    ENTRY_KIND_LOCAL,
    SUBENTRY_TYPE_SCHEDULE,
    TITLE_LOCAL,
)
from custom_components.reef_scheduler.local.backend import CONF_SCHEDULE_ID
from custom_components.reef_scheduler.runner.store import SCHEDULES_KEY

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from dev_instance import (
    HassClient,
    HassError,
    HassProcess,
    free_port,
    prepare_config,
)

PROBE = "reef_probe"
PROBE_COMPONENT = Path(__file__).resolve().parent / "probe_component" / PROBE
# The dev config's demo switches: targets of the stored mix (make_specs names pumps that the
# dev config does not have; missing targets would raise a repair issue per schedule).
DEMO_SWITCHES = ("switch.return_pump", "switch.wavemaker", "switch.heater", "switch.skimmer")
LATE_COUNT = 1000
LATE_KINDS = ("custom", "on")
LATE_WINDOW_S = 30
# Seconds between "settled" (RUNNING, every next-run sensor armed, the recorder's backlog
# written) and the first due instant: at least MIN_QUIET_S, or the run is made again.
QUIET_S = 4.0
MIN_QUIET_S = 2.0
# Seconds after "settled" (ready, and the recorder has written what the start produced) before
# an idle window or a memory reading: past the start's own delayed writes (the run data is
# written 10 s after a change, and a start reads the journal the last stop left).
SETTLE_S = 12.0
START_BOUND_S = 600.0
STOP_BOUND_S = 180.0
# The probe starts an idle window 1 s after the request; the figure is ready this long after.
IDLE_MARGIN_S = 1.5


def progress(text: str) -> None:
    """Tell the person waiting what is going on (stderr: stdout ends with the figures)."""
    print(f"probe: {text}", file=sys.stderr, flush=True)


class ProbeError(RuntimeError):
    """A measurement could not be made."""


# ----- folders -------------------------------------------------------------------------------


def config_entries_body(specs: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Return core.config_entries with the local entry and a subentry per spec (None: none)."""
    entries = []
    if specs is not None:
        entry = ConfigEntry(
            data={CONF_ENTRY_KIND: ENTRY_KIND_LOCAL},
            discovery_keys=MappingProxyType({}),
            domain=DOMAIN,
            minor_version=1,
            options={},
            source=SOURCE_USER,
            subentries_data=[
                ConfigSubentryData(
                    data={CONF_SCHEDULE_ID: spec["id"]},
                    subentry_type=SUBENTRY_TYPE_SCHEDULE,
                    title=spec["name"],
                    unique_id=spec["id"],
                )
                for spec in specs
            ],
            title=TITLE_LOCAL,
            unique_id=None,
            version=ReefSchedulerConfigFlow.VERSION,
        )
        entries.append(entry.as_dict())
    return {
        "version": ENTRIES_VERSION,
        "minor_version": ENTRIES_MINOR_VERSION,
        "key": ENTRIES_KEY,
        "data": {"entries": entries},
    }


def drop_run_data(config_dir: Path) -> None:
    """Delete the integration's stored run state, ledger and journal (definitions stay)."""
    for path in (config_dir / ".storage").glob(f"{DOMAIN}.*"):
        if path.name != SCHEDULES_KEY:
            path.unlink()


def rss_bytes(pid: int) -> int:
    """Return a process's resident set size (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise ProbeError(f"no VmRSS for process {pid}")


def idle_mix(count: int, now: datetime) -> list[dict[str, Any]]:
    """Return make_specs' mix on the demo switches, starting in a day: nothing runs meanwhile."""
    specs = make_specs(count, now, random.Random(SEED))
    start = (now + timedelta(days=1)).isoformat()
    for index, spec in enumerate(specs):
        spec["start"] = start
        spec["action"]["target"] = {"entity_id": [DEMO_SWITCHES[index % len(DEMO_SWITCHES)]]}
    return specs


def late_specs(kind: str, start: float) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Return LATE_COUNT one-offs due on the whole seconds from `start` and their dues by id."""
    specs = []
    dues: dict[str, float] = {}
    created = datetime.now(UTC).isoformat()
    for index in range(LATE_COUNT):
        sid = f"late{index}"
        dues[sid] = start + index % LATE_WINDOW_S
        if kind == "custom":
            call = {"action": f"{PROBE}.hit", "data": {"id": sid}}
            action: dict[str, Any] = {"type": "custom", "sequence": [call]}
        else:
            action = {"type": "on", "target": {"entity_id": [switched_entity(index)]}}
        specs.append(
            {
                "id": sid,
                "name": f"Late {index}",
                "type": "one_off",
                "at": datetime.fromtimestamp(dues[sid], UTC).isoformat(),
                "action": action,
                "created": created,
            }
        )
    return specs, dues


def _ready(status: dict[str, Any]) -> bool:
    """Return True once RUNNING was seen and every expected next-run sensor is armed."""
    return status["running_at"] is not None and (
        status["expected"] == 0 or status["armed_at"] is not None
    )


def _settled(status: dict[str, Any]) -> bool:
    """Return True once the recorder has nothing queued (or there is no recorder)."""
    return not status["recorder_backlog"]


def switched_entity(index: int) -> str:
    """Return the input_boolean the `on` schedule with this index turns on."""
    return f"input_boolean.probe_{index}"


# ----- Home Assistant processes --------------------------------------------------------------


@dataclass
class Run:
    """One started Home Assistant and what is known about its start."""

    proc: HassProcess
    client: HassClient
    spawned: float
    running_at: float
    ready_at: float
    settled_at: float

    @property
    def setup_s(self) -> float:
        """Return seconds from spawn until RUNNING with every next-run sensor armed."""
        return self.ready_at - self.spawned

    @property
    def settle_s(self) -> float:
        """Return seconds from spawn until ready with the recorder's backlog written."""
        return self.settled_at - self.spawned

    async def status(self, *, events: bool = False) -> dict[str, Any]:
        """Return the probe's records."""
        reply: dict[str, Any] = await self.client.call(
            PROBE, "status", {"events": events}, response=True
        )
        return reply

    async def idle_wakeups_per_min(self, seconds: float, label: str) -> float:
        """Count the loop's wake-ups over an idle window (nobody calls in meanwhile)."""
        await self.client.call(PROBE, "count_wakeups", {"seconds": seconds})
        await asyncio.sleep(seconds + IDLE_MARGIN_S)
        idle = (await self.status())["idle"]
        if idle is None:
            raise ProbeError("the idle count did not finish")
        causes = Counter(re.sub(r" at 0x[0-9a-f]+", "", cause) for cause in idle["causes"])
        progress(f"{label}: idle wake-ups {idle['wakeups']}: {dict(causes.most_common())}")
        return float(idle["wakeups"]) * 60 / float(idle["seconds"])

    async def memory(self) -> tuple[int, int | None]:
        """Return (RSS, traced heap or None) after a garbage collection in Home Assistant."""
        reply = await self.client.call(PROBE, "memory", {}, response=True)
        assert self.proc.pid is not None
        return rss_bytes(self.proc.pid), reply["traced_bytes"]


class Lab:
    """A temporary folder, one onboarded template, and at most one Home Assistant at a time."""

    def __init__(self, root: Path, python: str = sys.executable) -> None:
        """Use `root` (a fresh folder) for every config folder and log."""
        self.root = root
        self.python = python
        self.port = free_port()
        self.token = ""
        self.auth: dict[str, bytes] = {}
        self.current: HassProcess | None = None
        self.starts = 0

    @property
    def base(self) -> str:
        """Return the URL every instance listens on (one at a time)."""
        return f"http://127.0.0.1:{self.port}"

    def config(
        self,
        name: str,
        *,
        specs: list[dict[str, Any]] | None,
        expected: int = 0,
        extra: dict[str, Any] | None = None,
    ) -> Path:
        """Make a config folder: dev config, probe, auth, the entry with `specs` (None: none)."""
        path = self.root / name
        storage = path / ".storage"
        storage.mkdir(parents=True)
        for file, body in self.auth.items():
            (storage / file).write_bytes(body)
        (storage / ENTRIES_KEY).write_text(json.dumps(config_entries_body(specs)))
        if specs is not None:
            write_schedules(path, specs)
        sections = {
            "logger": {"default": "warning"},
            PROBE: {"next_run_sensors": expected},
            **(extra or {}),
        }
        prepare_config(path, port=self.port, extra=sections, components={PROBE: PROBE_COMPONENT})
        return path

    def copy(self, source: Path, name: str) -> Path:
        """Copy a (stopped) config folder."""
        target = self.root / name
        shutil.copytree(source, target, symlinks=True)
        return target

    async def onboard(self) -> None:
        """Onboard a template instance once; later folders copy its auth files and token."""
        path = self.config("template", specs=None)
        proc = self._process(path, ())
        async with self._session() as session:
            client = HassClient(session, self.base)
            proc.start()
            try:
                await client.wait_onboarding(proc, within=START_BOUND_S)
                await client.onboard()
                self.token = await client.long_lived_token("reef probe")
            finally:
                proc.stop(timeout=STOP_BOUND_S)
                self.current = None
        storage = path / ".storage"
        self.auth = {
            name: (storage / name).read_bytes()
            for name in ("auth", "auth_provider.homeassistant", "onboarding")
        }
        shutil.rmtree(path, ignore_errors=True)

    @contextlib.asynccontextmanager
    async def run(
        self, path: Path, *, traced: bool = False, keep: bool = False
    ) -> AsyncIterator[Run]:
        """Start Home Assistant on a folder, wait until settled, yield the run, then end it.

        Only a folder to `keep` gets a clean stop (its final writes) and is not waited for
        to settle; other runs are killed, their folders are thrown away.
        """
        proc = self._process(path, ("-X", "tracemalloc") if traced else ())
        async with self._session() as session:
            client = HassClient(session, self.base)
            client.set_token(self.token)
            spawned = proc.start()
            try:
                await client.wait_running(proc, within=START_BOUND_S)
                status = await self._wait(proc, client, _ready, "all next-run sensors armed")
                running_at = status["running_at"]
                ready_at = max(running_at, status["armed_at"] or running_at)
                if not keep:
                    await self._wait(proc, client, _settled, "the recorder's backlog written")
                run = Run(proc, client, spawned, running_at, ready_at, time.time())
                yield run
            finally:
                if keep:
                    proc.stop(timeout=STOP_BOUND_S)
                else:
                    proc.kill()
                self.current = None
            progress(
                f"{path.name}{' (-X tracemalloc)' if traced else ''}: ready after "
                f"{run.setup_s:.1f} s, settled after {run.settle_s:.1f} s, "
                f"{time.time() - spawned:.0f} s from spawn to stopped"
            )

    async def prep(self, path: Path) -> Run:
        """Start once to create the registries (a first start), then stop cleanly.

        Its clean stop also lets the recorder write every state of the start, so that the
        restarts find them in the database (as a user's restart does) and settle sooner.
        """
        async with self.run(path, keep=True) as run:
            return run

    async def _wait(
        self,
        proc: HassProcess,
        client: HassClient,
        done: Callable[[dict[str, Any]], bool],
        what: str,
    ) -> dict[str, Any]:
        """Poll the probe's status until `done`; fail if Home Assistant exits or time runs out."""
        deadline = time.monotonic() + START_BOUND_S
        while time.monotonic() < deadline:
            if not proc.running:
                raise HassError(f"Home Assistant exited while waiting for {what}")
            status: dict[str, Any] = await client.call(PROBE, "status", {}, response=True)
            if done(status):
                return status
            await asyncio.sleep(0.25)
        raise HassError(f"gave up waiting for {what}")

    def _process(self, path: Path, python_args: tuple[str, ...]) -> HassProcess:
        """Return a process for a folder, with its own log folder."""
        self.starts += 1
        logs = self.root / "logs" / f"{self.starts:02d}-{path.name}"
        logs.mkdir(parents=True)
        self.current = HassProcess(path, logs, self.python, python_args)
        return self.current

    def _session(self) -> aiohttp.ClientSession:
        """Return a client session that closes each connection (no keep-alive timers in HA)."""
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))

    def stop_all(self) -> None:
        """Stop the process still running, if any (Ctrl-C, errors)."""
        if self.current is not None:
            with contextlib.suppress(Exception):
                self.current.stop(timeout=30)
            self.current = None


# ----- measurements --------------------------------------------------------------------------


async def measure_lateness(
    lab: Lab, repeat: int, profile_dir: Path | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Return, per action kind, the lateness figures of `repeat` restarts with 1 000 schedules.

    One folder serves both kinds (same schedule ids, names and timing type, so the same
    registries; the input_booleans are there for both): each run rewrites the definitions with
    the kind's action and due instants that lie in the future once Home Assistant is up.
    """
    booleans = {
        switched_entity(i).split(".")[1]: {"name": f"Probe {i}", "initial": False}
        for i in range(LATE_COUNT)
    }
    far, _ = late_specs("on", math.ceil(time.time()) + 86400)
    prep = lab.config("late", specs=far, expected=LATE_COUNT, extra={"input_boolean": booleans})
    # Start-up times vary (more so on a busy machine): the window is placed 1.2 times the
    # longest of the latest three starts after now. A restart creates no registry entries but
    # records every state its start produces: about as long as the first start.
    starts = [(await lab.prep(prep)).setup_s]
    results: dict[str, list[dict[str, Any]]] = {kind: [] for kind in LATE_KINDS}
    for n in range(repeat):
        for kind in LATE_KINDS:
            for attempt in range(2):
                path = lab.copy(prep, f"late-{kind}-{n}-{attempt}")
                start = math.ceil(time.time() + 1.2 * max(starts[-3:]) + QUIET_S)
                specs, dues = late_specs(kind, start)
                write_schedules(path, specs)
                drop_run_data(path)
                async with lab.run(path) as run:
                    starts.append(run.settle_s)
                    quiet = start - run.settled_at
                    if quiet >= MIN_QUIET_S:
                        if profile_dir is not None:
                            await run.client.call(
                                PROBE,
                                "profile",
                                {
                                    "seconds": start + LATE_WINDOW_S - time.time(),
                                    "path": str(profile_dir / f"{kind}.prof"),
                                },
                            )
                        await asyncio.sleep(start + LATE_WINDOW_S + 2 - time.time())
                        status = await run.status(events=True)
                shutil.rmtree(path, ignore_errors=True)
                if quiet >= MIN_QUIET_S:
                    break
                progress(f"settled only {quiet:.1f} s before the lateness window; again")
            else:
                raise ProbeError("Home Assistant did not start before the lateness window twice")
            if kind == "custom":
                arrivals = [(instant, sid) for instant, sid in status["hits"]]
            else:
                by_entity = {switched_entity(int(sid[4:])): sid for sid in dues}
                arrivals = [(instant, by_entity[entity]) for instant, entity in status["switched"]]
            worst: dict[float, float] = {}
            for instant, sid in arrivals:
                if (due := dues.get(sid)) is not None:
                    worst[due] = max(worst.get(due, 0.0), instant - due)
            slowest = sorted(worst.items(), key=lambda item: -item[1])[:3]
            progress(
                f"{kind}: slowest seconds "
                + ", ".join(f"+{due - start:.0f} s: {late * 1000:.1f} ms" for due, late in slowest)
            )
            stalls = window_stalls(status["stalls"], start)
            for began, length, what in stalls:
                progress(f"{kind}: {what} of {length * 1000:.0f} ms at +{began - start:.3f} s")
            longest = max((length for _, length, _ in stalls), default=0.0)
            results[kind].append(
                lateness(dues, arrivals) | {"quiet_s": quiet, "stall_max": longest * 1000}
            )
    return results


def window_stalls(stalls: list[list[Any]], start: float) -> list[tuple[float, float, str]]:
    """Return the stalls (start, seconds, what) that overlap the lateness window."""
    end = start + LATE_WINDOW_S
    return [
        (began, length, what)
        for began, length, what in stalls
        if began < end and began + length > start - 1
    ]


async def measure_entry(
    lab: Lab, counts: list[int], traced_counts: list[int], repeat: int, idle_s: float
) -> dict[str, Any]:
    """Return set-up, memory and idle wake-up figures for bare HA, 0 and `counts` schedules."""
    now = datetime.now(UTC)
    folders: dict[str, Path] = {"bare": lab.config("bare", specs=None)}
    folders["0"] = lab.config("entry-0", specs=[])
    for count in counts:
        folders[str(count)] = lab.config(
            f"entry-{count}", specs=idle_mix(count, now), expected=count
        )
    # Measured starts are restarts: a first start creates the recorder database and registries.
    first = {name: (await lab.prep(folder)).setup_s for name, folder in folders.items()}
    runs = []
    for n in range(repeat):
        raw: dict[str, dict[str, float]] = {}
        for name, folder in folders.items():
            path = lab.copy(folder, f"{folder.name}-{n}")
            async with lab.run(path) as run:
                await asyncio.sleep(SETTLE_S)
                wakeups = await run.idle_wakeups_per_min(idle_s, path.name)
                rss, _ = await run.memory()
                own = (await run.status())["reef_setup_s"]
                raw[name] = {"setup_s": run.setup_s, "wakeups": wakeups, "rss": rss}
                if own is not None:
                    raw[name]["reef_setup_s"] = own
            shutil.rmtree(path, ignore_errors=True)
        for count in [0, *traced_counts]:
            folder = folders[str(count)]
            path = lab.copy(folder, f"{folder.name}-traced-{n}")
            async with lab.run(path, traced=True) as run:
                await asyncio.sleep(SETTLE_S)
                _, traced = await run.memory()
                assert traced is not None
                raw[f"{count}-traced"] = {"traced": traced}
            shutil.rmtree(path, ignore_errors=True)
        runs.append(entry_figures(raw, counts, traced_counts))
    figures = medians(runs)
    for count in counts:
        figures[f"entry_first_start_{size_label(count)}_s"] = first[str(count)] - first["bare"]
    return figures


def lateness_keys(prefix: str, runs: list[dict[str, Any]]) -> dict[str, float]:
    """Return the JSON figures of one kind's lateness runs (medians over runs)."""
    median = medians(runs)
    return {
        f"{prefix}_lateness_p50_ms": median["p50"],
        f"{prefix}_lateness_p99_ms": median["p99"],
        f"{prefix}_lateness_max_ms": median["max"],
        f"{prefix}_first_in_second_p50_ms": median["first_in_second_p50"],
        f"{prefix}_fired": median["fired"],
        f"{prefix}_stall_max_ms": median["stall_max"],
    }


async def measure(
    quick: bool,
    repeat: int,
    lab: Lab,
    *,
    lateness_only: bool = False,
    entry_only: bool = False,
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    """Run every probe measurement (or one part); return the figures."""
    began = time.monotonic()
    await lab.onboard()
    figures: dict[str, Any] = {}
    if not entry_only:
        late = await measure_lateness(lab, repeat, profile_dir)
        figures |= lateness_keys("probe", late["custom"])
        figures |= lateness_keys("probe_on", late["on"])
    if lateness_only:
        return rounded(figures)
    figures |= await measure_entry(
        lab,
        counts=[1000, 10_000],
        traced_counts=[1000] if quick else [1000, 10_000],
        repeat=repeat,
        idle_s=20.0 if quick else 60.0,
    )
    figures["probe_minutes"] = (time.monotonic() - began) / 60
    # Other processes on the machine make every figure worse: say how busy it was.
    figures["probe_load_avg_15min"] = os.getloadavg()[2]
    return rounded(figures)


def _at_most(limit: float) -> tuple[str, Callable[[float], bool]]:
    """Return a target "≤ limit"."""
    return f"≤ {limit:g}", lambda value: value <= limit


def _below(limit: float) -> tuple[str, Callable[[float], bool]]:
    """Return a target "< limit"."""
    return f"< {limit:,.0f}".replace(",", " "), lambda value: value < limit


# Issue 14's targets (lateness: of the `custom` runs); memory below the most used HA
# scheduler's (scheduler-component). The `on` runs' p99 is reported without one: their calls
# are entity service calls, made one after the other, Home Assistant's own share of each
# (schema, the entity's handler, its state write) is about 0.1 ms here and ours about 0.15 ms
# more, so the 33rd of an instant lands near 8 ms (docs/benchmarks.md).
NO_WAKEUPS = ("+0", lambda value: round(value) <= 0)
TARGETS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "probe_lateness_p99_ms": _at_most(5),
    "probe_first_in_second_p50_ms": _at_most(1.5),
    "probe_on_first_in_second_p50_ms": _at_most(1.5),
    "entry_setup_1k_s": _at_most(0.5),
    "entry_setup_10k_s": _at_most(5),
    **{f"entry_rss_per_schedule{label}_bytes": _below(24_752) for label in ("", "_1k", "_10k")},
    **{f"entry_mem_per_schedule{label}_bytes": _below(17_004) for label in ("", "_1k", "_10k")},
    **{f"loop_idle_wakeups_per_min_{label}": NO_WAKEUPS for label in ("0", "1k", "10k")},
}


def run(
    quick: bool = False,
    repeat: int | None = None,
    keep: bool = False,
    *,
    lateness_only: bool = False,
    entry_only: bool = False,
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    """Measure in a temporary folder; stop every Home Assistant and clean up on any exit."""
    root = Path(tempfile.mkdtemp(prefix="reef-probe-"))
    lab = Lab(root)
    progress(f"Home Assistant folders and logs in {root}")

    def terminate(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        repeat = repeat or (1 if quick else 3)
        return asyncio.run(
            measure(
                quick,
                repeat,
                lab,
                lateness_only=lateness_only,
                entry_only=entry_only,
                profile_dir=profile_dir,
            )
        )
    finally:
        lab.stop_all()
        signal.signal(signal.SIGTERM, previous)
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run each, shorter windows")
    parser.add_argument("--repeat", type=int, help="runs per figure (default 3, 1 with --quick)")
    parser.add_argument("--keep", action="store_true", help="keep the folders and logs")
    parser.add_argument("--lateness", action="store_true", help="the lateness figures only")
    parser.add_argument(
        "--entry", action="store_true", help="the set-up, memory and idle figures only"
    )
    parser.add_argument(
        "--profile", type=Path, help="write the loop's cProfile of each lateness window here"
    )
    args = parser.parse_args()
    figures = run(
        args.quick,
        args.repeat,
        args.keep,
        lateness_only=args.lateness,
        entry_only=args.entry,
        profile_dir=args.profile,
    )
    print(json.dumps(figures))
