"""Reef Scheduler services, registered once in async_setup (filled in by the HA surface issue)."""

from homeassistant.core import HomeAssistant, callback


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's services."""
