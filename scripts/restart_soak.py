"""Restart soak (issue 13): kill -9 a real Home Assistant at random instants, check the reef after.

Starts Home Assistant on 127.0.0.1 (a free port) from the dev config in a temporary folder,
with the demo devices of demo/reef_demo (they keep their state across a kill, like hardware),
onboards it headlessly, creates a reef "day" of schedules that cycles within minutes, then K
times: waits a random instant, kill -9's Home Assistant, starts it again and watches the
devices. Prints a table and, as the last line, one JSON object (see `summary`).

Expected state ("latest action wins"), computed here from the schedules created:
- A device's prescribed level at instant t comes from the latest due run <= t of any
  state-describing schedule on that device (before its first run: the initial state the soak
  set). A toggle or custom schedule prescribes nothing: they get devices of their own (skimmer,
  return pump) that are left out of the comparison.
- `on` = 100 %, `off` = 0 %, `set_level` = its level. With a `duration` (a hold) the level
  holds until due + duration, then 0 (off).
- A ramp is linear in time from its due: start level -> level over its duration, then stays at
  the level. A ramp without start level starts at the level the device was prescribed just
  before its due.
- Switches compare on/off exactly; lights compare the level within --tolerance percent (the
  integration steps at whole percents). An instant within +-2 s of a transition of the device
  (a due, the end of a hold or a ramp) is `ambiguous`, never judged wrong.

Figures:
- wrong states: (restart, device) pairs that were wrong 10 s after Home Assistant reported
  RUNNING (a device configured to come up late: 10 s after it became available), or wrong at
  any later poll before the next kill (a mismatch seen on 3 polls in a row, 1 s apart). Each
  pair counts once. Before the first kill the same later-poll check runs from the end of the
  set-up: with --restarts 0 this validates the model against the integration running live.
- reconcile time: from RUNNING until every compared device is available and matches (near a
  transition, matching the state 2.5 s before or after counts); null when not reached within
  --reconcile-bound seconds (default 30 s plus the latest --late; p50 null when the median
  restart never got there, max null when any did not).
- double runs: due instants recorded more than once with status success (get_history).
- lost runs: due instants after a schedule's first run and at least 5 s before the final
  history read without any record at all. Records a restart legitimately produces (skipped,
  interrupted, trigger catch_up) count as records.

Exit code 0 for a completed measurement (it is a benchmark, not a test), 2 when Home Assistant
could not be started or set up.
"""

from __future__ import annotations

import argparse
import asyncio
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time as dtime, timedelta
import json
import math
from pathlib import Path
import random
import signal
import statistics
import sys
import tempfile
import time
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from dev_instance import HassClient, HassError, HassProcess, free_port, prepare_config

DOMAIN = "reef_scheduler"
BLUE, WHITE, UV = "light.reef_blue", "light.reef_white", "light.reef_uv"
WAVEMAKER, HEATER = "switch.wavemaker", "switch.heater"
PUMP, SKIMMER = "switch.return_pump", "switch.skimmer"
LIGHTS = (BLUE, WHITE, UV)
COMPARED = (BLUE, WHITE, UV, WAVEMAKER, HEATER)
DEVICES = (*COMPARED, PUMP, SKIMMER)
AMBIGUOUS_S = 2.0
NEAR_S = 2.5
CHECK_AFTER_S = 10.0
LATER_STREAK = 3
FEEDING_PAUSE_S = 20
PUMP_STUCK_S = FEEDING_PAUSE_S + 15
HISTORY_MARGIN_S = 5.0
LOST_BEFORE_KILL_S = 15.0
UNAVAILABLE = ("unavailable", "unknown")


def iso(instant: float) -> str:
    """Return an epoch instant as an ISO 8601 UTC string."""
    return datetime.fromtimestamp(instant, UTC).isoformat()


def epoch(value: str) -> float:
    """Return the epoch instant of an ISO 8601 string."""
    return datetime.fromisoformat(value).timestamp()


# ----- the schedules and their model ---------------------------------------------------------


