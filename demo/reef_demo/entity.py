"""What every demo device shares: its memory, its name and an optional late start."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.event import async_call_later

from . import DOMAIN, DeviceMemory


class DemoDevice(Entity):
    """A device that remembers its state itself and may come up late after a start."""

    _attr_should_poll = False

    def __init__(self, hass: HomeAssistant, domain: str, key: str, name: str) -> None:
        """Name the device and read what it remembered."""
        data = hass.data[DOMAIN]
        self.entity_id = f"{domain}.{key}"
        self._attr_name = name
        self._attr_unique_id = f"{DOMAIN}_{key}"
        self._memory: DeviceMemory = data["memory"]
        self._late: float = data["late"].get(self.entity_id, 0.0)
        self._attr_available = self._late <= 0
        self._state: dict[str, Any] = self._memory.get(self.entity_id)

    async def async_added_to_hass(self) -> None:
        """Become available after the configured delay."""
        if not self._attr_available:
            self.async_on_remove(async_call_later(self.hass, self._late, self._come_up))

    @callback
    def _come_up(self, _now: datetime) -> None:
        """Join the network: report the remembered state from now on."""
        self._attr_available = True
        self.async_write_ha_state()

    async def _async_remember(self, **changes: Any) -> None:
        """Apply a command: remember it durably, then report the new state."""
        state = {**self._state, **changes}
        await self._memory.async_set(self.entity_id, state)
        self._state = state
        self.async_write_ha_state()
