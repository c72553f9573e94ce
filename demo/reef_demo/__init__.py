"""Demo reef devices for development and the restart soak (never shipped).

Three dimmable LED channels and four switches that behave like hardware across a power cut:
each device's state lives in its own memory, a small JSON file in the configuration folder,
written durably (fsync, atomic replace) before the service call that changed it returns, and
read at start. Home Assistant's restore_state (written every 15 minutes and at a clean stop) is
not involved, so a kill -9 never makes a device forget a command it acknowledged.

Configuration (all optional)::

    reef_demo:
      late:                 # seconds after start-up before a device becomes available
        switch.heater: 20   # (a Zigbee or ESPHome device that comes up late)
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, discovery
from homeassistant.helpers.typing import ConfigType
import voluptuous as vol

DOMAIN = "reef_demo"
MEMORY_FILE = "reef_demo_devices.json"
LIGHTS = {"reef_blue": "Reef Blue", "reef_white": "Reef White", "reef_uv": "Reef UV"}
SWITCHES = {
    "return_pump": "Return pump",
    "wavemaker": "Wavemaker",
    "heater": "Heater",
    "skimmer": "Skimmer",
}

CONFIG_SCHEMA = vol.Schema(
    {
        DOMAIN: vol.Any(
            None,
            vol.Schema(
                {
                    vol.Optional("late", default={}): {
                        cv.entity_id: vol.All(vol.Coerce(float), vol.Range(min=0))
                    }
                }
            ),
        )
    },
    extra=vol.ALLOW_EXTRA,
)


class DeviceMemory:
    """The devices' own memory: one JSON file, replaced atomically and synced on each change."""

    def __init__(self, hass: HomeAssistant, path: Path) -> None:
        """Remember where the file lives; call async_load before use."""
        self.hass = hass
        self.path = path
        self._data: dict[str, dict[str, Any]] = {}
        self._lock = asyncio.Lock()

    async def async_load(self) -> None:
        """Read what the devices remembered (nothing on a first start)."""
        self._data = await self.hass.async_add_executor_job(_read, self.path)

    def get(self, entity_id: str) -> dict[str, Any]:
        """Return a copy of a device's remembered state ({} when it has none)."""
        return dict(self._data.get(entity_id, {}))

    async def async_set(self, entity_id: str, state: dict[str, Any]) -> None:
        """Remember a device's state; returns once it is on disk."""
        async with self._lock:
            self._data[entity_id] = dict(state)
            snapshot = {key: dict(value) for key, value in self._data.items()}
            await self.hass.async_add_executor_job(_write, self.path, snapshot)


def _read(path: Path) -> dict[str, dict[str, Any]]:
    """Read the memory file; a missing or unreadable file is an empty memory."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: dict[str, dict[str, Any]]) -> None:
    """Write the memory file durably: temporary file, fsync, rename, fsync the folder."""
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as handle:
        json.dump(data, handle, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Load the memory, then set up the light and switch platforms."""
    options = config.get(DOMAIN) or {}
    memory = DeviceMemory(hass, Path(hass.config.path(MEMORY_FILE)))
    await memory.async_load()
    hass.data[DOMAIN] = {"memory": memory, "late": dict(options.get("late", {}))}
    for platform in (Platform.LIGHT, Platform.SWITCH):
        hass.async_create_task(
            discovery.async_load_platform(hass, platform, DOMAIN, {}, config),
            f"{DOMAIN} {platform}",
        )
    return True
