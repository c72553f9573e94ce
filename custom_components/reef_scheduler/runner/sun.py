"""Sun event instants from Home Assistant's location, for sun-relative schedules."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant
from homeassistant.helpers.sun import get_astral_event_date
from homeassistant.util import dt as dt_util

from ..engine.model import SunEvent
from ..engine.timeline import SunCalculator


def sun_calculator(hass: HomeAssistant) -> SunCalculator:
    """Return a calculator of sun events at Home Assistant's configured location."""

    def calculate(day: date, event: SunEvent) -> datetime | None:
        """Return the UTC instant of the event on a date, or None (polar day or night)."""
        return get_astral_event_date(hass, event.value, day)

    return calculate


def sun_today(hass: HomeAssistant, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """Return today's sunrise and sunset (today in ``zone``), None on a polar day or night."""
    day = dt_util.now(zone).date()
    calculate = sun_calculator(hass)
    sunrise, sunset = calculate(day, SunEvent.SUNRISE), calculate(day, SunEvent.SUNSET)
    return None if sunrise is None or sunset is None else (sunrise, sunset)
