"""Demo LED channels: dimmable lights (brightness; a transition is accepted and ignored)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.light import ATTR_BRIGHTNESS, ColorMode, LightEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from . import LIGHTS
from .entity import DemoDevice


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Add the reef's LED channels."""
    async_add_entities(DemoLight(hass, key, name) for key, name in LIGHTS.items())


class DemoLight(DemoDevice, LightEntity):
    """A dimmable LED channel that switches at once (it does not declare transitions).

    Home Assistant drops `transition` for lights without the feature, so callers may send it;
    Reef Scheduler then steps ramps itself, which is what the soak compares against.
    """

    _attr_color_mode = ColorMode.BRIGHTNESS
    _attr_supported_color_modes = {ColorMode.BRIGHTNESS}  # noqa: RUF012

    def __init__(self, hass: HomeAssistant, key: str, name: str) -> None:
        """Create the light."""
        super().__init__(hass, "light", key, name)

    @property
    def is_on(self) -> bool:
        """Return whether the channel is lit."""
        return bool(self._state.get("on", False))

    @property
    def brightness(self) -> int:
        """Return the remembered brightness (0..255)."""
        return int(self._state.get("brightness", 255))

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Light the channel, at a new brightness or the remembered one."""
        brightness = int(kwargs.get(ATTR_BRIGHTNESS, self.brightness))
        await self._async_remember(on=True, brightness=brightness)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch the channel off (it keeps its brightness for the next turn on)."""
        await self._async_remember(on=False)
