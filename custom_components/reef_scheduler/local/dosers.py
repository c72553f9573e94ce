"""The local entry's dosers: one subentry each (type ``doser``), keyed by the pump's entity id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry

from ..engine.dosing_model import Doser

SUBENTRY_TYPE_DOSER: Final = "doser"
CONF_PUMP: Final = "pump"
CONF_NAME: Final = "name"
CONF_ML_PER_SECOND: Final = "ml_per_second"
CONF_DAILY_MAX_ML: Final = "daily_max_ml"
CONF_CONTAINER_ML: Final = "container_ml"
CONF_LOW_ML: Final = "low_ml"


def doser_from_data(data: Mapping[str, Any]) -> Doser:
    """Return the doser a subentry's data describes (written by the doser flow only)."""
    container = data.get(CONF_CONTAINER_ML)
    low = data.get(CONF_LOW_ML)
    return Doser(
        pump=str(data[CONF_PUMP]),
        name=str(data[CONF_NAME]),
        ml_per_second=float(data[CONF_ML_PER_SECOND]),
        daily_max_ml=float(data[CONF_DAILY_MAX_ML]),
        container_ml=None if container is None else float(container),
        low_ml=None if low is None else float(low),
    )


def entry_dosers(entry: ConfigEntry) -> dict[str, Doser]:
    """Return the entry's dosers by pump entity id."""
    return {
        doser.pump: doser
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_TYPE_DOSER
        for doser in (doser_from_data(subentry.data),)
    }
