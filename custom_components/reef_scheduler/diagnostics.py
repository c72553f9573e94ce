"""Diagnostics of the local entry: definitions, run state, timers, targets, runs, care, doses."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from .const import CONF_ENTRY_KIND
from .data import ReefSchedulerConfigEntry, by_kind
from .engine.validate import schedule_to_dict
from .local.data import LocalConfigEntry
from .remote.diagnostics import async_get_remote_diagnostics

RECENT_RUNS = 10


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ReefSchedulerConfigEntry
) -> dict[str, Any]:
    """Return what helps to debug an entry's schedules (server entries without secrets)."""
    details = await by_kind(
        entry, _async_local_diagnostics, lambda remote: async_get_remote_diagnostics(hass, remote)
    )
    return {"kind": entry.data.get(CONF_ENTRY_KIND), **details}


async def _async_local_diagnostics(entry: LocalConfigEntry) -> dict[str, Any]:
    """Return the local entry's definitions, run state and recent runs (no credentials)."""
    data = entry.runtime_data
    runner = data.runner
    lateness = runner.last_lateness
    awaited = runner.awaited_targets
    return {
        "options": dict(entry.options),
        "armed": runner.armed,
        "last_lateness_ms": None if lateness is None else lateness.total_seconds() * 1000,
        # Start-up work waits for Home Assistant's start, then for each missing target.
        "waiting_for_home_assistant": awaited is None,
        "awaited_targets": {
            entity_id: since.isoformat() for entity_id, since in sorted((awaited or {}).items())
        },
        "schedules": {
            sid: {
                "definition": schedule_to_dict(schedule),
                "state": runner.states[sid].as_dict(),
                "recent_runs": [
                    record.as_dict()
                    for record in runner.ledger_page(sid, limit=RECENT_RUNS, newest_first=True)[0]
                ],
            }
            for sid, schedule in sorted(runner.schedules.items())
        },
        "invalid": {
            sid: {
                "spec": invalid.spec,
                "errors": [f"{error.field}: {error.code}" for error in invalid.errors],
            }
            for sid, invalid in sorted(runner.invalid.items())
        },
        # Feed mode and maintenance periods, and each doser's ml per day, container, dose under way.
        "care": data.care.as_dict(),
        "dosing": data.dosing.as_dict(),
    }
