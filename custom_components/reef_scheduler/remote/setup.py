"""Setting up and unloading a Bella's Reef server entry."""

from __future__ import annotations

import time
from typing import Any

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.device_registry import DeviceInfo
from yarl import URL

from ..api import BellasReefClient, CircuitBreaker, RemoteSchedule
from ..const import DOMAIN, LOGGER, device_identifier, integration_page
from ..runner.describe import async_load_texts, describe
from .backend import RemoteBackend, device_map
from .const import (
    CONF_CORE_URL,
    CONF_RUN_HERE,
    CONF_SCHEDULER_URL,
    CONF_VERIFY_SSL,
    DEFAULT_RUN_HERE,
)
from .convert import Unconvertible, remote_to_spec
from .coordinator import BellasReefCoordinator
from .data import RemoteConfigEntry, RemoteData
from .run_here import RunHere, async_remove_store
from .store import ServerCopy

REMOTE_PLATFORMS = [Platform.BINARY_SENSOR, Platform.SENSOR, Platform.SWITCH]
MANUFACTURER = "Bella's Reef"


def public_url(url: str) -> str:
    """Return a URL without its user information (safe to show and log)."""
    return str(URL(url).with_user(None))


def server_device_identifier(entry: RemoteConfigEntry) -> tuple[str, str]:
    """Return the identifier of the server's device."""
    return device_identifier(entry.entry_id)


def schedule_device_identifier(entry: RemoteConfigEntry, sid: int) -> tuple[str, str]:
    """Return the identifier of a server schedule's device."""
    return device_identifier(entry.entry_id, sid)


def schedule_device_info(
    hass: HomeAssistant, entry: RemoteConfigEntry, sid: int, remote: RemoteSchedule | None
) -> DeviceInfo:
    """Return a server schedule's device: what it does as run here, its id, the entry's page."""
    info = DeviceInfo(
        identifiers={schedule_device_identifier(entry, sid)},
        name=remote.name if remote else str(sid),
        manufacturer=MANUFACTURER,
        model="Schedule",
        serial_number=str(sid),
        configuration_url=integration_page(entry.entry_id),
        via_device=server_device_identifier(entry),
    )
    if remote is not None:
        info["model"] = schedule_model(hass, entry, remote)
    return info


def schedule_model(hass: HomeAssistant, entry: RemoteConfigEntry, remote: RemoteSchedule) -> str:
    """Return what a server schedule does in one line, on the entities its devices map to.

    A schedule Reef Scheduler cannot read that way (no mapped device, custom actions) shows
    its kind only.
    """
    try:
        _, schedule = remote_to_spec(remote, device_map(entry))
    except Unconvertible:
        return f"Schedule ({remote.schedule_type.value})"
    return describe(hass, schedule)


def create_client(hass: HomeAssistant, data: dict[str, Any]) -> BellasReefClient:
    """Return a client on Home Assistant's shared session."""
    verify = bool(data.get(CONF_VERIFY_SSL, True))
    return BellasReefClient(
        data[CONF_CORE_URL],
        data[CONF_SCHEDULER_URL],
        data[CONF_USERNAME],
        data[CONF_PASSWORD],
        session=async_get_clientsession(hass, verify_ssl=verify),
        verify_ssl=verify,
        # The clock is looked up at each call (not bound at import), so tests can move it.
        core_breaker=CircuitBreaker(clock=lambda: time.monotonic()),
        scheduler_breaker=CircuitBreaker(clock=lambda: time.monotonic()),
    )


