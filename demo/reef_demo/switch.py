"""Demo pumps, heater and skimmer: plain switches."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from . import SWITCHES
from .entity import DemoDevice


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Add the reef's switches."""
    async_add_entities(DemoSwitch(hass, key, name) for key, name in SWITCHES.items())


class DemoSwitch(DemoDevice, SwitchEntity):
    """A smart plug or relay."""

    def __init__(self, hass: HomeAssistant, key: str, name: str) -> None:
        """Create the switch."""
        super().__init__(hass, "switch", key, name)

    @property
    def is_on(self) -> bool:
        """Return whether the switch is on."""
        return bool(self._state.get("on", False))

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch on."""
        await self._async_remember(on=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch off."""
        await self._async_remember(on=False)
