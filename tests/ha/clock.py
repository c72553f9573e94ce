"""The frozen clock of a Home Assistant test: move it, fire due timers, let the work finish."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed


class Clock:
    """Move frozen time and let Home Assistant catch up (the `clock` fixture)."""

    def __init__(self, hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
        """Drive `freezer` for `hass`."""
        self._hass = hass
        self._freezer = freezer
        self._stepped = 0.0  # seconds the wall clock was stepped in all, the loop's time not

    def step(self, delta: timedelta) -> None:
        """Step the wall clock by `delta` as a clock change does: loop timers do not move.

        Home Assistant's loop runs on a monotonic clock, which a wall-clock step leaves alone;
        nothing fires here (a timer due by the wall clock is now early or late).
        """
        if not self._stepped:
            monotonic = self._hass.loop.time
            self._hass.loop.time = lambda: monotonic() - self._stepped  # type: ignore[method-assign]
        self._stepped += delta.total_seconds()
        self._freezer.tick(delta)

    async def move_to(self, when: datetime, *, wait: bool = True) -> None:
        """Jump to `when`, fire due timers and let runs finish (background tasks unless `wait`)."""
        self._freezer.move_to(when)
        await self._fire(wait)

    async def advance(self, step: float | timedelta, *, wait: bool = True) -> None:
        """Move on by `step` (seconds or a timedelta), then as move_to."""
        self._freezer.tick(step if isinstance(step, timedelta) else timedelta(seconds=step))
        await self._fire(wait)

    async def _fire(self, wait: bool) -> None:
        """Fire time changed once at the new now and wait for Home Assistant to settle."""
        async_fire_time_changed(self._hass)
        await self._hass.async_block_till_done(wait_background_tasks=wait)
