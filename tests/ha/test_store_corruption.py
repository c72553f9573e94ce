"""A damaged store loses nothing: schedules, subentries, devices and entities all stay.

Each test starts from files as a kill -9 or a broken disk leaves them: the stores of the
integration are real files under .storage (Home Assistant reads them as at a start), damaged
before the entry is set up again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import (
    CONF_ENTRY_KIND,
    DOMAIN,
    ENTRY_KIND_LOCAL,
    SUBENTRY_TYPE_SCHEDULE,
)
from custom_components.reef_scheduler.runner.store import LEDGER_KEY, SCHEDULES_KEY, STATE_KEY

from .clock import Clock
from .surface import (
    HEATER,
    PUMP,
    T0,
    copy_of,
    kill,
    on_disk,
    reef_devices,
    run_records,
    setup_local,
    spec,
)

# 11:00 in Berlin on T0's day: the pump flips.
DUE = T0 + timedelta(hours=1)
TOGGLE = {"type": "toggle", "target": {"entity_id": [PUMP]}}


@pytest.fixture(autouse=True)
def disk(freezer: FrozenDateTimeFactory) -> Iterator[None]:
    """Keep the integration's stores in real files; start at T0."""
    freezer.move_to(T0)
    with on_disk():
        yield


def _file(hass: HomeAssistant, key: str = SCHEDULES_KEY) -> Path:
    """Return a store's file."""
    return Path(hass.config.path(".storage", key))


def _stored(hass: HomeAssistant) -> dict[str, Any]:
    """Return the definitions in the schedules file on disk."""
    return dict(json.loads(_file(hass).read_text())["data"]["schedules"])


