"""Benchmark probe for bench/probe.py: what devices and the event loop see, from inside HA.

Not part of the integration: bench/probe.py links it into a temporary config's
custom_components. It records the instant each `reef_probe.hit` call arrives, when each
`input_boolean.probe_*` turns on, when every Reef Scheduler next-run sensor first has a
timestamp, and how often the event loop wakes up; `reef_probe.status` hands the records back.
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import os
import threading
import time
import tracemalloc
from typing import Any

from homeassistant.const import (
    EVENT_HOMEASSISTANT_STARTED,
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    State,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import DATA_INSTANCE
from homeassistant.helpers.typing import ConfigType
from homeassistant.setup import async_get_setup_timings
import voluptuous as vol

DOMAIN = "reef_probe"
REEF_DOMAIN = "reef_scheduler"
NEXT_RUN = "next_run"
ENABLED = "enabled"
WATCHED = ("sensor.", "switch.")
SWITCHED_PREFIX = "input_boolean.probe_"
CONF_NEXT_RUN_SENSORS = "next_run_sensors"
# An idle count starts this long after the request that asked for it, which has ended by then.
IDLE_SETTLE_S = 1.0
# Stalls worth naming: loop iterations and garbage collections at least this long (seconds).
STALL_S = 0.01

CONFIG_SCHEMA = vol.Schema(
    {DOMAIN: vol.Schema({vol.Optional(CONF_NEXT_RUN_SENSORS, default=0): vol.Coerce(int)})},
    extra=vol.ALLOW_EXTRA,
)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Start recording and register the probe's services."""
    probe = Probe(hass, config.get(DOMAIN, {}).get(CONF_NEXT_RUN_SENSORS, 0))
    probe.start()
    return True


def _fd_name(fileobj: Any) -> str:
    """Return a file descriptor with what it is (socket, pipe, timerfd) as /proc names it."""
    fd = fileobj if isinstance(fileobj, int) else fileobj.fileno()
    try:
        return f"{fd}={os.readlink(f'/proc/self/fd/{fd}')}"
    except OSError:
        return str(fd)