@dataclass
class Plan:
    """A schedule the soak creates, with what the soak expects of it."""

    sid: str
    device: str | None  # compared device; None = prescribes nothing (toggle, custom)
    spec: dict[str, Any]
    grid: Callable[[float, float], list[float]]  # its due instants in (start, end]
    dues: list[float] = field(default_factory=list)

    @property
    def action(self) -> dict[str, Any]:
        """Return the action of the definition."""
        action: dict[str, Any] = self.spec["action"]
        return action

    @property
    def hold(self) -> float | None:
        """Return the hold (seconds) of an on/set_level run, or the preset's hold."""
        if self.action["type"] == "ramp":
            return None
        return self.action.get("duration") or self.spec.get("_hold")

    def level_at(self, t: float, due: float, before: Callable[[], float]) -> float:
        """Return the level this plan's run at `due` prescribes at `t` (before = prior level)."""
        action = self.action
        kind = action["type"]
        if kind == "ramp":
            start = action.get("start_level")
            start = before() if start is None else float(start)
            frac = min(max((t - due) / action["duration"], 0.0), 1.0)
            return start + (float(action["level"]) - start) * frac
        level = {"on": 100.0, "off": 0.0}.get(kind, float(action.get("level", 0)))
        hold = self.hold
        return level if hold is None or t < due + hold else 0.0

    def phase(self, t: float, due: float) -> str:
        """Return what the run at `due` is doing at `t`: ramp, hold, held, set."""
        if self.action["type"] == "ramp":
            return "ramp" if t < due + self.action["duration"] else "ramp done"
        if (hold := self.hold) is not None:
            return "hold" if t < due + hold else "hold done"
        return "set"

    def edges(self) -> list[float]:
        """Return the instants this plan changes its device: dues and ends of holds and ramps."""
        length = self.action.get("duration") if self.action["type"] == "ramp" else self.hold
        out = list(self.dues)
        if length:
            out += [due + length for due in self.dues]
        return out


def interval_grid(anchor: float, every: float) -> Callable[[float, float], list[float]]:
    """Return the grid anchor + k * every (k >= 0)."""

    def grid(start: float, end: float) -> list[float]:
        k = max(0, math.floor((start - anchor) / every) + 1)
        out = []
        while (due := anchor + k * every) <= end:
            out.append(due)
            k += 1
        return out

    return grid


def minutes_grid(step: int, zone: ZoneInfo) -> Callable[[float, float], list[float]]:
    """Return the cron grid `*/step * * * *` in a zone."""

    def grid(start: float, end: float) -> list[float]:
        due = math.floor(start / 60) * 60 + 60
        out = []
        while due <= end:
            if datetime.fromtimestamp(due, zone).minute % step == 0:
                out.append(float(due))
            due += 60
        return out

    return grid


def daily_grid(at: dtime, zone: ZoneInfo) -> Callable[[float, float], list[float]]:
    """Return the instants of a local time of day, every day."""

    def grid(start: float, end: float) -> list[float]:
        day: date = datetime.fromtimestamp(start, zone).date()
        out = []
        while (due := datetime.combine(day, at, zone).timestamp()) <= end:
            if due > start:
                out.append(due)
            day += timedelta(days=1)
        return out

    return grid


