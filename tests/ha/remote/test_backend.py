"""RemoteBackend: local specs mapped to the server's schedules, and its error mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest

from custom_components.reef_scheduler.engine.model import ScheduleInvalid
from custom_components.reef_scheduler.remote.backend import RemoteBackend
from custom_components.reef_scheduler.remote.convert import NotSupportedByServer
from tests.api.server import FakeBellasReef, FakeEndpoints

from .helpers import (
    setup_server_entry,
)

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)  # a Monday, CET (+01:00)
LIGHT = "input_boolean.led"
PUMP = "input_boolean.pump"
MAPPING = {"device_map": {"2": [LIGHT], "3": [PUMP]}}


@pytest.fixture(autouse=True)
async def berlin(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Berlin at T0 with two mapped entities."""
    freezer.move_to(T0)
    await hass.config.async_set_time_zone("Europe/Berlin")
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"led": {}, "pump": {}}}
    )


def spec(**fields: Any) -> dict[str, Any]:
    """Return a one-off spec switching the light on unless told otherwise."""
    base: dict[str, Any] = {
        "name": "Lights",
        "type": "one_off",
        "at": (T0 + timedelta(hours=1)).isoformat(),
        "action": {"type": "on", "target": {"entity_id": [LIGHT]}},
    }
    return {key: value for key, value in (base | fields).items() if value is not None}


async def backend_for(hass: HomeAssistant, endpoints: FakeEndpoints) -> RemoteBackend:
    """Set up a server entry with the mapping and return its backend."""
    entry = await setup_server_entry(hass, endpoints, MAPPING)
    return entry.runtime_data.backend


