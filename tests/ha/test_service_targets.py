"""Actions take schedules the Home Assistant way: a device or Enabled switch target.

The UI's action editor offers the schedules' devices and switches (services.yaml filters the
target to this integration); scripts keep naming them by id, and both together act on the
union. A target that names nothing of ours, or nothing at all, is refused with a translated
error and changes nothing; an action on one schedule refuses several.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import area_registry as ar, device_registry as dr
from homeassistant.helpers.selector import TargetSelector
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util.yaml import load_yaml_dict
import pytest

from custom_components.reef_scheduler.const import (
    DOMAIN,
    schedule_of_device,
    schedule_of_unique_id,
)

from .surface import BLUE, PUMP, T0, reef_tank, seed, setup_local, spec

SERVICES_YAML = "custom_components/reef_scheduler/services.yaml"
PER_SCHEDULE = (
    "update_schedule",
    "delete_schedule",
    "run_now",
    "skip_next",
    "pause",
    "resume",
    "get_history",
    "get_next_runs",
    "acclimation_pause",
    "acclimation_resume",
    "acclimation_reset",
    "storm",
)


@pytest.fixture(autouse=True)
async def tank(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_tank(hass)


async def call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> Any:
    """Call an action and return its response (every action on schedules gives one)."""
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def create(hass: HomeAssistant, sid: str, name: str, **fields: Any) -> None:
    """Create a daily 20:00 schedule (none is due while a test runs)."""
    definition = spec(name, id=sid, times=["20:00"]) | fields
    await call(hass, "create_schedule", {"schedule": definition})
    await hass.async_block_till_done(wait_background_tasks=True)


def device_of(hass: HomeAssistant, entry_id: str, sid: str) -> str:
    device = dr.async_get(hass).async_get_device({(DOMAIN, f"{entry_id}_{sid}")})
    assert device is not None
    return device.id


async def message(hass: HomeAssistant, err: ServiceValidationError, language: str = "en") -> str:
    """Return the refusal as the UI shows it, in a language."""
    assert err.translation_domain == DOMAIN
    texts = await async_get_translations(hass, language, "exceptions", [DOMAIN])
    text = texts[f"component.{DOMAIN}.exceptions.{err.translation_key}.message"]
    return text.format(**(err.translation_placeholders or {}))


def descriptions() -> dict[str, Any]:
    """Return services.yaml as Home Assistant reads it (the action editor shows it)."""
    return load_yaml_dict(str(Path(__file__).parents[2] / SERVICES_YAML))


def test_the_action_editor_offers_our_schedules_as_the_target() -> None:
    described = descriptions()
    for service in PER_SCHEDULE:
        target = TargetSelector.CONFIG_SCHEMA(described[service]["target"])
        assert target["device"] == [{"integration": DOMAIN}], service
        assert target["entity"] == [{"integration": DOMAIN, "domain": ["switch"]}], service
        assert not described[service]["fields"]["schedule_id"].get("required"), service
    for service in ("create_schedule", "preview"):
        assert "target" not in described[service]


async def test_the_default_definition_is_a_daily_ramp_that_works(hass: HomeAssistant) -> None:
    """The UI fills a field's default into the object editor: it must create a schedule."""
    _, backend = await setup_local(hass)
    field = descriptions()["create_schedule"]["fields"]["schedule"]
    default = field["default"]
    assert default["action"]["type"] == "ramp"
    assert default["action"]["target"] == {"entity_id": BLUE}
    assert isinstance(field["example"], str)  # the description table shows it as text
    assert descriptions()["preview"]["fields"]["schedule"]["default"] == default
    result = await call(hass, "create_schedule", {"schedule": default})
    schedule = backend.runner.schedules[result["schedule_id"]]
    assert (result["name"], schedule.name, schedule.type) == ("Sunrise", "Sunrise", "recurring")
    preview = await call(hass, "preview", {"schedule": default, "count": 1})
    assert preview == {"runs": ["2026-03-03T07:00:00+00:00"]}  # 08:00 in Berlin, tomorrow


