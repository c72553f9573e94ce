"""Typed runtime data of a Reef Scheduler config entry."""

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry


@dataclass(slots=True)
class ReefSchedulerData:
    """What a loaded entry owns."""


type ReefSchedulerConfigEntry = ConfigEntry[ReefSchedulerData]