def reef_day(base: float, zone: ZoneInfo) -> list[Plan]:
    """Return the schedules of a reef "day" that repeats within minutes from `base`.

    Blue: ramp 0 -> 100 % over 2 min every 5 min, then a ramp to 0 without start level.
    White: a 70 % hold of 150 s every 5 min and a 20 -> 50 % ramp in between.
    UV: a photoperiod preset (on for 5 min once), later ramps to 40 % (no start level) and off.
    Wavemaker: 40 s pulses at every even minute. Heater: on for 150 s every 4 min.
    Skimmer: a toggle every 90 s. Return pump: a feeding pause (off, 20 s, on) every 3 min.
    """

    def plan(
        sid: str,
        device: str | None,
        timing: dict[str, Any],
        grid: Callable[[float, float], list[float]],
        action: dict[str, Any],
        **extra: Any,
    ) -> Plan:
        target = {"entity_id": device or extra.pop("target")}
        spec = {
            "id": sid,
            "name": sid.replace("_", " ").capitalize(),
            **timing,
            **extra,
            "tags": ["soak"],
            "action": {**action, "target": target},
        }
        return Plan(sid, device, spec, grid)

    def every(offset: float, seconds: float) -> tuple[dict[str, Any], Any]:
        timing = {"type": "interval", "every": seconds, "anchor": iso(base + offset)}
        return timing, interval_grid(base + offset, seconds)

    def cron(step: int) -> tuple[dict[str, Any], Any]:
        return {"type": "cron", "cron": f"*/{step} * * * *"}, minutes_grid(step, zone)

    on_at = datetime.fromtimestamp(base + 100, zone).time()
    off_at = datetime.fromtimestamp(base + 400, zone).time()
    photoperiod = {
        "type": "preset",
        "preset": "photoperiod",
        "params": {"on": on_at.strftime("%H:%M:%S"), "off": off_at.strftime("%H:%M:%S")},
    }
    pause = [
        {"action": "switch.turn_off", "target": {"entity_id": PUMP}},
        {"delay": {"seconds": FEEDING_PAUSE_S}},
        {"action": "switch.turn_on", "target": {"entity_id": PUMP}},
    ]
    ramp = "ramp"
    return [
        plan(
            "blue_sunrise",
            BLUE,
            *every(0, 300),
            {"type": ramp, "start_level": 0, "level": 100, "duration": 120},
        ),
        plan("blue_sunset", BLUE, *every(180, 300), {"type": ramp, "level": 0, "duration": 90}),
        plan(
            "white_day", WHITE, *every(30, 300), {"type": "set_level", "level": 70, "duration": 150}
        ),
        plan(
            "white_dusk",
            WHITE,
            *every(210, 300),
            {"type": ramp, "start_level": 20, "level": 50, "duration": 60},
        ),
        # The preset computes its hold from on/off; _hold tells the model (never sent).
        plan("uv_photoperiod", UV, photoperiod, daily_grid(on_at, zone), {"type": "on"}, _hold=300),
        plan("uv_evening", UV, *every(420, 240), {"type": ramp, "level": 40, "duration": 120}),
        plan("uv_off", UV, *every(600, 240), {"type": "off"}),
        plan("wavemaker_pulse", WAVEMAKER, *cron(2), {"type": "on", "duration": 40}),
        plan("heater_window", HEATER, *every(20, 240), {"type": "on", "duration": 150}),
        plan("skimmer_toggle", None, *every(45, 90), {"type": "toggle"}, target=SKIMMER),
        # A 20 s delay needs a longer timeout than the default 10 s for the whole sequence.
        plan(
            "feeding_pause",
            None,
            *cron(3),
            {"type": "custom", "sequence": pause},
            target=PUMP,
            retry={"timeout": 60},
        ),
    ]


class Reef:
    """The prescribed state of every compared device over time."""

    def __init__(self, plans: list[Plan], initial: dict[str, float]) -> None:
        """Index every planned run by device (plans must have their dues filled in)."""
        self.initial = initial
        self.runs: dict[str, list[tuple[float, Plan]]] = {device: [] for device in COMPARED}
        self.edges: dict[str, list[float]] = {device: [] for device in COMPARED}
        for plan in plans:
            if plan.device is not None:
                self.runs[plan.device] += [(due, plan) for due in plan.dues]
                self.edges[plan.device] += plan.edges()
        for device in COMPARED:
            self.runs[device].sort(key=lambda run: run[0])
            self.edges[device].sort()
        self._dues = {device: [due for due, _ in runs] for device, runs in self.runs.items()}

    def _latest(self, device: str, t: float) -> tuple[float, Plan] | None:
        """Return the latest run <= t on a device."""
        index = bisect_right(self._dues[device], t) - 1
        return self.runs[device][index] if index >= 0 else None

    def level(self, device: str, t: float) -> float:
        """Return the level (percent) prescribed for a device at t."""
        run = self._latest(device, t)
        if run is None:
            return self.initial[device]
        due, plan = run
        return plan.level_at(t, due, lambda: self.level(device, due - 1e-3))

    def phase(self, device: str, t: float) -> str:
        """Return which schedule governs a device at t and what its run is doing."""
        run = self._latest(device, t)
        if run is None:
            return "initial"
        due, plan = run
        return f"{plan.sid}: {plan.phase(t, due)}"

    def ambiguous(self, device: str, t: float) -> bool:
        """Return True within AMBIGUOUS_S of a transition of the device."""
        edges = self.edges[device]
        index = bisect_right(edges, t + AMBIGUOUS_S) - 1
        return index >= 0 and edges[index] >= t - AMBIGUOUS_S


def actual_level(state: dict[str, Any] | None) -> float | None:
    """Return a device's level in percent from its state (None when unavailable)."""
    if state is None or state["state"] in UNAVAILABLE:
        return None
    if state["state"] != "on":
        return 0.0
    if state["entity_id"].startswith("light."):
        brightness = state["attributes"].get("brightness")
        return 100.0 if brightness is None else brightness * 100 / 255
    return 100.0


