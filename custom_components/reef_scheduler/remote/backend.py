"""ScheduleBackend over a Bella's Reef server: local specs stored as the server's schedules.

The mapping between a spec and a server schedule lives in convert.py; this module validates,
calls the server through the client and keeps the coordinator's data current.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
import uuid

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from ..api import (
    BellasReefClient,
    DeviceActionCreate,
    RemoteSchedule,
    ScheduleCreate,
)
from ..const import DOMAIN
from ..engine.validate import validate_schedule
from ..engine.validate_dosing import DOSING_TYPE
from ..engine.validate_profile import PROFILE_TYPE
from ..engine.validate_wave import WAVE_TYPE
from .const import CONF_DEVICE_MAP
from .convert import server_params, to_server, update_of
from .coordinator import BellasReefCoordinator
from .errors import remote_errors
from .run_here import RunHere


def device_map(entry: ConfigEntry) -> dict[int, tuple[str, ...]]:
    """Return the options' mapping of server device id -> Home Assistant entity ids."""
    raw: Mapping[str, Sequence[str]] = entry.options.get(CONF_DEVICE_MAP, {})
    return {int(device): tuple(entities) for device, entities in raw.items() if entities}


# --- the backend ------------------------------------------------------------------------------


class RemoteBackend:
    """Create, change, delete, enable, disable and run schedules of one Bella's Reef server."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: BellasReefClient,
        coordinator: BellasReefCoordinator,
        run_here: RunHere | None,
    ) -> None:
        """Bind the backend to its entry's client, coordinator and optional run-here."""
        self.hass = hass
        self.config_entry = entry
        self._client = client
        self._coordinator = coordinator
        self._run_here = run_here

    @property
    def entry_id(self) -> str:
        """Return the config entry that owns the schedules."""
        return self.config_entry.entry_id

    def has_schedule(self, schedule_id: str) -> bool:
        """Return True when the server holds the schedule."""
        return schedule_id.isdigit() and int(schedule_id) in (self._coordinator.data or {})

    def schedule_name(self, schedule_id: str) -> str:
        """Return a server schedule's name."""
        return self._remote(schedule_id).name

    def _remote(self, schedule_id: str) -> RemoteSchedule:
        """Return a known server schedule, or a validation error."""
        if not self.has_schedule(schedule_id):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="remote_schedule_not_found",
                translation_placeholders={"schedule_id": schedule_id},
            )
        return self._coordinator.data[int(schedule_id)]

    def _to_server(self, spec: Mapping[str, Any]) -> ScheduleCreate:
        """Validate a spec like a local one, then map it (ScheduleInvalid / not supported)."""
        if spec.get("type") == PROFILE_TYPE:
            # A profile's levels change all day: only the local engine can run it.
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="remote_light_profile"
            )
        if spec.get("type") == WAVE_TYPE:
            # A wave's pumps change every few seconds: only the local engine can run it.
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="remote_wave_pattern"
            )
        if spec.get("type") == DOSING_TYPE:
            # Dosers are the local entry's, and their guards live in its store.
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="remote_dosing")
        data = dict(spec)
        data.setdefault("id", uuid.uuid4().hex)
        zone = self.hass.config.time_zone
        schedule = validate_schedule(data, default_timezone=zone)
        return to_server(
            schedule, schedule.timezone or zone, device_map(self.config_entry), dt_util.utcnow()
        )

    def _store(self, remote: RemoteSchedule | None, removed: int | None = None) -> None:
        """Put a server answer into the coordinator's data (entities and run-here follow)."""
        data = dict(self._coordinator.data or {})
        if remote is not None:
            data[remote.id] = remote
        if removed is not None:
            data.pop(removed, None)
        self._coordinator.async_set_updated_data(data)

    @remote_errors
    async def async_create(self, spec: Mapping[str, Any]) -> str:
        """Create a schedule on the server; return its id."""
        body = self._to_server(spec)
        remote = await self._client.create_schedule(body)
        self._store(remote)
        return str(remote.id)

    @remote_errors
    async def async_update(self, schedule_id: str, spec: Mapping[str, Any]) -> None:
        """Replace a server schedule's definition."""
        self._remote(schedule_id)
        body = update_of(self._to_server(spec))
        remote = await self._client.update_schedule(int(schedule_id), body)
        self._store(remote)

    @remote_errors
    async def async_delete(self, schedule_id: str) -> None:
        """Delete a server schedule."""
        self._remote(schedule_id)
        await self._client.delete_schedule(int(schedule_id))
        self._store(None, removed=int(schedule_id))

    @remote_errors
    async def async_set_enabled(self, schedule_id: str, enabled: bool) -> None:
        """Enable or disable a server schedule."""
        self._remote(schedule_id)
        client = self._client
        method = client.enable_schedule if enabled else client.disable_schedule
        self._store(await method(int(schedule_id)))

    @remote_errors
    async def async_run_now(self, schedule_id: str) -> None:
        """Run here when run-here has the schedule, else record executed actions on the server."""
        remote = self._remote(schedule_id)
        if self._run_here is not None and self._run_here.async_run_now(schedule_id):
            return
        if not remote.device_ids:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="remote_no_devices",
                translation_placeholders={"schedule_id": schedule_id},
            )
        now = dt_util.utcnow()
        for device_id in remote.device_ids:
            action = await self._client.create_device_action(
                DeviceActionCreate(
                    device_id=device_id,
                    action_type=remote.action_type,
                    scheduled_time=now,
                    parameters=server_params(remote.action_params),
                    schedule_id=remote.id,
                )
            )
            await self._client.execute_device_action(action.id)
