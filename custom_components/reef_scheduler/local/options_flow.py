"""Options flow of the local entry, its main action: add a schedule, or its defaults and limits.

In Home Assistant 2025.4 the entry's only button is "Configure" (this flow); the subentry
flow's "Add schedule" hides in the entry's menu. Adding runs the same schedule steps and
creates the schedule's subentry as the subentry flow does.
"""

from __future__ import annotations

import math
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult, OptionsFlow
import voluptuous as vol

from .care_flow import CareSteps
from .flow_fields import number
from .flow_steps import ScheduleSteps
from .options import (
    CONF_CATCH_UP_MINUTES,
    CONF_LEDGER_DAYS,
    CONF_LEDGER_RECORDS,
    CONF_MAX_CONCURRENT_RUNS,
    CONF_RETRIES,
    CONF_RETRY_TIMEOUT,
    CONF_TARGET_WAIT_MINUTES,
    LocalOptions,
)

OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_CATCH_UP_MINUTES): number(0, 1440, "min"),
        vol.Required(CONF_RETRIES): number(0, 10),
        vol.Required(CONF_RETRY_TIMEOUT): number(0.1, 600, "s", 0.1),
        vol.Required(CONF_LEDGER_RECORDS): number(10, 100_000),
        vol.Required(CONF_LEDGER_DAYS): number(1, 3650, "d"),
        vol.Required(CONF_MAX_CONCURRENT_RUNS): number(1, 64),
        vol.Required(CONF_TARGET_WAIT_MINUTES): number(0, 60, "min"),
    }
)


class LocalOptionsFlow(CareSteps, ScheduleSteps[ConfigFlowResult], OptionsFlow):
    """Add a schedule, or change the local entry's defaults, limits, feed mode and maintenance."""

    def _schedule_entry(self) -> ConfigEntry:
        """Return the local entry."""
        return self.config_entry

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Offer adding a schedule first."""
        return self.async_show_menu(
            step_id="init", menu_options=["add_schedule", "defaults", "care"]
        )

    async def async_step_add_schedule(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a schedule with the schedule steps."""
        if (abort := self._not_loaded()) is not None:
            return abort
        return await self.async_step_kind()

    async def _async_save(self, spec: dict[str, Any]) -> ConfigFlowResult:
        """Create the schedule with its subentry, device and entities."""
        await self._backend.async_create(spec)
        return self.async_abort(
            reason="schedule_added", description_placeholders={"name": spec["name"]}
        )

    async def async_step_defaults(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the options; numbers outside their range are refused by the form itself.

        NaN passes the form's range check (every comparison with it is false): refused here.
        """
        errors = {} if user_input is None else _not_numbers(user_input)
        if user_input is not None and not errors:
            options = LocalOptions.from_mapping(user_input).as_dict()
            return self.async_create_entry(data={**self.config_entry.options, **options})
        current = LocalOptions.from_entry(self.config_entry).as_dict()
        return self.async_show_form(
            step_id="defaults",
            data_schema=self.add_suggested_values_to_schema(OPTIONS_SCHEMA, current),
            errors=errors,
        )


def _not_numbers(user_input: dict[str, Any]) -> dict[str, str]:
    """Return a form error for each value that is no finite number."""
    return {
        key: "not_a_number"
        for key, value in user_input.items()
        if isinstance(value, float) and not math.isfinite(value)
    }
