"""System health: schedules, armed timers, failures in the last 24 h, last lateness."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components import system_health
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .engine.ledger import RunStatus
from .local.data import LocalData
from .runner.runner import ScheduleRunner

WINDOW = timedelta(hours=24)


@callback
def async_register(hass: HomeAssistant, register: system_health.SystemHealthRegistration) -> None:
    """Register the system health info."""
    register.async_register_info(system_health_info)


def failures_since(runner: ScheduleRunner, since: Any) -> int:
    """Count failed runs that finished after an instant (newest records first per schedule)."""
    failures = 0
    for sid in runner.schedules:
        cursor: int | None = None
        while True:
            records, more = runner.ledger_page(sid, cursor, 200, newest_first=True)
            for record in records:
                instant = record.reference_instant
                if instant is not None and instant < since:
                    more = False
                    break
                failures += record.status is RunStatus.FAILED
            if not more or not records:
                break
            cursor = records[-1].slot - 1
    return failures


async def system_health_info(hass: HomeAssistant) -> dict[str, Any]:
    """Return the local runner's health."""
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        if isinstance(runtime := entry.runtime_data, LocalData):
            runner = runtime.runner
            lateness = runner.last_lateness
            return {
                "schedules": len(runner.schedules),
                "invalid_schedules": len(runner.invalid),
                "armed_timers": runner.armed,
                "failures_24h": failures_since(runner, dt_util.utcnow() - WINDOW),
                "last_lateness": "-"
                if lateness is None
                else f"{lateness.total_seconds() * 1000:.1f} ms",
            }
    return {"schedules": 0}
