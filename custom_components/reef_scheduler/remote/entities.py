"""Entities of Bella's Reef server entries: one device per server schedule, one for the server.

Each server schedule gets the local schedules' entities that make sense for it (Enabled switch,
Next run, Last run, Last result sensors); the server device has a connectivity binary sensor.
Schedules added or deleted on the server appear and disappear without a reload.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
)
from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.components.switch import SwitchEntity
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from ..api import RemoteSchedule
from ..engine.ledger import RunStatus
from .coordinator import BellasReefCoordinator
from .data import RemoteConfigEntry, RemoteData
from .setup import MANUFACTURER, schedule_device_identifier, server_device_identifier

RESULT_OPTIONS = [status.value for status in RunStatus]


class RemoteScheduleEntity(CoordinatorEntity[BellasReefCoordinator]):
    """Base of a server schedule's entities."""

    _attr_has_entity_name = True
    key: str

    def __init__(self, entry: RemoteConfigEntry, runtime: RemoteData, sid: int) -> None:
        """Bind the entity to one server schedule."""
        super().__init__(runtime.coordinator)
        self._runtime = runtime
        self.sid = sid
        self._attr_translation_key = self.key
        self._attr_unique_id = f"{entry.entry_id}_{sid}_{self.key}"
        remote = self.remote
        self._attr_device_info = DeviceInfo(
            identifiers={schedule_device_identifier(entry, sid)},
            name=remote.name if remote else str(sid),
            manufacturer=MANUFACTURER,
            model=f"Schedule ({remote.schedule_type.value})" if remote else "Schedule",
            via_device=server_device_identifier(entry),
        )

    @property
    def remote(self) -> RemoteSchedule | None:
        """Return the server's schedule (None once deleted or before the first refresh)."""
        return (self.coordinator.data or {}).get(self.sid)

    @property
    def available(self) -> bool:
        """Return True while the server answers and still has the schedule."""
        return super().available and self.remote is not None

    async def async_added_to_hass(self) -> None:
        """Also follow the run-here runner's state of this schedule."""
        await super().async_added_to_hass()
        if (run_here := self._runtime.run_here) is not None:
            self.async_on_remove(
                run_here.runner.async_listen(str(self.sid), self.async_write_ha_state)
            )
            self.async_on_remove(run_here.async_add_listener(self.async_write_ha_state))

    def _run_state(self) -> tuple[datetime | None, datetime | None, str | None]:
        """Return next run, last run and last result: run-here's when it runs the schedule."""
        run_here = self._runtime.run_here
        if run_here is not None and (state := run_here.runner.states.get(str(self.sid))):
            result = state.last_result.value if state.last_result else None
            return state.next_due, state.last_run, result
        remote = self.remote
        if remote is None:
            return None, None, None
        status = remote.last_run_status.value if remote.last_run_status else None
        return remote.next_run, remote.last_run, status


class RemoteEnabledSwitch(RemoteScheduleEntity, SwitchEntity):
    """Enables or disables the server schedule."""

    key = "enabled"
    _attr_entity_category = EntityCategory.CONFIG

    @property
    def is_on(self) -> bool | None:
        """Return whether the server schedule is enabled."""
        return None if self.remote is None else self.remote.is_enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Enable the schedule on the server."""
        await self._runtime.backend.async_set_enabled(str(self.sid), True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Disable the schedule on the server."""
        await self._runtime.backend.async_set_enabled(str(self.sid), False)


class RemoteNextRunSensor(RemoteScheduleEntity, SensorEntity):
    """When the schedule runs next (run-here's due time, else the server's next_run)."""

    key = "next_run"
    _attr_device_class = SensorDeviceClass.TIMESTAMP

    @property
    def native_value(self) -> datetime | None:
        """Return the next run."""
        return self._run_state()[0]


class RemoteLastRunSensor(RemoteScheduleEntity, SensorEntity):
    """When the schedule last ran."""

    key = "last_run"
    _attr_device_class = SensorDeviceClass.TIMESTAMP

    @property
    def native_value(self) -> datetime | None:
        """Return the last run."""
        return self._run_state()[1]


class RemoteLastResultSensor(RemoteScheduleEntity, SensorEntity):
    """How the last run went."""

    key = "last_result"
    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = RESULT_OPTIONS

    @property
    def native_value(self) -> str | None:
        """Return the last result."""
        return self._run_state()[2]


class ServerConnectivitySensor(CoordinatorEntity[BellasReefCoordinator], BinarySensorEntity):
    """Whether the server answers (stays available to say so)."""

    _attr_has_entity_name = True
    _attr_translation_key = "server_connectivity"
    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, entry: RemoteConfigEntry, runtime: RemoteData) -> None:
        """Attach to the server device."""
        super().__init__(runtime.coordinator)
        self._attr_unique_id = f"{entry.entry_id}_server_connectivity"
        self._attr_device_info = DeviceInfo(identifiers={server_device_identifier(entry)})

    @property
    def available(self) -> bool:
        """Always available: it reports the connection itself."""
        return True

    @property
    def is_on(self) -> bool:
        """Return whether the last refresh reached the server."""
        return self.coordinator.last_update_success


_SCHEDULE_ENTITIES: dict[Platform, tuple[type[RemoteScheduleEntity], ...]] = {
    Platform.SWITCH: (RemoteEnabledSwitch,),
    Platform.SENSOR: (RemoteNextRunSensor, RemoteLastRunSensor, RemoteLastResultSensor),
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
    classes = _SCHEDULE_ENTITIES.get(platform)
    if classes is None:
        return

    def entities_for(sid: int) -> Iterable[Entity]:
        """Return the entities of one server schedule."""
        return (cls(entry, runtime, sid) for cls in classes)

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
