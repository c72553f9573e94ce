"""event platform of Reef Scheduler."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .engine.ledger import RESULTS
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
    """Set up the local entry's event entities."""
    async_setup_local_platform(entry, async_add_entities, _entities)


# Disabled by default: the Last result sensor and the ledger already tell the outcome.
RUN = EventEntityDescription(
    key="run",
    translation_key="run",
    event_types=list(RESULTS),
    entity_registry_enabled_default=False,
)


def _entities(backend: LocalBackend, schedule: Schedule) -> list[ScheduleRunEvent]:
    """Return a schedule's event entities."""
    return [ScheduleRunEvent(backend, schedule, RUN)]


class ScheduleRunEvent(ReefScheduleEntity, EventEntity):
    """Fires once per finished run, with the run's outcome as event type."""

    _reported = -1

    async def async_added_to_hass(self) -> None:
        """Report only runs that finish from now on."""
        records, _ = self.runner.ledger_page(self.schedule_id, limit=1, newest_first=True)
        if records:
            newest = records[0]
            # A run still under way is reported when it finishes.
            self._reported = newest.slot if newest.status.is_finished else newest.slot - 1
        await super().async_added_to_hass()

    @callback
    def _handle_change(self) -> None:
        """Fire for the newest run once it has finished."""
        records, _ = self.runner.ledger_page(self.schedule_id, limit=1, newest_first=True)
        record = records[0] if records else None
        if record is not None and record.slot > self._reported and record.status.value in RESULTS:
            self._reported = record.slot
            self._trigger_event(
                record.status.value,
                {"slot": record.slot, "trigger": record.trigger.value, "error": record.error},
            )
        self.async_write_ha_state()
