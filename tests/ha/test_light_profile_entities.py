"""The entities of a light profile schedule: channel, moon and acclimation sensors, weather."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest

from custom_components.reef_scheduler.engine.moon import illuminated_fraction, phase_name

from .clock import Clock
from .surface import setup_local, spec

LIGHT = "input_number.blue_level"
MOON_LIGHT = "input_number.moon_level"
BLUE = "sensor.reef_light_blue_level"
MOON = "sensor.reef_light_moonlight_level"
ACCLIMATION = "sensor.reef_light_acclimation"
WEATHER = "switch.reef_light_weather"


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """Return an instant of March 2026 on Berlin's wall clock."""
    return datetime.fromisoformat(f"2026-03-{day:02d}T{hour:02d}:{minute:02d}:00+01:00")


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Berlin at 07:00, with a blue channel and a moon light as input numbers."""
    freezer.move_to(berlin(4, 7))
    await hass.config.async_set_time_zone("Europe/Berlin")
    hass.config.latitude, hass.config.longitude = 52.52, 13.405
    number = {"min": 0, "max": 100, "step": 1, "initial": 0}
    assert await async_setup_component(
        hass, "input_number", {"input_number": {"blue_level": number, "moon_level": number}}
    )


PROFILE: dict[str, Any] = {
    "channels": [
        {
            "name": "Blue",
            "lights": [LIGHT],
            "points": [
                {"time": "08:00", "level": 0},
                {"time": "10:00", "level": 80},
                {"time": "18:00", "level": 80},
                {"time": "20:00", "level": 0},
            ],
        }
    ],
    "moon": {"lights": [MOON_LIGHT], "max_level": 10, "start": "21:00", "end": "06:00"},
    "acclimation": {"start_date": "2026-03-04", "days": 10, "start_percent": 50},
}


def reef_light(profile: dict[str, Any] = PROFILE) -> dict[str, Any]:
    """Return the light profile schedule spec "Reef light"."""
    return {"id": "reef", "name": "Reef light", "type": "light_profile", "profile": profile}


async def test_a_profile_has_its_sensors_and_switches_others_keep_one_entity(
    hass: HomeAssistant,
) -> None:
    entry, backend = await setup_local(hass)
    other = await backend.async_create(spec("Pump"))
    await backend.async_create(reef_light())
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    mine = {
        item.entity_id: item
        for item in er.async_entries_for_config_entry(registry, entry.entry_id)
        if item.config_subentry_id is not None  # a schedule's (not the Reef care device's)
    }
    assert sorted(mine) == sorted(
        [BLUE, MOON, ACCLIMATION, WEATHER, "switch.reef_light_enabled", "switch.pump_enabled"]
    )
    keys = {
        item.unique_id.removeprefix(f"{entry.entry_id}_reef_")
        for item in mine.values()
        if item.unique_id.startswith(f"{entry.entry_id}_reef_")
    }
    assert keys == {"level_Blue", "moon_level", "acclimation", "weather", "enabled"}
    assert mine["switch.pump_enabled"].unique_id == f"{entry.entry_id}_{other}_enabled"
    assert mine[BLUE].translation_key == "channel_level"
    assert hass.states.get(BLUE).attributes["friendly_name"] == "Reef light Blue level"
    assert hass.states.get(BLUE).attributes["unit_of_measurement"] == "%"
    assert hass.states.get(WEATHER).state == "on"


async def test_channel_sensors_follow_the_curve_on_their_own(
    hass: HomeAssistant, clock: Clock
) -> None:
    _, backend = await setup_local(hass)
    await backend.async_create(reef_light())
    await hass.async_block_till_done()
    assert hass.states.get(BLUE).state == "0"
    assert hass.states.get(MOON).state == "0"
    # Acclimation day 1 of 10: the channel gets half of its points.
    for minute, level in ((0, "0"), (30, "10"), (60, "20"), (120, "40")):
        await clock.move_to(berlin(4, 8) + timedelta(minutes=minute))
        assert hass.states.get(BLUE).state == level
    await clock.move_to(berlin(4, 21))
    # The moon channel: 10 % at full moon, times the illuminated fraction of the night.
    moon = hass.states.get(MOON)
    assert 0 <= float(moon.state) <= 10
    assert moon.attributes["phase"] == phase_name(berlin(4, 21))
    assert moon.attributes["illuminated_fraction"] == round(illuminated_fraction(berlin(4, 21)), 3)
    # The next day: acclimation day 2 of 10, 55 %.
    await clock.move_to(berlin(5, 0))
    acclimation = hass.states.get(ACCLIMATION)
    assert (acclimation.state, acclimation.attributes["day"]) == ("55.0", 2)
    await clock.move_to(berlin(5, 10))
    assert hass.states.get(BLUE).state == "44"


async def test_the_weather_switch_writes_the_definition(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    await backend.async_create(reef_light())
    await hass.services.async_call("switch", "turn_off", {"entity_id": WEATHER}, blocking=True)
    runner = entry.runtime_data.runner
    assert runner.stored_definition("reef")["profile"]["weather"] is False
    assert runner.schedules["reef"].action.profile.weather is False
    assert hass.states.get(WEATHER).state == "off"
    await hass.services.async_call("switch", "turn_on", {"entity_id": WEATHER}, blocking=True)
    assert runner.stored_definition("reef")["profile"]["weather"] is True
    assert hass.states.get(WEATHER).state == "on"


async def test_an_edit_adds_and_removes_channel_sensors(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    await backend.async_create(reef_light())
    await hass.async_block_till_done()
    profile = dict(PROFILE)
    profile["channels"] = [PROFILE["channels"][0] | {"name": "Royal"}]
    del profile["acclimation"], profile["moon"]
    await backend.async_update("reef", reef_light(profile))
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    assert registry.async_get(BLUE) is None
    assert registry.async_get(MOON) is None
    assert registry.async_get(ACCLIMATION) is None
    assert hass.states.get(BLUE) is None
    assert hass.states.get("sensor.reef_light_royal_level") is not None
    assert registry.async_get(WEATHER) is not None
    # Back to a schedule of another kind: only its Enabled switch stays.
    await backend.async_update("reef", spec("Reef light"))
    await hass.async_block_till_done()
    remaining = [
        item.entity_id
        for item in er.async_entries_for_config_entry(registry, entry.entry_id)
        if item.config_subentry_id is not None
    ]
    assert remaining == ["switch.reef_light_enabled"]


async def test_sensors_follow_the_actions_and_a_disabled_profile(
    hass: HomeAssistant, clock: Clock
) -> None:
    _, backend = await setup_local(hass)
    await backend.async_create(reef_light())
    await clock.move_to(berlin(6, 12))  # acclimation day 3 of 10: 60 %
    assert hass.states.get(ACCLIMATION).state == "60.0"
    await hass.services.async_call(
        "reef_scheduler", "acclimation_pause", {"schedule_id": "reef"}, blocking=True
    )
    await clock.move_to(berlin(8, 12))  # paused on day 3: still 60 %
    state = hass.states.get(ACCLIMATION)
    assert (state.state, state.attributes["day"], state.attributes["paused"]) == ("60.0", 3, True)
    assert hass.states.get(BLUE).state == "48"  # 80 % x 60 %
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.reef_light_enabled"}, blocking=True
    )
    assert hass.states.get(BLUE).state == "unknown"  # nothing prescribed
    assert hass.states.get(MOON).state == "unknown"
    await clock.move_to(berlin(9, 12))
    assert hass.states.get(BLUE).state == "unknown"
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.reef_light_enabled"}, blocking=True
    )
    assert hass.states.get(BLUE).state == "48"


async def test_a_profile_not_begun_yet_has_no_level_until_its_first_day(
    hass: HomeAssistant, clock: Clock
) -> None:
    _, backend = await setup_local(hass)
    await backend.async_create(reef_light() | {"start": berlin(4, 12).isoformat()})
    assert hass.states.get(BLUE).state == "unknown"
    await clock.move_to(berlin(5, 9))  # day 2 of the acclimation: 55 % of 40 %
    assert hass.states.get(BLUE).state == "22"
