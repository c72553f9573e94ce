"""The options flow's "Feed mode and maintenance" steps.

care: the minutes, the devices and the maintenance tags → care_feed: each feed device's
restore delay → care_levels: each maintenance device's held level (0 = off, 100 = on) →
care_delays: each maintenance device's restore delay. A step without devices is left out.
Only the care options change; the other options stay as they are.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers import selector
import voluptuous as vol

from ..engine.care_model import DeviceHold
from .care_options import (
    CARE_DOMAINS,
    CONF_FEED_DEVICES,
    CONF_FEED_MINUTES,
    CONF_MAINTENANCE_DEVICES,
    CONF_MAINTENANCE_MINUTES,
    CONF_MAINTENANCE_TAGS,
    MAX_DELAY_MINUTES,
    MAX_FEED_MINUTES,
    MAX_MAINTENANCE_MINUTES,
    CareOptions,
)
from .flow_fields import number

_DEVICES = selector.EntitySelector(
    selector.EntitySelectorConfig(domain=list(CARE_DOMAINS), multiple=True)
)
CARE_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_FEED_MINUTES): number(1, MAX_FEED_MINUTES, "min"),
        vol.Optional(CONF_FEED_DEVICES): _DEVICES,
        vol.Required(CONF_MAINTENANCE_MINUTES): number(1, MAX_MAINTENANCE_MINUTES, "min"),
        vol.Optional(CONF_MAINTENANCE_DEVICES): _DEVICES,
        vol.Optional(CONF_MAINTENANCE_TAGS): selector.TextSelector(
            selector.TextSelectorConfig(multiple=True)
        ),
    }
)


if TYPE_CHECKING:
    _Flow = OptionsFlow
else:
    _Flow = object


class CareSteps(_Flow):
    """The feed mode and maintenance steps of the local entry's options flow (a mixin)."""

    _care: CareOptions
    _feed_ids: list[str]
    _maintenance_ids: list[str]
    _levels: dict[str, float]

    async def async_step_care(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask the minutes, the devices and the tags."""
        current = CareOptions.from_mapping(self.config_entry.options)
        if user_input is None:
            shown = {
                CONF_FEED_MINUTES: current.feed_minutes,
                CONF_FEED_DEVICES: [d.entity_id for d in current.feed_devices],
                CONF_MAINTENANCE_MINUTES: current.maintenance_minutes,
                CONF_MAINTENANCE_DEVICES: [d.entity_id for d in current.maintenance_devices],
                CONF_MAINTENANCE_TAGS: list(current.maintenance_tags),
            }
            return self.async_show_form(
                step_id="care", data_schema=self.add_suggested_values_to_schema(CARE_SCHEMA, shown)
            )
        self._feed_ids = list(dict.fromkeys(user_input.get(CONF_FEED_DEVICES, [])))
        self._maintenance_ids = list(dict.fromkeys(user_input.get(CONF_MAINTENANCE_DEVICES, [])))
        self._care = CareOptions(
            feed_minutes=int(user_input[CONF_FEED_MINUTES]),
            feed_devices=current.feed_devices,
            maintenance_minutes=int(user_input[CONF_MAINTENANCE_MINUTES]),
            maintenance_devices=current.maintenance_devices,
            maintenance_tags=tuple(
                tag.strip() for tag in user_input.get(CONF_MAINTENANCE_TAGS, []) if tag.strip()
            ),
        )
        return await self.async_step_care_feed()

    async def async_step_care_feed(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask each feed device's restore delay (minutes after feed mode ends)."""
        if not self._feed_ids or user_input is not None:
            answers = user_input or {}
            devices = tuple(
                DeviceHold(e, 0.0, timedelta(minutes=float(answers.get(e, 0))))
                for e in self._feed_ids
            )
            self._care = _replace(self._care, feed_devices=devices)
            return await self.async_step_care_levels()
        had = {d.entity_id: d for d in self._care.feed_devices}
        return self._per_device("care_feed", self._feed_ids, had, _delay_of, _delay_box())

    async def async_step_care_levels(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask each maintenance device's held level (0 = off, 100 = on)."""
        if not self._maintenance_ids or user_input is not None:
            answers = user_input or {}
            self._levels = {e: float(answers.get(e, 0)) for e in self._maintenance_ids}
            return await self.async_step_care_delays()
        had = {d.entity_id: d for d in self._care.maintenance_devices}
        return self._per_device(
            "care_levels", self._maintenance_ids, had, lambda d: d.level, number(0, 100, "%")
        )

    async def async_step_care_delays(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask each maintenance device's restore delay, then save."""
        if not self._maintenance_ids or user_input is not None:
            answers = user_input or {}
            devices = tuple(
                DeviceHold(e, self._levels[e], timedelta(minutes=float(answers.get(e, 0))))
                for e in self._maintenance_ids
            )
            care = _replace(self._care, maintenance_devices=devices)
            return self.async_create_entry(data={**self.config_entry.options, **care.as_dict()})
        had = {d.entity_id: d for d in self._care.maintenance_devices}
        return self._per_device("care_delays", self._maintenance_ids, had, _delay_of, _delay_box())

    def _per_device(
        self,
        step_id: str,
        entity_ids: list[str],
        had: dict[str, DeviceHold],
        value: Any,
        box: selector.NumberSelector,
    ) -> ConfigFlowResult:
        """Show one number per device (its entity id names it), filled from the options."""
        schema = vol.Schema({vol.Required(e): box for e in entity_ids})
        shown = {e: value(had[e]) if e in had else 0 for e in entity_ids}
        return self.async_show_form(
            step_id=step_id, data_schema=self.add_suggested_values_to_schema(schema, shown)
        )


def _delay_box() -> selector.NumberSelector:
    """Return a restore delay box in minutes."""
    return number(0, MAX_DELAY_MINUTES, "min")


def _delay_of(device: DeviceHold) -> float:
    """Return a device's restore delay in minutes."""
    return device.restore_after.total_seconds() / 60


def _replace(care: CareOptions, **changes: Any) -> CareOptions:
    """Return the options with some changed."""
    return dataclasses.replace(care, **changes)
