"""Typed runtime data of Reef Scheduler config entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .runner import ScheduleRunner

if TYPE_CHECKING:
    from .api import BellasReefClient
    from .local_backend import LocalBackend
    from .remote_backend import RemoteBackend
    from .remote_coordinator import BellasReefCoordinator
    from .run_here import RunHere


@dataclass(slots=True)
class LocalData:
    """What the loaded local entry owns."""

    runner: ScheduleRunner
    backend: LocalBackend


@dataclass(slots=True)
class RemoteData:
    """What a loaded Bella's Reef server entry owns."""

    client: BellasReefClient
    coordinator: BellasReefCoordinator
    backend: RemoteBackend
    run_here: RunHere | None = None


type ReefSchedulerData = LocalData | RemoteData
type ReefSchedulerConfigEntry = ConfigEntry[ReefSchedulerData]
