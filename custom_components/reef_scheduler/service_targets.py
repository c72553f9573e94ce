"""Which schedules an action acts on: its target (devices, Enabled switches), ids and tags.

The UI's action editor offers schedules as a target filtered to this integration: a device is
a schedule's device (its registry identifier), an entity a schedule's Enabled switch (its
unique id), of a loaded entry, the local one or a Bella's Reef server. Scripts may name
schedules by id instead; both may be given, and the union is used. What names nothing of ours,
or nothing at all, is refused with a translated error before anything changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.const import (
    ATTR_AREA_ID,
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    ATTR_FLOOR_ID,
    ATTR_LABEL_ID,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .backend import ScheduleBackend
from .const import DOMAIN, KEY_ENABLED, schedule_of_device, schedule_of_unique_id
from .data import ReefSchedulerData
from .engine.shorten import shorten, shorten_name
from .local.backend import LocalBackend
from .runner.texts import listing

ATTR_SCHEDULE_ID = "schedule_id"
# Target fields that cannot name a schedule (the target picker offers them all the same).
_UNSUPPORTED = (ATTR_AREA_ID, ATTR_FLOOR_ID, ATTR_LABEL_ID)


@dataclass(frozen=True, slots=True)
class Chosen:
    """A schedule an action acts on: its owner, its id and its name (kept for the response)."""

    backend: ScheduleBackend
    schedule_id: str
    name: str

    def as_dict(self) -> dict[str, str]:
        """Return how a response names the schedule."""
        return {ATTR_SCHEDULE_ID: self.schedule_id, "name": self.name}

    def placeholders(self) -> dict[str, str]:
        """Return how an error names the schedule (cut to what a message shows)."""
        return {
            ATTR_SCHEDULE_ID: shorten(self.schedule_id),
            "name": shorten_name(self.name, self.schedule_id),
        }


def refused(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated refusal of an action's input."""
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


# ----- backends: every loaded entry's runtime data has its backend ----------------------------


def loaded_backends(hass: HomeAssistant) -> list[ScheduleBackend]:
    """Return the backend of every loaded entry (local first)."""
    backends: list[ScheduleBackend] = []
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        runtime: ReefSchedulerData = entry.runtime_data
        backends.append(runtime.backend)
    backends.sort(key=lambda backend: not isinstance(backend, LocalBackend))
    return backends


def backend_for_schedule(hass: HomeAssistant, schedule_id: str) -> ScheduleBackend:
    """Return the backend owning a schedule id (ServiceValidationError if none does)."""
    backends = loaded_backends(hass)
    if not backends:
        raise refused("not_loaded")
    for backend in backends:
        if backend.has_schedule(schedule_id):
            return backend
    raise refused("unknown_schedule", schedule_id=shorten(schedule_id))


def backend_for_entry(hass: HomeAssistant, entry_id: str | None) -> ScheduleBackend:
    """Return the backend of a loaded entry, by default the local one."""
    for backend in loaded_backends(hass):
        if entry_id is None and isinstance(backend, LocalBackend):
            return backend
        if backend.entry_id == entry_id:
            return backend
    if entry_id is not None and hass.config_entries.async_get_entry(entry_id) is None:
        raise refused("unknown_entry", config_entry_id=shorten(entry_id))
    raise refused("not_loaded")


def local_backend(hass: HomeAssistant) -> LocalBackend:
    """Return the loaded local entry's backend."""
    backend = backend_for_entry(hass, None)
    assert isinstance(backend, LocalBackend)
    return backend


def local_of(chosen: Chosen) -> LocalBackend:
    """Return the local backend of a chosen schedule that the local runner runs."""
    backend = chosen.backend
    if not isinstance(backend, LocalBackend):
        raise refused("local_only", **chosen.placeholders())
    if chosen.schedule_id not in backend.runner.schedules:
        raise refused("schedule_invalid_stored", **chosen.placeholders())
    return backend


# ----- the schedules an action names --------------------------------------------------------


def chosen_schedules(hass: HomeAssistant, data: Mapping[str, Any]) -> list[Chosen]:
    """Return the schedules named by id, device or Enabled switch, each once, in that order."""
    for field in _UNSUPPORTED:
        if data.get(field):
            raise refused("target_unsupported", field=field)
    chosen: dict[tuple[str, str], Chosen] = {}

    def add(backend: ScheduleBackend, schedule_id: str) -> None:
        if (backend.entry_id, schedule_id) not in chosen:
            name = backend.schedule_name(schedule_id)
            chosen[backend.entry_id, schedule_id] = Chosen(backend, schedule_id, name)

    for schedule_id in data.get(ATTR_SCHEDULE_ID, ()):
        add(backend_for_schedule(hass, schedule_id), schedule_id)
    devices, entities = data.get(ATTR_DEVICE_ID, ()), data.get(ATTR_ENTITY_ID, ())
    if not devices and not entities:
        return list(chosen.values())
    backends = loaded_backends(hass)
    if not backends:
        raise refused("not_loaded")
    for device_id in devices:
        add(*_of_device(hass, backends, device_id))
    for entity_id in entities:
        add(*_of_entity(hass, backends, entity_id))
    return list(chosen.values())


def _of_device(
    hass: HomeAssistant, backends: list[ScheduleBackend], device_id: str
) -> tuple[ScheduleBackend, str]:
    """Return the schedule whose device this is."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        raise refused("not_a_schedule", target=shorten(device_id))
    for backend in backends:
        for identifier in device.identifiers:
            schedule_id = schedule_of_device(backend.entry_id, identifier)
            if schedule_id is not None and backend.has_schedule(schedule_id):
                return backend, schedule_id
    raise refused("not_a_schedule", target=shorten(device.name_by_user or device.name or device_id))


def _of_entity(
    hass: HomeAssistant, backends: list[ScheduleBackend], entity_id: str
) -> tuple[ScheduleBackend, str]:
    """Return the schedule whose Enabled switch this is."""
    entry = er.async_get(hass).async_get(entity_id)
    if entry is not None and entry.platform == DOMAIN and entry.domain == Platform.SWITCH:
        for backend in backends:
            if entry.config_entry_id != backend.entry_id:
                continue
            schedule_id = schedule_of_unique_id(backend.entry_id, entry.unique_id, KEY_ENABLED)
            if schedule_id is not None and backend.has_schedule(schedule_id):
                return backend, schedule_id
    raise refused("not_a_schedule", target=shorten(entity_id))


def some_schedules(hass: HomeAssistant, data: Mapping[str, Any]) -> list[Chosen]:
    """Return the schedules an action names; naming none is refused."""
    if chosen := chosen_schedules(hass, data):
        return chosen
    raise refused("no_schedule", field=ATTR_SCHEDULE_ID)


def one_schedule(hass: HomeAssistant, data: Mapping[str, Any], service: str) -> Chosen:
    """Return the one schedule an action acts on; none or several are refused."""
    chosen = some_schedules(hass, data)
    if len(chosen) > 1:
        raise refused(
            "several_schedules",
            service=service,
            count=str(len(chosen)),
            names=listing(hass, (one.name for one in chosen)),
        )
    return chosen[0]
