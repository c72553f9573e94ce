"""Options of the local entry (placeholder until the HA surface issue lands)."""

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow


class LocalOptionsFlow(OptionsFlow):
    """Defaults of the local entry."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options."""
        return self.async_create_entry(data=dict(self.config_entry.options))
