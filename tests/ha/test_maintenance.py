"""Maintenance in Home Assistant: date range edges, levels, pauses by id and tag, the switch.

Berlin, March 2026 (UTC+1). The heater and the return pump are input booleans, the LED level an
input number (0..100, a level in percent as it is).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import CONF_ENTRY_KIND, DOMAIN, ENTRY_KIND_LOCAL

from .clock import Clock
from .surface import kill, start_runner

PUMP = "input_boolean.return_pump"
HEATER = "input_boolean.heater"
LEVEL = "input_number.blue_level"
SWITCH = "switch.reef_care_maintenance"
DEVICES = [
    {"entity_id": HEATER, "level": "off", "restore_after": 10},
    {"entity_id": LEVEL, "level": 30},
]


def berlin(hour: int, minute: int = 0, day: int = 4) -> datetime:
    """Return an instant of March 2026 on Berlin's wall clock (UTC+1)."""
    return datetime.fromisoformat(f"2026-03-{day:02d}T{hour:02d}:{minute:02d}:00+01:00")


@pytest.fixture(autouse=True)
async def tank(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """The heater and pump on, the LEDs at 80 %, in Berlin."""
    freezer.move_to(berlin(11))
    await hass.config.async_set_time_zone("Europe/Berlin")
    on = {"initial": True}
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"return_pump": on, "heater": on}}
    )
    number = {"min": 0, "max": 100, "step": 1, "initial": 80}
    assert await async_setup_component(
        hass, "input_number", {"input_number": {"blue_level": number}}
    )
    await hass.async_block_till_done()


def local_entry(hass: HomeAssistant, options: dict[str, Any] | None = None) -> MockConfigEntry:
    """Add the local entry."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Reef Scheduler",
        data={CONF_ENTRY_KIND: ENTRY_KIND_LOCAL},
        options=options or {},
    )
    entry.add_to_hass(hass)
    return entry


def tank_state(hass: HomeAssistant) -> tuple[str, str, float]:
    """Return the heater's, the pump's and the LEDs' state."""
    return (
        hass.states.get(HEATER).state,
        hass.states.get(PUMP).state,
        float(hass.states.get(LEVEL).state),
    )


