"""Schedules in words, translated: the one-line description, the names of targets, categories.

One piece serves the device page (a schedule's model line), the calendars and the flows:
``describe(hass, schedule)`` is the line; ``Texts`` renders the engine's phrases and the
calendars' texts in Home Assistant's language.

Where the templates live: Home Assistant loads a custom integration's translations by known
categories only, and hassfest validates each category's shape. The templates are therefore
the options of selectors that no form shows, ``selector.describe.options.<key>`` and
``selector.calendar.options.<key>``: the selector category takes any option key with any text,
placeholders in Python's format syntax included, and Home Assistant checks that every language
keeps the placeholders of English.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from homeassistant.const import ATTR_FRIENDLY_NAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    translation,
)

from ..const import DOMAIN
from ..engine.agenda import Category, category_of
from ..engine.describe import (
    Description,
    Value,
    describe as describe_schedule,
    fill,
    joined,
    render,
)
from ..engine.model import ActionType, Schedule
from ..engine.timeline import get_zone
from .targets import target_entity_ids

CATEGORY = "selector"
_PREFIX = f"component.{DOMAIN}.{CATEGORY}."


async def async_load_texts(hass: HomeAssistant) -> None:
    """Load the translations in Home Assistant's language (cached by Home Assistant)."""
    await translation.async_load_integrations(hass, {DOMAIN})


class Texts:
    """The integration's texts in Home Assistant's language, and the names of targets."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Read the cached translations (English where the language has none loaded)."""
        self.hass = hass
        cached = translation.async_get_cached_translations
        self._strings = cached(hass, hass.config.language, CATEGORY, DOMAIN) or cached(
            hass, "en", CATEGORY, DOMAIN
        )
        self._entities = er.async_get(hass)
        self._devices = dr.async_get(hass)
        self._areas = ar.async_get(hass)

    def template(self, group: str, key: str) -> str:
        """Return a translated template of a group (its key when there is none)."""
        return self._strings.get(f"{_PREFIX}{group}.options.{key}", key)

    def word(self, group: str, key: str, **values: str) -> str:
        """Return a translated text of a group, its placeholders filled."""
        return fill(self.template(group, key), values)

    def render(self, value: Value) -> str:
        """Return an engine phrase (or one of its values) as text."""
        return render(value, self.template, self.name)

    def listing(self, items: Sequence[str]) -> str:
        """Return items joined by commas."""
        return joined(items, 0, self.template)

    def name(self, kind: str, item: str) -> str:
        """Return the name of a target's entity, device or area."""
        if kind == "entity":
            return self.entity_name(item)
        return self.device_name(item) if kind == "device" else self.area_name(item)

    def entity_name(self, entity_id: str) -> str:
        """Return an entity's friendly name: its state's, else the registry's, else its id."""
        if (state := self.hass.states.get(entity_id)) is not None and (
            name := state.attributes.get(ATTR_FRIENDLY_NAME)
        ):
            return str(name)
        if (entry := self._entities.async_get(entity_id)) is None:
            return entity_id
        if entry.name:
            return entry.name
        # Named after its device as Home Assistant names it, so that the text is the same
        # before the entity's state exists (a start) and after.
        device = (
            self._devices.async_get(entry.device_id)
            if entry.device_id and entry.has_entity_name
            else None
        )
        if device is not None and (device_name := device.name_by_user or device.name):
            return f"{device_name} {entry.original_name}" if entry.original_name else device_name
        return entry.original_name or entity_id

    def device_name(self, device_id: str) -> str:
        """Return a device's name (as the user named it), else its id."""
        device = self._devices.async_get(device_id)
        return (device and (device.name_by_user or device.name)) or device_id

    def area_name(self, area_id: str) -> str:
        """Return an area's name, else its id."""
        area = self._areas.async_get_area(area_id)
        return area.name if area is not None else area_id

    def zone(self, schedule: Schedule) -> ZoneInfo:
        """Return the zone a schedule's wall-clock fields are read in."""
        return get_zone(schedule.timezone or self.hass.config.time_zone)

    def description(self, schedule: Schedule) -> Description:
        """Return what a schedule does as phrases (timing and action)."""
        return describe_schedule(schedule, self.zone(schedule))

    def line(self, schedule: Schedule) -> str:
        """Return what a schedule does in one line."""
        return self.render(self.description(schedule).line)


def describe(hass: HomeAssistant, schedule: Schedule) -> str:
    """Return what a schedule does in one translated line, targets by their names.

    For example "Daily 09:00 · Ramp Reef Blue 0 → 80 % over 1 h".
    """
    return Texts(hass).line(schedule)


def category(hass: HomeAssistant, schedule: Schedule) -> Category:
    """Return the calendar a schedule shows in, from the entities its target reaches now."""
    action = schedule.action
    if action.type is ActionType.CUSTOM:
        return Category.OTHER
    target = action.target
    ids = (
        target_entity_ids(hass, target)
        if target.device_ids or target.area_ids
        else target.entity_ids
    )
    return category_of(action.type, (entity_id.partition(".")[0] for entity_id in ids))
