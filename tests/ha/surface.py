"""Shared helpers of the HA tests (runner, store, services, entities, flows, calendar)."""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import copy
from datetime import UTC, datetime
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, storage
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import CONF_ENTRY_KIND, DOMAIN, ENTRY_KIND_LOCAL
from custom_components.reef_scheduler.data import LocalData
from custom_components.reef_scheduler.local.backend import LocalBackend
from custom_components.reef_scheduler.runner.runner import ScheduleRunner
from custom_components.reef_scheduler.runner.store import (
    JOURNAL_KEY,
    LEDGER_KEY,
    SCHEDULES_KEY,
    STATE_KEY,
)

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
# Home Assistant's own file access, taken before any test mocks it (at collection).
_DISK = {
    name: getattr(storage.Store, name)
    for name in ("_async_load", "_async_write_data", "async_remove")
}
PUMP = "input_boolean.return_pump"
HEATER = "input_boolean.heater"
LEVEL = "input_number.blue_level"
BLUE = "light.reef_blue"


async def reef_devices(hass: HomeAssistant) -> None:
    """Provide two switchable reef devices in Berlin."""
    await hass.config.async_set_time_zone("Europe/Berlin")
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"return_pump": {}, "heater": {}}}
    )


def template_light(
    name: str, level: str, transition: bool, before: str | None = None
) -> dict[str, Any]:
    """Return a template light over an input_number level (0..100), ``before`` run first."""
    value = f"states('{level}') | float(0)"
    config: dict[str, Any] = {
        "friendly_name": name,
        "value_template": f"{{{{ {value} > 0 }}}}",
        "level_template": f"{{{{ ({value} * 2.55) | round(0) | int }}}}",
        "turn_on": {
            "action": "input_number.set_value",
            "target": {"entity_id": level},
            "data": {"value": 100},
        },
        "turn_off": {
            "action": "input_number.set_value",
            "target": {"entity_id": level},
            "data": {"value": 0},
        },
        "set_level": {
            "action": "input_number.set_value",
            "target": {"entity_id": level},
            "data": {"value": "{{ (brightness / 2.55) | round(0) }}"},
        },
    }
    if before is not None:
        for key in ("turn_on", "turn_off", "set_level"):
            config[key] = [{"action": before}, config[key]]
    if transition:
        config["supports_transition_template"] = "{{ true }}"
    return config


async def reef_tank(hass: HomeAssistant) -> None:
    """Provide the pump and heater, and an LED channel (light.reef_blue over its level)."""
    await reef_devices(hass)
    number = {"min": 0, "max": 100, "step": 1, "initial": 0}
    assert await async_setup_component(
        hass, "input_number", {"input_number": {"blue_level": number}}
    )
    lights = {"reef_blue": template_light("Reef Blue", LEVEL, transition=False)}
    assert await async_setup_component(
        hass, "light", {"light": [{"platform": "template", "lights": lights}]}
    )
    await hass.async_block_till_done()


def spec(name: str = "Sunrise", **fields: Any) -> dict[str, Any]:
    """Return a daily 10:00 schedule turning the pump on."""
    base: dict[str, Any] = {
        "name": name,
        "type": "recurring",
        "frequency": "daily",
        "times": ["10:00"],
        "action": {"type": "on", "target": {"entity_id": [PUMP]}},
    }
    return base | fields


async def setup_local(hass: HomeAssistant) -> tuple[MockConfigEntry, LocalBackend]:
    """Set up the local entry; return it with its backend."""
    entry = MockConfigEntry(
        domain=DOMAIN, title="Reef Scheduler", data={CONF_ENTRY_KIND: ENTRY_KIND_LOCAL}
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    runtime = entry.runtime_data
    assert isinstance(runtime, LocalData)
    return entry, runtime.backend


async def start_runner(
    hass: HomeAssistant, entry: MockConfigEntry | None = None, *, wait: bool = True
) -> tuple[MockConfigEntry, ScheduleRunner]:
    """Set up the local entry and return it with its runner."""
    if entry is None:
        entry = MockConfigEntry(domain="reef_scheduler", data={"kind": "local"})
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=wait)
    return entry, entry.runtime_data.runner


def seed(hass_storage: dict[str, Any], specs: list[dict[str, Any]], **stores: Any) -> None:
    """Write stored definitions (and optionally state/ledger/journal) before setup."""
    hass_storage[SCHEDULES_KEY] = {
        "version": 2,
        "minor_version": 1,
        "key": SCHEDULES_KEY,
        "data": {"schedules": {s["id"]: s for s in specs}},
    }
    for key, data in ((STATE_KEY, stores.get("state")), (LEDGER_KEY, stores.get("ledger"))):
        if data is not None:
            hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": data}
    if (journal := stores.get("journal")) is not None:
        hass_storage[JOURNAL_KEY] = {
            "version": 1,
            "minor_version": 1,
            "key": JOURNAL_KEY,
            "data": {"schedules": journal},
        }


