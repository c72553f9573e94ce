"""Service tests: happy paths, responses, invalid input, unknown schedules, unloaded entry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import DOMAIN, SUBENTRY_TYPE_SCHEDULE
from custom_components.reef_scheduler.local.backend import LocalBackend
from custom_components.reef_scheduler.runner.store import SCHEDULES_KEY

from .clock import Clock
from .surface import PUMP, T0, copy_of, reef_devices, seed, setup_local, spec


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)


async def call(hass: HomeAssistant, service: str, data: dict[str, Any], **kw: Any) -> Any:
    return await hass.services.async_call(DOMAIN, service, data, blocking=True, **kw)


async def create(hass: HomeAssistant, **fields: Any) -> str:
    result = await call(hass, "create_schedule", {"schedule": spec(**fields)}, return_response=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    return str(result["schedule_id"])


async def test_create_update_delete(
    hass: HomeAssistant, device_registry: dr.DeviceRegistry, hass_storage: dict[str, Any]
) -> None:
    entry, backend = await setup_local(hass)
    sid = await create(hass, id="sunrise")
    assert sid == "sunrise"
    subentries = [s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_TYPE_SCHEDULE]
    stored = hass_storage[SCHEDULES_KEY]["data"]["schedules"]
    assert [(s.unique_id, s.title, s.data["schedule_id"], copy_of(s)) for s in subentries] == [
        ("sunrise", "Sunrise", "sunrise", stored["sunrise"])
    ]
    assert hass.states.get("switch.sunrise_enabled").state == "on"

    await call(hass, "update_schedule", {"schedule_id": sid, "schedule": {"name": "Dawn"}})
    await hass.async_block_till_done()
    assert backend.runner.schedules[sid].name == "Dawn"
    assert backend.runner.schedules[sid].timing.times[0].hour == 10  # other keys kept
    assert entry.subentries[subentries[0].subentry_id].title == "Dawn"
    # The copy follows the change.
    copy = copy_of(entry.subentries[subentries[0].subentry_id])
    assert copy == hass_storage[SCHEDULES_KEY]["data"]["schedules"][sid]
    assert copy["name"] == "Dawn"
    device = device_registry.async_get_device({(DOMAIN, f"{entry.entry_id}_sunrise")})
    assert device is not None
    assert device.name == "Dawn"

    await call(hass, "delete_schedule", {"schedule_id": sid})
    await hass.async_block_till_done()
    assert sid not in backend.runner.schedules
    assert not entry.subentries
    assert device_registry.async_get_device({(DOMAIN, f"{entry.entry_id}_sunrise")}) is None
    assert hass.states.get("switch.sunrise_enabled") is None


async def test_create_invalid_changes_nothing(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass, "create_schedule", {"schedule": spec(times=["25:00"])}, return_response=True
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "invalid_time"
    assert err.value.translation_placeholders["field"] == "times.0"
    assert not backend.runner.schedules
    assert not entry.subentries

    await create(hass, id="one")
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "create_schedule", {"schedule": spec(id="one")}, return_response=True)
    assert err.value.translation_key == "duplicate_id"
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "update_schedule", {"schedule_id": "one", "schedule": {"cron": "x"}})
    assert err.value.translation_key == "unknown_key"
    await call(
        hass,
        "update_schedule",
        {"schedule_id": "one", "schedule": {"type": "cron", "cron": "0 8 * * *"}},
    )
    assert backend.runner.schedules["one"].type == "cron"
    assert len(entry.subentries) == 1


async def test_storage_failure_is_a_translated_runtime_error(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    with (
        patch.object(backend.runner, "async_add", side_effect=OSError("disk full")),
        pytest.raises(HomeAssistantError) as err,
    ):
        await call(hass, "create_schedule", {"schedule": spec()}, return_response=True)
    assert err.value.translation_key == "action_failed"
    assert err.value.translation_placeholders == {"error": "disk full"}
    assert not entry.subentries
    with (
        patch.object(backend.runner, "async_add", side_effect=HomeAssistantError("boom")),
        pytest.raises(HomeAssistantError, match="boom"),
    ):
        await call(hass, "create_schedule", {"schedule": spec()}, return_response=True)


@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("update_schedule", {"schedule": {"name": "x"}}),
        ("delete_schedule", {}),
        ("run_now", {}),
        ("skip_next", {}),
        ("get_history", {}),
        ("get_next_runs", {}),
        ("pause", {"duration": {"minutes": 5}}),
        ("resume", {}),
    ],
)
async def test_unknown_schedule(hass: HomeAssistant, service: str, data: dict[str, Any]) -> None:
    await setup_local(hass)
    kwargs = {"return_response": True} if service.startswith("get_") else {}
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, service, {"schedule_id": "nope", **data}, **kwargs)
    assert err.value.translation_key == "unknown_schedule"
    assert err.value.translation_placeholders == {"schedule_id": "nope"}


async def test_entry_not_loaded(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    await create(hass, id="one")
    assert await hass.config_entries.async_unload(entry.entry_id)
    for service, data in (
        ("run_now", {"schedule_id": "one"}),
        ("create_schedule", {"schedule": spec()}),
        ("preview", {"schedule": spec()}),
    ):
        kwargs = {"return_response": True} if service != "run_now" else {}
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, service, data, **kwargs)
        assert err.value.translation_key == "not_loaded"
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "create_schedule",
            {"config_entry_id": "missing", "schedule": spec()},
            return_response=True,
        )
    assert err.value.translation_key == "unknown_entry"


async def test_run_now_and_history(hass: HomeAssistant) -> None:
    _, backend = await setup_local(hass)
    sid = await create(hass)
    await call(hass, "run_now", {"schedule_id": sid})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(PUMP).state == "on"
    await call(hass, "run_now", {"schedule_id": sid})
    await hass.async_block_till_done(wait_background_tasks=True)

    page = await call(hass, "get_history", {"schedule_id": sid, "limit": 1}, return_response=True)
    assert page["more"] is True
    assert [(r["slot"], r["status"], r["trigger"]) for r in page["records"]] == [
        (1, "success", "manual")
    ]
    page = await call(
        hass,
        "get_history",
        {"schedule_id": sid, "newest_first": False, "start_slot": 0},
        return_response=True,
    )
    assert [r["slot"] for r in page["records"]] == [0, 1]
    assert page["more"] is False
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "get_history", {"schedule_id": sid, "limit": 1001}, return_response=True)
    assert err.value.translation_placeholders == {"field": "limit", "min": "1", "max": "1000"}


async def test_next_runs_skip_and_preview(hass: HomeAssistant) -> None:
    _, backend = await setup_local(hass)
    sid = await create(hass)
    result = await call(
        hass, "get_next_runs", {"schedule_id": sid, "count": 3}, return_response=True
    )
    assert result == {
        "schedule_id": sid,
        "name": "Sunrise",
        "runs": [
            "2026-03-02T09:00:00+00:00",
            "2026-03-03T09:00:00+00:00",
            "2026-03-04T09:00:00+00:00",
        ],
    } or result["runs"][0].startswith("2026-03-03")
    first = result["runs"][0]
    await call(hass, "skip_next", {"schedule_id": sid})
    result = await call(hass, "get_next_runs", {"schedule_id": sid}, return_response=True)
    assert len(result["runs"]) == 5
    assert result["runs"][0] > first
    assert backend.runner.ledger_page(sid)[0][0].status == "skipped"

    await call(hass, "update_schedule", {"schedule_id": sid, "schedule": {"enabled": False}})
    result = await call(hass, "get_next_runs", {"schedule_id": sid}, return_response=True)
    assert result["runs"] == []

    cron = {k: v for k, v in spec().items() if k not in ("frequency", "times")}
    preview = await call(
        hass,
        "preview",
        {"schedule": cron | {"type": "cron", "cron": "0 12 * * *"}, "count": 2},
        return_response=True,
    )
    assert preview == {"runs": ["2026-03-02T11:00:00+00:00", "2026-03-03T11:00:00+00:00"]}
    assert len(backend.runner.schedules) == 1  # nothing saved
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "preview",
            {"schedule": cron | {"type": "cron", "cron": "nope"}},
            return_response=True,
        )
    assert err.value.translation_key == "invalid_cron"
    assert err.value.translation_placeholders["field"] == "cron"


async def test_pause_and_resume(hass: HomeAssistant, clock: Clock) -> None:
    _, backend = await setup_local(hass)
    a = await create(hass, name="A", tags=["pumps"])
    b = await create(hass, name="B", tags=["lights"])
    await call(hass, "pause", {"tags": "pumps", "duration": {"hours": 2}})
    assert backend.runner.states[a].paused_until == T0 + timedelta(hours=2)
    assert backend.runner.states[b].paused_until is None
    until = T0 + timedelta(days=1)
    await call(hass, "pause", {"schedule_id": [b], "until": until.isoformat()})
    assert backend.runner.states[b].paused_until == until
    await call(hass, "resume", {"schedule_id": b, "tags": ["pumps"]})
    assert backend.runner.states[a].paused_until is None
    assert backend.runner.states[b].paused_until is None

    for data, key in (
        ({"schedule_id": a}, "pause_end"),
        ({"schedule_id": a, "duration": {"minutes": 1}, "until": until.isoformat()}, "pause_end"),
        ({"schedule_id": a, "until": (T0 - timedelta(hours=1)).isoformat()}, "pause_in_past"),
        ({"duration": {"minutes": 1}}, "no_selection"),
        ({"tags": ["heaters"], "duration": {"minutes": 1}}, "no_schedule_tagged"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, "pause", data)
        assert err.value.translation_key == key
    assert backend.runner.states[a].paused_until is None
    await clock.advance(1)


async def test_invalid_stored_schedule(hass: HomeAssistant, hass_storage: dict[str, Any]) -> None:
    seed(
        hass_storage,
        [
            {
                "id": "bad",
                "name": "Bad",
                "type": "cron",
                "cron": "nope",
                "action": {"type": "on", "target": {"entity_id": [PUMP]}},
            }
        ],
    )
    entry, backend = await setup_local(hass)
    assert "bad" in backend.runner.invalid
    # It has a subentry all the same: it is edited there.
    (subentry,) = entry.subentries.values()
    assert (subentry.unique_id, subentry.title) == ("bad", "Bad")
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "run_now", {"schedule_id": "bad"})
    assert err.value.translation_key == "schedule_invalid_stored"
    await call(hass, "update_schedule", {"schedule_id": "bad", "schedule": {"cron": "0 9 * * *"}})
    await hass.async_block_till_done()
    assert "bad" in backend.runner.schedules
    assert "bad" not in backend.runner.invalid


async def test_remote_backend_lookup(hass: HomeAssistant) -> None:
    """A schedule owned by another loaded entry's backend goes to that backend."""
    entry, backend = await setup_local(hass)

    class Fake:
        entry_id = "remote"

        def __init__(self) -> None:
            self.calls: list[tuple[str, Any]] = []

        def has_schedule(self, sid: str) -> bool:
            return sid in ("srv-1", "srv-2")

        def schedule_name(self, sid: str) -> str:
            return f"Server {sid}"

        async def async_create(self, spec: Any) -> str:
            return "srv-2"

        async def async_update(self, sid: str, spec: Any) -> None:
            self.calls.append(("update", spec))

        async def async_delete(self, sid: str) -> None:
            self.calls.append(("delete", sid))

        async def async_set_enabled(self, sid: str, enabled: bool) -> None:
            raise NotImplementedError

        async def async_run_now(self, sid: str) -> None:
            self.calls.append(("run", sid))

    fake = Fake()
    other = MockConfigEntry(domain=DOMAIN, data={"kind": "bellas_reef"}, entry_id="remote")
    other.add_to_hass(hass)
    other.mock_state(hass, __import__("homeassistant").config_entries.ConfigEntryState.LOADED)
    other.runtime_data = type("R", (), {"backend": fake})()
    await call(hass, "update_schedule", {"schedule_id": "srv-1", "schedule": {"name": "x"}})
    ran = await call(hass, "run_now", {"schedule_id": "srv-1"}, return_response=True)
    assert ran == {"schedules": [{"schedule_id": "srv-1", "name": "Server srv-1"}]}
    await call(hass, "delete_schedule", {"schedule_id": "srv-1"})
    assert fake.calls == [("update", {"name": "x"}), ("run", "srv-1"), ("delete", "srv-1")]
    result = await call(
        hass,
        "create_schedule",
        {"config_entry_id": "remote", "schedule": spec()},
        return_response=True,
    )
    assert result == {"schedule_id": "srv-2", "name": "Server srv-2"}
    for service in ("skip_next", "get_next_runs"):
        with pytest.raises(ServiceValidationError) as err:
            await call(
                hass,
                service,
                {"schedule_id": "srv-1"},
                return_response=service.startswith("get_") or None,
            )
        assert err.value.translation_key == "local_only"
    preview = await call(
        hass, "preview", {"config_entry_id": "remote", "schedule": spec()}, return_response=True
    )
    assert len(preview["runs"]) == 5
    assert isinstance(backend, LocalBackend)