def matches(device: str, actual: float, expected: float, tolerance: float) -> bool:
    """Compare levels: switches on/off exactly, lights within the tolerance."""
    if device in LIGHTS:
        return abs(actual - expected) <= tolerance
    return (actual > 0) == (expected > 0)


# ----- the measurement -----------------------------------------------------------------------


@dataclass
class Interval:
    """From one start of Home Assistant (or the end of the set-up) to the next kill."""

    n: int  # 0 = before the first kill
    running: float  # RUNNING seen (or the end of the set-up)
    killed: float | None = None  # the kill that preceded this start
    spawned: float | None = None
    reconcile_s: float | None = None
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    later: dict[str, dict[str, Any]] = field(default_factory=dict)
    at_kill: dict[str, Any] = field(default_factory=dict)
    available_at: dict[str, float] = field(default_factory=dict)
    pump_stuck: bool = False
    crashed: bool = False
    # Verdicts of the polls after the checks (positive control: most should be "ok").
    polls: Counter[str] = field(default_factory=Counter)

    @property
    def wrong_at_check(self) -> list[str]:
        """Return the devices judged wrong at their +10 s check."""
        return [d for d, check in self.checks.items() if check["verdict"] == "wrong"]

    @property
    def wrong_later_only(self) -> list[str]:
        """Return the devices right (or ambiguous) at +10 s but wrong later."""
        return [d for d in self.later if d not in self.wrong_at_check]


