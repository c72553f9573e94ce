"""Which Home Assistant entities an action's target reaches: for running it and for repairs."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import service

from ..const import DOMAIN
from ..engine.model import Target


def target_entity_ids(hass: HomeAssistant, target: Target) -> list[str]:
    """Return the entity ids a target reaches now (devices and areas expanded at call time)."""
    if not target.device_ids and not target.area_ids:
        return sorted(set(target.entity_ids))  # as the expansion gives them, without its cost
    call_data = {
        "entity_id": list(target.entity_ids),
        "device_id": list(target.device_ids),
        "area_id": list(target.area_ids),
    }
    call = ServiceCall(hass, DOMAIN, "run", call_data)
    selected = service.async_extract_referenced_entity_ids(hass, call)
    return sorted(selected.referenced | selected.indirectly_referenced)
