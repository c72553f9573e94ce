"""button platform of Reef Scheduler."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .engine.model import Schedule
from .local.backend import LocalBackend
from .local.data import LocalConfigEntry
from .local.entity import ReefScheduleEntity, async_setup_local_platform

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LocalConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the local entry's button entities."""
    async_setup_local_platform(entry, async_add_entities, Platform.BUTTON, _entities)


# Disabled by default: the run_now action does the same without a live entity per schedule.
RUN_NOW = ButtonEntityDescription(
    key="run_now", translation_key="run_now", entity_registry_enabled_default=False
)


def _entities(backend: LocalBackend, schedule: Schedule) -> list[ScheduleRunNowButton]:
    """Return a schedule's button entities."""
    return [ScheduleRunNowButton(backend, schedule, RUN_NOW)]


class ScheduleRunNowButton(ReefScheduleEntity, ButtonEntity):
    """Run the schedule's action now."""

    async def async_press(self) -> None:
        """Start a manual run."""
        await self.backend.async_run_now(self.schedule_id)
