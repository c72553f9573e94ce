"""Persistence: definitions, run state, ledger and the write-ahead journal.

Definitions are written before a change is reported done. Run state and the ledger change
with every run, so they are written together, coalesced. What must survive a crash between
two such writes ("this due instant was started", "this slot was used") goes to the small
journal first, so no run is repeated and no slot is reused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import functools
from typing import Any, TypedDict

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.storage import Store

from ..const import DOMAIN

SCHEDULES_VERSION = 2
SCHEDULES_KEY = f"{DOMAIN}.schedules"
STATE_KEY = f"{DOMAIN}.state"
LEDGER_KEY = f"{DOMAIN}.ledger"
JOURNAL_KEY = f"{DOMAIN}.journal"
RUN_DATA_SAVE_DELAY = 10.0

type JsonDict = dict[str, Any]


class SchedulesData(TypedDict):
    """On-disk form of the definitions (version 2)."""

    schedules: dict[str, JsonDict]


class JournalData(TypedDict):
    """On-disk journal: per schedule, the latest due started, the slot mark, a run under way."""

    schedules: dict[str, JsonDict]


def _migrate_v1_schedule(old: JsonDict) -> JsonDict:
    """Rename the fields of a version-1 spec to their version-2 names."""
    spec = dict(old)
    spec["id"] = spec.pop("schedule_id")
    if "interval_seconds" in spec:
        spec["every"] = spec.pop("interval_seconds")
    if "catch_up_minutes" in spec:
        spec["catch_up"] = int(spec.pop("catch_up_minutes")) * 60
    return spec


class _SchedulesStore(Store[SchedulesData]):
    """Definitions store with its migrations."""

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: JsonDict
    ) -> SchedulesData:
        """Migrate version 1 (a list of specs with older field names) to version 2."""
        if old_major_version != 1:
            raise NotImplementedError(old_major_version)
        specs = [_migrate_v1_schedule(spec) for spec in old_data.get("schedules", [])]
        return {"schedules": {spec["id"]: spec for spec in specs}}


def _identity[T](value: T) -> T:
    """Return value (a finished snapshot handed to a store)."""
    return value


class CoalescedWriter:
    """Write a snapshot taken on the event loop at most once per delay, and at stop."""

    def __init__(
        self,
        hass: HomeAssistant,
        stores: tuple[Store[Any], ...],
        snapshot: Callable[[], tuple[Any, ...]],
        delay: float,
    ) -> None:
        """Bind the stores to the function that snapshots their data (one item per store)."""
        self._hass = hass
        self._stores = stores
        self._snapshot = snapshot
        self._delay = delay
        self._handle: asyncio.TimerHandle | None = None
        self._unsub_stop: CALLBACK_TYPE | None = None
        self.on_written: Callable[[], None] | None = None

    @callback
    def schedule(self) -> None:
        """Ask for a write within the delay."""
        if self._handle is None:
            self._handle = self._hass.loop.call_later(self._delay, self._async_write_now)
        if self._unsub_stop is None:
            self._unsub_stop = self._hass.bus.async_listen_once(
                EVENT_HOMEASSISTANT_STOP, self._async_on_stop
            )

    @callback
    def _async_on_stop(self, _event: Event) -> None:
        """Hand the pending data to the stores' final write."""
        self._unsub_stop = None
        self._async_write_now()

    @callback
    def _async_write_now(self) -> None:
        """Snapshot now (on the loop) and let each store write it."""
        self._handle = None
        for store, data in zip(self._stores, self._snapshot(), strict=True):
            # A finished snapshot: the store may call the function in a worker thread.
            store.async_delay_save(functools.partial(_identity, data), 0)
        if self.on_written is not None:
            self.on_written()

    async def async_flush(self) -> None:
        """Write pending data now and wait for it (unload)."""
        self.cancel()
        for store, data in zip(self._stores, self._snapshot(), strict=True):
            await store.async_save(data)
        if self.on_written is not None:
            self.on_written()

    @callback
    def cancel(self) -> None:
        """Drop the pending timer and stop listener."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._unsub_stop is not None:
            self._unsub_stop()
            self._unsub_stop = None


class ReefStore:
    """The stores of the local entry (or, with a key suffix, of one remote entry's run-here)."""

    def __init__(self, hass: HomeAssistant, *, key_suffix: str = "") -> None:
        """Create the stores (nothing is read yet); a suffix gives an entry its own files."""
        self.schedules = _SchedulesStore(hass, SCHEDULES_VERSION, SCHEDULES_KEY + key_suffix)
        self.state: Store[dict[str, JsonDict]] = Store(hass, 1, STATE_KEY + key_suffix)
        self.ledger: Store[dict[str, JsonDict]] = Store(hass, 1, LEDGER_KEY + key_suffix)
        self.journal: Store[JournalData] = Store(hass, 1, JOURNAL_KEY + key_suffix)
        self._journal_lock = asyncio.Lock()
        self._journal_changes = 0
        self._journal_written = 0

    async def async_load(
        self,
    ) -> tuple[dict[str, JsonDict], dict[str, JsonDict], dict[str, JsonDict], dict[str, JsonDict]]:
        """Read definitions, state, ledger and journal; empty where nothing is stored."""
        # Awaited one by one: a finished gather() future kept the raw data alive after start-up.
        schedules = await self.schedules.async_load()
        state = await self.state.async_load()
        ledger = await self.ledger.async_load()
        journal = await self.journal.async_load()
        return (
            (schedules or {"schedules": {}})["schedules"],
            state or {},
            ledger or {},
            (journal or {"schedules": {}})["schedules"],
        )

    async def async_remove(self) -> None:
        """Delete every file of these stores (the entry is being removed)."""
        for store in (self.schedules, self.state, self.ledger, self.journal):
            await store.async_remove()

    @callback
    def journal_changed(self) -> int:
        """Count a change of the journal's content; return its change number."""
        self._journal_changes += 1
        return self._journal_changes

    async def async_commit_journal(self, change: int, snapshot: Callable[[], JournalData]) -> None:
        """Return once the journal on disk holds change ``change``; one write serves many."""
        async with self._journal_lock:
            if self._journal_written >= change:
                return
            target = self._journal_changes
            await self.journal.async_save(snapshot())
            self._journal_written = target
