"""The entities of a light profile schedule: a level sensor per channel, acclimation, weather.

Only profile schedules have them (profiles are few, so they are enabled by default); every
other schedule keeps its one entity. A sensor tells what the profile prescribes, computed from
the definition and the clock like the runner's levels, and wakes once, at the instant its
rounded value next changes (or the profile's next day begins): no polling.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import PERCENTAGE
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from ..engine.acclimation import acclimation_day, acclimation_factor
from ..engine.light_curve import LightCurve, channel_curve, day_end
from ..engine.light_model import MOON, Acclimation, LightProfile
from ..engine.lookback import latest_run
from ..engine.model import ActionType, Schedule
from ..engine.moon import illuminated_fraction, phase_name
from ..engine.profile import round_level
from ..engine.validate import with_profile
from .backend import LocalBackend
from .entity import ReefScheduleEntity

KEY_MOON = "moon_level"
KEY_ACCLIMATION = "acclimation"
KEY_WEATHER = "weather"
_LEVEL = "level_"  # + a day channel's name: its level sensor's key


def light_profile(schedule: Schedule | None) -> LightProfile | None:
    """Return a schedule's light profile (None: not a profile schedule)."""
    if schedule is None or schedule.action.type is not ActionType.PROFILE:
        return None
    return schedule.action.profile


def profile_sensors(backend: LocalBackend, schedule: Schedule) -> list[SensorEntity]:
    """Return a schedule's light profile sensors (none for other schedules)."""
    profile = light_profile(schedule)
    if profile is None:
        return []
    sensors: list[SensorEntity] = [
        ChannelLevelSensor(backend, schedule, _channel_description(channel.name), channel.name)
        for channel in profile.channels
    ]
    if profile.moon is not None:
        sensors.append(MoonLevelSensor(backend, schedule, MOON_LEVEL, MOON))
    if profile.acclimation is not None:
        sensors.append(AcclimationSensor(backend, schedule, ACCLIMATION))
    return sensors


def profile_switches(backend: LocalBackend, schedule: Schedule) -> list[SwitchEntity]:
    """Return a schedule's light profile switches: the weather switch (none for others)."""
    if light_profile(schedule) is None:
        return []
    return [WeatherSwitch(backend, schedule, WEATHER)]


def _channel_description(name: str) -> SensorEntityDescription:
    """Return the description of a day channel's level sensor."""
    return SensorEntityDescription(
        key=f"{_LEVEL}{name}",
        translation_key="channel_level",
        translation_placeholders={"channel": name},
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
    )


MOON_LEVEL = SensorEntityDescription(
    key=KEY_MOON,
    translation_key=KEY_MOON,
    native_unit_of_measurement=PERCENTAGE,
    state_class=SensorStateClass.MEASUREMENT,
    suggested_display_precision=0,
)
ACCLIMATION = SensorEntityDescription(
    key=KEY_ACCLIMATION,
    translation_key=KEY_ACCLIMATION,
    native_unit_of_measurement=PERCENTAGE,
    suggested_display_precision=0,
)
WEATHER = SwitchEntityDescription(key=KEY_WEATHER, translation_key=KEY_WEATHER)


class _ProfileEntity(ReefScheduleEntity):
    """An entity of a profile schedule, written again at the instant its state next changes."""

    _timer: CALLBACK_TYPE | None = None

    @property
    def profile(self) -> LightProfile | None:
        """Return the schedule's light profile (None once it is none)."""
        return light_profile(self.schedule)

    async def async_added_to_hass(self) -> None:
        """Follow the schedule, and arm the first wake-up."""
        await super().async_added_to_hass()
        self.async_on_remove(self._disarm)
        self._arm()

    @callback
    def _handle_change(self) -> None:
        """Write the new state and wake up when the new definition says."""
        super()._handle_change()
        self._arm()

    @callback
    def _arm(self) -> None:
        """Arm the one timer for the next change of the state, if any."""
        self._disarm()
        when = self.next_update(dt_util.utcnow())
        if when is not None:
            self._timer = async_track_point_in_utc_time(self.hass, self._on_timer, when)

    @callback
    def _disarm(self) -> None:
        """Cancel the timer."""
        if self._timer is not None:
            self._timer()
            self._timer = None

    @callback
    def _on_timer(self, _now: datetime) -> None:
        """Write the state that is due and arm the next wake-up."""
        self._timer = None
        self.async_write_ha_state()
        self._arm()

    def next_update(self, now: datetime) -> datetime | None:
        """Return the next instant the state changes (None: only with the definition)."""
        return None


