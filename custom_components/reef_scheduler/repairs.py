"""Repair flows: an issue whose fix is an edit opens that schedule's edit steps."""

from __future__ import annotations

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant

from .local.fix_flow import ScheduleFixFlow, fix_flow_schedule, local_entry


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Return the flow that fixes an issue (others are acknowledged)."""
    if (schedule_id := fix_flow_schedule(data)) is not None:
        return ScheduleFixFlow(local_entry(hass), schedule_id)
    return ConfirmRepairFlow()
