"""switch platform of Reef Scheduler: each schedule's Enabled switch, a light profile's weather."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import KEY_ENABLED
from .data import ReefSchedulerConfigEntry, by_kind
from .engine.model import Schedule
from .engine.summary import UNRECORDED
from .entities import async_setup_schedule_platform
from .local.backend import LocalBackend
from .local.care_entities import care_switches
from .local.entity import ReefScheduleEntity
from .local.light_entities import profile_switches

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ReefSchedulerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the entry's switch entities."""
    async_setup_schedule_platform(entry, async_add_entities, Platform.SWITCH, _entities)
    by_kind(entry, lambda local: async_add_entities(care_switches(local)), lambda _remote: None)


ENABLED = SwitchEntityDescription(key=KEY_ENABLED, translation_key=KEY_ENABLED)


def _entities(backend: LocalBackend, schedule: Schedule) -> list[SwitchEntity]:
    """Return a schedule's switch entities."""
    return [ScheduleEnabledSwitch(backend, schedule, ENABLED), *profile_switches(backend, schedule)]


class ScheduleEnabledSwitch(ReefScheduleEntity, SwitchEntity):
    """Whether the schedule runs; its attributes tell its next run and how the last one went."""

    _unrecorded_attributes = UNRECORDED

    @property
    def is_on(self) -> bool | None:
        """Return True when the schedule is enabled."""
        schedule = self.schedule
        return None if schedule is None else schedule.enabled

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the status, next run, the last run with its result and error, the run count."""
        state, schedule = self.schedule_state, self.schedule
        if state is None or schedule is None:
            return None
        return state.summary(enabled=schedule.enabled).attributes()

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Enable the schedule."""
        await self.backend.async_set_enabled(self.schedule_id, True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Disable the schedule."""
        await self.backend.async_set_enabled(self.schedule_id, False)
