"""The moon window at Home Assistant's location, for the moon channel of light profiles."""

from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant

from ..engine.light_curve import MoonWindow
from ..engine.moon import moon_window
from ..engine.prescribed import MoonWindows


def moon_windows(hass: HomeAssistant) -> MoonWindows:
    """Return the moonrise-to-moonset window at Home Assistant's location, per zone.

    The location is read at each call, so a moved home takes effect without a reload.
    """

    def window(zone: ZoneInfo) -> MoonWindow:
        return moon_window(hass.config.latitude, hass.config.longitude, zone)

    return window
