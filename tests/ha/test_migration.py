"""Entries made by earlier versions: their retired per-schedule entities go, the rest stays."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    ConfigEntryDisabler,
    ConfigEntryState,
    ConfigSubentryData,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import (
    CONF_ENTRY_KIND,
    DOMAIN,
    ENTRY_KIND_BELLAS_REEF,
    ENTRY_KIND_LOCAL,
    device_identifier,
)

from .surface import EQUIPMENT, LIGHTS, OTHER, reef_devices, seed, spec

# The seven entities every schedule had in version 1.1: (platform, key, enabled by default).
OLD_ENTITIES = (
    ("switch", "enabled", True),
    ("sensor", "next_run", True),
    ("sensor", "last_result", True),
    ("sensor", "last_run", False),
    ("sensor", "runs", False),
    ("button", "run_now", False),
    ("event", "run", False),
)
# Version 1.2 had the switch and the button.
ENTITIES_1_2 = (OLD_ENTITIES[0], OLD_ENTITIES[5])
NAMES = {"sunrise": "Sunrise", "sunset": "Sunset"}
# The calendars of this version, one per category, in entity id order.
CALENDARS = sorted((LIGHTS, EQUIPMENT, OTHER))
# The Reef care device's entities (1.5): new ones, kept by every migration.
CARE = (
    "button.reef_care_feed_mode",
    "sensor.reef_care_feed_mode_end",
    "switch.reef_care_maintenance",
)


def _old_entry(
    hass: HomeAssistant,
    minor_version: int = 1,
    made: tuple[tuple[str, str, bool], ...] = OLD_ENTITIES,
) -> MockConfigEntry:
    """Add a version 1.x local entry with the registry entries it made (not set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Reef Scheduler",
        data={CONF_ENTRY_KIND: ENTRY_KIND_LOCAL},
        minor_version=minor_version,
        subentries_data=[
            ConfigSubentryData(
                data={"schedule_id": sid}, subentry_type="schedule", title=name, unique_id=sid
            )
            for sid, name in NAMES.items()
        ],
    )
    entry.add_to_hass(hass)
    devices, entities = dr.async_get(hass), er.async_get(hass)
    # Up to version 1.3 the entry had one calendar for every schedule.
    entities.async_get_or_create(
        "calendar",
        DOMAIN,
        f"{entry.entry_id}_calendar",
        config_entry=entry,
        suggested_object_id="reef schedules",
        translation_key="schedules",
    )
    for subentry in entry.subentries.values():
        sid = subentry.unique_id
        assert sid is not None
        device = devices.async_get_or_create(
            config_entry_id=entry.entry_id,
            config_subentry_id=subentry.subentry_id,
            identifiers={device_identifier(entry.entry_id, sid)},
            name=NAMES[sid],
        )
        for platform, key, enabled in made:
            entities.async_get_or_create(
                platform,
                DOMAIN,
                f"{entry.entry_id}_{sid}_{key}",
                config_entry=entry,
                config_subentry_id=subentry.subentry_id,
                device_id=device.id,
                disabled_by=None if enabled else er.RegistryEntryDisabler.INTEGRATION,
                suggested_object_id=f"{sid} {key}",
                translation_key=key,
            )
    return entry


async def test_old_entry_keeps_only_the_switch(
    hass: HomeAssistant, hass_storage: dict[str, Any], entity_registry: er.EntityRegistry
) -> None:
    await reef_devices(hass)
    seed(hass_storage, [spec(id=sid, name=name) for sid, name in NAMES.items()])
    entry = _old_entry(hass)
    assert len(er.async_entries_for_config_entry(entity_registry, entry.entry_id)) == 15
    # The user renamed a switch: it survives as it is. A button the user enabled goes too:
    # the run_now action does what it did.
    entity_registry.async_update_entity(
        "switch.sunrise_enabled", new_entity_id="switch.morning", name="Morning"
    )
    entity_registry.async_update_entity("button.sunrise_run_now", disabled_by=None)
    # Neither another integration's entities nor another entry's are this entry's to remove.
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    entity_registry.async_get_or_create(
        "sensor", "other", f"{entry.entry_id}_sunrise_next_run", config_entry=other
    )
    server = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_ENTRY_KIND: ENTRY_KIND_BELLAS_REEF},
        minor_version=1,
        disabled_by=ConfigEntryDisabler.USER,  # not set up, so not migrated
    )
    server.add_to_hass(hass)
    entity_registry.async_get_or_create(
        "sensor", DOMAIN, f"{server.entry_id}_1_next_run", config_entry=server
    )

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.minor_version == 4
    kept = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    assert sorted((item.entity_id, item.disabled_by) for item in kept) == sorted(
        [(entity_id, None) for entity_id in (*CALENDARS, *CARE)]
        + [("switch.morning", None), ("switch.sunset_enabled", None)]
    )
    assert hass.states.get("calendar.reef_schedules") is None
    assert entity_registry.async_get("switch.morning").name == "Morning"  # type: ignore[union-attr]
    assert hass.states.get("switch.morning").attributes["next_run"] is not None
    assert hass.states.get("sensor.sunrise_next_run") is None
    assert len(er.async_entries_for_config_entry(entity_registry, other.entry_id)) == 1
    assert len(er.async_entries_for_config_entry(entity_registry, server.entry_id)) == 1

    # Once: the next start has nothing to migrate, whatever the registry holds.
    entity_registry.async_get_or_create(
        "sensor", DOMAIN, f"{entry.entry_id}_sunrise_runs", config_entry=entry
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entity_registry.async_get_entity_id("sensor", DOMAIN, f"{entry.entry_id}_sunrise_runs")


async def test_entry_of_version_1_2_loses_its_buttons(
    hass: HomeAssistant, hass_storage: dict[str, Any], entity_registry: er.EntityRegistry
) -> None:
    await reef_devices(hass)
    seed(hass_storage, [spec(id=sid, name=name) for sid, name in NAMES.items()])
    entry = _old_entry(hass, 2, ENTITIES_1_2)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.minor_version == 4
    kept = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    assert sorted(item.entity_id for item in kept) == sorted(
        [*CALENDARS, *CARE, "switch.sunrise_enabled", "switch.sunset_enabled"]
    )


async def test_entry_of_version_1_3_loses_its_single_calendar(
    hass: HomeAssistant, hass_storage: dict[str, Any], entity_registry: er.EntityRegistry
) -> None:
    await reef_devices(hass)
    seed(hass_storage, [spec(id=sid, name=name) for sid, name in NAMES.items()])
    entry = _old_entry(hass, 3, (OLD_ENTITIES[0],))
    # The user had renamed the old calendar: it goes all the same, its events are in the new.
    entity_registry.async_update_entity("calendar.reef_schedules", name="Tank")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.minor_version == 4
    kept = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    assert sorted(item.entity_id for item in kept) == sorted(
        [*CALENDARS, *CARE, "switch.sunrise_enabled", "switch.sunset_enabled"]
    )
    assert (
        hass.states.get(EQUIPMENT).attributes["message"]
        == "Sunrise · Turn on input_boolean.return_pump"
    )


async def test_entry_of_a_later_version_is_not_set_up(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_ENTRY_KIND: ENTRY_KIND_LOCAL}, version=2)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


async def test_new_entry_has_nothing_to_migrate(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": ENTRY_KIND_LOCAL}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    entry = result["result"]
    assert (entry.version, entry.minor_version) == (1, 4)
