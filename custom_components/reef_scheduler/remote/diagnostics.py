"""Diagnostics of a Bella's Reef server entry: URLs without credentials, no secrets."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .const import CONF_CORE_URL, CONF_SCHEDULER_URL
from .data import RemoteConfigEntry
from .setup import public_url

TO_REDACT = {CONF_PASSWORD, CONF_USERNAME, "token", "access_token", "executed_by"}


async def async_get_remote_diagnostics(
    hass: HomeAssistant, entry: RemoteConfigEntry
) -> dict[str, Any]:
    """Return a server entry's diagnostics: URLs without credentials, no username/password/token."""
    data = dict(entry.data)
    for key in (CONF_CORE_URL, CONF_SCHEDULER_URL):
        data[key] = public_url(data[key])
    result: dict[str, Any] = {
        "data": async_redact_data(data, TO_REDACT),
        "options": dict(entry.options),
    }
    # A server that was down at start leaves the entry in setup retry, without runtime data.
    if entry.state is ConfigEntryState.LOADED:
        runtime = entry.runtime_data
        coordinator = runtime.coordinator
        result["last_update_success"] = coordinator.last_update_success
        result["status"] = coordinator.status.value
        contact = coordinator.last_contact
        result["last_contact"] = None if contact is None else contact.isoformat()
        result["breakers"] = {
            service: {"state": breaker.state.value, "failures": breaker.failures}
            for service, breaker in runtime.client.breakers.items()
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
                "dropped_reports": run_here.dropped,
            }
    return result
