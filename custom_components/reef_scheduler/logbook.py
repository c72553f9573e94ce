"""Logbook: name the schedule behind every state change a run causes.

Each run fires ``reef_scheduler_run`` in the run's context before any service call, so the
logbook finds that event as the origin of the context and shows, for example, "Reef Blue
turned on triggered by schedule Sunrise".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback

from .const import DOMAIN
from .local.backend import EVENT_RUN

TRIGGERS = {
    "timer": "on time",
    "catch_up": "to catch up",
    "manual": "manually",
    "service": "by an action",
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

    async_describe_event(DOMAIN, EVENT_RUN, describe)
