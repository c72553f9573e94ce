"""Typed runtime data of Reef Scheduler config entries."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .runner import ScheduleRunner


@dataclass(slots=True)
class LocalData:
    """What the loaded local entry owns."""

    runner: ScheduleRunner


@dataclass(slots=True)
class RemoteData:
    """What a loaded Bella's Reef server entry owns (filled in by the remote issue)."""


type ReefSchedulerData = LocalData | RemoteData
type ReefSchedulerConfigEntry = ConfigEntry[ReefSchedulerData]
