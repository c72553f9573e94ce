"""Entity tests: snapshots of registry entries and states, add/remove without reload, events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from syrupy.assertion import SnapshotAssertion

from custom_components.reef_scheduler.const import DOMAIN, device_identifier
from custom_components.reef_scheduler.local.backend import EVENT_RUN, EVENT_RUN_FINISHED

from .clock import Clock
from .surface import (
    HEATER,
    PUMP,
    T0,
    one_off,
    reef_devices,
    runs_of,
    seed,
    setup_local,
    spec,
    summary,
)

SWITCH = "switch.sunrise_enabled"


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)


async def test_entities_snapshot(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    entry, backend = await setup_local(hass)
    await backend.async_create(spec(id="sunrise"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert summary(hass, entity_registry, entry.entry_id) == snapshot


@pytest.mark.usefixtures("all_enabled")
async def test_entities_follow_runs(hass: HomeAssistant, clock: Clock) -> None:
    _, backend = await setup_local(hass)
    await backend.async_create(spec(id="sunrise", times=["10:05"]))
    await hass.async_block_till_done()
    # Created inside its window (yesterday's 10:05 run still prescribes "on"), the schedule
    # switched the pump on at once; switch it off so that the run changes it again.
    assert hass.states.get(PUMP).state == "on"
    await hass.services.async_call("input_boolean", "turn_off", {ATTR_ENTITY_ID: PUMP})
    await hass.async_block_till_done()
    runs = async_capture_events(hass, EVENT_RUN)
    finished = async_capture_events(hass, EVENT_RUN_FINISHED)

    assert runs_of(hass, SWITCH) == {
        "status": "scheduled",
        "next_run": "2026-03-02T09:05:00+00:00",
        "last_run": None,
        "last_result": "not_run",
        "last_error": None,
        "runs": 0,
    }
    await clock.move_to(T0 + timedelta(minutes=5))
    assert hass.states.get(PUMP).state == "on"
    assert runs_of(hass, SWITCH) == {
        "status": "scheduled",
        "next_run": "2026-03-03T09:05:00+00:00",
        "last_run": "2026-03-02T09:05:00+00:00",
        "last_result": "success",
        "last_error": None,
        "runs": 1,
    }
    # The run event is the origin of the run's context: the pump's change carries it.
    assert len(runs) == 1
    assert runs[0].data == {
        "schedule_id": "sunrise",
        "name": "Sunrise",
        "slot": 0,
        "trigger": "timer",
    }
    assert hass.states.get(PUMP).context.id == runs[0].context.id
    # The finished event tells automations the outcome, in the same context.
    assert [event.data for event in finished] == [
        {
            "schedule_id": "sunrise",
            "name": "Sunrise",
            "entity_id": SWITCH,
            "slot": 0,
            "trigger": "timer",
            "due": "2026-03-02T09:05:00+00:00",
            "result": "success",
            "error": None,
        }
    ]
    assert finished[0].context.id == runs[0].context.id

    await hass.services.async_call(DOMAIN, "run_now", {"schedule_id": "sunrise"}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert runs_of(hass, SWITCH)["runs"] == 2
    assert [(e.data["slot"], e.data["trigger"], e.data["due"]) for e in finished[1:]] == [
        (1, "manual", None)
    ]

    await hass.services.async_call("switch", "turn_off", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert hass.states.get(SWITCH).state == "off"
    assert runs_of(hass, SWITCH)["next_run"] is None
    assert runs_of(hass, SWITCH)["status"] == "disabled"
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert hass.states.get(SWITCH).state == "on"


async def test_failed_run_tells_its_error(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    gone = {"type": "on", "target": {"entity_id": "switch.gone"}}
    await backend.async_create(spec(id="sunrise", retry={"retries": 0}, action=gone))
    finished = async_capture_events(hass, EVENT_RUN_FINISHED)
    backend.runner.async_run_now("sunrise")
    await hass.async_block_till_done(wait_background_tasks=True)

    failed = {"last_result": "failed", "last_error": "switch.gone: switch.gone is unavailable"}
    assert runs_of(hass, SWITCH).items() >= failed.items()
    assert [(e.data["result"], e.data["error"]) for e in finished] == [
        ("failed", failed["last_error"])
    ]
    # The error is stored with the run state: a restart keeps it.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert runs_of(hass, SWITCH).items() >= failed.items()
    # A skipped run has a reason, not an error: it clears the last error.
    assert entry.runtime_data.runner.async_skip_next("sunrise") is not None
    await hass.async_block_till_done()
    skipped = {"last_result": "skipped", "last_error": None}
    assert runs_of(hass, SWITCH).items() >= skipped.items()
    assert [(e.data["result"], e.data["error"]) for e in finished[1:]] == [("skipped", None)]


async def test_disabled_entities_are_left_out_until_enabled(
    hass: HomeAssistant, clock: Clock, entity_registry: er.EntityRegistry
) -> None:
    entry, backend = await setup_local(hass)
    await backend.async_create(spec(id="sunrise"))
    await hass.async_block_till_done()
    # A switch the user disabled is left out (after Home Assistant's reload delay); the
    # schedule still runs.
    entity_registry.async_update_entity(SWITCH, disabled_by=er.RegistryEntryDisabler.USER)
    await clock.advance(31)
    assert hass.states.get(SWITCH) is None
    assert entry.runtime_data.runner.states["sunrise"].next_due is not None
    # Enabled again, it is back, with the schedule's runs.
    entity_registry.async_update_entity(SWITCH, disabled_by=None)
    await clock.advance(31)
    assert hass.states.get(SWITCH).state == "on"


async def test_add_and_remove_without_reload(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    entry, backend = await setup_local(hass)
    await backend.async_create(spec(name="One", id="one"))
    await backend.async_create(spec(name="Two", id="two"))
    await hass.async_block_till_done()
    assert hass.states.get("switch.two_enabled").state == "on"
    subentry = next(s for s in entry.subentries.values() if s.unique_id == "two")
    removed = hass.data["entity_components"]["switch"].get_entity("switch.two_enabled")
    assert removed.device_info["name"] == "Two"
    # The user deletes the subentry: the schedule, device and entities go, no reload.
    assert hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)
    await hass.async_block_till_done()
    assert "two" not in backend.runner.schedules
    assert hass.states.get("switch.two_enabled") is None
    # The removed entity no longer describes a device (nothing can re-create it).
    assert removed.device_info is None
    assert removed.extra_state_attributes is None
    assert entity_registry.async_get("switch.two_enabled") is None
    assert hass.states.get("switch.one_enabled").state == "on"
    assert entry.runtime_data.backend is backend  # not reloaded


async def test_startup_reconciles_subentries(
    hass: HomeAssistant, hass_storage: dict[str, Any], issue_registry: ir.IssueRegistry
) -> None:
    seed(
        hass_storage,
        [
            {
                "id": "kept",
                "name": "Kept",
                "type": "cron",
                "cron": "0 9 * * *",
                "action": {"type": "on", "target": {"entity_id": [PUMP]}},
            },
            {
                "id": "ghost",
                "name": "Ghost",
                "type": "cron",
                "cron": "0 9 * * *",
                "action": {"type": "on", "target": {"entity_id": ["light.gone"]}},
            },
            {
                "id": "bad",
                "name": "Bad",
                "type": "cron",
                "cron": "nope",
                "action": {"type": "on", "target": {"entity_id": [PUMP]}},
            },
        ],
    )
    entry, backend = await setup_local(hass)
    # Every stored schedule has a subentry, the invalid one too (it is edited there).
    assert sorted(s.unique_id for s in entry.subentries.values()) == ["bad", "ghost", "kept"]
    assert hass.states.get("switch.kept_enabled").state == "on"
    assert issue_registry.async_get_issue(DOMAIN, "invalid_schedule_bad") is not None
    assert issue_registry.async_get_issue(DOMAIN, "targets_missing_ghost") is not None
    assert issue_registry.async_get_issue(DOMAIN, "targets_missing_kept") is None
    # Entities of a schedule without targets stay available.
    assert hass.states.get("switch.ghost_enabled").state == "on"
    await backend.async_update("ghost", spec(name="Ghost"))
    assert issue_registry.async_get_issue(DOMAIN, "targets_missing_ghost") is None
    await backend.async_delete("bad")
    assert issue_registry.async_get_issue(DOMAIN, "invalid_schedule_bad") is None

    # A lost schedules file: the subentries' copies rebuild the schedules at the next start.
    await hass.config_entries.async_unload(entry.entry_id)
    hass_storage.pop("reef_scheduler.schedules", None)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    runner = entry.runtime_data.runner
    assert sorted(runner.schedules) == ["ghost", "kept"]
    assert sorted(s.unique_id for s in entry.subentries.values()) == sorted(
        set(runner.schedules) | set(runner.invalid)
    )


async def test_device_page_says_what_the_schedule_does(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    entity_registry.async_update_entity(PUMP, name="Return pump")
    entry, backend = await setup_local(hass)
    await backend.async_create(spec(id="sunrise"))
    device = device_registry.async_get_device({device_identifier(entry.entry_id, "sunrise")})
    assert device is not None
    page = f"homeassistant://config/integrations/integration/{DOMAIN}#config_entry={entry.entry_id}"
    assert (
        device.name,
        device.model,
        device.manufacturer,
        device.serial_number,
        device.configuration_url,
    ) == ("Sunrise", "Daily 10:00 · Turn on Return pump", "Reef Scheduler", "sunrise", page)

    # Edited, the device follows.
    off = {"type": "off", "target": {"entity_id": [PUMP, HEATER]}}
    await backend.async_update("sunrise", spec(name="Dusk", times=["21:00", "09:00"], action=off))
    device = device_registry.async_get(device.id)
    assert device is not None
    assert (device.name, device.model) == (
        "Dusk",
        "Daily 09:00, 21:00 · Turn off Return pump, input_boolean.heater",
    )
    # A start with nothing changed writes nothing to the device registry.
    modified = device.modified_at
    freezer.tick(timedelta(hours=1))
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    device = device_registry.async_get(device.id)
    assert device is not None
    assert device.modified_at == modified
    # A target renamed meanwhile shows from the next start on.
    entity_registry.async_update_entity(HEATER, name="Heater")
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    device = device_registry.async_get(device.id)
    assert device is not None
    assert device.model == "Daily 09:00, 21:00 · Turn off Return pump, Heater"


async def test_switch_tells_where_the_schedule_stands(hass: HomeAssistant, clock: Clock) -> None:
    _, backend = await setup_local(hass)
    pump_on = {"type": "on", "target": {"entity_id": PUMP}}
    await backend.async_create(one_off("once", T0 + timedelta(hours=1), pump_on))
    await backend.async_create(spec(id="sunrise"))
    await hass.async_block_till_done()
    once, sunrise = "switch.once_enabled", SWITCH
    assert (runs_of(hass, once)["status"], runs_of(hass, once)["last_result"]) == (
        "scheduled",
        "not_run",
    )
    backend.runner.async_pause("sunrise", T0 + timedelta(hours=2))
    await hass.async_block_till_done()
    assert runs_of(hass, sunrise)["status"] == "paused"

    # Its one run done, the one-off is finished, not unknown.
    await clock.move_to(T0 + timedelta(hours=1))
    assert runs_of(hass, once) | {"last_run": None} == {
        "status": "finished",
        "next_run": None,
        "last_run": None,
        "last_result": "success",
        "last_error": None,
        "runs": 1,
    }
    await clock.move_to(T0 + timedelta(hours=2))
    assert runs_of(hass, sunrise)["status"] == "scheduled"
