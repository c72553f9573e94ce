"""Sun event instants from Home Assistant's location, for sun-relative schedules."""

from datetime import date, datetime

from homeassistant.core import HomeAssistant
from homeassistant.helpers.sun import get_astral_event_date

from ..engine.model import SunEvent
from ..engine.timeline import SunCalculator


def sun_calculator(hass: HomeAssistant) -> SunCalculator:
    """Return a calculator of sun events at Home Assistant's configured location."""

    def calculate(day: date, event: SunEvent) -> datetime | None:
        """Return the UTC instant of the event on a date, or None (polar day or night)."""
        return get_astral_event_date(hass, event.value, day)

    return calculate