async def test_run_now_by_device_or_switch(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    await create(hass, "pump", "Pump on")
    by_device = await call(hass, "run_now", {"device_id": device_of(hass, entry.entry_id, "pump")})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert by_device == {"schedules": [{"schedule_id": "pump", "name": "Pump on"}]}
    assert hass.states.get(PUMP).state == "on"
    by_switch = await call(hass, "run_now", {"entity_id": "switch.pump_on_enabled"})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert by_switch == by_device
    assert [r.slot for r in backend.runner.ledger_page("pump", newest_first=False)[0]] == [0, 1]


async def test_ids_and_targets_together_act_on_the_union_once_each(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    await create(hass, "a", "Alpha")
    await create(hass, "b", "Beta")
    await create(hass, "c", "Gamma")
    data = {
        "schedule_id": ["a"],
        "device_id": [device_of(hass, entry.entry_id, "a"), device_of(hass, entry.entry_id, "b")],
        "entity_id": "switch.beta_enabled, switch.gamma_enabled",
    }
    result = await call(hass, "skip_next", data)
    assert result == {
        "schedules": [
            {"schedule_id": "a", "name": "Alpha"},
            {"schedule_id": "b", "name": "Beta"},
            {"schedule_id": "c", "name": "Gamma"},
        ]
    }
    for sid in "abc":
        records = backend.runner.ledger_page(sid)[0]
        assert [record.status for record in records] == ["skipped"], sid

    paused = await call(
        hass, "pause", {"entity_id": ["switch.alpha_enabled"], "duration": {"hours": 1}}
    )
    assert paused == {"schedules": [{"schedule_id": "a", "name": "Alpha"}]}
    assert backend.runner.states["a"].paused_until == T0 + timedelta(hours=1)


async def test_pause_joins_targets_and_tags(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    await create(hass, "a", "Alpha", tags=["pumps"])
    await create(hass, "b", "Beta", tags=["lights"])
    await create(hass, "c", "Gamma", tags=["pumps"])
    result = await call(
        hass,
        "pause",
        {
            "device_id": device_of(hass, entry.entry_id, "b"),
            "tags": "pumps",
            "duration": {"minutes": 10},
        },
    )
    assert [one["schedule_id"] for one in result["schedules"]] == ["b", "a", "c"]
    assert all(state.paused_until is not None for state in backend.runner.states.values())
    result = await call(hass, "resume", {"entity_id": "switch.gamma_enabled"})
    assert result == {"schedules": [{"schedule_id": "c", "name": "Gamma"}]}
    assert backend.runner.states["c"].paused_until is None
    assert backend.runner.states["a"].paused_until is not None


async def test_delete_by_switch_deletes_each(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    await create(hass, "a", "Alpha")
    await create(hass, "b", "Beta")
    result = await call(
        hass, "delete_schedule", {"entity_id": ["switch.alpha_enabled", "switch.beta_enabled"]}
    )
    await hass.async_block_till_done()
    assert result == {
        "schedules": [{"schedule_id": "a", "name": "Alpha"}, {"schedule_id": "b", "name": "Beta"}]
    }
    assert not backend.runner.schedules
    assert not entry.subentries


async def test_single_schedule_actions_by_target(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    await create(hass, "a", "Alpha")
    result = await call(
        hass,
        "update_schedule",
        {"device_id": device_of(hass, entry.entry_id, "a"), "schedule": {"name": "Dawn"}},
    )
    assert result == {"schedules": [{"schedule_id": "a", "name": "Dawn"}]}
    assert backend.runner.schedules["a"].name == "Dawn"
    runs = await call(hass, "get_next_runs", {"entity_id": "switch.alpha_enabled", "count": 1})
    assert (runs["schedule_id"], runs["name"], len(runs["runs"])) == ("a", "Dawn", 1)
    history = await call(hass, "get_history", {"entity_id": "switch.alpha_enabled"})
    assert (history["schedule_id"], history["name"], history["records"]) == ("a", "Dawn", [])


@pytest.mark.parametrize("service", ["update_schedule", "get_history", "get_next_runs"])
async def test_one_schedule_actions_refuse_several(hass: HomeAssistant, service: str) -> None:
    _, backend = await setup_local(hass)
    await create(hass, "a", "Alpha")
    await create(hass, "b", "Beta")
    data: dict[str, Any] = {"schedule_id": "a", "entity_id": "switch.beta_enabled"}
    if service == "update_schedule":
        data["schedule"] = {"name": "Both"}
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, service, data)
    assert err.value.translation_key == "several_schedules"
    assert await message(hass, err.value) == (
        f"{service} acts on one schedule at a time, but 2 were chosen: Alpha, Beta."
    )
    assert await message(hass, err.value, "de") == (
        f"{service} wirkt auf genau einen Zeitplan, gewählt wurden aber 2: Alpha, Beta."
    )
    assert [s.name for s in backend.runner.schedules.values()] == ["Alpha", "Beta"]


@pytest.mark.parametrize("service", PER_SCHEDULE)
async def test_naming_no_schedule_is_refused(hass: HomeAssistant, service: str) -> None:
    await setup_local(hass)
    await create(hass, "a", "Alpha")
    data: dict[str, Any] = {"schedule": {"name": "x"}} if service == "update_schedule" else {}
    if service == "pause":
        data["duration"] = {"minutes": 5}
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, service, data)
    key = "no_selection" if service in ("pause", "resume") else "no_schedule"
    assert err.value.translation_key == key
    assert "Enabled switch" in await message(hass, err.value)


async def test_a_target_that_is_not_a_schedule_is_refused_and_changes_nothing(
    hass: HomeAssistant, area_registry: ar.AreaRegistry
) -> None:
    entry, backend = await setup_local(hass)
    await create(hass, "a", "Alpha")
    other = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("elsewhere", "x")}, name="Skimmer"
    )
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"entity_id": PUMP}, "not_a_schedule", f"{PUMP} is not a Reef Scheduler schedule"),
        ({"entity_id": "switch.nope"}, "not_a_schedule", "switch.nope is not"),
        ({"device_id": "0" * 32}, "not_a_schedule", "0000"),
        ({"device_id": other.id}, "not_a_schedule", "Skimmer is not a Reef Scheduler schedule"),
        ({"device_id": "d" * 10_000}, "not_a_schedule", "d" * 39 + "… is not"),
        (
            {"area_id": area_registry.async_create("Sump").id},
            "target_unsupported",
            "cannot be chosen by area, floor or label (area_id)",
        ),
        ({"schedule_id": "nope"}, "unknown_schedule", "There is no schedule nope."),
    ]
    for target, key, text in cases:
        for service in ("run_now", "delete_schedule", "skip_next"):
            # The schedule named as well is not acted on: the whole call is refused.
            with pytest.raises(ServiceValidationError) as err:
                await call(hass, service, {"entity_id": "switch.alpha_enabled"} | target)
            assert err.value.translation_key == key, (target, service)
            assert text in await message(hass, err.value), (target, service)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert list(backend.runner.schedules) == ["a"]
    assert backend.runner.ledger_page("a")[0] == []


