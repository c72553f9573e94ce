"""Typed runtime data of a Reef Scheduler config entry."""

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .runner import ScheduleRunner


@dataclass(slots=True)
class ReefSchedulerData:
    """What a loaded local entry owns."""

    runner: ScheduleRunner


type ReefSchedulerConfigEntry = ConfigEntry[ReefSchedulerData]
