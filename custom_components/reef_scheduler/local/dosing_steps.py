"""The steps of a dosing schedule, a kind of schedule of its own (see flow_steps).

kind → dosing (which doser, the daily volume, how many doses, first and last dose) →
dosing_policy (with the next doses as its preview). The doser is one of the local entry's
dosers (subentries of type doser); without one the kind step says to add one first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from homeassistant.config_entries import ConfigEntry
from homeassistant.data_entry_flow import FlowResult
from homeassistant.helpers import selector
import voluptuous as vol

from ..engine.dosing_model import Doser
from ..engine.presets import format_time_of_day, parse_time_of_day
from ..engine.validate_dosing import DOSING_KEY
from .dosers import entry_dosers
from .flow_fields import free_number, whole
from .kind_steps import KindSteps

DOSING = DOSING_KEY
DOSING_STEPS = ("kind", "dosing", "dosing_policy")
_FIELDS = ("doser", "daily_ml", "doses", "start", "end")
_DEFAULTS: dict[str, Any] = {"doses": 1, "start": "08:00"}


def dosing_of(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a spec's dosing (empty when there is none or it is no mapping)."""
    dosing = spec.get(DOSING)
    return dict(dosing) if isinstance(dosing, Mapping) else {}


def _time_text(value: Any) -> Any:
    """Return a picked time of day as the spec writes it ("08:00:00" as "08:00")."""
    parsed = parse_time_of_day(value)
    return value if parsed is None else format_time_of_day(parsed)


def _doser_select(dosers: Mapping[str, Doser]) -> selector.SelectSelector:
    """Return the drop-down of the entry's dosers, by name."""
    options = [
        selector.SelectOptionDict(value=pump, label=doser.name)
        for pump, doser in sorted(dosers.items(), key=lambda item: item[1].name.casefold())
    ]
    return selector.SelectSelector(
        selector.SelectSelectorConfig(options=options, mode=selector.SelectSelectorMode.DROPDOWN)
    )


class DosingSteps[ResultT: FlowResult[Any, Any]](KindSteps[ResultT]):
    """The dosing steps of the schedule steps (which provide checks and forms)."""

    if TYPE_CHECKING:

        async def _async_update_preview(self) -> None: ...

        def _schedule_entry(self) -> ConfigEntry | None: ...

    def _dosers(self) -> dict[str, Doser]:
        """Return the local entry's dosers by pump."""
        return entry_dosers(cast(ConfigEntry, self._schedule_entry()))

    async def async_step_dosing(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Ask which doser doses how much a day, in how many doses, from when to when."""
        dosers = self._dosers()
        schema = vol.Schema(
            {
                vol.Required("doser"): _doser_select(dosers),
                vol.Required("daily_ml"): free_number("ml"),
                vol.Required("doses"): free_number(),
                vol.Required("start"): selector.TimeSelector(),
                vol.Optional("end"): selector.TimeSelector(),
            }
        )
        dosing = dosing_of(self._spec)
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            answer = {
                key: whole(user_input[key])
                for key in _FIELDS
                if user_input.get(key) not in (None, "")
            }
            answer |= {key: _time_text(answer[key]) for key in ("start", "end") if key in answer}
            trial = self._spec | {DOSING: answer}
            errors, placeholders = await self._async_errors("dosing", trial, schema)
            if not errors:
                self._spec = trial
                await self._async_update_preview()
                return await self.async_step_dosing_policy()
        values = user_input or _DEFAULTS | {
            key: value
            for key, value in dosing.items()
            if key in _FIELDS and (key != "doser" or value in dosers)
        }
        return await self._async_form("dosing", schema, values, errors, placeholders)

    async def async_step_dosing_policy(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Ask the policy of a dosing schedule, its next doses shown, then save."""
        return await self._async_policy_step("dosing_policy", user_input)
