"""Per-schedule entities of both entry kinds: the platforms both forward, and retired entities."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .data import ReefSchedulerConfigEntry, by_kind
from .engine.model import Schedule
from .local.backend import LocalBackend
from .local.entity import async_setup_local_platform
from .remote.entities import async_setup_remote_platform

# Unique id endings of the entities earlier entries had and later ones do not: their values
# are the Enabled switch's attributes and the run finished event now (1.2), the Run now
# button's press is the run_now action (1.3): each registry entry costs memory; the one
# calendar of every schedule is a calendar per category (1.4).
RETIRED: dict[str, tuple[str, ...]] = {
    Platform.SENSOR: ("_next_run", "_last_run", "_last_result", "_runs"),
    Platform.EVENT: ("_run",),
    Platform.BUTTON: ("_run_now",),
    Platform.CALENDAR: ("_calendar",),
}


@callback
def async_setup_schedule_platform(
    entry: ReefSchedulerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    platform: Platform,
    factory: Callable[[LocalBackend, Schedule], Sequence[Entity]],
) -> None:
    """Add a server entry's entities of a platform, or the local entry's per schedule."""
    by_kind(
        entry,
        lambda local: async_setup_local_platform(local, async_add_entities, platform, factory),
        lambda remote: async_setup_remote_platform(remote, async_add_entities, platform),
    )


@callback
def async_remove_retired_entities(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> int:
    """Remove an entry's registry entries of retired entities; return how many went."""
    registry = er.async_get(hass)
    retired = [
        item.entity_id
        for item in er.async_entries_for_config_entry(registry, entry.entry_id)
        if item.platform == DOMAIN and item.unique_id.endswith(RETIRED.get(item.domain, ()))
    ]
    for entity_id in retired:
        registry.async_remove(entity_id)
    return len(retired)
