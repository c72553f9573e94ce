"""Entities of Bella's Reef server entries: one device per server schedule, one for the server.

Each server schedule gets the local schedules' entities that make sense for it (Enabled switch,
Next run, Last run, Last result sensors); the server device has a connectivity binary sensor.
Schedules added or deleted on the server appear and disappear without a reload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

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
from ..engine.ledger import RESULTS, result_of
from .coordinator import BellasReefCoordinator
from .data import RemoteConfigEntry, RemoteData
from .setup import MANUFACTURER, schedule_device_identifier, server_device_identifier


class RemoteRun(NamedTuple):
    """A server schedule's runs as its sensors show them."""

    next_run: datetime | None
    last_run: datetime | None
    last_result: str | None


@dataclass(frozen=True, kw_only=True)
class RemoteSensorDescription(SensorEntityDescription):
    """A sensor reading one value of a server schedule's runs."""

    value_fn: Callable[[RemoteRun], datetime | str | None]


SENSORS = (
    RemoteSensorDescription(
        key="next_run",
        translation_key="next_run",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda run: run.next_run,
    ),
    RemoteSensorDescription(
        key="last_run",
        translation_key="last_run",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda run: run.last_run,
    ),
    RemoteSensorDescription(
        key="last_result",
        translation_key="last_result",
        device_class=SensorDeviceClass.ENUM,
        options=list(RESULTS),
        value_fn=lambda run: run.last_result,
    ),
)
ENABLED = SwitchEntityDescription(
    key="enabled", translation_key="enabled", entity_category=EntityCategory.CONFIG
)
SERVER_CONNECTIVITY = BinarySensorEntityDescription(
    key="server_connectivity",
    translation_key="server_connectivity",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


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
        self._attr_unique_id = f"{entry.entry_id}_{sid}_{description.key}"
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

    def _run(self) -> RemoteRun:
        """Return the schedule's runs: run-here's when it runs the schedule, else the server's."""
        run_here = self._runtime.run_here
        if run_here is not None and (state := run_here.runner.states.get(str(self.sid))):
            return RemoteRun(state.next_due, state.last_run, result_of(state.last_result))
        if (remote := self.remote) is None:
            return RemoteRun(None, None, None)
        return RemoteRun(remote.next_run, remote.last_run, result_of(remote.last_run_status))


class RemoteScheduleSensor(RemoteScheduleEntity, SensorEntity):
    """One value of a server schedule's runs."""

    entity_description: RemoteSensorDescription

    @property
    def native_value(self) -> datetime | str | None:
        """Return the value."""
        return self.entity_description.value_fn(self._run())


class RemoteEnabledSwitch(RemoteScheduleEntity, SwitchEntity):
    """Enables or disables the server schedule."""

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
        """Return whether the last refresh reached the server."""
        return self.coordinator.last_update_success


_SCHEDULE_ENTITIES: dict[
    Platform, tuple[type[RemoteScheduleEntity], tuple[EntityDescription, ...]]
] = {
    Platform.SWITCH: (RemoteEnabledSwitch, (ENABLED,)),
    Platform.SENSOR: (RemoteScheduleSensor, SENSORS),
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
