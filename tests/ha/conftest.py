"""Fixtures for tests that run inside a Home Assistant instance."""

from collections.abc import Iterator
from pathlib import Path
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import CONF_ENTRY_KIND, DOMAIN, ENTRY_KIND_LOCAL
from custom_components.reef_scheduler.runner import wallclock

from .clock import Clock


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components."""


@pytest.fixture(autouse=True)
def private_config_dir(hass: HomeAssistant, tmp_path: Path) -> None:
    """Give each test its own config folder: files written beside .storage stay private."""
    hass.config.config_dir = str(tmp_path)


@pytest.fixture(autouse=True)
def loop_timers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Time runs with loop timers and the clock guard, which the frozen test clock moves.

    A kernel timer follows the real wall clock, which freezegun cannot move; tests marked
    `real_clock` keep it.
    """
    if request.node.get_closest_marker("real_clock") is None:
        monkeypatch.setattr(wallclock, "USE_TIMERFD", False)


@pytest.fixture
def local_entry() -> MockConfigEntry:
    """Return the local Reef Scheduler entry (not yet added)."""
    return MockConfigEntry(
        domain=DOMAIN, title="Reef Scheduler", data={CONF_ENTRY_KIND: ENTRY_KIND_LOCAL}
    )


@pytest.fixture
def clock(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> Clock:
    """Return the test's frozen clock: `await clock.move_to(when)`, `await clock.advance(s)`."""
    return Clock(hass, freezer)


@pytest.fixture
def all_enabled() -> Iterator[None]:
    """Create every entity enabled, also those disabled by default."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield
