"""Typed runtime data of a Bella's Reef server entry."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from ..api import BellasReefClient
from .backend import RemoteBackend
from .coordinator import BellasReefCoordinator
from .run_here import RunHere


@dataclass(slots=True)
class RemoteData:
    """What a loaded Bella's Reef server entry owns."""

    client: BellasReefClient
    coordinator: BellasReefCoordinator
    backend: RemoteBackend
    run_here: RunHere | None = None


type RemoteConfigEntry = ConfigEntry[RemoteData]
