"""sensor platform of Reef Scheduler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import ReefSchedulerConfigEntry
from .engine.ledger import RESULTS, result_of
from .engine.model import Schedule
from .entities import async_setup_schedule_platform
from .local.backend import LocalBackend
from .local.entity import ReefScheduleEntity
from .runner.runner import ScheduleState

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ReefSchedulerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the entry's sensor entities."""
    async_setup_schedule_platform(entry, async_add_entities, Platform.SENSOR, _entities)


@dataclass(frozen=True, kw_only=True)
class ScheduleSensorDescription(SensorEntityDescription):
    """A sensor reading one value of a schedule's run state."""

    value_fn: Callable[[ScheduleState], datetime | str | int | None]


SENSORS = (
    ScheduleSensorDescription(
        key="next_run",
        translation_key="next_run",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda state: state.next_due,
    ),
    # Last run and Runs change with every run (recorder writes): disabled by default.
    ScheduleSensorDescription(
        key="last_run",
        translation_key="last_run",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.last_run,
    ),
    ScheduleSensorDescription(
        key="last_result",
        translation_key="last_result",
        device_class=SensorDeviceClass.ENUM,
        options=list(RESULTS),
        value_fn=lambda state: result_of(state.last_result),
    ),
    ScheduleSensorDescription(
        key="runs",
        translation_key="runs",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.runs,
    ),
)


def _entities(backend: LocalBackend, schedule: Schedule) -> list[ScheduleSensor]:
    """Return a schedule's sensor entities."""
    return [ScheduleSensor(backend, schedule, description) for description in SENSORS]


class ScheduleSensor(ReefScheduleEntity, SensorEntity):
    """One value of a schedule's run state."""

    entity_description: ScheduleSensorDescription

    @property
    def native_value(self) -> datetime | str | int | None:
        """Return the value."""
        state = self.schedule_state
        return None if state is None else self.entity_description.value_fn(state)
