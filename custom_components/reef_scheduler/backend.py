"""What the services need from whoever owns a schedule: the local runner or a remote server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class ScheduleBackend(Protocol):
    """Schedule management shared by local schedules and remote (Bella's Reef) schedules.

    Implementations raise ``ScheduleInvalid`` for bad input (the services turn it into a
    translated ``ServiceValidationError``) and ``HomeAssistantError`` for runtime failures.
    """

    @property
    def entry_id(self) -> str:
        """Return the config entry that owns the schedules."""

    def has_schedule(self, schedule_id: str) -> bool:
        """Return True when this backend owns the schedule."""

    def schedule_name(self, schedule_id: str) -> str:
        """Return the name of a schedule it owns."""

    async def async_create(self, spec: Mapping[str, Any]) -> str:
        """Create a schedule from a spec (engine/validate.py format); return its id."""

    async def async_update(self, schedule_id: str, spec: Mapping[str, Any]) -> None:
        """Replace a schedule's definition."""

    async def async_delete(self, schedule_id: str) -> None:
        """Delete a schedule."""

    async def async_set_enabled(self, schedule_id: str, enabled: bool) -> None:
        """Enable or disable a schedule."""

    async def async_run_now(self, schedule_id: str) -> None:
        """Run a schedule's action now."""
