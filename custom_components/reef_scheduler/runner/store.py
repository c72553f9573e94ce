"""Persistence: definitions, run state, ledger and the run journal.

Definitions are written before a change is reported done. Run state and the ledger change
with every run, so they are written together, coalesced. What happens to runs between two such
writes (a run started, finished, noted or skipped) is appended to the run journal as it happens
(journal.py), so after a crash the ledger still tells the truth, no run is repeated and no slot
is reused. Once a state and ledger write has completed, the journal drops what it covers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, CoreState, Event, HomeAssistant, callback
from homeassistant.helpers.storage import Store

from ..const import DOMAIN
from .journal import RunJournal, events_from_legacy

SCHEDULES_VERSION = 2
SCHEDULES_KEY = f"{DOMAIN}.schedules"
STATE_KEY = f"{DOMAIN}.state"
LEDGER_KEY = f"{DOMAIN}.ledger"
# The journal store of earlier versions (read once, then removed); the run journal's file name.
JOURNAL_KEY = f"{DOMAIN}.journal"
JOURNAL_FILE_SUFFIX = ".jsonl"
RUN_DATA_SAVE_DELAY = 10.0

type JsonDict = dict[str, Any]


class SchedulesData(TypedDict):
    """On-disk form of the definitions (version 2)."""

    schedules: dict[str, JsonDict]


class JournalData(TypedDict):
    """Journal store of earlier versions (read once, then removed).

    Per schedule: the latest due started, the slot mark and a run under way.
    """

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


class RunDataStore(Store[dict[str, JsonDict]]):
    """Store of run state or ledger that counts its failed writes.

    Home Assistant's Store logs a failed write and returns as if it had written; the journal
    must not drop lines that a write which failed was meant to cover.
    """

    failures = 0

    async def _async_write_data(self, *args: Any, **kwargs: Any) -> None:
        """Write as Home Assistant does; count a failure."""
        try:
            await super()._async_write_data(*args, **kwargs)
        except Exception:
            self.failures += 1
            raise


class CoalescedWriter:
    """Write a snapshot taken on the event loop at most once per delay, and at stop.

    With a journal, a completed write compacts it: the lines appended before the snapshot are
    covered by what was written.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        stores: tuple[RunDataStore, ...],
        snapshot: Callable[[], tuple[Any, ...]],
        delay: float,
        journal: RunJournal | None = None,
    ) -> None:
        """Bind the stores to the function that snapshots their data (one item per store)."""
        self._hass = hass
        self._stores = stores
        self._snapshot = snapshot
        self._delay = delay
        self._journal = journal
        self._lock = asyncio.Lock()
        self._handle: asyncio.TimerHandle | None = None
        self._unsub_stop: CALLBACK_TYPE | None = None

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
        """Write a snapshot now, in a task (it starts at once unless a write is under way)."""
        self._handle = None
        self._hass.async_create_task(self._async_save(), "reef scheduler run data write")

    async def async_flush(self) -> None:
        """Write pending data now and wait for it (unload)."""
        self.cancel()
        await self._async_save()

    async def _async_save(self) -> None:
        """Snapshot, write, and once every store has written, compact the journal."""
        # One write at a time: the files on disk always come from one snapshot (or, after a
        # kill between two of them, from two consecutive ones, which the journal's replay
        # handles).
        async with self._lock:
            data = self._snapshot()
            covered = 0 if self._journal is None else self._journal.seq
            # While Home Assistant stops, a store only hands its data to the final write.
            deferred = self._hass.state is CoreState.stopping
            failures = sum(store.failures for store in self._stores)
            for store, item in zip(self._stores, data, strict=True):
                await store.async_save(item)
            if (
                self._journal is not None
                and not deferred
                and failures == sum(store.failures for store in self._stores)
            ):
                self._journal.compact(covered)

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
        self.state = RunDataStore(hass, 1, STATE_KEY + key_suffix)
        self.ledger = RunDataStore(hass, 1, LEDGER_KEY + key_suffix)
        name = JOURNAL_KEY + key_suffix + JOURNAL_FILE_SUFFIX
        self.journal = RunJournal(hass, Path(hass.config.path(".storage", name)))
        self._legacy_journal: Store[JournalData] = Store(hass, 1, JOURNAL_KEY + key_suffix)

    async def async_load(
        self,
    ) -> tuple[dict[str, JsonDict], dict[str, JsonDict], dict[str, JsonDict], list[JsonDict]]:
        """Read definitions, state, ledger and the journal's events; empty where none are."""
        # Awaited one by one: a finished gather() future kept the raw data alive after start-up.
        schedules = await self.schedules.async_load()
        state = await self.state.async_load()
        ledger = await self.ledger.async_load()
        return (
            (schedules or {"schedules": {}})["schedules"],
            state or {},
            ledger or {},
            await self._async_load_journal(),
        )

    async def _async_load_journal(self) -> list[JsonDict]:
        """Read the journal, moving the journal store of earlier versions into it first."""
        legacy = await self._legacy_journal.async_load()
        if legacy is None:
            return await self.journal.async_load()
        events = await self.journal.async_load(events_from_legacy(legacy["schedules"]))
        try:
            await self.journal.async_wait(self.journal.seq)
        except OSError:
            # Kept for the next start; this one honours it all the same.
            return events
        await self._legacy_journal.async_remove()
        return events

    async def async_remove(self) -> None:
        """Delete every file of these stores (the entry is being removed)."""
        for store in (self.schedules, self.state, self.ledger, self._legacy_journal):
            await store.async_remove()
        await self.journal.async_remove()