async def _async_first_refresh(coordinator: BellasReefCoordinator) -> None:
    """Read the server's schedules; with a stored copy, an outage does not stop the set-up.

    Run-here keeps running its schedules from the copy (entities show it, marked stale); the
    coordinator keeps polling and follows the server once it answers. Without a copy (mirror
    only, or never reached) the entry retries its set-up as usual.
    """
    has_copy = await coordinator.async_load_copy()
    try:
        await coordinator.async_config_entry_first_refresh()
    except (ConfigEntryNotReady, ConfigEntryAuthFailed) as err:
        if not has_copy:
            raise
        if isinstance(err, ConfigEntryAuthFailed):
            coordinator.config_entry.async_start_reauth(coordinator.hass)
        contact = coordinator.last_contact
        LOGGER.warning(
            "%s: %s; running %s schedules here from the copy read at %s",
            coordinator.config_entry.title,
            coordinator.last_exception or err,
            len(coordinator.data),
            contact.isoformat() if contact else "an unknown time",
        )


async def async_setup_remote_entry(hass: HomeAssistant, entry: RemoteConfigEntry) -> bool:
    """Set up a Bella's Reef server entry: client, coordinator, optional run-here, platforms."""
    await async_load_texts(hass)
    client = create_client(hass, dict(entry.data))
    run_here_on = entry.options.get(CONF_RUN_HERE, DEFAULT_RUN_HERE)
    copy = ServerCopy(hass, entry.entry_id) if run_here_on else None
    coordinator = BellasReefCoordinator(hass, entry, client, copy)
    await _async_first_refresh(coordinator)
    run_here: RunHere | None = None
    if run_here_on:
        run_here = RunHere(hass, entry, client, coordinator, device_map(entry))
        await run_here.async_start()
        entry.async_on_unload(coordinator.async_add_listener(run_here.async_schedule_sync))
    backend = RemoteBackend(hass, entry, client, coordinator, run_here)
    entry.runtime_data = RemoteData(client, coordinator, backend, run_here)

    registry = dr.async_get(hass)
    registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={server_device_identifier(entry)},
        manufacturer=MANUFACTURER,
        model="Scheduler service",
        name=entry.title,
        configuration_url=public_url(entry.data[CONF_SCHEDULER_URL]),
    )

    # What each server schedule does, as last described: only a changed schedule is again.
    models: dict[int, tuple[RemoteSchedule, str]] = {}

    @callback
    def sync_devices() -> None:
        """Remove devices of schedules deleted on the server; follow renames and changes."""
        if not coordinator.last_update_success:
            return
        keep = {server_device_identifier(entry)}
        for sid in set(models) - set(coordinator.data):
            del models[sid]
        for sid, remote in coordinator.data.items():
            identifier = schedule_device_identifier(entry, sid)
            keep.add(identifier)
            if (known := models.get(sid)) is None or known[0] != remote:
                models[sid] = known = (remote, schedule_model(hass, entry, remote))
            device = registry.async_get_device(identifiers={identifier})
            if device is not None and (device.name, device.model) != (remote.name, known[1]):
                registry.async_update_device(device.id, name=remote.name, model=known[1])
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
            if not device.identifiers & keep:
                registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)

    sync_devices()
    entry.async_on_unload(coordinator.async_add_listener(sync_devices))
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, REMOTE_PLATFORMS)
    return True


async def _async_options_updated(hass: HomeAssistant, entry: RemoteConfigEntry) -> None:
    """Reload to apply new options (poll interval, run-here, device mapping)."""
    hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_unload_remote_entry(hass: HomeAssistant, entry: RemoteConfigEntry) -> bool:
    """Unload a Bella's Reef server entry (run-here writes what is pending)."""
    if not await hass.config_entries.async_unload_platforms(entry, REMOTE_PLATFORMS):
        return False
    if (run_here := entry.runtime_data.run_here) is not None:
        await run_here.async_stop()
    if (copy := entry.runtime_data.coordinator.copy) is not None:
        await copy.async_flush()
    return True


async def async_remove_remote_entry(hass: HomeAssistant, entry: RemoteConfigEntry) -> None:
    """Delete the entry's run-here files and its repair issues."""
    await async_remove_store(hass, entry.entry_id)
    for domain, ident in list(ir.async_get(hass).issues):
        # Every issue of a server entry carries the entry id (server, reports, its schedules).
        if domain == DOMAIN and entry.entry_id in ident:
            ir.async_delete_issue(hass, DOMAIN, ident)
