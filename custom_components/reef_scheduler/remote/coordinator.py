"""DataUpdateCoordinator keeping a Bella's Reef server's schedules."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from ..api import BellasReefClient, BellasReefError, RemoteSchedule
from ..const import LOGGER
from .const import CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL
from .errors import update_error

type RemoteSchedules = dict[int, RemoteSchedule]


class BellasReefCoordinator(DataUpdateCoordinator[RemoteSchedules]):
    """Poll the server's schedule list; auth failures start reauth.

    The coordinator logs once when the server is lost and once when it is back; the client's
    circuit breaker keeps services and run reports from hammering a dead server meanwhile.
    """

    config_entry: ConfigEntry

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, client: BellasReefClient) -> None:
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

    async def _async_update_data(self) -> RemoteSchedules:
        """Return the server's schedules by id."""
        try:
            schedules = await self.client.list_schedules()
        except BellasReefError as err:
            raise update_error(err) from err
        return {schedule.id: schedule for schedule in schedules}
