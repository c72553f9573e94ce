"""Diagnostics of the local entry: definitions, run state, armed timers, recent runs."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from .const import CONF_ENTRY_KIND
from .data import LocalData, ReefSchedulerConfigEntry
from .engine.validate import schedule_to_dict
from .remote_setup import async_get_remote_diagnostics

RECENT_RUNS = 10


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ReefSchedulerConfigEntry
) -> dict[str, Any]:
    """Return what helps to debug schedules; the local entry holds no credentials."""
    runtime = entry.runtime_data
    if not isinstance(runtime, LocalData):
        # Server entries: URLs without credentials; username, password and token redacted.
        return {
            "kind": entry.data.get(CONF_ENTRY_KIND),
            **await async_get_remote_diagnostics(hass, entry),
        }
    runner = runtime.runner
    lateness = runner.last_lateness
    return {
        "kind": entry.data.get(CONF_ENTRY_KIND),
        "options": dict(entry.options),
        "armed": runner.armed,
        "last_lateness_ms": None if lateness is None else lateness.total_seconds() * 1000,
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
    }
