"""Storage tests: the version-1 migration and what is kept of invalid schedules."""

from __future__ import annotations

from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.runner.store import SCHEDULES_KEY, STATE_KEY

from .surface import T0, copy_of, start_runner

FIXTURE = Path(__file__).parent / "fixtures" / "schedules_v1.json"


@pytest.fixture(autouse=True)
def frozen(freezer: FrozenDateTimeFactory) -> None:
    """Freeze time at the runner tests' T0."""
    freezer.move_to(T0)


async def test_version_1_store_is_migrated_without_losing_a_schedule(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    hass_storage[SCHEDULES_KEY] = json.loads(FIXTURE.read_text())
    _, runner = await start_runner(hass)

    wave = runner.schedules["wave"]
    assert wave.name == "Wavemaker pulse"
    assert wave.catch_up == timedelta(minutes=5)
    assert runner.states["wave"].next_due == T0 + timedelta(minutes=15)
    assert runner.schedules["sunrise"].timing.times[0].hour == 10
    # An invalid schedule is kept as stored (never dropped) and reported, not run.
    assert "broken" not in runner.schedules
    assert runner.invalid["broken"].errors[0].field == "cron"

    # The next write stores version 2 and still holds the invalid schedule.
    await runner.async_set_enabled("wave", False)
    stored = hass_storage[SCHEDULES_KEY]
    assert stored["version"] == 2
    assert set(stored["data"]["schedules"]) == {"wave", "sunrise", "broken"}
    assert stored["data"]["schedules"]["wave"]["every"] == 900
    assert stored["data"]["schedules"]["broken"]["cron"] == "not a cron"


async def test_unknown_future_version_is_not_touched(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    hass_storage[SCHEDULES_KEY] = {
        "version": 3,
        "minor_version": 1,
        "key": SCHEDULES_KEY,
        "data": {"schedules": {}},
    }
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    entry = MockConfigEntry(domain="reef_scheduler", data={"kind": "local"})
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert hass_storage[SCHEDULES_KEY]["version"] == 3


async def test_a_store_of_the_wrong_shape_is_read_as_far_as_it_can_be(
    hass: HomeAssistant, hass_storage: dict[str, Any], issue_registry: ir.IssueRegistry
) -> None:
    """Schedules a list, a state item that is no object: loaded as far as they can be read."""
    spec = {
        "id": "wave",
        "name": "Wave",
        "type": "interval",
        "every": 900,
        "action": {"type": "toggle", "target": {"entity_id": ["input_boolean.pump"]}},
    }
    hass_storage[SCHEDULES_KEY] = {
        "version": 2,
        "minor_version": 1,
        "key": SCHEDULES_KEY,
        "data": {"schedules": [spec, "not a schedule", {"no": "id"}]},
    }
    hass_storage[STATE_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": STATE_KEY,
        "data": {"wave": 5},
    }
    entry, runner = await start_runner(hass)

    assert list(runner.schedules) == ["wave"]
    # Written back in the right shape at once (there was no file to keep: kept as "-").
    assert list(hass_storage[SCHEDULES_KEY]["data"]["schedules"]) == ["wave"]
    for key in (SCHEDULES_KEY, STATE_KEY):
        issue = issue_registry.async_get_issue(DOMAIN, f"store_damaged_{key}")
        assert issue is not None
        assert issue.translation_placeholders["kept_as"] == "-"
    assert {sub.unique_id: copy_of(sub) for sub in entry.subentries.values()} == hass_storage[
        SCHEDULES_KEY
    ]["data"]["schedules"]