async def test_create_each_supported_type(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    backend = await backend_for(hass, endpoints)
    assert backend.entry_id

    sid = await backend.async_create(spec())
    row = fake.schedules[int(sid)]
    assert row["schedule_type"] == "one_off"
    assert row["start_time"] == T0 + timedelta(hours=1)
    assert row["device_ids"] == [2]
    assert row["timezone"] == "Europe/Berlin"
    assert backend.has_schedule(sid)
    await hass.async_block_till_done()
    assert hass.states.get("switch.lights_enabled").state == "on"

    sid = await backend.async_create(
        spec(
            name="Wave",
            type="interval",
            every=120,
            at=None,
            anchor=T0.isoformat(),
            end=(T0 + timedelta(days=1)).isoformat(),
            action={"type": "set_pwm", "level": 40, "target": {"entity_id": [PUMP, LIGHT]}},
        )
    )
    row = fake.schedules[int(sid)]
    assert (row["schedule_type"], row["interval_seconds"]) == ("interval", 120)
    assert row["start_time"] == T0
    assert row["end_time"] == T0 + timedelta(days=1)
    assert row["device_ids"] == [2, 3]
    assert row["action_params"] == {"target": 40}

    sid = await backend.async_create(
        spec(
            name="Sunrise",
            type="cron",
            at=None,
            cron="30 7 * * *",
            action={
                "type": "ramp",
                "start_level": 0,
                "level": 80,
                "duration": 1800,
                "target": {"entity_id": LIGHT},
            },
        )
    )
    row = fake.schedules[int(sid)]
    assert (row["cron_expression"], row["timezone"]) == ("30 6 * * *", "UTC")
    params = row["action_params"]
    assert params["start_level"] == 0
    assert params["end_level"] == 80
    assert params["duration"] == 1800
    assert params["reef_scheduler"]["timing"] == {"type": "cron", "cron": "30 7 * * *"}
    assert params["reef_scheduler"]["timezone"] == "Europe/Berlin"

    sid = await backend.async_create(
        spec(
            name="Feed",
            type="recurring",
            at=None,
            frequency="weekly",
            times=["18:00"],
            weekdays=["wed"],
            action={"type": "off", "transition": 2, "target": {"entity_id": PUMP}},
        )
    )
    row = fake.schedules[int(sid)]
    assert row["schedule_type"] == "recurring"
    assert row["start_time"] == datetime(2026, 1, 14, 17, 0, tzinfo=UTC)
    assert row["action_params"]["recurring_pattern"] == {"frequency": "weekly"}
    assert row["action_params"]["transition"] == 2

    sid = await backend.async_create(
        spec(
            name="Daily",
            type="recurring",
            at=None,
            frequency="daily",
            times=["08:00"],
            action={"type": "on", "duration": 600, "target": {"entity_id": PUMP}},
        )
    )
    row = fake.schedules[int(sid)]
    assert row["start_time"] == datetime(2026, 1, 13, 7, 0, tzinfo=UTC)
    assert row["action_params"]["duration"] == 600

    # A recurring schedule whose window has closed never runs again.
    with pytest.raises(NotSupportedByServer):
        await backend.async_create(
            spec(
                name="Past",
                type="recurring",
                at=None,
                frequency="daily",
                times=["08:00"],
                start=(T0 - timedelta(days=3)).isoformat(),
                end=(T0 - timedelta(days=1)).isoformat(),
            )
        )
    # The backend's run_now passes params without the run-here hint.
    await backend.async_run_now(sid)
    await hass.config_entries.async_unload(backend.entry_id)


@pytest.mark.parametrize(
    ("fields", "what"),
    [
        ({"action": {"type": "toggle", "target": {"entity_id": LIGHT}}}, "toggle"),
        ({"action": {"type": "on", "target": {"device_id": "abc"}}}, "device or area"),
        ({"action": {"type": "on", "target": {"entity_id": "light.other"}}}, "not mapped"),
        ({"type": "sun", "at": None, "event": "sunrise"}, "sun"),
        (
            {"type": "recurring", "at": None, "frequency": "monthly", "times": ["08:00"]}
            | {"month_days": [1]},
            "recurring",
        ),
        (
            {"type": "recurring", "at": None, "frequency": "daily", "times": ["08:00", "20:00"]},
            "recurring",
        ),
        ({"type": "interval", "at": None, "every": 1.5}, "fractional"),
        ({"type": "cron", "at": None, "cron": "0 0 1 * *"}, "another day"),
    ],
)
async def test_unsupported_specs_never_reach_the_server(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    fields: dict[str, Any],
    what: str,
) -> None:
    backend = await backend_for(hass, endpoints)
    posts = fake.count("POST", "/api/v1/schedules/")
    with pytest.raises(NotSupportedByServer, match=what) as err:
        await backend.async_create(spec(**fields))
    assert err.value.translation_key == "remote_not_supported"
    assert fake.count("POST", "/api/v1/schedules/") == posts
    await hass.config_entries.async_unload(backend.entry_id)


async def test_invalid_spec_is_refused_locally(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    backend = await backend_for(hass, endpoints)
    with pytest.raises(ScheduleInvalid) as err:
        await backend.async_create(spec(timezone="Mars/Olympus", type="cron", at=None, cron="x"))
    assert {error.code for error in err.value.errors} == {"invalid_timezone", "invalid_cron"}
    assert fake.count("POST", "/api/v1/schedules/") == 0
    await hass.config_entries.async_unload(backend.entry_id)


async def test_update_enable_delete_and_run_now(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    backend = await backend_for(hass, endpoints)
    sid = await backend.async_create(spec())
    await backend.async_update(sid, spec(type="interval", at=None, every=300, name="Every 5 min"))
    row = fake.schedules[int(sid)]
    assert (row["name"], row["schedule_type"], row["interval_seconds"]) == (
        "Every 5 min",
        "interval",
        300,
    )
    assert row["start_time"] is None

    await backend.async_set_enabled(sid, False)
    assert fake.schedules[int(sid)]["is_enabled"] is False
    await backend.async_set_enabled(sid, False)  # already disabled: still fine (Q11)
    await backend.async_set_enabled(sid, True)
    assert fake.schedules[int(sid)]["is_enabled"] is True

    # No run-here: run_now records an executed action per device on the server.
    await backend.async_run_now(sid)
    actions = list(fake.device_actions.values())
    assert [(a["device_id"], a["schedule_id"], a["status"]) for a in actions] == [
        (2, int(sid), "success")
    ]

    await backend.async_delete(sid)
    assert int(sid) not in fake.schedules
    assert not backend.has_schedule(sid)
    with pytest.raises(ServiceValidationError) as err:
        await backend.async_run_now(sid)
    assert err.value.translation_key == "remote_schedule_not_found"

    empty = fake.add_schedule(name="Empty", device_ids=[])
    await backend._coordinator.async_refresh()
    with pytest.raises(ServiceValidationError) as err:
        await backend.async_run_now(str(empty["id"]))
    assert err.value.translation_key == "remote_no_devices"
    await hass.config_entries.async_unload(backend.entry_id)


async def test_server_errors_are_mapped(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    backend = await backend_for(hass, endpoints)
    sid = await backend.async_create(spec())

    fake.fail_next(
        status=400,
        body='{"detail":"Device with ID 2 not found"}',
        content_type="application/json",
        method="PUT",
    )
    with pytest.raises(ServiceValidationError) as err:
        await backend.async_update(sid, spec())
    assert err.value.translation_key == "remote_rejected"
    assert err.value.translation_placeholders == {"detail": "Device with ID 2 not found"}

    fake.fail_next(status=500, method="PUT")
    with pytest.raises(HomeAssistantError) as err:
        await backend.async_update(sid, spec())
    assert err.value.translation_key == "remote_error"

    # Gone on the server but still known here.
    del fake.schedules[int(sid)]
    with pytest.raises(ServiceValidationError) as err:
        await backend.async_delete(sid)
    assert err.value.translation_key == "remote_schedule_not_found"

    sid = await backend.async_create(spec())
    fake.expire_tokens()
    fake.users["bellas"]["password"] = "rotated-password"
    with pytest.raises(HomeAssistantError) as err:
        await backend.async_set_enabled(sid, False)
    assert err.value.translation_key == "remote_auth_failed"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    fake.users["bellas"]["password"] = "reef-secret-pw"

    await endpoints.scheduler_server.close()
    with pytest.raises(HomeAssistantError) as err:
        await backend.async_delete(sid)
    assert err.value.translation_key == "remote_unreachable"
    await hass.config_entries.async_unload(backend.entry_id)


async def test_services_act_on_remote_schedules(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    backend = await backend_for(hass, endpoints)
    response = await hass.services.async_call(
        "reef_scheduler",
        "create_schedule",
        {"config_entry_id": backend.entry_id, "schedule": spec()},
        blocking=True,
        return_response=True,
    )
    sid = response["schedule_id"]
    assert fake.schedules[int(sid)]["name"] == "Lights"
    await hass.services.async_call(
        "reef_scheduler",
        "update_schedule",
        {"schedule_id": sid, "schedule": spec(name="Lights later")},
        blocking=True,
    )
    assert fake.schedules[int(sid)]["name"] == "Lights later"
    await hass.services.async_call("reef_scheduler", "run_now", {"schedule_id": sid}, blocking=True)
    assert [a["status"] for a in fake.device_actions.values()] == ["success"]
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "reef_scheduler",
            "create_schedule",
            {
                "config_entry_id": backend.entry_id,
                "schedule": spec(type="sun", at=None, event="dusk"),
            },
            blocking=True,
            return_response=True,
        )
    await hass.services.async_call(
        "reef_scheduler", "delete_schedule", {"schedule_id": sid}, blocking=True
    )
    assert int(sid) not in fake.schedules
    await hass.config_entries.async_unload(backend.entry_id)


async def test_diagnostics_redact_credentials(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    from custom_components.reef_scheduler.diagnostics import (
        async_get_config_entry_diagnostics,
    )
    from custom_components.reef_scheduler.remote.setup import public_url

    fake.add_schedule(name="Pump", device_ids=[3])
    entry = await setup_server_entry(hass, endpoints, {"run_here": True, **MAPPING})
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    text = str(diagnostics)
    assert "reef-secret-pw" not in text
    assert "bellas'" not in text  # the username (the kind "bellas_reef" may appear)
    assert public_url("http://bob:pw@reef.local:8000") == "http://reef.local:8000"
    assert diagnostics["kind"] == "bellas_reef"
    assert diagnostics["data"]["password"] == "**REDACTED**"
    assert diagnostics["schedules"]["1"]["name"] == "Pump"
    assert diagnostics["run_here"]["schedules"] == ["1"]
    assert (diagnostics["status"], diagnostics["run_here"]["dropped_reports"]) == ("connected", 0)
    assert diagnostics["breakers"]["core"] == {"state": "closed", "failures": 0}
    token = entry.runtime_data.client._token
    assert token
    assert token not in text
    await hass.async_block_till_done(wait_background_tasks=True)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_diagnostics_of_an_entry_in_setup_retry_and_without_run_here(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    from homeassistant.config_entries import ConfigEntryState

    from custom_components.reef_scheduler.diagnostics import (
        async_get_config_entry_diagnostics,
    )

    fake.add_schedule(name="Pump", device_ids=[3])
    entry = await setup_server_entry(hass, endpoints, MAPPING)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["schedules"]["1"]["name"] == "Pump"
    assert "run_here" not in diagnostics
    await hass.config_entries.async_unload(entry.entry_id)

    fake.fail_next(times=10, status=503, body="down", service="scheduler")
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["data"]["password"] == "**REDACTED**"
    assert "schedules" not in diagnostics


LOCAL_ONLY = [
    (
        {
            "name": "Reef light",
            "type": "light_profile",
            "profile": {
                "channels": [
                    {
                        "name": "Blue",
                        "lights": ["light.blue"],
                        "points": [{"time": "12:00", "level": 50}],
                    }
                ]
            },
        },
        "remote_light_profile",
    ),
    (
        {
            "name": "Waves",
            "type": "wave",
            "wave": {"pumps": ["switch.left"], "mode": "pulse", "on": 30, "off": 30},
        },
        "remote_wave_pattern",
    ),
    (
        {
            "name": "Alkalinity",
            "type": "dosing",
            "dosing": {"doser": "switch.alk_doser", "daily_ml": 24, "doses": 1, "start": "08:00"},
        },
        "remote_dosing",
    ),
]


@pytest.mark.parametrize(("profile", "key"), LOCAL_ONLY)
async def test_light_profiles_and_waves_are_refused(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    profile: dict[str, Any],
    key: str,
) -> None:
    """A light profile, wave or dosing runs only in the local engine: a server entry refuses it."""
    backend = await backend_for(hass, endpoints)
    created = await hass.services.async_call(
        "reef_scheduler",
        "create_schedule",
        {"config_entry_id": backend.entry_id, "schedule": spec()},
        blocking=True,
        return_response=True,
    )
    sid = str(created["schedule_id"])
    before = dict(fake.schedules)
    calls = [
        ("create_schedule", {"config_entry_id": backend.entry_id, "schedule": profile}),
        ("update_schedule", {"schedule_id": sid, "schedule": profile}),
    ]
    for service, data in calls:
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                "reef_scheduler", service, data, blocking=True, return_response=True
            )
        assert err.value.translation_key == key
    assert fake.schedules == before
    await hass.config_entries.async_unload(backend.entry_id)