def _world(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Return what must survive: subentries, devices, entity ids (customised ones too)."""
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    return {
        "subentries": sorted(
            (s.subentry_id, s.unique_id, s.title) for s in entry.subentries.values()
        ),
        "devices": sorted((d.id, d.name) for d in devices),
        # Not the subentry: Home Assistant 2025.4 drops it from a renamed entity until a start.
        "entities": sorted((e.entity_id, e.unique_id, e.device_id) for e in entities),
    }


async def _first_life(hass: HomeAssistant, hass_storage: dict[str, Any]) -> MockConfigEntry:
    """Make two schedules (one renamed, one entity id customised), then kill Home Assistant."""
    await reef_devices(hass)
    entry, backend = await setup_local(hass)
    await backend.async_create(spec("Flip", id="flip", times=["11:00"], action=TOGGLE))
    heat = {"type": "on", "target": {"entity_id": [HEATER]}}
    await backend.async_create(spec("Heat", id="heat", times=["12:00"], action=heat))
    await backend.async_update("heat", spec("Heater on", times=["12:00"], action=heat))
    er.async_get(hass).async_update_entity("switch.flip_enabled", new_entity_id="switch.my_flip")
    await hass.async_block_till_done()
    await kill(hass, entry, hass_storage)
    return entry


async def _start_again(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up again, as Home Assistant does at a start."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _assert_runs_and_edits(hass: HomeAssistant, clock: Clock, entry: MockConfigEntry) -> None:
    """The schedules run on time and can be edited (their copies follow)."""
    assert hass.states.get(PUMP).state == "off"
    await clock.move_to(DUE + timedelta(seconds=1))
    assert hass.states.get(PUMP).state == "on"
    assert [r["status"] for r in await run_records(hass, "flip")] == ["success"]
    await hass.services.async_call(
        DOMAIN,
        "update_schedule",
        {"schedule_id": "heat", "schedule": {"name": "Heater"}},
        blocking=True,
    )
    copy = copy_of(next(s for s in entry.subentries.values() if s.unique_id == "heat"))
    assert copy == _stored(hass)["heat"]
    assert copy["name"] == "Heater"


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _missing(path: Path) -> None:
    path.unlink()


def _reshaped(change: Callable[[dict[str, Any]], Any]) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        stored = json.loads(path.read_text())
        stored["data"] = change(stored["data"])
        path.write_text(json.dumps(stored))

    return damage


def _unversioned(path: Path) -> None:
    stored = json.loads(path.read_text())
    del stored["version"]
    path.write_text(json.dumps(stored))


def _schedules_a_list(data: dict[str, Any]) -> Any:
    return {"schedules": list(data["schedules"].values())}


def _no_object(_data: dict[str, Any]) -> Any:
    return "schedules"


def _one_bad_item(data: dict[str, Any]) -> Any:
    data["schedules"]["flip"] = "\x00garbage"
    return data


@pytest.mark.parametrize(
    ("damage", "moved_aside", "ours"),
    [
        pytest.param(_truncated, True, False, id="truncated"),
        pytest.param(_empty, True, False, id="empty"),
        pytest.param(_reshaped(_schedules_a_list), True, True, id="schedules-a-list"),
        pytest.param(_reshaped(_no_object), True, True, id="data-a-string"),
        pytest.param(_reshaped(_one_bad_item), False, False, id="one-bad-item"),
        pytest.param(_unversioned, True, True, id="no-version"),
        pytest.param(_missing, False, False, id="missing"),
    ],
)
async def test_a_damaged_schedules_file_loses_nothing(
    hass: HomeAssistant,
    clock: Clock,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
    damage: Callable[[Path], None],
    moved_aside: bool,
    ours: bool,
) -> None:
    entry = await _first_life(hass, hass_storage)
    before = _world(hass, entry)
    assert set(_stored(hass)) == {"flip", "heat"}
    good = _stored(hass)

    damage(_file(hass))
    await _start_again(hass, entry)

    assert _world(hass, entry) == before
    runner = entry.runtime_data.runner
    assert sorted(runner.schedules) == ["flip", "heat"]
    assert runner.invalid == {}
    # Rebuilt from the subentries' copies and written back as it was.
    assert _stored(hass) == good
    assert hass.states.get("switch.my_flip").state == "on"
    assert hass.states.get("switch.heat_enabled").state == "on"
    corrupt = list(_file(hass).parent.glob(f"{SCHEDULES_KEY}.corrupt.*"))
    assert len(corrupt) == (1 if moved_aside else 0)
    ha_issue = [
        i for i in issue_registry.issues.values() if i.translation_key == "storage_corruption"
    ]
    assert len(ha_issue) == (1 if moved_aside and not ours else 0)
    assert (
        issue_registry.async_get_issue(DOMAIN, f"store_damaged_{SCHEDULES_KEY}") is not None
    ) is ours
    assert issue_registry.async_get_issue(DOMAIN, "schedules_lost") is None
    await _assert_runs_and_edits(hass, clock, entry)


def _write(hass: HomeAssistant, key: str, data: Any, version: int = 1) -> None:
    """Write a store's file as Home Assistant does."""
    path = _file(hass, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    stored = {"version": version, "minor_version": 1, "key": key, "data": data}
    path.write_text(json.dumps(stored))


def _local_entry(hass: HomeAssistant, subentries: list[ConfigSubentryData]) -> MockConfigEntry:
    """Add the local entry with the subentries its config entries file holds."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Reef Scheduler",
        data={CONF_ENTRY_KIND: ENTRY_KIND_LOCAL},
        subentries_data=subentries,
    )
    entry.add_to_hass(hass)
    return entry


def _subentry(sid: str, title: str, definition: Any = None) -> ConfigSubentryData:
    """Return a schedule subentry as stored (without a copy unless one is given)."""
    data: dict[str, Any] = {"schedule_id": sid}
    if definition is not None:
        data["definition"] = json.dumps(definition)
    return ConfigSubentryData(
        data=data, subentry_type=SUBENTRY_TYPE_SCHEDULE, title=title, unique_id=sid
    )


async def _repair_in_the_flow(hass: HomeAssistant, entry: MockConfigEntry, sid: str) -> None:
    """Edit a schedule in its subentry's reconfigure flow into a valid daily one."""
    subentry = next(s for s in entry.subentries.values() if s.unique_id == sid)
    flows = hass.config_entries.subentries
    result = await flows.async_init(
        (entry.entry_id, SUBENTRY_TYPE_SCHEDULE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )
    for answer in (
        {"name": subentry.title, "kind": "daily"},
        {"times": "13:00", "every": 1},
        {"action": "on"},
        {},
        {"target": {"entity_id": [HEATER]}},
        {"enabled": True, "catch_up": 15, "retries": 3, "timeout": 10},
    ):
        assert result["type"] == "form", result
        result = await flows.async_configure(result["flow_id"], answer)
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()


async def test_stored_schedules_without_subentries_get_them_back(
    hass: HomeAssistant, clock: Clock, issue_registry: ir.IssueRegistry
) -> None:
    """Killed after a create, before the config entries were saved: the subentries come back."""
    await reef_devices(hass)
    flip = spec("Flip", id="flip", times=["11:00"], action=TOGGLE)
    heat = spec(
        "Heat", id="heat", times=["12:00"], action={"type": "on", "target": {"entity_id": [HEATER]}}
    )
    bad = spec("Bad", id="bad", type="cron", cron="nope")
    _write(hass, SCHEDULES_KEY, {"schedules": {"flip": flip, "heat": heat, "bad": bad}}, 2)
    entry = _local_entry(hass, [_subentry("heat", "Heat", heat)])
    await _start_again(hass, entry)

    subentries = {s.unique_id: s for s in entry.subentries.values()}
    assert sorted((sid, s.title) for sid, s in subentries.items()) == [
        ("bad", "Bad"),
        ("flip", "Flip"),
        ("heat", "Heat"),
    ]
    stored = _stored(hass)
    assert {sid: copy_of(s) for sid, s in subentries.items()} == stored
    assert hass.states.get("switch.flip_enabled").state == "on"
    assert issue_registry.async_get_issue(DOMAIN, "invalid_schedule_bad") is not None

    # The invalid one is edited (repaired) in its subentry like any other.
    await _repair_in_the_flow(hass, entry, "bad")
    runner = entry.runtime_data.runner
    assert "bad" in runner.schedules
    assert hass.states.get("switch.bad_enabled").state == "on"
    assert copy_of(subentries["bad"]) == _stored(hass)["bad"]
    assert issue_registry.async_get_issue(DOMAIN, "invalid_schedule_bad") is None
    await _assert_runs_and_edits(hass, clock, entry)


async def test_subentries_of_earlier_versions_get_copies_and_lost_ones_stay(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Subentries without copies get them; one whose definition is nowhere stays, reported."""
    await reef_devices(hass)
    flip = spec("Flip", id="flip", times=["11:00"], action=TOGGLE)
    _write(hass, SCHEDULES_KEY, {"schedules": {"flip": flip}}, 2)
    entry = _local_entry(hass, [_subentry("flip", "Flip"), _subentry("old", "Old")])
    old = next(s for s in entry.subentries.values() if s.unique_id == "old")
    device = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        config_subentry_id=old.subentry_id,
        identifiers={(DOMAIN, f"{entry.entry_id}_old")},
        name="Old",
    )
    entity_registry.async_get_or_create(
        "switch",
        DOMAIN,
        f"{entry.entry_id}_old_enabled",
        config_entry=entry,
        config_subentry_id=old.subentry_id,
        device_id=device.id,
        suggested_object_id="old_enabled",
    )
    await _start_again(hass, entry)

    flip_subentry = next(s for s in entry.subentries.values() if s.unique_id == "flip")
    assert copy_of(flip_subentry) == _stored(hass)["flip"]
    # The lost one keeps its subentry, device and entity; it is reported by name.
    assert old.subentry_id in entry.subentries
    assert device_registry.async_get(device.id) is not None
    assert entity_registry.async_get("switch.old_enabled") is not None
    issue = issue_registry.async_get_issue(DOMAIN, "schedules_lost")
    assert issue is not None
    assert issue.translation_placeholders == {"count": "1", "names": "Old"}
    # Deleting its entry (as the issue says) settles it.
    hass.config_entries.async_remove_subentry(entry, old.subentry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, "schedules_lost") is None
    assert "flip" in entry.runtime_data.runner.schedules


async def test_a_lost_schedule_created_again_keeps_its_subentry(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry
) -> None:
    await reef_devices(hass)
    entry = _local_entry(hass, [_subentry("old", "Old")])
    (old,) = entry.subentries.values()
    await _start_again(hass, entry)
    assert issue_registry.async_get_issue(DOMAIN, "schedules_lost") is not None

    backend = entry.runtime_data.backend
    await backend.async_create(spec("Old", id="old", times=["11:00"], action=TOGGLE))
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, "schedules_lost") is None
    assert list(entry.subentries) == [old.subentry_id]
    assert copy_of(entry.subentries[old.subentry_id]) == _stored(hass)["old"]
    assert hass.states.get("switch.old_enabled").state == "on"


async def test_a_bad_item_without_a_copy_stays_editable(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry
) -> None:
    """An item that is no schedule at all, with no copy to rebuild it: kept, reported, editable.

    Its subentry was never saved either: it gets one, named after its id.
    """
    await reef_devices(hass)
    _write(hass, SCHEDULES_KEY, {"schedules": {"odd": [1, 2]}}, 2)
    entry = _local_entry(hass, [])
    await _start_again(hass, entry)

    runner = entry.runtime_data.runner
    assert runner.invalid["odd"].spec == [1, 2]
    assert [(s.unique_id, s.title) for s in entry.subentries.values()] == [("odd", "odd")]
    assert issue_registry.async_get_issue(DOMAIN, "invalid_schedule_odd") is not None
    await _repair_in_the_flow(hass, entry, "odd")
    assert runner.schedules["odd"].name == "odd"
    assert hass.states.get("switch.odd_enabled").state == "on"


async def test_a_damaged_ledger_file_keeps_every_schedule(
    hass: HomeAssistant, hass_storage: dict[str, Any], issue_registry: ir.IssueRegistry
) -> None:
    entry = await _first_life(hass, hass_storage)
    before = _world(hass, entry)
    _write(hass, LEDGER_KEY, ["not", "a", "ledger"])

    await _start_again(hass, entry)

    assert _world(hass, entry) == before
    assert sorted(entry.runtime_data.runner.schedules) == ["flip", "heat"]
    issue = issue_registry.async_get_issue(DOMAIN, f"store_damaged_{LEDGER_KEY}")
    assert issue is not None
    assert issue.translation_placeholders["rebuilt"] == "0"
    assert len(list(_file(hass).parent.glob(f"{LEDGER_KEY}.corrupt.*"))) == 1


async def test_a_copy_that_cannot_be_read_is_written_again(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    await reef_devices(hass)
    flip = spec("Flip", id="flip", times=["11:00"], action=TOGGLE)
    _write(hass, SCHEDULES_KEY, {"schedules": {"flip": flip}}, 2)
    damaged = ConfigSubentryData(
        data={"schedule_id": "flip", "definition": '{"id": "fl'},
        subentry_type=SUBENTRY_TYPE_SCHEDULE,
        title="Flip",
        unique_id="flip",
    )
    entry = _local_entry(hass, [damaged])
    await _start_again(hass, entry)

    assert "The copy of schedule flip kept in its entry cannot be read" in caplog.text
    (subentry,) = entry.subentries.values()
    assert copy_of(subentry) == _stored(hass)["flip"]
    assert hass.states.get("switch.flip_enabled").state == "on"


async def test_unreadable_run_data_of_one_schedule_stops_nothing(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    clock: Clock,
    issue_registry: ir.IssueRegistry,
) -> None:
    entry = await _first_life(hass, hass_storage)
    before = _world(hass, entry)
    _write(hass, LEDGER_KEY, {"flip": {"records": "not records"}})
    _write(hass, STATE_KEY, {"flip": {"next_due": "not an instant"}})

    await _start_again(hass, entry)

    assert _world(hass, entry) == before
    for key in (LEDGER_KEY, STATE_KEY):
        issue = issue_registry.async_get_issue(DOMAIN, f"store_damaged_{key}")
        assert issue is not None
        assert issue.translation_placeholders["error"].startswith(
            "1 schedules' items could not be read: flip ("
        )
        assert issue.translation_placeholders["kept_as"] == "-"
    # Flip starts afresh: its next run is the next 11:00, on time.
    await _assert_runs_and_edits(hass, clock, entry)