class ChannelLevelSensor(_ProfileEntity, SensorEntity):
    """The level (percent) the profile prescribes for one channel now."""

    def __init__(
        self,
        backend: LocalBackend,
        schedule: Schedule,
        description: SensorEntityDescription,
        channel: str,
    ) -> None:
        """Describe the sensor of one channel."""
        super().__init__(backend, schedule, description)
        self.channel = channel
        self._curve: tuple[Schedule, datetime, LightCurve] | None = None

    def curve(self, now: datetime) -> LightCurve | None:
        """Return the channel's curve of the profile's run of now (None: no run prescribes).

        Built once per run and definition: the run of a day covers it until the next one.
        """
        schedule = self.schedule
        profile = light_profile(schedule)
        if schedule is None or profile is None or not schedule.enabled:
            return None
        if (
            (profile.moon is None)
            if self.channel == MOON
            else (profile.channel(self.channel) is None)
        ):
            return None  # renamed or removed: this sensor is about to go
        zone = self.runner.zone(schedule)
        start = latest_run(schedule, now, tz=zone)
        if start is None:
            return None
        if (kept := self._curve) is not None and kept[:2] == (schedule, start):
            return kept[2]
        windows = self.runner.moon_windows
        curve = channel_curve(
            profile,
            self.channel,
            start,
            zone=zone,
            seed=schedule.id,
            moon_window=None if windows is None else windows(zone),
        )
        self._curve = (schedule, start, curve)
        return curve

    @property
    def native_value(self) -> int | None:
        """Return the prescribed level, rounded as the lights get it."""
        now = dt_util.utcnow()
        curve = self.curve(now)
        return None if curve is None else round_level(curve.level_at(now))

    def next_update(self, now: datetime) -> datetime | None:
        """Return the next rounded change, or the start of the profile's next day."""
        schedule = self.schedule
        curve = self.curve(now)
        if schedule is None or curve is None:
            return self._next_run(now)
        change = curve.next_change(now)
        # A run's curve holds from its start to the next local midnight, the next run.
        end = day_end(now, self.runner.zone(schedule))
        return end if change is None or change > end else change

    def _next_run(self, now: datetime) -> datetime | None:
        """Return the schedule's next run (the first day of a profile not begun yet)."""
        schedule = self.schedule
        if schedule is None or not schedule.enabled:
            return None
        upcoming = self.runner.next_runs(schedule, 1, now)
        return upcoming[0] if upcoming else None


class MoonLevelSensor(ChannelLevelSensor):
    """The moon channel's level, with the moon's phase and illuminated fraction."""

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the moon's phase name and illuminated fraction (0..1) now."""
        now = dt_util.utcnow()
        return {
            "phase": phase_name(now),
            "illuminated_fraction": round(illuminated_fraction(now), 3),
        }


class AcclimationSensor(_ProfileEntity, SensorEntity):
    """The acclimation factor (percent) of today, with day k of N and whether it is paused."""

    def _today(self) -> tuple[Acclimation, date] | None:
        """Return the profile's acclimation and today's date in the schedule's zone."""
        schedule = self.schedule
        profile = light_profile(schedule)
        if schedule is None or profile is None or profile.acclimation is None:
            return None
        return profile.acclimation, dt_util.now(self.runner.zone(schedule)).date()

    @property
    def native_value(self) -> float | None:
        """Return today's factor in percent."""
        if (today := self._today()) is None:
            return None
        return round(acclimation_factor(*today) * 100, 1)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return day k, the number of days N and whether acclimation is paused."""
        if (today := self._today()) is None:
            return None
        acclimation, day = today
        return {
            "day": acclimation_day(acclimation, day),
            "days": acclimation.days,
            "paused": acclimation.paused_on is not None,
        }

    def next_update(self, now: datetime) -> datetime | None:
        """Return the next local midnight: the factor is one of the date."""
        schedule = self.schedule
        return None if schedule is None else day_end(now, self.runner.zone(schedule))


class WeatherSwitch(_ProfileEntity, SwitchEntity):
    """Whether clouds and storms dim the profile's weather channels."""

    @property
    def is_on(self) -> bool | None:
        """Return the profile's weather setting."""
        profile = self.profile
        return None if profile is None else profile.weather

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Let clouds and storms dim the lights."""
        await self._async_set(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Keep the lights clear of clouds and storms."""
        await self._async_set(False)

    async def _async_set(self, weather: bool) -> None:
        """Write ``weather`` into the definition through the backend (saved, reconciled)."""
        schedule, profile = self.schedule, self.profile
        if schedule is None or profile is None:
            return
        spec = with_profile(schedule, dataclasses.replace(profile, weather=weather))
        await self.backend.async_update(self.schedule_id, spec)