class Probe:
    """Everything the probe records in one Home Assistant process."""

    def __init__(self, hass: HomeAssistant, expected: int) -> None:
        """Expect `expected` next-run sensors (0: readiness is not tracked)."""
        self.hass = hass
        self.expected = expected
        self.hits: list[tuple[float, str]] = []  # (instant, schedule id) of reef_probe.hit
        self.switched: list[tuple[float, str]] = []  # (time_fired, entity id) off -> on
        self.armed: dict[str, float] = {}  # next-run sensor -> first instant with a timestamp
        self.armed_at: float | None = None
        self.running_at: float | None = None
        self.wakeups = 0
        self.idle: dict[str, Any] | None = None
        self.instants: list[float] | None = None  # wake-ups of the idle window under way
        self.causes: list[str] = []  # what woke the loop, for each of those
        self._registry = er.async_get(hass)
        self._not_next_run: set[str] = set()
        # (start instant, seconds, what) of long loop iterations and garbage collections.
        self.stalls: list[tuple[float, float, str]] = []
        self._gc_began: dict[int, float] = {}

    @callback
    def start(self) -> None:
        """Count wake-ups, listen to state changes and register the services."""
        self._count_wakeups()
        gc.callbacks.append(self._on_gc)
        hass = self.hass
        hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_state_changed)
        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STARTED, self._on_started)
        if self.expected:
            # Reef Scheduler may have set up before the probe: take what is there already.
            for state in hass.states.async_all("sensor"):
                self._note_sensor(state.entity_id, state, state.last_updated_timestamp)
        hass.services.async_register(DOMAIN, "hit", self._hit)
        hass.services.async_register(
            DOMAIN, "status", self._status, supports_response=SupportsResponse.ONLY
        )
        hass.services.async_register(
            DOMAIN, "memory", self._memory, supports_response=SupportsResponse.ONLY
        )
        hass.services.async_register(
            DOMAIN,
            "profile",
            self._start_profile,
            schema=vol.Schema(
                {vol.Required("seconds"): vol.Coerce(float), vol.Required("path"): str}
            ),
        )
        hass.services.async_register(
            DOMAIN,
            "count_wakeups",
            self._start_idle_count,
            schema=vol.Schema({vol.Required("seconds"): vol.Coerce(float)}),
        )

    def _count_wakeups(self) -> None:
        """Count the event loop's wake-ups: returns of a select that was allowed to sleep."""
        selector = self.hass.loop._selector  # type: ignore[attr-defined]
        select = selector.select
        returned = [time.time()]

        def counted(timeout: float | None = None) -> Any:
            # The time since select last returned is one loop iteration's callbacks.
            now = time.time()
            if now - returned[0] >= STALL_S:
                self.stalls.append((returned[0], now - returned[0], "loop iteration"))
            events = select(timeout)
            returned[0] = time.time()
            if timeout is None or timeout > 0:
                self.wakeups += 1
                if self.instants is not None:
                    self.instants.append(time.monotonic())
                    self.causes.append(self._cause(events))
            return events

        selector.select = counted

    def _cause(self, events: list[Any]) -> str:
        """Name what woke the loop: the timer due now, or the file descriptors ready."""
        loop = self.hass.loop
        scheduled = loop._scheduled  # type: ignore[attr-defined]
        if scheduled and scheduled[0].when() <= loop.time():
            return f"timer {scheduled[0]._callback!r}"[:160]
        return f"io {[_fd_name(key.fileobj) for key, _ in events]}"[:160]

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        """Note garbage collections long enough to delay a run (any thread)."""
        thread = threading.get_ident()
        if phase == "start":
            self._gc_began[thread] = time.time()
            return
        began = self._gc_began.pop(thread, None)
        if began is not None and (length := time.time() - began) >= STALL_S:
            name = threading.current_thread().name
            what = f"gc generation {info['generation']} in {name}"
            self.stalls.append((began, length, what))

    @callback
    def _hit(self, call: ServiceCall) -> None:
        """Record when a call reached the device (first thing: the clock)."""
        instant = time.time()
        self.hits.append((instant, call.data["id"]))

    @callback
    def _on_started(self, _event: Event) -> None:
        """Record when Home Assistant reported RUNNING."""
        self.running_at = time.time()

    @callback
    def _on_state_changed(self, event: Event[EventStateChangedData]) -> None:
        """Record switched probe booleans and next-run sensors that got a timestamp."""
        entity_id = event.data["entity_id"]
        new_state = event.data["new_state"]
        if entity_id.startswith(SWITCHED_PREFIX):
            old_state = event.data["old_state"]
            if (
                new_state is not None
                and new_state.state == "on"
                and old_state is not None
                and old_state.state == "off"
            ):
                self.switched.append((event.time_fired_timestamp, entity_id))
        elif self.expected and self.armed_at is None and entity_id.startswith(WATCHED):
            self._note_sensor(entity_id, new_state, event.time_fired_timestamp)

    @callback
    def _note_sensor(self, entity_id: str, state: State | None, instant: float) -> None:
        """Track a schedule's next run: its switch's attribute (or an old next-run sensor)."""
        if self.armed_at is not None or entity_id in self._not_next_run:
            return
        entry = self._registry.async_get(entity_id)
        if (
            entry is None
            or entry.platform != REEF_DOMAIN
            or entry.translation_key not in (NEXT_RUN, ENABLED)
        ):
            self._not_next_run.add(entity_id)
            return
        switch = entry.translation_key == ENABLED
        if (
            state is None
            or state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE)
            or (switch and state.attributes.get(NEXT_RUN) is None)
        ):
            self.armed.pop(entity_id, None)
            return
        self.armed.setdefault(entity_id, instant)
        if self.expected and len(self.armed) >= self.expected:
            self.armed_at = max(self.armed.values())

    @callback
    def _status(self, call: ServiceCall) -> ServiceResponse:
        """Return the records (the per-run ones only when asked for `events`)."""
        reply: dict[str, Any] = {
            "running_at": self.running_at,
            "armed_at": self.armed_at,
            "armed": len(self.armed),
            "expected": self.expected,
            "wakeups": self.wakeups,
            "idle": self.idle,
            "traced": tracemalloc.is_tracing(),
            # Home Assistant's own timing of Reef Scheduler's set-up (entries and platforms).
            "reef_setup_s": async_get_setup_timings(self.hass).get(REEF_DOMAIN),
            "recorder_backlog": (
                recorder.backlog if (recorder := self.hass.data.get(DATA_INSTANCE)) else None
            ),
        }
        if call.data.get("events"):
            reply["hits"] = [list(hit) for hit in self.hits]
            reply["switched"] = [list(item) for item in self.switched]
            reply["stalls"] = [list(stall) for stall in self.stalls]
        return reply

    @callback
    def _memory(self, call: ServiceCall) -> ServiceResponse:
        """Collect garbage, then return the traced heap (None without -X tracemalloc).

        With `top`, also the files that allocated most of it (largest first).
        """
        gc.collect()
        if not tracemalloc.is_tracing():
            return {"traced_bytes": None}
        reply: dict[str, Any] = {"traced_bytes": tracemalloc.get_traced_memory()[0]}
        if top := call.data.get("top"):
            key = call.data.get("by", "filename")
            stats = tracemalloc.take_snapshot().statistics(key)
            reply["top"] = [
                [" <- ".join(str(frame) for frame in reversed(stat.traceback)), stat.size]
                for stat in stats[:top]
            ]
        return reply

    @callback
    def _start_profile(self, call: ServiceCall) -> None:
        """Profile the loop's thread for `seconds`, then write the stats to `path`."""
        profile = cProfile.Profile()
        profile.enable()

        def done() -> None:
            profile.disable()
            profile.dump_stats(call.data["path"])

        self.hass.loop.call_later(call.data["seconds"], done)

    @callback
    def _start_idle_count(self, call: ServiceCall) -> None:
        """Count wake-ups over the next `seconds` in the background (read with status)."""
        self.idle = None
        self.hass.async_create_background_task(
            self._idle_count(call.data["seconds"]), "reef_probe idle count"
        )

    async def _idle_count(self, seconds: float) -> None:
        """Count wake-ups over a window and note when they happened (seconds into it)."""
        await asyncio.sleep(IDLE_SETTLE_S)
        first, began = self.wakeups, time.monotonic()
        self.instants, self.causes = [], []
        await asyncio.sleep(seconds)
        # The window's own ending wake-up is not counted.
        instants, self.instants = self.instants[:-1], None
        self.idle = {
            "wakeups": self.wakeups - first - 1,
            "seconds": time.monotonic() - began,
            "after_s": [round(instant - began, 3) for instant in instants],
            "causes": self.causes[: len(instants)],
        }