class Soak:
    """Runs the soak against one Home Assistant process."""

    def __init__(self, args: argparse.Namespace, hass: HassProcess, tmp: Path) -> None:
        """Remember the options; nothing starts yet."""
        self.args = args
        self.hass = hass
        self.tmp = tmp
        self.rng = random.Random(args.seed)
        self.log_path = tmp / "soak.log"
        self.late: dict[str, float] = dict(args.late)
        self.plans: list[Plan] = []
        self.reef: Reef | None = None
        self.intervals: list[Interval] = []
        self.timing_mismatches: list[dict[str, Any]] = []
        self.pump_off_since: float | None = None
        self.began = time.time()
        self.client: HassClient

    def log(self, kind: str, **data: Any) -> None:
        """Append one JSON line to the soak log."""
        with self.log_path.open("a") as handle:
            handle.write(json.dumps({"t": iso(time.time()), "kind": kind, **data}) + "\n")

    # ----- set-up ----------------------------------------------------------------------------

    async def setup(self, session: aiohttp.ClientSession, port: int) -> None:
        """Start and onboard Home Assistant, set the devices' initial state, create schedules."""
        client = self.client = HassClient(session, f"http://127.0.0.1:{port}")
        spawned = self.hass.start()
        # The very first start on a machine installs the frontend package (about a minute).
        await client.wait_onboarding(self.hass, within=600)
        await client.onboard()
        client.set_token(await client.long_lived_token("reef restart soak"))
        running = await client.wait_running(self.hass, within=300)
        deleted = await client.delete_entries_except({DOMAIN})
        self.log("started", start_s=round(running - spawned, 2), deleted_entries=deleted)
        await self._wait_for(self._entry_loaded, 120, "the reef_scheduler entry to load")
        await self._wait_for(
            self._devices_up, 120 + max(self.late.values(), default=0), "the demo devices"
        )
        zone = ZoneInfo((await client.get("/api/config"))["time_zone"])
        initial = dict.fromkeys(COMPARED, 0.0)
        for device in DEVICES:
            service = "turn_on" if device == PUMP else "turn_off"
            await client.call(device.split(".")[0], service, {"entity_id": device})
        base = math.ceil((time.time() + 40) / 60) * 60
        self.plans = reef_day(base, zone)
        for plan in self.plans:
            await self._create(plan)
        self.reef = Reef(self.plans, initial)
        self.log(
            "schedules",
            base=iso(base),
            plans={p.sid: p.spec for p in self.plans},
            timing_mismatches=self.timing_mismatches,
        )

    async def _wait_for(self, ready: Callable[[], Any], within: float, what: str) -> None:
        """Poll `ready()` every 0.5 s."""
        deadline = time.monotonic() + within
        while not await ready():
            if time.monotonic() > deadline:
                raise HassError(f"gave up waiting for {what}")
            await asyncio.sleep(0.5)

    async def _entry_loaded(self) -> bool:
        """Return True once the local entry is loaded."""
        entries = await self.client.entries(DOMAIN)
        return any(entry["state"] == "loaded" for entry in entries)

    async def _devices_up(self) -> bool:
        """Return True once every demo device is available."""
        states = await self.client.states()
        return all(actual_level(states.get(device)) is not None for device in DEVICES)

    async def _create(self, plan: Plan) -> None:
        """Create one schedule and fill in its dues, checked against get_next_runs."""
        spec = {key: value for key, value in plan.spec.items() if not key.startswith("_")}
        await self.client.call(DOMAIN, "create_schedule", {"schedule": spec}, response=True)
        reply = await self.client.call(
            DOMAIN, "get_next_runs", {"schedule_id": plan.sid, "count": 5}, response=True
        )
        horizon = time.time() + self.args.max_minutes * 60 + 3600
        runs = [epoch(run) for run in reply["runs"] if epoch(run) <= horizon]
        plan.dues = plan.grid(runs[0] - 1, horizon) if runs else []
        if [round(due, 3) for due in plan.dues[: len(runs)]] != [round(r, 3) for r in runs]:
            self.timing_mismatches.append(
                {
                    "schedule": plan.sid,
                    "integration": reply["runs"],
                    "soak": [iso(due) for due in plan.dues[:5]],
                }
            )

    # ----- restarts --------------------------------------------------------------------------

    async def run(self) -> None:
        """Kill and restart Home Assistant K times, observing the devices in between."""
        interval = Interval(0, time.time())
        self.intervals.append(interval)
        deadline = self.began + self.args.max_minutes * 60
        # Home Assistant's own registries save after up to 10 s; let the set-up settle once.
        first_kill = time.time() + max(15.0, self._wait())
        for n in range(1, self.args.restarts + 1):
            if time.time() > deadline:
                self.log("deadline", restarts_done=n - 1)
                break
            await self.observe(interval, kill_at=first_kill if n == 1 else None)
            interval = await self.restart(n, interval)
            self.intervals.append(interval)
        tail = (
            self.args.tail
            if self.args.tail is not None
            else (660 if self.args.restarts == 0 else 60)
        )
        await self.observe(interval, end_at=time.time() + tail)
        if not self.hass.running:  # it exited by itself: start it once more for the history
            self.hass.start()
            await self.client.wait_running(self.hass, within=self.args.start_bound)

    def _wait(self) -> float:
        """Return a random wait before the next kill."""
        return self.rng.uniform(self.args.min_wait, self.args.max_wait)

    async def restart(self, n: int, previous: Interval) -> Interval:
        """Kill -9 Home Assistant (unless it died by itself), start it, wait for RUNNING."""
        assert self.reef is not None
        killed = self.hass.kill()
        previous.at_kill = {
            device: {
                "expected": round(self.reef.level(device, killed), 1),
                "phase": self.reef.phase(device, killed),
            }
            for device in COMPARED
        }
        spawned = self.hass.start()
        try:
            running = await self.client.wait_running(self.hass, within=self.args.start_bound)
        except HassError:
            self.log("start_failed", restart=n)
            raise
        return Interval(n, running, killed=killed, spawned=spawned)

    async def observe(
        self, interval: Interval, *, kill_at: float | None = None, end_at: float | None = None
    ) -> None:
        """Poll the devices until the kill (or the end): checks, reconcile time, later errors.

        Without `kill_at` or `end_at`, the kill comes at a random instant once the +10 s checks
        are done and every target is reconciled (or the reconcile bound has passed).
        """
        restarted = interval.n > 0
        t0 = interval.running
        # Per device: when its +10 s check is due; None = waiting until it is available.
        check_at: dict[str, float | None] = {}
        if restarted:
            check_at = {d: None if d in self.late else t0 + CHECK_AFTER_S for d in COMPARED}
        streak: Counter[str] = Counter()
        reconcile_deadline = t0 + self.args.reconcile_bound
        reconciled = not restarted
        stop_at = end_at if end_at is not None else kill_at
        while True:
            now = time.time()
            if stop_at is None and not check_at and (reconciled or now > reconcile_deadline):
                stop_at = now + self._wait()
            step = 0.25 if not reconciled else 1.0
            due = [at for at in (*check_at.values(), stop_at) if at is not None]
            wake = min([now + step, *due])
            await asyncio.sleep(max(0.0, wake - now))
            if stop_at is not None and time.time() >= stop_at:
                break
            sent = time.time()
            try:
                states = await self.client.states()
            except (aiohttp.ClientError, TimeoutError, HassError):
                if not self.hass.running:
                    interval.crashed = True
                    self.log("crashed", interval=interval.n)
                    break
                continue
            t = (sent + time.time()) / 2
            self._pump(interval, states, t)
            all_ok = True
            for device in COMPARED:
                verdict = self._judge(interval, device, states.get(device), t, check_at, streak)
                all_ok = all_ok and verdict
                if restarted and t > reconcile_deadline and device in check_at:
                    interval.checks[device] = {
                        "verdict": "wrong",
                        "actual": None,
                        "note": "not available",
                    }
                    del check_at[device]
            if not reconciled and all_ok:
                reconciled = True
                interval.reconcile_s = round(t - t0, 3)
        self.log(
            "interval",
            n=interval.n,
            killed=iso(interval.killed) if interval.killed else None,
            start_s=round(t0 - interval.spawned, 2) if interval.spawned else None,
            reconcile_s=interval.reconcile_s,
            checks=interval.checks,
            wrong_later=interval.later,
            available_after_s={d: round(t - t0, 2) for d, t in interval.available_at.items()},
            pump_stuck=interval.pump_stuck,
            polls=interval.polls,
        )

    def _judge(
        self,
        interval: Interval,
        device: str,
        state: dict[str, Any] | None,
        t: float,
        check_at: dict[str, float | None],
        streak: Counter[str],
    ) -> bool:
        """Judge one device at one poll; return whether it counts as reconciled."""
        assert self.reef is not None
        level = actual_level(state)
        if level is None:
            if (at := check_at.get(device)) is not None and t >= at:
                check_at[device] = None  # unavailable at its check: judged once it is up
            return False
        if device not in interval.available_at:
            interval.available_at[device] = t
            if device in check_at and check_at[device] is None:
                check_at[device] = t + CHECK_AFTER_S
        expected = self.reef.level(device, t)
        ambiguous = self.reef.ambiguous(device, t)
        tolerance = self.args.tolerance
        ok = matches(device, level, expected, tolerance)
        record = {
            "t": iso(t),
            "expected": round(expected, 1),
            "actual": round(level, 1),
            "phase": self.reef.phase(device, t),
        }
        if device in check_at:
            if (at := check_at[device]) is not None and t >= at:
                verdict = "ambiguous" if ambiguous else ("ok" if ok else "wrong")
                interval.checks[device] = {"verdict": verdict, **record}
                del check_at[device]
        else:
            interval.polls["ambiguous" if ambiguous else ("ok" if ok else "wrong")] += 1
        if device not in check_at and not ambiguous:
            streak[device] = 0 if ok else streak[device] + 1
            if streak[device] == LATER_STREAK and device not in interval.later:
                interval.later[device] = record
        if ok or not ambiguous:
            return ok
        # Near a transition, the state just before or after it counts as reconciled.
        return any(
            matches(device, level, self.reef.level(device, t + dt), tolerance)
            for dt in (-NEAR_S, NEAR_S)
        )

    def _pump(self, interval: Interval, states: dict[str, Any], t: float) -> None:
        """Note a return pump off for longer than a feeding pause (a custom sequence cut)."""
        level = actual_level(states.get(PUMP))
        if level is None:
            return
        if level > 0:
            self.pump_off_since = None
        elif self.pump_off_since is None:
            self.pump_off_since = t
        elif t - self.pump_off_since > PUMP_STUCK_S:
            interval.pump_stuck = True

    # ----- history ---------------------------------------------------------------------------

    async def history(self) -> dict[str, Any]:
        """Read every schedule's records; count double and lost runs."""
        read_at = time.time()
        downtimes = [(i.killed, i.running) for i in self.intervals if i.killed is not None]
        doubles: list[dict[str, Any]] = []
        lost: list[dict[str, Any]] = []
        outcomes: Counter[str] = Counter()
        for plan in self.plans:
            records = await self._records(plan.sid)
            by_due: dict[float, list[dict[str, Any]]] = {}
            for record in records:
                outcomes[f"{record['status']}/{record['trigger']}"] += 1
                if record.get("due"):
                    by_due.setdefault(round(epoch(record["due"]), 3), []).append(record)
            for due, group in by_due.items():
                if sum(record["status"] == "success" for record in group) > 1:
                    doubles.append({"schedule": plan.sid, "due": iso(due), "records": group})
            for due in plan.dues:
                if due > read_at - HISTORY_MARGIN_S:
                    break
                if round(due, 3) not in by_due:
                    down = any(k <= due <= r for k, r in downtimes)
                    # Seconds from the due instant to the kill that followed it.
                    to_kill = min((k - due for k, _ in downtimes if k >= due), default=None)
                    lost.append(
                        {
                            "schedule": plan.sid,
                            "due": iso(due),
                            "while_down": down,
                            "kill_after_s": None if to_kill is None else round(to_kill, 2),
                        }
                    )
        self.log("history", doubles=doubles, lost=lost, outcomes=dict(outcomes))
        return {"doubles": doubles, "lost": lost, "outcomes": outcomes}

    async def _records(self, sid: str) -> list[dict[str, Any]]:
        """Return all run records of a schedule, oldest first."""
        records: list[dict[str, Any]] = []
        data: dict[str, Any] = {"schedule_id": sid, "limit": 1000, "newest_first": False}
        while True:
            page = await self.client.call(DOMAIN, "get_history", data, response=True)
            records += page["records"]
            if not page.get("more") or not page["records"]:
                return records
            data["start_slot"] = page["records"][-1]["slot"] + 1


