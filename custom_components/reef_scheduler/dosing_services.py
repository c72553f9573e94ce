"""Dosing actions: refill a doser's container (issue 18).

A doser is named by its pump's entity id, its own device, or the pump's device.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
import voluptuous as vol

from .const import DOMAIN
from .local.data import LocalData
from .local.doser_entities import doser_identifier
from .runner.dosing import DosingController
from .service_spec import ServiceSpec
from .service_targets import refused

SERVICE_REFILL = "refill"
ATTR_DOSER = "doser"
ATTR_ML = "ml"
MAX_CONTAINER_ML = 100_000

# Home Assistant checks nothing itself: each field is read below with a translated refusal
# (services.py's schema class would import this module back).
REFILL_SCHEMA = vol.Schema(dict)
_REFILL_FIELDS = (ATTR_DOSER, ATTR_ML)


def _refill_fields(data: Mapping[str, Any]) -> tuple[str, float | None]:
    """Return the doser reference and the ml of a refill (translated refusals)."""
    for key in data:
        if key not in _REFILL_FIELDS:
            raise refused("unknown_key", field=str(key))
    if ATTR_DOSER not in data:
        raise refused("required", field=ATTR_DOSER)
    try:
        doser = cv.string(data[ATTR_DOSER])
    except vol.Invalid as err:
        raise refused("expected_text", field=ATTR_DOSER) from err
    if (ml := data.get(ATTR_ML)) is None:
        return doser, None
    try:
        return doser, vol.All(vol.Coerce(float), vol.Range(min=0, max=MAX_CONTAINER_ML))(ml)
    except (vol.Invalid, OverflowError) as err:
        bounds = {"min": "0", "max": str(MAX_CONTAINER_ML)}
        raise refused("out_of_range", field=ATTR_ML, **bounds) from err


def _doser_of(hass: HomeAssistant, value: str) -> tuple[DosingController, str]:
    """Return the dosing controller and pump a doser reference names (else a refusal)."""
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        data = entry.runtime_data
        if not isinstance(data, LocalData):
            continue
        dosing = data.dosing
        for pump in dosing.dosers():
            if value == pump:
                return dosing, pump
            device = devices.async_get(value)
            if device is None:
                continue
            if doser_identifier(entry.entry_id, pump) in device.identifiers:
                return dosing, pump
            if (found := entities.async_get(pump)) is not None and found.device_id == value:
                return dosing, pump
    raise refused("unknown_doser_target", doser=value)


async def _async_refill(call: ServiceCall) -> ServiceResponse:
    """Set a doser's container to the ml now in it (default: its size)."""
    value, ml = _refill_fields(call.data)
    dosing, pump = _doser_of(call.hass, value)
    if dosing.remaining(pump) is None:
        raise refused("doser_no_container", doser=dosing.dosers()[pump].name)
    remaining = await dosing.async_refill(pump, ml)
    return {ATTR_DOSER: pump, "remaining_ml": remaining}


DOSING_SERVICES: tuple[ServiceSpec, ...] = (
    (SERVICE_REFILL, _async_refill, REFILL_SCHEMA, SupportsResponse.OPTIONAL),
)
