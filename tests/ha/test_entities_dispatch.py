"""Platforms hand Bella's Reef entries to the remote entity setup."""

from __future__ import annotations

from unittest.mock import AsyncMock, patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler import button, calendar, event


@pytest.mark.parametrize(
    ("module", "platform"),
    [(button, Platform.BUTTON), (calendar, Platform.CALENDAR), (event, Platform.EVENT)],
)
async def test_remote_entries_dispatch(
    hass: HomeAssistant, module: object, platform: Platform
) -> None:
    entry = MockConfigEntry(domain="reef_scheduler", data={"kind": "bellas_reef"})
    add = AsyncMock()
    with patch.object(module, "async_setup_remote_platform") as remote:
        await module.async_setup_entry(hass, entry, add)  # type: ignore[attr-defined]
    remote.assert_called_once_with(hass, entry, add, platform)
