"""Platforms hand Bella's Reef entries to the remote entity setup."""

from __future__ import annotations

from unittest.mock import AsyncMock, patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler import button, calendar, entity, event, sensor, switch


@pytest.mark.parametrize(
    ("module", "platform", "helpers"),
    [
        (button, Platform.BUTTON, entity),
        (calendar, Platform.CALENDAR, calendar),
        (event, Platform.EVENT, entity),
        (sensor, Platform.SENSOR, entity),
        (switch, Platform.SWITCH, entity),
    ],
)
async def test_remote_entries_dispatch(
    hass: HomeAssistant, module: object, platform: Platform, helpers: object
) -> None:
    entry = MockConfigEntry(domain="reef_scheduler", data={"kind": "bellas_reef"})
    add = AsyncMock()
    with patch.object(helpers, "async_setup_remote_platform") as remote:
        await module.async_setup_entry(hass, entry, add)  # type: ignore[attr-defined]
    remote.assert_called_once_with(hass, entry, add, platform)