# ----- report --------------------------------------------------------------------------------


def _seconds(value: float | None) -> str:
    """Format seconds for the table."""
    return "not reached" if value is None else f"{value:.2f} s"


def summary(soak: Soak, history: dict[str, Any], elapsed: float) -> dict[str, Any]:
    """Print the table and return the JSON figures."""
    restarts = [i for i in soak.intervals if i.n > 0]
    at_check = sum(len(i.wrong_at_check) for i in restarts)
    later = sum(len(i.wrong_later_only) for i in soak.intervals)
    ambiguous = sum(
        1 for i in restarts for check in i.checks.values() if check["verdict"] == "ambiguous"
    )
    times = [math.inf if i.reconcile_s is None else i.reconcile_s for i in restarts]
    p50 = statistics.median(times) if times else None
    p50 = None if p50 is None or math.isinf(p50) else round(p50, 3)
    worst = max(times) if times else None
    worst = None if worst is None or math.isinf(worst) else round(worst, 3)
    unreconciled = sum(1 for i in restarts if i.reconcile_s is None)
    starts = [i.running - i.spawned for i in restarts if i.spawned]
    lost = history["lost"]
    lost_down = sum(1 for item in lost if item["while_down"])
    lost_before = sum(
        1
        for item in lost
        if not item["while_down"] and (item["kill_after_s"] or math.inf) <= LOST_BEFORE_KILL_S
    )
    by_device: Counter[str] = Counter()
    by_phase: Counter[str] = Counter()
    previous = {i.n: i for i in soak.intervals}
    for i in soak.intervals:
        for device in [*i.wrong_at_check, *i.wrong_later_only]:
            by_device[device] += 1
            kill = previous.get(i.n - 1)
            phase = kill.at_kill.get(device, {}).get("phase", "-") if kill else "no kill"
            by_phase[phase.split(": ")[-1]] += 1
    outcomes = history["outcomes"]
    polls: Counter[str] = sum((i.polls for i in soak.intervals), Counter())
    notable = {k: v for k, v in sorted(outcomes.items()) if not k.startswith("success/timer")}
    rows = [
        ("restarts (kill -9)", str(len(restarts))),
        (
            "wrong states after 10 s",
            f"{at_check + later} ({at_check} at +10 s, {later} later before the next kill)",
        ),
        ("ambiguous at +10 s (within 2 s of a transition)", str(ambiguous)),
        ("double runs", str(len(history["doubles"]))),
        (
            "lost runs",
            f"{len(lost)} ({lost_down} due while HA was down, {lost_before} due at most "
            f"{LOST_BEFORE_KILL_S:.0f} s before a kill)",
        ),
        (
            "reconcile after RUNNING, median / max",
            "-"
            if not restarts
            else f"{_seconds(p50)} / {_seconds(worst)}"
            + (
                f" ({unreconciled} not within {soak.args.reconcile_bound:.0f} s)"
                if unreconciled
                else ""
            ),
        ),
        (
            "HA start (spawn to RUNNING), median / max",
            "-" if not starts else f"{statistics.median(starts):.2f} s / {max(starts):.2f} s",
        ),
        ("wrong states by device", ", ".join(f"{d} {c}" for d, c in by_device.items()) or "-"),
        (
            "wrong states by what the device did at the kill",
            ", ".join(f"{p} {c}" for p, c in by_phase.items()) or "-",
        ),
        (
            "return pump off > 35 s at a stretch (custom cut; not in the JSON)",
            str(sum(i.pump_stuck for i in soak.intervals)),
        ),
        ("HA exits without a kill", str(sum(i.crashed for i in soak.intervals))),
        (
            "records other than success/timer",
            ", ".join(f"{k} {v}" for k, v in notable.items()) or "-",
        ),
        (
            "device polls judged after the checks: ok / wrong / ambiguous",
            " / ".join(str(polls[k]) for k in ("ok", "wrong", "ambiguous")),
        ),
        ("timing model vs get_next_runs mismatches", str(len(soak.timing_mismatches))),
        ("total run time", f"{elapsed / 60:.1f} min"),
    ]
    width = max(len(name) for name, _ in rows)
    print(
        f"\nReef Scheduler restart soak (seed {soak.args.seed}, tolerance "
        f"{soak.args.tolerance:g} %, late {soak.late or 'none'})"
    )
    print(f"| {'figure':{width}} | value")
    print(f"| {'-' * width} | -----")
    for name, value in rows:
        print(f"| {name:{width}} | {value}")
    print(f"log: {soak.log_path}")
    return {
        "restarts": len(restarts),
        "wrong_states": at_check + later,
        "double_runs": len(history["doubles"]),
        "lost_runs": len(lost),
        "reconcile_p50_s": p50,
        "reconcile_max_s": worst,
    }


