"""Reef Scheduler: reef aquarium schedules for Home Assistant."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .card_resource import async_setup_card
from .const import DOMAIN, ENTRY_MINOR_VERSION, LOGGER
from .data import ReefSchedulerConfigEntry, by_kind
from .entities import async_remove_retired_entities
from .local.setup import (
    async_remove_local_entry,
    async_setup_local_entry,
    async_unload_local_entry,
)
from .remote.setup import (
    async_remove_remote_entry,
    async_setup_remote_entry,
    async_unload_remote_entry,
)
from .services import async_setup_services
from .websocket import async_setup_websocket

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the services and the day card's commands and file, once for every entry."""
    async_setup_services(hass)
    async_setup_websocket(hass)
    await async_setup_card(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> bool:
    """Bring an entry made by an earlier version up to this one (once, before its set-up)."""
    if entry.version > 1:
        return False  # made by a later version: a downgrade
    if entry.minor_version < ENTRY_MINOR_VERSION:
        removed = async_remove_retired_entities(hass, entry)
        LOGGER.info("Removed %s retired entities of %s", removed, entry.title)
        hass.config_entries.async_update_entry(entry, minor_version=ENTRY_MINOR_VERSION)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> bool:
    """Set up the local entry or a Bella's Reef server entry."""
    return await by_kind(
        entry,
        lambda local: async_setup_local_entry(hass, local),
        lambda remote: async_setup_remote_entry(hass, remote),
    )


async def async_unload_entry(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> bool:
    """Unload an entry; runners stop their timers and write what is pending."""
    return await by_kind(
        entry,
        lambda local: async_unload_local_entry(hass, local),
        lambda remote: async_unload_remote_entry(hass, remote),
    )


async def async_remove_entry(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> None:
    """Delete the entry's stored schedules, run state and ledger: nothing is left behind."""
    await by_kind(
        entry,
        lambda local: async_remove_local_entry(hass, local),
        lambda remote: async_remove_remote_entry(hass, remote),
    )
