"""Entities of Bella's Reef server entries: one device per server schedule, one for the server.

Each server schedule gets what a local schedule has: one entity, the Enabled switch, whose
attributes tell the schedule's runs; the server device has a connectivity binary sensor (does
the server answer) and a status sensor (connected, unreachable, server error, auth failed).
Schedules added or deleted on the server appear and disappear without a reload. When a poll
fails, schedule entities keep the last good data, marked stale with the last contact, where
that data still means something (run-here runs it, or the server answered with a failure).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from ..api import RemoteSchedule
from ..const import KEY_ENABLED, schedule_unique_id
from ..engine.ledger import result_of
from ..engine.summary import UNRECORDED, RunSummary, Status
from .coordinator import BellasReefCoordinator, ServerStatus
from .data import RemoteConfigEntry, RemoteData
from .setup import schedule_device_info, server_device_identifier

ENABLED = SwitchEntityDescription(key=KEY_ENABLED, translation_key=KEY_ENABLED)
SERVER_CONNECTIVITY = BinarySensorEntityDescription(
    key="server_connectivity",
    translation_key="server_connectivity",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)
SERVER_STATUS = SensorEntityDescription(
    key="server_status",
    translation_key="server_status",
    device_class=SensorDeviceClass.ENUM,
    options=[status.value for status in ServerStatus],
    entity_category=EntityCategory.DIAGNOSTIC,
)
ATTR_LAST_CONTACT = "last_contact"
ATTR_STALE = "stale"


def _stale_attributes(coordinator: BellasReefCoordinator) -> dict[str, Any]:
    """Return the last contact while the data is stale (nothing while it is fresh)."""
    if coordinator.last_update_success:
        return {}
    contact = coordinator.last_contact
    return {ATTR_STALE: True, ATTR_LAST_CONTACT: contact.isoformat() if contact else None}


class RemoteScheduleEntity(CoordinatorEntity[BellasReefCoordinator]):
    """Base of a server schedule's entities."""

    _attr_has_entity_name = True

    def __init__(
        self,
        entry: RemoteConfigEntry,
        runtime: RemoteData,
        sid: int,
        description: EntityDescription,
    ) -> None:
        """Bind the entity to one server schedule."""
        super().__init__(runtime.coordinator)
        self.entity_description = description
        self._runtime = runtime
        self.sid = sid
        self._attr_unique_id = schedule_unique_id(entry.entry_id, sid, description.key)
        self._attr_device_info = schedule_device_info(
            runtime.coordinator.hass, entry, sid, self.remote
        )

    @property
    def remote(self) -> RemoteSchedule | None:
        """Return the server's schedule (None once deleted or before the first refresh)."""
        return (self.coordinator.data or {}).get(self.sid)

    @property
    def available(self) -> bool:
        """Return True while the schedule is known, and its data fresh or still meaningful."""
        coordinator = self.coordinator
        fresh = coordinator.last_update_success or coordinator.keeps_stale_data
        return fresh and self.remote is not None

    async def async_added_to_hass(self) -> None:
        """Also follow the run-here runner's state of this schedule."""
        await super().async_added_to_hass()
        if (run_here := self._runtime.run_here) is not None:
            self.async_on_remove(
                run_here.runner.async_listen(str(self.sid), self.async_write_ha_state)
            )
            self.async_on_remove(run_here.async_add_listener(self.async_write_ha_state))

    def _run(self) -> RunSummary:
        """Return the schedule's runs: run-here's when it runs the schedule, else the server's."""
        run_here = self._runtime.run_here
        remote = self.remote
        if run_here is not None and (state := run_here.runner.states.get(str(self.sid))):
            return state.summary(enabled=remote is None or remote.is_enabled)
        if remote is None:
            return RunSummary(None, None, None, None, None)
        result = result_of(remote.last_run_status)
        # The server leaves next_run empty as shipped: without one, where it stands is unknown.
        status = (
            Status.DISABLED
            if not remote.is_enabled
            else Status.SCHEDULED
            if remote.next_run is not None
            else None
        )
        return RunSummary(remote.next_run, remote.last_run, result, None, None, status)