# ----- entry point ---------------------------------------------------------------------------


def _late(value: str) -> tuple[str, float]:
    """Parse ENTITY=SECONDS."""
    entity_id, _, seconds = value.partition("=")
    if entity_id not in DEVICES or not seconds:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(DEVICES)}=SECONDS")
    return entity_id, float(seconds)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--restarts", type=int, default=20, help="kills (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--min-wait",
        type=float,
        default=3.0,
        help="least seconds between the checks and the next kill (default 3)",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=20.0,
        help="most seconds between the checks and the next kill (default 20)",
    )
    parser.add_argument(
        "--tail",
        type=float,
        default=None,
        help="seconds watched after the last restart (default 60; 660 with --restarts 0)",
    )
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=30.0,
        help="no further kill after this many minutes (default 30)",
    )
    parser.add_argument(
        "--tolerance", type=float, default=3.0, help="light level tolerance in percent (default 3)"
    )
    parser.add_argument(
        "--reconcile-bound",
        type=float,
        default=None,
        help="seconds after RUNNING to wait for all targets (default 30 + the latest --late)",
    )
    parser.add_argument(
        "--start-bound",
        type=float,
        default=120.0,
        help="seconds to wait for RUNNING after a restart (default 120)",
    )
    parser.add_argument(
        "--late",
        type=_late,
        action="append",
        default=[],
        metavar="ENTITY=SECONDS",
        help="a demo device that comes up this late after each start",
    )
    args = parser.parse_args(argv)
    if args.reconcile_bound is None:
        args.reconcile_bound = 30.0 + max((seconds for _, seconds in args.late), default=0.0)
    return args


