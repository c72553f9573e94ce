"""A schedule in one line through Home Assistant's translations, targets by their names."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.engine.model import (
    Action,
    ActionType,
    IntervalTiming,
    Schedule,
    SunEvent,
    SunTiming,
    Target,
)
from custom_components.reef_scheduler.runner.describe import (
    Texts,
    async_load_texts,
    category,
    describe,
)

from .surface import BLUE, PUMP, reef_tank

PULSE = IntervalTiming(timedelta(minutes=15))


def on(*entity_ids: str, **targets: tuple[str, ...]) -> Schedule:
    """Return a 15-minute pulse turning targets on."""
    action = Action(ActionType.ON, Target(entity_ids=entity_ids, **targets))
    return Schedule("s", "S", PULSE, action)


@pytest.fixture(autouse=True)
async def tank(hass: HomeAssistant) -> None:
    await reef_tank(hass)


async def test_in_the_language_of_home_assistant(hass: HomeAssistant) -> None:
    hass.config.language = "de"
    await async_load_texts(hass)
    ramp = Action(
        ActionType.RAMP,
        Target(entity_ids=(BLUE,)),
        level=80,
        start_level=0,
        duration=timedelta(hours=1),
    )
    sunset = SunTiming(SunEvent.SUNSET, offset=timedelta(minutes=-30), weekdays=frozenset({5, 6}))
    schedule = Schedule("s", "S", sunset, ramp)
    assert describe(hass, schedule) == (
        "Sonnenuntergang \u221230 min (Sa, So) · Rampe Reef Blue 0 → 80 % über 1 h"
    )
    many = on(*(f"switch.pump_{n}" for n in range(6)))
    assert (
        describe(hass, many)
        == "Alle 15 min · switch.pump_0, switch.pump_1 und 4 weitere einschalten"
    )


async def test_texts_fall_back_to_english(hass: HomeAssistant) -> None:
    await async_load_texts(hass)
    hass.config.language = "fr"  # never loaded
    assert describe(hass, on(PUMP)) == "Every 15 min · Turn on input_boolean.return_pump"


async def test_targets_by_their_names(
    hass: HomeAssistant,
    area_registry: ar.AreaRegistry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    await async_load_texts(hass)
    other = MockConfigEntry(domain="demo")
    other.add_to_hass(hass)
    skimmer = device_registry.async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("demo", "skimmer")}, name="Skimmer"
    )
    # Entities without a state yet (a start): named as Home Assistant will name them.
    for unique_id, fields in {
        "power": {"has_entity_name": True, "original_name": "Power"},
        "main": {"has_entity_name": True, "original_name": None},
        "plain": {"original_name": "Old pump"},
        "nameless": {},
    }.items():
        entity_registry.async_get_or_create(
            "switch",
            "demo",
            unique_id,
            device_id=skimmer.id,
            suggested_object_id=unique_id,
            **fields,  # type: ignore[arg-type]
        )
    texts = Texts(hass)
    assert [
        texts.entity_name(entity_id)
        for entity_id in (
            BLUE,  # its state's friendly name
            "switch.power",
            "switch.main",
            "switch.plain",
            "switch.nameless",
            "switch.nowhere",
        )
    ] == ["Reef Blue", "Skimmer Power", "Skimmer", "Old pump", "switch.nameless", "switch.nowhere"]
    # The name a user gave wins, the device's too.
    entity_registry.async_update_entity("switch.plain", name="Return")
    device_registry.async_update_device(skimmer.id, name_by_user="Big skimmer")
    assert [texts.entity_name("switch.plain"), texts.entity_name("switch.power")] == [
        "Return",
        "Big skimmer Power",
    ]
    sump = area_registry.async_create("Sump")
    both = on(device_ids=(skimmer.id, "gone"), area_ids=(sump.id,))
    assert describe(hass, both) == "Every 15 min · Turn on Big skimmer, gone, Sump"
    # A device counts by its entities (a switch: equipment); an empty area is "other".
    assert category(hass, on(device_ids=(skimmer.id,))).value == "equipment"
    assert category(hass, on(area_ids=(sump.id,))).value == "other"
