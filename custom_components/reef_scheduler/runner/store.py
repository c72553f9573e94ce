"""Persistence: definitions, run state, ledger and the run journal.

Definitions are written before a change is reported done. Run state and the ledger change
with every run, so they are written together, coalesced. What happens to runs between two such
writes (a run started, finished, noted or skipped) is appended to the run journal as it happens
(journal.py), so after a crash the ledger still tells the truth, no run is repeated and no slot
is reused. Once a state and ledger write has completed, the journal drops what it covers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
import os
from pathlib import Path
from typing import Any, TypedDict

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, CoreState, Event, HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
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


@dataclass(frozen=True, slots=True)
class Damage:
    """A stored file that could not be read: why, and where it was kept (None: nowhere)."""

    key: str
    error: str
    moved_to: str | None


@dataclass(slots=True)
class Loaded:
    """What the stores held: definitions as stored (an item may be any JSON), run data."""

    schedules: dict[str, Any]
    state: dict[str, JsonDict]
    ledger: dict[str, JsonDict]
    events: list[JsonDict]
    damaged: list[Damage] = field(default_factory=list)


# What a store's data gives: its items, and what is wrong with its shape (None: nothing).
type Shaped[T] = tuple[dict[str, T], str | None]


def _schedules_of(data: Any) -> Shaped[Any]:
    """Return the definitions of a schedules store's data and what is wrong with its shape.

    Of a list of specs (a wrong hand edit, a version-1 file that lost its version) the specs
    that name their id are read: each still says which schedule it is.
    """
    items = data.get("schedules") if isinstance(data, Mapping) else None
    if isinstance(items, Mapping):
        return dict(items), None
    if isinstance(items, list):
        specs = {
            item["id"]: item
            for item in items
            if isinstance(item, Mapping) and isinstance(item.get("id"), str)
        }
        return specs, "the schedules are a list, not an object"
    return {}, f"no schedules object in {type(data).__name__}"


def _run_data_of(data: Any) -> Shaped[JsonDict]:
    """Return a state or ledger store's per-schedule items and what is wrong with its shape."""
    if not isinstance(data, Mapping):
        return {}, f"{type(data).__name__}, not an object"
    items = {sid: item for sid, item in data.items() if isinstance(item, dict)}
    return items, None if len(items) == len(data) else "items that are not objects"


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

    async def async_load(self) -> Loaded:
        """Read definitions, state, ledger and the journal's events; empty where none are.

        A file that cannot be read counts as empty except for what could be read of it; it is
        moved aside and reported. Only a file of a newer version than this one stops the load.
        """
        # Awaited one by one: a finished gather() future kept the raw data alive after start-up.
        damaged: list[Damage] = []
        schedules = await _async_read(self.schedules, _schedules_of, damaged)
        state = await _async_read(self.state, _run_data_of, damaged)
        ledger = await _async_read(self.ledger, _run_data_of, damaged)
        events = await self._async_load_journal()
        return Loaded(schedules, state, ledger, events, damaged)

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


async def _async_read[T](
    store: Store[Any], shape: Callable[[Any], Shaped[T]], damaged: list[Damage]
) -> dict[str, T]:
    """Read a store into the shape given; if it is damaged, move its file aside and note it."""
    try:
        data = await store.async_load()
    except NotImplementedError:
        raise  # written by a newer version: left alone, the start fails
    except Exception as err:  # whatever the file holds must not stop the start
        items: dict[str, T] = {}
        error = f"{type(err).__name__}: {err}"
    else:
        if data is None:
            return {}
        items, problem = shape(data)
        if problem is None:
            return items
        error = problem
    moved_to = await _async_move_aside(store)
    LOGGER.error(
        "Could not read %s (%s); the file was kept as %s and what could be read of it is loaded",
        store.key,
        error,
        moved_to,
    )
    damaged.append(Damage(store.key, error, moved_to))
    return items


async def _async_move_aside(store: Store[Any]) -> str | None:
    """Rename a store's file as Home Assistant does a corrupt one; None without a file."""
    moved_to = f"{store.path}.corrupt.{dt_util.utcnow().isoformat()}"
    try:
        await store.hass.async_add_executor_job(os.replace, store.path, moved_to)
    except FileNotFoundError:
        return None
    return moved_to
