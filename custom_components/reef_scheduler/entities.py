"""Per-schedule entity set-up of both entry kinds, for the platforms both kinds forward."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from homeassistant.const import Platform
from homeassistant.core import callback
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import ReefSchedulerConfigEntry, by_kind
from .engine.model import Schedule
from .local.backend import LocalBackend
from .local.entity import async_setup_local_platform
from .remote.entities import async_setup_remote_platform


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
        lambda local: async_setup_local_platform(local, async_add_entities, factory),
        lambda remote: async_setup_remote_platform(remote, async_add_entities, platform),
    )
