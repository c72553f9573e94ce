"""Base entity of a local schedule: one device per schedule, updates pushed by the runner."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from homeassistant.const import Platform
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..const import DOMAIN, schedule_unique_id
from ..engine.model import Schedule
from ..runner.runner import ScheduleRunner, ScheduleState
from .backend import LocalBackend
from .data import LocalConfigEntry


class ReefScheduleEntity(Entity):
    """An entity of one local schedule; it listens to that schedule only."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self, backend: LocalBackend, schedule: Schedule, description: EntityDescription
    ) -> None:
        """Describe the entity of a schedule."""
        self.entity_description = description
        self.backend = backend
        self.schedule_id = schedule.id
        self._attr_unique_id = schedule_unique_id(backend.entry_id, schedule.id, description.key)

    @property
    def device_info(self) -> DeviceInfo | None:
        """Return the schedule's device (built when Home Assistant adds the entity, not kept)."""
        if (schedule := self.schedule) is None:
            return None
        return self.backend.device_info(schedule)

    @property
    def runner(self) -> ScheduleRunner:
        """Return the runner that owns the schedule."""
        return self.backend.runner

    @property
    def schedule(self) -> Schedule | None:
        """Return the schedule's current definition (None once deleted)."""
        return self.runner.schedules.get(self.schedule_id)

    @property
    def schedule_state(self) -> ScheduleState | None:
        """Return the schedule's run state (None once deleted)."""
        return self.runner.states.get(self.schedule_id)

    @property
    def available(self) -> bool:
        """Return True while the schedule exists."""
        return self.schedule_id in self.runner.schedules

    async def async_added_to_hass(self) -> None:
        """Follow this schedule's changes."""
        await super().async_added_to_hass()
        self.async_on_remove(self.runner.async_listen(self.schedule_id, self._handle_change))

    @callback
    def _handle_change(self) -> None:
        """Write the new state."""
        self.async_write_ha_state()


@callback
def async_setup_local_platform(
    entry: LocalConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    platform: Platform,
    factory: Callable[[LocalBackend, Schedule], Sequence[Entity]],
) -> None:
    """Add a platform's entities for every schedule now and for every schedule added later.

    An entity whose registry entry is disabled is left out: Home Assistant would only look up
    its registry entry and device to leave it out too. Enabling it reloads the entry. When an
    edit changes which entities a schedule has (a light profile's channels), those it no
    longer has are removed and the new ones added.
    """
    backend = entry.runtime_data.backend
    registry = er.async_get(backend.hass)

    def entity_id(entity: Entity) -> str | None:
        return registry.async_get_entity_id(platform, DOMAIN, entity.unique_id or "")

    def enabled(entity: Entity) -> bool:
        found = entity_id(entity)
        return found is None or not registry.entities[found].disabled

    def add(schedule: Schedule, subentry_id: str, before: Schedule | None) -> None:
        entities = factory(backend, schedule)
        if before is not None:
            had = {entity.unique_id: entity for entity in factory(backend, before)}
            kept = {entity.unique_id for entity in entities}
            for unique_id, entity in had.items():
                if unique_id not in kept and (gone := entity_id(entity)) is not None:
                    registry.async_remove(gone)
            entities = [entity for entity in entities if entity.unique_id not in had]
        if entities := [entity for entity in entities if enabled(entity)]:
            async_add_entities(entities, config_subentry_id=subentry_id)

    backend.async_add_platform(add)
