"""Helpers of the flow tests: start the schedule steps in each flow, answer them, read forms."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import section
from homeassistant.setup import async_setup_component
import voluptuous as vol

from custom_components.reef_scheduler.const import DOMAIN, SUBENTRY_TYPE_SCHEDULE
from custom_components.reef_scheduler.local.dosers import SUBENTRY_TYPE_DOSER

type Result = dict[str, Any]
type Configure = Callable[[str, dict[str, Any]], Awaitable[Result]]


async def add_schedule(hass: HomeAssistant, entry: ConfigEntry) -> Result:
    """Start the subentry flow that adds a schedule."""
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_SCHEDULE), context={"source": SOURCE_USER}
    )


async def reconfigure(
    hass: HomeAssistant, entry: ConfigEntry, subentry_id: str | None = None
) -> Result:
    """Start the subentry flow of a schedule's "Configure" (the first subentry by default)."""
    subentry_id = subentry_id or next(iter(entry.subentries))
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_SCHEDULE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )


def subentry_step(hass: HomeAssistant) -> Configure:
    """Return the answer function of subentry flows."""
    return hass.config_entries.subentries.async_configure  # type: ignore[return-value]


def options_step(hass: HomeAssistant) -> Configure:
    """Return the answer function of options flows."""
    return hass.config_entries.options.async_configure  # type: ignore[return-value]


async def fix_issue(hass: HomeAssistant, issue_id: str) -> tuple[Result, Configure]:
    """Start the repair flow of an issue; return its first step and the answer function."""
    assert await async_setup_component(hass, "repairs", {})
    flows = repairs_flow_manager(hass)
    assert flows is not None
    result = await flows.async_init(DOMAIN, data={"issue_id": issue_id})
    return result, flows.async_configure  # type: ignore[return-value]


async def answer(configure: Configure, result: Result, *answers: dict[str, Any]) -> Result:
    """Answer steps in turn; return the last result."""
    for data in answers:
        result = await configure(result["flow_id"], data)
    return result


def fields(result: Result) -> list[str]:
    """Return the fields a form shows, in order."""
    return [str(key) for key in result["data_schema"].schema]


def suggested(result: Result) -> dict[str, Any]:
    """Return the values a form shows filled in (a section's as a mapping of its own)."""
    return _suggested(result["data_schema"])


def _suggested(schema: vol.Schema) -> dict[str, Any]:
    """Return the suggested values of a schema, recursing into sections."""
    found: dict[str, Any] = {}
    for key, value in schema.schema.items():
        if isinstance(value, section):
            found[str(key)] = _suggested(value.schema)
        elif key.description and "suggested_value" in key.description:
            found[str(key)] = key.description["suggested_value"]
    return found


def options(result: Result, field: str) -> list[str]:
    """Return the options of a form's drop-down."""
    schema = result["data_schema"].schema
    (key,) = (key for key in schema if str(key) == field)
    return list(schema[key].config["options"])


def counter(result: Result) -> tuple[str, str]:
    """Return the step counter a form shows ("Step k of n")."""
    placeholders = result["description_placeholders"]
    return placeholders["step"], placeholders["steps"]


# ----- dosers -------------------------------------------------------------------------------

ALK = "switch.alk_doser"
CALCIUM = "switch.calcium_doser"


async def doser_pumps(hass: HomeAssistant) -> None:
    """Provide two doser pumps: template switches over input booleans."""
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"alk": {}, "calcium": {}}}
    )
    switches = {
        f"{name}_doser": {
            "value_template": f"{{{{ is_state('input_boolean.{name}', 'on') }}}}",
            "turn_on": {
                "action": "input_boolean.turn_on",
                "target": {"entity_id": f"input_boolean.{name}"},
            },
            "turn_off": {
                "action": "input_boolean.turn_off",
                "target": {"entity_id": f"input_boolean.{name}"},
            },
        }
        for name in ("alk", "calcium")
    }
    assert await async_setup_component(
        hass, "switch", {"switch": [{"platform": "template", "switches": switches}]}
    )
    await hass.async_block_till_done()


async def add_doser(hass: HomeAssistant, entry: ConfigEntry) -> Result:
    """Start the subentry flow that adds a doser."""
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_DOSER), context={"source": SOURCE_USER}
    )


async def reconfigure_doser(hass: HomeAssistant, entry: ConfigEntry, subentry_id: str) -> Result:
    """Start the subentry flow of a doser's "Configure"."""
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_DOSER),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
