"""Logbook: name the schedule behind every state change a run or a reconcile causes.

Each run fires ``reef_scheduler_run`` in the run's context before any service call, so the
logbook finds that event as the origin of the context and shows, for example, "Reef Blue
turned on triggered by schedule Sunrise". A reconcile that is no run's effect (a schedule
created or edited inside its window, a target coming back) fires ``reef_scheduler_reconcile``
the same way. The run finished event carries the schedule's Enabled switch, so the schedule's
device page lists each result there, with the reason of a failed run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback

from .const import DOMAIN
from .local.backend import EVENT_RECONCILE, EVENT_RUN, EVENT_RUN_FINISHED

TRIGGERS = {
    "timer": "on time",
    "catch_up": "to catch up",
    "manual": "manually",
    "service": "by an action",
}
RESULTS = {
    "success": "finished",
    "failed": "failed",
    "skipped": "was skipped",
    "interrupted": "was interrupted",
}


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Describe the run event."""

    @callback
    def describe(event: Event) -> dict[str, Any]:
        data = event.data
        trigger = TRIGGERS.get(data.get("trigger", ""), "")
        return {
            LOGBOOK_ENTRY_NAME: f"schedule {data.get('name')}",
            LOGBOOK_ENTRY_MESSAGE: f"ran {trigger}".strip(),
        }

    @callback
    def describe_reconcile(event: Event) -> dict[str, Any]:
        return {
            LOGBOOK_ENTRY_NAME: f"schedule {event.data.get('name')}",
            LOGBOOK_ENTRY_MESSAGE: "applied the state it prescribes",
        }

    @callback
    def describe_finished(event: Event) -> dict[str, Any]:
        data = event.data
        result = RESULTS.get(data.get("result", ""), "finished")
        error = data.get("error")
        return {
            LOGBOOK_ENTRY_NAME: f"schedule {data.get('name')}",
            LOGBOOK_ENTRY_MESSAGE: f"{result}: {error}" if error else result,
        }

    async_describe_event(DOMAIN, EVENT_RUN, describe)
    async_describe_event(DOMAIN, EVENT_RUN_FINISHED, describe_finished)
    async_describe_event(DOMAIN, EVENT_RECONCILE, describe_reconcile)
