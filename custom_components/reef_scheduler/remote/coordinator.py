"""DataUpdateCoordinator keeping a Bella's Reef server's schedules."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from ..api import (
    BellasReefClient,
    BellasReefConnectionError,
    BellasReefError,
    BellasReefResponseError,
)
from ..const import DOMAIN, LOGGER
from ..engine.shorten import MAX_MESSAGE, MAX_NAME, shorten
from .const import CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL
from .errors import ErrorKind, error_kind, update_error
from .store import RemoteSchedules, ServerCopy

ISSUE_SERVER_DATA_ERROR = "server_data_error"


class ServerStatus(StrEnum):
    """What the last poll found; the value is the status sensor's translated state."""

    CONNECTED = "connected"
    UNREACHABLE = "unreachable"
    SERVER_ERROR = "server_error"
    AUTH_FAILED = "auth_failed"


def _status_of(err: BellasReefError) -> ServerStatus:
    """Tell an unreachable server from one that answers with a failure."""
    if isinstance(err, BellasReefConnectionError):
        return ServerStatus.UNREACHABLE
    if error_kind(err) is ErrorKind.AUTH_FAILED:
        return ServerStatus.AUTH_FAILED
    return ServerStatus.SERVER_ERROR


class BellasReefCoordinator(DataUpdateCoordinator[RemoteSchedules]):
    """Poll the server's schedule list; auth failures start reauth.

    The coordinator logs once when the server is lost and once when it is back; the client's
    circuit breakers keep services and run reports from hammering a dead server meanwhile.
    After a failed poll the last good data stays (marked stale by the entities); with run-here
    it is also kept in a stored copy, so the entry can set up from it during an outage.
    """

    config_entry: ConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: BellasReefClient,
        copy: ServerCopy | None = None,
    ) -> None:
        """Poll every scan_interval seconds (option, 30 s by default)."""
        seconds = int(entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL))
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=timedelta(seconds=seconds),
        )
        self.client = client
        self.copy = copy
        self.status = ServerStatus.UNREACHABLE
        self.last_contact: datetime | None = None
        self._shown_status = self.status

    @property
    def issue_id(self) -> str:
        """Return the id of this entry's server data issue."""
        return f"{ISSUE_SERVER_DATA_ERROR}_{self.config_entry.entry_id}"

    @property
    def keeps_stale_data(self) -> bool:
        """Tell whether entities show the last good data now that a poll failed.

        A server that answers with a failure still has its schedules; an unreachable one only
        counts for run-here, which keeps running them.
        """
        return self.copy is not None or self.status is ServerStatus.SERVER_ERROR

    async def async_load_copy(self) -> bool:
        """Start from the stored copy, if there is one; return whether there was."""
        if self.copy is None or (loaded := await self.copy.async_load()) is None:
            return False
        self.data, self.last_contact = loaded
        return True

    async def _async_update_data(self) -> RemoteSchedules:
        """Return the server's schedules by id."""
        try:
            schedules = await self.client.list_schedules()
        except BellasReefError as err:
            self.status = _status_of(err)
            if isinstance(err, BellasReefResponseError) and err.status == 500:
                self._raise_data_issue(err)
            raise update_error(err) from err
        self.status = ServerStatus.CONNECTED
        self.last_contact = dt_util.utcnow()
        ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
        data = {schedule.id: schedule for schedule in schedules}
        if self.copy is not None:
            self.copy.save(data, self.last_contact)
        return data

    def _raise_data_issue(self, err: BellasReefResponseError) -> None:
        """Raise the issue of a server whose list fails on its own data (quirk Q3)."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self.issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_SERVER_DATA_ERROR,
            translation_placeholders={
                "title": shorten(self.config_entry.title, MAX_NAME),
                "error": shorten(
                    f"{err.method} {err.path} -> {err.status}: {err.detail}", MAX_MESSAGE
                ),
            },
        )

    @callback
    def _async_refresh_finished(self) -> None:
        """Tell listeners of a new kind of failure (HA calls none between two failures)."""
        changed = self.status is not self._shown_status
        self._shown_status = self.status
        if changed and not self.last_update_success:
            self.async_update_listeners()
