"""Typed runtime data of Reef Scheduler entries and the one dispatch by entry kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from homeassistant.config_entries import ConfigEntry

from .const import CONF_ENTRY_KIND, ENTRY_KIND_BELLAS_REEF
from .local.data import LocalConfigEntry, LocalData
from .remote.data import RemoteConfigEntry, RemoteData

type ReefSchedulerData = LocalData | RemoteData
type ReefSchedulerConfigEntry = ConfigEntry[ReefSchedulerData]


def by_kind[T](
    entry: ConfigEntry[Any],
    local: Callable[[LocalConfigEntry], T],
    remote: Callable[[RemoteConfigEntry], T],
) -> T:
    """Call the function of the entry's kind with the entry typed for that kind."""
    if entry.data.get(CONF_ENTRY_KIND) == ENTRY_KIND_BELLAS_REEF:
        return remote(cast(RemoteConfigEntry, entry))
    return local(cast(LocalConfigEntry, entry))
