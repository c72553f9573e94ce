"""switch platform of Reef Scheduler."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import ReefSchedulerConfigEntry
from .engine.model import Schedule
from .entities import async_setup_schedule_platform
from .local.backend import LocalBackend
from .local.entity import ReefScheduleEntity

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ReefSchedulerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the entry's switch entities."""
    async_setup_schedule_platform(entry, async_add_entities, Platform.SWITCH, _entities)


ENABLED = SwitchEntityDescription(key="enabled", translation_key="enabled")


def _entities(backend: LocalBackend, schedule: Schedule) -> list[ScheduleEnabledSwitch]:
    """Return a schedule's switch entities."""
    return [ScheduleEnabledSwitch(backend, schedule, ENABLED)]


class ScheduleEnabledSwitch(ReefScheduleEntity, SwitchEntity):
    """Whether the schedule runs."""

    @property
    def is_on(self) -> bool | None:
        """Return True when the schedule is enabled."""
        schedule = self.schedule
        return None if schedule is None else schedule.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Enable the schedule."""
        await self.backend.async_set_enabled(self.schedule_id, True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Disable the schedule."""
        await self.backend.async_set_enabled(self.schedule_id, False)