async def maintenance(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call maintenance and return its response."""
    response = await hass.services.async_call(
        DOMAIN, "maintenance", data, blocking=True, return_response=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return dict(response or {})


def daily(sid: str, at: str, entity_id: str, **fields: Any) -> dict[str, Any]:
    """Return a daily schedule turning an entity on."""
    return {
        "id": sid,
        "name": sid.title(),
        "type": "recurring",
        "frequency": "daily",
        "times": [at],
        "action": {"type": "on", "target": {"entity_id": [entity_id]}},
    } | fields


async def test_a_range_ahead_begins_and_ends_at_its_edges(
    hass: HomeAssistant, clock: Clock
) -> None:
    await start_runner(hass, local_entry(hass))
    response = await maintenance(hass, start=berlin(11, 30), end=berlin(12), devices=DEVICES)
    assert response["period"]["start"] == berlin(11, 30).astimezone(UTC).isoformat()
    assert tank_state(hass) == ("on", "on", 80)
    assert hass.states.get(SWITCH).state == "off"
    assert hass.states.get(SWITCH).attributes["start"] == berlin(11, 30).astimezone(UTC).isoformat()
    await clock.move_to(berlin(11, 29))
    assert tank_state(hass) == ("on", "on", 80)
    # The LEDs are turned up by hand before maintenance: that is the level they come back to.
    await hass.services.async_call(
        "input_number", "set_value", {"entity_id": LEVEL, "value": 90}, blocking=True
    )
    await clock.move_to(berlin(11, 30))
    assert tank_state(hass) == ("off", "on", 30)
    assert hass.states.get(SWITCH).state == "on"
    await clock.move_to(berlin(11, 59))
    assert tank_state(hass) == ("off", "on", 30)
    await clock.move_to(berlin(12))
    # No schedule prescribes them: each returns to its level before, the heater 10 min later.
    assert tank_state(hass) == ("off", "on", 90)
    assert hass.states.get(SWITCH).state == "off"
    await clock.move_to(berlin(12, 10))
    assert tank_state(hass) == ("on", "on", 90)


async def test_schedules_by_id_and_tag_pause_until_the_end_and_the_switch(
    hass: HomeAssistant, clock: Clock
) -> None:
    options = {
        "maintenance_minutes": 30,
        "maintenance_devices": [{"entity_id": PUMP, "level": 0, "restore_after": 0}],
        "maintenance_tags": ["dosing"],
    }
    _, runner = await start_runner(hass, local_entry(hass, options))
    await runner.async_add(daily("dose", "11:10", HEATER, tags=["dosing"]))
    await runner.async_add(daily("other", "11:10", HEATER))
    await runner.async_add(daily("chosen", "11:10", HEATER))
    await hass.services.async_call("switch", "turn_on", {"entity_id": SWITCH}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(SWITCH).state == "on"
    assert tank_state(hass)[1] == "off"
    assert runner.states["dose"].paused_until == berlin(11, 30)
    assert runner.states["other"].paused_until is None
    await maintenance(hass, schedule_id=["chosen"], minutes=20)  # under way: extended, added
    assert runner.states["chosen"].paused_until == berlin(11, 30)
    await hass.services.async_call("switch", "turn_off", {"entity_id": SWITCH}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(SWITCH).state == "off"
    assert tank_state(hass)[1] == "on"
    assert runner.states["dose"].paused_until is None
    assert runner.states["chosen"].paused_until is None
    # Ending a maintenance planned ahead drops it; ending none is no error.
    await maintenance(hass, start=berlin(13), end=berlin(14), devices=DEVICES)
    await hass.services.async_call(DOMAIN, "maintenance_end", {}, blocking=True)
    await hass.services.async_call(DOMAIN, "maintenance_end", {}, blocking=True)
    await clock.move_to(berlin(13, 30))
    assert tank_state(hass) == ("on", "on", 80)


async def test_feed_mode_during_maintenance_restores_to_the_level_before_both(
    hass: HomeAssistant, clock: Clock
) -> None:
    await start_runner(hass, local_entry(hass))
    await maintenance(hass, minutes=30, devices=[{"entity_id": LEVEL, "level": 30}])
    await hass.services.async_call(
        DOMAIN, "feed_mode", {"minutes": 5, "devices": [PUMP, LEVEL]}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    # Maintenance's level wins while both hold the LEDs.
    assert tank_state(hass) == ("on", "off", 30)
    await clock.move_to(berlin(11, 5))
    assert tank_state(hass) == ("on", "on", 30)
    await clock.move_to(berlin(11, 30))
    assert tank_state(hass) == ("on", "on", 80)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"minutes": 10, "end": "2026-03-04T12:00:00+01:00"}, "care_minutes_or_range"),
        ({"start": "2026-03-04T12:00:00+01:00"}, "required"),
        ({"start": "2026-03-04T12:00:00", "end": "2026-03-04T11:30:00"}, "end_before_start"),
        ({"end": "2026-03-04T10:00:00+01:00"}, "in_past"),
        ({"end": "2026-05-04T10:00:00+01:00"}, "care_range_too_long"),
        ({"end": "soon"}, "expected_datetime"),
        ({"minutes": 10081}, "out_of_range"),
        ({"devices": [{"entity_id": HEATER, "level": "half"}]}, "care_level"),
        ({"devices": [{"entity_id": HEATER, "level": 101}]}, "care_level"),
        ({"devices": [{"entity_id": HEATER, "level": True}]}, "care_level"),
        ({"devices": [{"entity_id": HEATER, "delay": 1}]}, "unknown_key"),
        ({"schedule_id": ["nope"]}, "unknown_schedule"),
        ({"tags": [{"a": 1}]}, "expected_texts"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(
    hass: HomeAssistant, hass_storage: dict[str, Any], data: dict[str, Any], key: str
) -> None:
    await start_runner(hass, local_entry(hass))
    with pytest.raises(ServiceValidationError) as refused:
        await maintenance(hass, **data)
    assert refused.value.translation_key == key
    assert "reef_scheduler.care" not in hass_storage
    assert hass.states.get(SWITCH).state == "off"


async def test_the_options_step_sets_the_maintenance_defaults(
    hass: HomeAssistant, clock: Clock
) -> None:
    entry = local_entry(hass, {"retries": 2})
    await start_runner(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "care"}
    )
    assert result["step_id"] == "care"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "feed_minutes": 15,
            "feed_devices": [PUMP],
            "maintenance_minutes": 45,
            "maintenance_devices": [HEATER, LEVEL],
            "maintenance_tags": ["dosing", " "],
        },
    )
    assert result["step_id"] == "care_feed"
    result = await hass.config_entries.options.async_configure(result["flow_id"], {PUMP: 0})
    assert result["step_id"] == "care_levels"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {HEATER: 0, LEVEL: 30}
    )
    assert result["step_id"] == "care_delays"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {HEATER: 10, LEVEL: 0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["retries"] == 2  # the other options stay
    assert entry.options["maintenance_devices"] == [
        {"entity_id": HEATER, "level": 0.0, "restore_after": 10},
        {"entity_id": LEVEL, "level": 30.0, "restore_after": 0},
    ]
    assert entry.options["maintenance_tags"] == ["dosing"]
    await hass.services.async_call("switch", "turn_on", {"entity_id": SWITCH}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert tank_state(hass) == ("off", "on", 30)
    await clock.move_to(berlin(11, 45))
    assert tank_state(hass) == ("off", "on", 80)
    await clock.move_to(berlin(11, 55))
    assert tank_state(hass) == ("on", "on", 80)
    # The form shows what is set; a step without devices is left out.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "care"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"feed_minutes": 10, "maintenance_minutes": 60}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["feed_devices"] == []


async def test_a_range_that_began_while_stopped_begins_at_start_and_store_edges(
    hass: HomeAssistant,
    clock: Clock,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = local_entry(hass)
    await start_runner(hass, entry)
    await maintenance(hass, start=berlin(11, 30), end=berlin(12), devices=DEVICES)
    await kill(hass, entry, hass_storage)
    stored = hass_storage["reef_scheduler.care"]["data"]
    stored["periods"].append({"kind": "feed", "start": "soon"})  # unreadable: dropped
    stored["paused"]["gone"] = berlin(13).isoformat()  # a schedule no longer there
    await clock.move_to(berlin(11, 40))
    await start_runner(hass, entry)
    assert "A stored feed mode or maintenance period is unreadable" in caplog.text
    assert tank_state(hass) == ("off", "on", 30)
    assert hass.states.get(SWITCH).state == "on"
    await clock.move_to(berlin(12))
    assert tank_state(hass) == ("off", "on", 80)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert "reef_scheduler.care" not in hass_storage
