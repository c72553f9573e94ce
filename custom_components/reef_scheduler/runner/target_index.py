"""Which entities each state-describing schedule reaches, and which schedules reach an entity.

A reconcile needs both on every flush. Expanding devices and areas costs registry look-ups and
every schedule would be expanded again each time, so the index keeps each distinct target's
entities until a registry change can alter them: an entity created, removed or updated that a
target reaches, or that sits on a device or in an area (its own or its device's) a target
names; a device updated whose id or area (old or new) a target names. Such a change only marks
the targets it concerns stale; ``refresh`` expands them again (the reconciler does it on the
next loop iteration). Plain entity ids never need the registries and never go stale.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from ..engine.model import Target
from .targets import target_entity_ids


def expand(hass: HomeAssistant, target: Target) -> tuple[str, ...]:
    """Return the entities a target reaches now (no registry look-up for plain entity ids)."""
    if target.device_ids or target.area_ids:
        return tuple(target_entity_ids(hass, target))
    return target.entity_ids


class TargetIndex(Mapping[str, Sequence[str]]):
    """Maps each tracked schedule id to the entity ids its target reaches (call refresh first)."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start empty."""
        self._hass = hass
        self._target_of: dict[str, Target] = {}
        self._schedules_of: dict[Target, set[str]] = {}
        self._entities_of: dict[Target, tuple[str, ...]] = {}
        self._stale: set[Target] = set()
        self._by_entity: dict[str, set[str]] = {}
        # Targets naming a device or an area, by that id (what a registry change can touch).
        self._by_device: dict[str, set[Target]] = {}
        self._by_area: dict[str, set[Target]] = {}

    # ----- Mapping (schedule id -> entity ids) ------------------------------------------------

    def __getitem__(self, schedule_id: str) -> Sequence[str]:
        """Return the entities a tracked schedule reaches."""
        return self._entities_of.get(self._target_of[schedule_id], ())

    def __iter__(self) -> Iterator[str]:
        """Iterate over the tracked schedule ids."""
        return iter(self._target_of)

    def __len__(self) -> int:
        """Return how many schedules are tracked."""
        return len(self._target_of)

    # ----- schedules --------------------------------------------------------------------------

    def track(self, schedule_id: str, target: Target | None) -> None:
        """Follow a schedule's target from now on (None: stop following the schedule)."""
        old = self._target_of.get(schedule_id)
        if old == target:
            return
        if old is not None:
            self._untrack(schedule_id, old)
        if target is None:
            return
        self._target_of[schedule_id] = target
        if (schedules := self._schedules_of.get(target)) is None:
            schedules = self._schedules_of[target] = set()
            for refs, ref in self._references(target):
                refs.setdefault(ref, set()).add(target)
            self._stale.add(target)
        schedules.add(schedule_id)
        self._link(schedule_id, self._entities_of.get(target, ()))

    def _untrack(self, schedule_id: str, target: Target) -> None:
        """Stop following a schedule; forget its target once no schedule has it."""
        del self._target_of[schedule_id]
        self._unlink(schedule_id, self._entities_of.get(target, ()))
        schedules = self._schedules_of[target]
        schedules.discard(schedule_id)
        if schedules:
            return
        del self._schedules_of[target]
        self._entities_of.pop(target, None)
        self._stale.discard(target)
        for refs, ref in self._references(target):
            targets = refs[ref]
            targets.discard(target)
            if not targets:
                del refs[ref]

    def _references(self, target: Target) -> Iterator[tuple[dict[str, set[Target]], str]]:
        """Yield (index, id) for each device and area a target names."""
        yield from ((self._by_device, device_id) for device_id in target.device_ids)
        yield from ((self._by_area, area_id) for area_id in target.area_ids)

    def _link(self, schedule_id: str, entity_ids: Iterable[str]) -> None:
        """Note that a schedule reaches these entities."""
        for entity_id in entity_ids:
            self._by_entity.setdefault(entity_id, set()).add(schedule_id)

    def _unlink(self, schedule_id: str, entity_ids: Iterable[str]) -> None:
        """Note that a schedule no longer reaches these entities."""
        for entity_id in entity_ids:
            schedules = self._by_entity[entity_id]
            schedules.discard(schedule_id)
            if not schedules:
                del self._by_entity[entity_id]

    # ----- queries ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Expand the targets that are new or stale (one registry look-up each)."""
        stale, self._stale = self._stale, set()
        for target in stale:
            old = self._entities_of.get(target, ())
            new = expand(self._hass, target)
            if new == old:
                continue
            self._entities_of[target] = new
            for schedule_id in self._schedules_of[target]:
                self._unlink(schedule_id, old)
                self._link(schedule_id, new)

    def entities(self) -> Collection[str]:
        """Return every entity a tracked schedule reaches."""
        return self._by_entity.keys()

    def reaches(self, entity_id: str) -> bool:
        """Return True when a tracked schedule reaches the entity."""
        return entity_id in self._by_entity

    def schedules(self, entity_ids: Iterable[str]) -> set[str]:
        """Return the tracked schedules reaching any of these entities."""
        found: set[str] = set()
        for entity_id in entity_ids:
            found.update(self._by_entity.get(entity_id, ()))
        return found

    def expand(self, target: Target) -> tuple[str, ...]:
        """Return a target's entities, from the index when it holds them."""
        if target in self._entities_of and target not in self._stale:
            return self._entities_of[target]
        return expand(self._hass, target)

    # ----- registry changes -------------------------------------------------------------------

    @property
    def has_references(self) -> bool:
        """Return True when some target names a device or an area (registry changes matter)."""
        return bool(self._by_device or self._by_area)

    def entity_changed(self, data: er.EventEntityRegistryUpdatedData) -> bool:
        """Mark stale the targets an entity registry change can affect; True if any is."""
        entity_ids = [data["entity_id"]]
        if data["action"] == "update" and "old_entity_id" in data:
            entity_ids.append(data["old_entity_id"])
        for schedule_id in self.schedules(entity_ids):
            self._stale.add(self._target_of[schedule_id])
        entry = er.async_get(self._hass).async_get(data["entity_id"])
        if entry is not None:
            areas = [entry.area_id]
            if entry.device_id is not None:
                self._stale.update(self._by_device.get(entry.device_id, ()))
                device = dr.async_get(self._hass).async_get(entry.device_id)
                areas.append(device.area_id if device is not None else None)
            self._stale_areas(areas)
        return bool(self._stale)

    def device_changed(self, data: dr.EventDeviceRegistryUpdatedData) -> bool:
        """Mark stale the targets a device registry change can affect; True if any is."""
        device_id = data["device_id"]
        self._stale.update(self._by_device.get(device_id, ()))
        device = dr.async_get(self._hass).async_get(device_id)
        areas = [device.area_id if device is not None else None]
        if data["action"] == "update":
            areas.append(data["changes"].get("area_id"))
        self._stale_areas(areas)
        return bool(self._stale)

    def _stale_areas(self, area_ids: Iterable[str | None]) -> None:
        """Mark stale the targets naming any of these areas."""
        for area_id in area_ids:
            if area_id is not None:
                self._stale.update(self._by_area.get(area_id, ()))
