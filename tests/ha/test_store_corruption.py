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
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import (
    DOMAIN,
)
from custom_components.reef_scheduler.runner.store import SCHEDULES_KEY

from .clock import Clock
from .surface import HEATER, PUMP, T0, kill, on_disk, reef_devices, run_records, setup_local, spec

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
        # Not the subentry: Home Assistant 2025.4 drops it from a renamed entity until its next start.
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
    copy = next(s for s in entry.subentries.values() if s.unique_id == "heat").data["definition"]
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
