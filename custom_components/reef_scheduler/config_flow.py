"""Config flow for Reef Scheduler: the local entry, Bella's Reef servers, schedule subentries."""

from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.core import callback

from .const import (
    CONF_ENTRY_KIND,
    DOMAIN,
    ENTRY_KIND_BELLAS_REEF,
    ENTRY_KIND_LOCAL,
    ENTRY_MINOR_VERSION,
    SUBENTRY_TYPE_SCHEDULE,
    TITLE_LOCAL,
)
from .local.doser_flow import DoserSubentryFlow
from .local.dosers import SUBENTRY_TYPE_DOSER
from .local.options_flow import LocalOptionsFlow
from .local.schedule_flow import ScheduleSubentryFlow
from .remote.flow import BellasReefFlowMixin, RemoteOptionsFlow


class ReefSchedulerConfigFlow(BellasReefFlowMixin, ConfigFlow, domain=DOMAIN):
    """Create the single local entry or a Bella's Reef server entry."""

    VERSION = 1
    MINOR_VERSION = ENTRY_MINOR_VERSION

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask what to add."""
        return self.async_show_menu(
            step_id="user", menu_options=[ENTRY_KIND_LOCAL, ENTRY_KIND_BELLAS_REEF]
        )

    async def async_step_local(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Confirm and create the local entry (only one may exist)."""
        if any(
            entry.data.get(CONF_ENTRY_KIND) == ENTRY_KIND_LOCAL
            for entry in self._async_current_entries(include_ignore=False)
        ):
            return self.async_abort(reason="single_instance_allowed")
        if user_input is None:
            return self.async_show_form(step_id="local")
        return self.async_create_entry(title=TITLE_LOCAL, data={CONF_ENTRY_KIND: ENTRY_KIND_LOCAL})

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Return the options flow of the entry's kind."""
        if config_entry.data.get(CONF_ENTRY_KIND) == ENTRY_KIND_BELLAS_REEF:
            return RemoteOptionsFlow()
        return LocalOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Schedules and dosers are added to the local entry as subentries."""
        if config_entry.data.get(CONF_ENTRY_KIND) == ENTRY_KIND_LOCAL:
            return {
                SUBENTRY_TYPE_SCHEDULE: ScheduleSubentryFlow,
                SUBENTRY_TYPE_DOSER: DoserSubentryFlow,
            }
        return {}