async def kill(hass: HomeAssistant, entry: MockConfigEntry, hass_storage: dict[str, Any]) -> None:
    """Stop an entry as kill -9 would: only what was on disk at this instant survives.

    The disk is Home Assistant's storage (mocked in hass_storage) plus any file the integration
    keeps in the config folder's .storage. The entry is unloaded so its timers stop, then every
    write made while unloading (or still pending) is thrown away.
    """
    stored = copy.deepcopy(hass_storage)
    folder = Path(hass.config.path(".storage"))
    files = {path: path.read_bytes() for path in folder.glob("*")} if folder.is_dir() else {}
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    hass_storage.clear()
    hass_storage.update(stored)
    if folder.is_dir():
        for path in folder.glob("*"):
            if path not in files:
                path.unlink()
    for path, data in files.items():
        path.write_bytes(data)


@contextlib.contextmanager
def on_disk(prefix: str = DOMAIN) -> Iterator[None]:
    """Keep the stores whose key starts with prefix in real files under .storage.

    The other stores stay in the test's mocked storage. Home Assistant then reads these files
    as it does at a start: a corrupt one is moved aside and reported by Home Assistant itself.
    """
    mocked = {name: getattr(storage.Store, name) for name in _DISK}

    def route(name: str) -> Any:
        async def call(store: storage.Store[Any], *args: Any) -> Any:
            method = _DISK[name] if store.key.startswith(prefix) else mocked[name]
            return await method(store, *args)

        return call

    with contextlib.ExitStack() as stack:
        for name in _DISK:
            stack.enter_context(patch.object(storage.Store, name, route(name)))
        yield


async def run_records(hass: HomeAssistant, sid: str) -> list[dict[str, Any]]:
    """Return a schedule's run records as the get_history service gives them, oldest first."""
    page = await hass.services.async_call(
        DOMAIN,
        "get_history",
        {"schedule_id": sid, "newest_first": False},
        blocking=True,
        return_response=True,
    )
    return list(page["records"])


def journal_path(hass: HomeAssistant, suffix: str = "") -> Path:
    """Return the run journal's file."""
    return Path(hass.config.path(".storage", f"reef_scheduler.journal{suffix}.jsonl"))


def journal_lines(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Return the run journal's lines as on disk (none without a file)."""
    path = journal_path(hass)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_bytes().splitlines()]


LIGHTS = "calendar.reef_lights"
EQUIPMENT = "calendar.reef_equipment"
OTHER = "calendar.other_reef_schedules"


async def events(
    hass: HomeAssistant, start: datetime, end: datetime, calendar: str = EQUIPMENT
) -> list[dict[str, Any]]:
    """Return a Reef Scheduler calendar's events between start and end (the calendar service)."""
    result = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": calendar, "start_date_time": start, "end_date_time": end},
        blocking=True,
        return_response=True,
    )
    return list(result[calendar]["events"])


def runs_of(hass: HomeAssistant, entity_id: str) -> dict[str, Any]:
    """Return what a schedule's Enabled switch tells of its runs (state attributes)."""
    attributes = hass.states.get(entity_id).attributes
    return {
        key: attributes[key]
        for key in ("status", "next_run", "last_run", "last_result", "last_error", "runs")
    }


def summary(
    hass: HomeAssistant, registry: er.EntityRegistry, entry_id: str
) -> list[dict[str, Any]]:
    """Return the stable parts of the registry entries and states (same on both HA versions)."""
    rows = []
    for item in sorted(
        er.async_entries_for_config_entry(registry, entry_id), key=lambda e: e.entity_id
    ):
        state = hass.states.get(item.entity_id)
        rows.append(
            {
                "entity_id": item.entity_id,
                "unique_id": item.unique_id.removeprefix(entry_id),
                "translation_key": item.translation_key,
                "original_device_class": item.original_device_class,
                "entity_category": item.entity_category,
                "disabled_by": item.disabled_by,
                "has_subentry": item.config_subentry_id is not None,
                "state": None if state is None else state.state,
                "attributes": None
                if state is None
                else {k: v for k, v in state.attributes.items() if k != "friendly_name"}
                | {"friendly_name": state.attributes.get("friendly_name")},
            }
        )
    return rows


def ramp_action(entity_id: str, start: float, end: float, seconds: int) -> dict[str, Any]:
    """Return a linear ramp action on one entity."""
    return {
        "type": "ramp",
        "level": end,
        "start_level": start,
        "duration": seconds,
        "target": {"entity_id": entity_id},
    }


def level_of(hass: HomeAssistant, entity_id: str = LEVEL) -> float:
    """Return an input_number's value (by default the LED channel's level, percent)."""
    return float(hass.states.get(entity_id).state)


def one_off(sid: str, at: datetime, action: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Return a one-off schedule spec."""
    return (
        {"id": sid, "name": sid.title(), "type": "one_off", "at": at.isoformat()}
        | {"action": action}
        | fields
    )


def copy_of(subentry: ConfigSubentry) -> Any:
    """Return the definition a schedule subentry keeps a copy of (stored as JSON text)."""
    return json.loads(subentry.data["definition"])
