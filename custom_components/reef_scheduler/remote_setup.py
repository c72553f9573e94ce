"""Setting up and unloading a Bella's Reef server entry."""

from __future__ import annotations

from dataclasses import asdict
import time
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from yarl import URL

from .api import BellasReefClient, CircuitBreaker
from .const import DOMAIN
from .data import ReefSchedulerConfigEntry, RemoteData
from .remote_backend import RemoteBackend, device_map
from .remote_const import (
    CONF_CORE_URL,
    CONF_RUN_HERE,
    CONF_SCHEDULER_URL,
    CONF_VERIFY_SSL,
    DEFAULT_RUN_HERE,
)
from .remote_coordinator import BellasReefCoordinator
from .run_here import RunHere

REMOTE_PLATFORMS = [Platform.BINARY_SENSOR, Platform.SENSOR, Platform.SWITCH]
MANUFACTURER = "Bella's Reef"


def public_url(url: str) -> str:
    """Return a URL without its user information (safe to show and log)."""
    return str(URL(url).with_user(None))


def server_device_identifier(entry: ReefSchedulerConfigEntry) -> tuple[str, str]:
    """Return the identifier of the server's device."""
    return (DOMAIN, entry.entry_id)


def schedule_device_identifier(entry: ReefSchedulerConfigEntry, sid: int) -> tuple[str, str]:
    """Return the identifier of a server schedule's device."""
    return (DOMAIN, f"{entry.entry_id}_{sid}")


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
        breaker=CircuitBreaker(clock=lambda: time.monotonic()),
    )


async def async_setup_remote_entry(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> bool:
    """Set up a Bella's Reef server entry: client, coordinator, optional run-here, platforms."""
    client = create_client(hass, dict(entry.data))
    coordinator = BellasReefCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    run_here: RunHere | None = None
    if entry.options.get(CONF_RUN_HERE, DEFAULT_RUN_HERE):
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

    @callback
    def sync_devices() -> None:
        """Remove devices of schedules deleted on the server; follow renames."""
        if not coordinator.last_update_success:
            return
        keep = {server_device_identifier(entry)}
        for sid, remote in coordinator.data.items():
            identifier = schedule_device_identifier(entry, sid)
            keep.add(identifier)
            device = registry.async_get_device(identifiers={identifier})
            if device is not None and device.name != remote.name:
                registry.async_update_device(device.id, name=remote.name)
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
            if not device.identifiers & keep:
                registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)

    sync_devices()
    entry.async_on_unload(coordinator.async_add_listener(sync_devices))
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, REMOTE_PLATFORMS)
    return True


async def _async_options_updated(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> None:
    """Reload to apply new options (poll interval, run-here, device mapping)."""
    hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_unload_remote_entry(hass: HomeAssistant, entry: ReefSchedulerConfigEntry) -> bool:
    """Unload a Bella's Reef server entry (run-here writes what is pending)."""
    if not await hass.config_entries.async_unload_platforms(entry, REMOTE_PLATFORMS):
        return False
    runtime = entry.runtime_data
    assert isinstance(runtime, RemoteData)
    if runtime.run_here is not None:
        await runtime.run_here.async_stop()
    return True


TO_REDACT = {CONF_PASSWORD, CONF_USERNAME, "token", "access_token", "executed_by"}


async def async_get_remote_diagnostics(
    hass: HomeAssistant, entry: ReefSchedulerConfigEntry
) -> dict[str, Any]:
    """Return a server entry's diagnostics: URLs without credentials, no username/password/token."""
    data = dict(entry.data)
    for key in (CONF_CORE_URL, CONF_SCHEDULER_URL):
        data[key] = public_url(data[key])
    result: dict[str, Any] = {
        "data": async_redact_data(data, TO_REDACT),
        "options": dict(entry.options),
    }
    runtime = entry.runtime_data
    if isinstance(runtime, RemoteData):
        coordinator = runtime.coordinator
        result["last_update_success"] = coordinator.last_update_success
        result["breaker"] = {
            "state": runtime.client.breaker.state.value,
            "failures": runtime.client.breaker.failures,
        }
        result["schedules"] = async_redact_data(
            {str(sid): asdict(remote) for sid, remote in (coordinator.data or {}).items()},
            TO_REDACT,
        )
        if (run_here := runtime.run_here) is not None:
            result["run_here"] = {
                "schedules": sorted(run_here.runner.schedules),
                "states": {
                    sid: state.as_dict() for sid, state in sorted(run_here.runner.states.items())
                },
                "skipped": dict(run_here.skipped),
                "pending_reports": len(run_here.pending),
            }
    return result
