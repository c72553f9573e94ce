"""Typed runtime data of the local entry."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from ..runner.actions import ActionExecutor
from ..runner.care import CareOwner
from ..runner.dosing import DosingController
from ..runner.runner import ScheduleRunner
from .backend import LocalBackend


@dataclass(slots=True)
class LocalData:
    """What the loaded local entry owns."""

    runner: ScheduleRunner
    backend: LocalBackend
    dosing: DosingController
    care: CareOwner
    executor: ActionExecutor


type LocalConfigEntry = ConfigEntry[LocalData]
