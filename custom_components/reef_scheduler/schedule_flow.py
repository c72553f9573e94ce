"""Subentry flow that adds and edits schedules (placeholder until the HA surface issue lands)."""

from typing import Any

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult


class ScheduleSubentryFlow(ConfigSubentryFlow):
    """Add or reconfigure one schedule."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Start adding a schedule."""
        return self.async_abort(reason="not_supported")
