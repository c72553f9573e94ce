"""Config and options flows of a Bella's Reef server entry (placeholder until #6 lands)."""

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow


class BellasReefFlowMixin(ConfigFlow):
    """Steps of the config flow that add a Bella's Reef server."""

    async def async_step_bellas_reef(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the server's address and credentials."""
        return self.async_abort(reason="not_supported")


class RemoteOptionsFlow(OptionsFlow):
    """Options of a Bella's Reef server entry."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options."""
        return self.async_create_entry(data=dict(self.config_entry.options))
