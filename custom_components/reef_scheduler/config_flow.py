"""Config flow for Reef Scheduler."""

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult

from .const import CONF_ENTRY_KIND, DOMAIN, ENTRY_KIND_LOCAL, TITLE_LOCAL


class ReefSchedulerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Create the single local Reef Scheduler entry."""

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Confirm and create the local entry."""
        if any(
            entry.data.get(CONF_ENTRY_KIND) == ENTRY_KIND_LOCAL
            for entry in self._async_current_entries(include_ignore=False)
        ):
            return self.async_abort(reason="single_instance_allowed")
        if user_input is None:
            return self.async_show_form(step_id="user")
        return self.async_create_entry(title=TITLE_LOCAL, data={CONF_ENTRY_KIND: ENTRY_KIND_LOCAL})
