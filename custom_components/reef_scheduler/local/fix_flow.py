"""Repair flows whose fix is an edit: they run the schedule steps on the schedule at fault."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult

from ..const import CONF_ENTRY_KIND, DOMAIN, ENTRY_KIND_LOCAL
from .backend import CONF_SCHEDULE_ID
from .flow_steps import ScheduleSteps


class ScheduleFixFlow(ScheduleSteps[FlowResult], RepairsFlow):
    """Edit the schedule an issue is about; saving it fixes the issue."""

    def __init__(self, entry: ConfigEntry | None, schedule_id: str) -> None:
        """Edit a schedule of the local entry (None: there is none)."""
        super().__init__()
        self._entry = entry
        self._fixed_id = schedule_id

    def _schedule_entry(self) -> ConfigEntry | None:
        """Return the local entry."""
        return self._entry

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> FlowResult:
        """Open the schedule's edit steps."""
        if (abort := self._not_loaded()) is not None:
            return abort
        if not self._start_edit(self._fixed_id):
            return self.async_abort(reason="schedule_not_found")
        return await self.async_step_kind()

    async def _async_save(self, spec: dict[str, Any]) -> FlowResult:
        """Store the edited schedule; the repairs flow manager then deletes the issue."""
        spec = {key: value for key, value in spec.items() if key != "id"}
        await self._backend.async_update(self._fixed_id, spec)
        return self.async_create_entry(data={})


def fix_flow_schedule(data: dict[str, Any] | None) -> str | None:
    """Return the schedule an issue's data names, if its fix is an edit."""
    schedule_id = (data or {}).get(CONF_SCHEDULE_ID)
    return schedule_id if isinstance(schedule_id, str) else None


def local_entry(hass: HomeAssistant) -> ConfigEntry | None:
    """Return the local entry, if there is one."""
    return next(
        (
            entry
            for entry in hass.config_entries.async_entries(DOMAIN)
            if entry.data.get(CONF_ENTRY_KIND) == ENTRY_KIND_LOCAL
        ),
        None,
    )