async def test_an_invalid_stored_schedule_named_by_id_is_refused_by_name(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    seed(hass_storage, [{"id": "bad", "name": "Broken", "type": "cron", "cron": "nope"}])
    await setup_local(hass)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "run_now", {"schedule_id": "bad"})
    assert err.value.translation_key == "schedule_invalid_stored"
    assert await message(hass, err.value) == (
        "Schedule Broken is stored but invalid; fix it with update_schedule or delete it."
    )


async def test_a_target_while_nothing_is_loaded_is_refused(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    await create(hass, "a", "Alpha")
    device = device_of(hass, entry.entry_id, "a")
    assert await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "run_now", {"device_id": device})
    assert err.value.translation_key == "not_loaded"


def test_ids_are_read_back_only_from_identifiers_and_unique_ids_of_the_entry() -> None:
    assert schedule_of_device("e1", (DOMAIN, "e1_sunrise")) == "sunrise"
    assert schedule_of_device("e1", (DOMAIN, "e1")) is None  # the server's own device
    assert schedule_of_device("e1", (DOMAIN, "e2_sunrise")) is None
    assert schedule_of_device("e1", ("other", "e1_sunrise")) is None
    assert schedule_of_unique_id("e1", "e1_sunrise_enabled", "enabled") == "sunrise"
    assert schedule_of_unique_id("e1", "e1_a_b_enabled", "enabled") == "a_b"
    assert schedule_of_unique_id("e1", "e1_sunrise_run_now", "enabled") is None
    assert schedule_of_unique_id("e1", "e2_sunrise_enabled", "enabled") is None
    assert schedule_of_unique_id("e1", "e1__enabled", "enabled") is None