class RemoteEnabledSwitch(RemoteScheduleEntity, SwitchEntity):
    """Enables or disables the server schedule; its attributes tell the schedule's runs."""

    _unrecorded_attributes = UNRECORDED

    @property
    def is_on(self) -> bool | None:
        """Return whether the server schedule is enabled."""
        return None if self.remote is None else self.remote.is_enabled

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the next run, the last run with its result and error, and the run count."""
        return self._run().attributes() | _stale_attributes(self.coordinator)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Enable the schedule on the server."""
        await self._runtime.backend.async_set_enabled(str(self.sid), True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Disable the schedule on the server."""
        await self._runtime.backend.async_set_enabled(str(self.sid), False)


class ServerConnectivitySensor(CoordinatorEntity[BellasReefCoordinator], BinarySensorEntity):
    """Whether the server answers (stays available to say so)."""

    _attr_has_entity_name = True
    entity_description = SERVER_CONNECTIVITY

    def __init__(self, entry: RemoteConfigEntry, runtime: RemoteData) -> None:
        """Attach to the server device."""
        super().__init__(runtime.coordinator)
        self._attr_unique_id = f"{entry.entry_id}_{SERVER_CONNECTIVITY.key}"
        self._attr_device_info = DeviceInfo(identifiers={server_device_identifier(entry)})

    @property
    def available(self) -> bool:
        """Always available: it reports the connection itself."""
        return True

    @property
    def is_on(self) -> bool:
        """Return whether the server answered the last poll (also with a failure)."""
        return self.coordinator.status is not ServerStatus.UNREACHABLE


class ServerStatusSensor(CoordinatorEntity[BellasReefCoordinator], SensorEntity):
    """What the last poll found: connected, unreachable, server error or auth failed."""

    _attr_has_entity_name = True
    _unrecorded_attributes = frozenset({ATTR_LAST_CONTACT, ATTR_STALE})
    entity_description = SERVER_STATUS

    def __init__(self, entry: RemoteConfigEntry, runtime: RemoteData) -> None:
        """Attach to the server device."""
        super().__init__(runtime.coordinator)
        self._attr_unique_id = f"{entry.entry_id}_{SERVER_STATUS.key}"
        self._attr_device_info = DeviceInfo(identifiers={server_device_identifier(entry)})

    @property
    def available(self) -> bool:
        """Always available: it reports the connection itself."""
        return True

    @property
    def native_value(self) -> str:
        """Return the status of the last poll."""
        return self.coordinator.status.value

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the last contact while the server gives no fresh data."""
        return _stale_attributes(self.coordinator)


_SCHEDULE_ENTITIES: dict[
    Platform, tuple[type[RemoteScheduleEntity], tuple[EntityDescription, ...]]
] = {
    Platform.SWITCH: (RemoteEnabledSwitch, (ENABLED,)),
}


@callback
def async_setup_remote_platform(
    entry: RemoteConfigEntry,
    async_add_entities: AddEntitiesCallback,
    platform: Platform,
) -> None:
    """Add a server entry's entities of one platform, and those of schedules added later."""
    runtime = entry.runtime_data
    if platform is Platform.BINARY_SENSOR:
        async_add_entities([ServerConnectivitySensor(entry, runtime)])
        return
    if platform is Platform.SENSOR:
        async_add_entities([ServerStatusSensor(entry, runtime)])
        return
    if (kind := _SCHEDULE_ENTITIES.get(platform)) is None:
        return
    cls, descriptions = kind

    def entities_for(sid: int) -> Iterable[Entity]:
        """Return the entities of one server schedule."""
        return (cls(entry, runtime, sid, description) for description in descriptions)

    known: set[int] = set()
    coordinator = runtime.coordinator

    @callback
    def add_new_schedules() -> None:
        """Add entities for server schedules not seen before."""
        current = set(coordinator.data or {})
        new = sorted(current - known)
        known.intersection_update(current)
        known.update(new)
        if new:
            async_add_entities([entity for sid in new for entity in entities_for(sid)])

    add_new_schedules()
    entry.async_on_unload(coordinator.async_add_listener(add_new_schedules))