async def _main(soak: Soak) -> int:
    """Set up, soak, read the history and report."""
    port = free_port()
    late = {"late": soak.late} if soak.late else None
    prepare_config(soak.hass.config_dir, port=port, reef_demo=late)
    print(f"restart soak: Home Assistant on http://127.0.0.1:{port}, folder {soak.tmp}")
    async with aiohttp.ClientSession() as session:
        try:
            await soak.setup(session, port)
        except (HassError, aiohttp.ClientError, TimeoutError) as err:
            print(f"restart soak: Home Assistant could not be set up: {err}", file=sys.stderr)
            return 2
        print(
            f"restart soak: {len(soak.plans)} schedules created; "
            f"{soak.args.restarts} kills to go (log {soak.log_path})"
        )
        try:
            await soak.run()
        except HassError as err:
            print(f"restart soak: Home Assistant did not come back: {err}", file=sys.stderr)
            return 2
        history = await soak.history()
    figures = summary(soak, history, time.time() - soak.began)
    soak.log("summary", **figures)
    print(json.dumps(figures))
    return 0


def main() -> int:
    """Run the soak; stop every Home Assistant it started, also on Ctrl-C and errors."""
    args = parse_args(sys.argv[1:])
    tmp = Path(tempfile.mkdtemp(prefix="reef-soak-"))
    hass = HassProcess(tmp / "config", tmp)
    soak = Soak(args, hass, tmp)

    def terminate(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    try:
        return asyncio.run(_main(soak))
    finally:
        with contextlib.suppress(Exception):
            hass.stop(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
