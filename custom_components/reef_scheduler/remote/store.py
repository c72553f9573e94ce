"""Run-here's own files: the server's schedules as last read, and the run reports still to send.

The copy lets a run-here entry set up and keep running while the server cannot be reached; the
report queue keeps runs made during an outage until the server takes them, across restarts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..api import RemoteSchedule
from ..const import DOMAIN, LOGGER
from .const import RUN_HERE_STORE_SUFFIX

COPY_KEY = f"{DOMAIN}.server_copy"
REPORTS_KEY = f"{DOMAIN}.reports"
# A changed copy is written this long after the poll that read it (polls come every 10 s+).
COPY_SAVE_DELAY = 1.0
# An unchanged copy is written again only for its last contact, at most this often.
CONTACT_SAVE_INTERVAL = timedelta(minutes=5)
REPORTS_SAVE_DELAY = 1.0

type RemoteSchedules = dict[int, RemoteSchedule]
type JsonDict = dict[str, Any]


def store_suffix(entry_id: str) -> str:
    """Return the storage key suffix of an entry's run-here files."""
    return f"{RUN_HERE_STORE_SUFFIX}{entry_id}"


class ServerCopy:
    """The server's schedules as last read, with the time of that contact."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind the copy to its entry's file (nothing is read yet)."""
        self._store: Store[JsonDict] = Store(hass, 1, COPY_KEY + store_suffix(entry_id))
        self._schedules: RemoteSchedules | None = None
        self._contact: datetime | None = None
        self._saved_contact: datetime | None = None

    async def async_load(self) -> tuple[RemoteSchedules, datetime] | None:
        """Return the stored schedules and last contact; None without a usable copy."""
        raw = await self._store.async_load()
        if raw is None:
            return None
        try:
            contact = dt_util.parse_datetime(raw["last_contact"])
            rows = raw["schedules"]
            if contact is None or not isinstance(rows, list):
                raise TypeError("unexpected shape")
        except (KeyError, TypeError) as err:
            LOGGER.warning("The stored copy of the server's schedules is unusable: %s", err)
            return None
        schedules: RemoteSchedules = {}
        for row in rows:
            try:
                remote = RemoteSchedule.from_json(row)
            except ValueError as err:
                LOGGER.warning("A schedule in the stored server copy is unreadable: %s", err)
                continue
            schedules[remote.id] = remote
        return schedules, contact

    def save(self, schedules: RemoteSchedules, contact: datetime) -> None:
        """Write the copy soon (coalesced) if it changed or its last contact is old."""
        unchanged = schedules == self._schedules
        self._schedules, self._contact = schedules, contact
        saved = self._saved_contact
        if unchanged and saved is not None and contact - saved < CONTACT_SAVE_INTERVAL:
            return
        self._store.async_delay_save(self._snapshot, COPY_SAVE_DELAY)

    def _snapshot(self) -> JsonDict:
        """Return what the next write holds (taken at write time)."""
        assert self._schedules is not None
        assert self._contact is not None
        self._saved_contact = self._contact
        return {
            "last_contact": self._contact.isoformat(),
            "schedules": [remote.to_json() for remote in self._schedules.values()],
        }

    async def async_flush(self) -> None:
        """Write the latest contact now if the file does not have it (unload)."""
        if self._contact is not None and self._contact != self._saved_contact:
            await self._store.async_save(self._snapshot())

    async def async_remove(self) -> None:
        """Delete the file (the entry is being removed)."""
        await self._store.async_remove()


class ReportStore:
    """The run reports not yet taken by the server, and how many a limit dropped."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind the queue to its entry's file (nothing is read yet)."""
        self._store: Store[JsonDict] = Store(hass, 1, REPORTS_KEY + store_suffix(entry_id))

    async def async_load(self) -> tuple[list[JsonDict], int]:
        """Return the stored reports and the dropped count; none when there is no usable file."""
        raw = await self._store.async_load()
        reports = raw.get("reports") if isinstance(raw, dict) else None
        dropped = raw.get("dropped") if isinstance(raw, dict) else None
        items = reports if isinstance(reports, list) else []
        return [item for item in items if isinstance(item, dict)], (
            dropped if isinstance(dropped, int) else 0
        )

    def save(self, snapshot: Any) -> None:
        """Write soon (coalesced); ``snapshot`` is called at write time."""
        self._store.async_delay_save(snapshot, REPORTS_SAVE_DELAY)

    async def async_save(self, data: JsonDict) -> None:
        """Write now (unload)."""
        await self._store.async_save(data)

    async def async_remove(self) -> None:
        """Delete the file (the entry is being removed)."""
        await self._store.async_remove()
