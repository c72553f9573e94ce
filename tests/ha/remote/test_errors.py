"""One translated mapping of client errors, seen through services, entities and polling."""

from __future__ import annotations

from datetime import UTC, datetime

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest

from custom_components.reef_scheduler.api import (
    BellasReefAuthenticationError,
    BellasReefCircuitOpenError,
    BellasReefError,
    BellasReefNotFoundError,
    BellasReefParseError,
    BellasReefResponseError,
    BellasReefTimeoutError,
    BellasReefUnsupportedError,
    BellasReefValidationError,
)
from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.remote.errors import service_error, update_error
from tests.api.server import FakeBellasReef, FakeEndpoints

from ..clock import Clock
from .helpers import (
    setup_server_entry,
)

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
SWITCH = "switch.lights_enabled"


@pytest.fixture(autouse=True)
def frozen(freezer: FrozenDateTimeFactory) -> None:
    """Start every test at T0."""
    freezer.move_to(T0)


@pytest.mark.parametrize(
    ("err", "service", "poll"),
    [
        (
            BellasReefAuthenticationError(401, "bad token"),
            (HomeAssistantError, "remote_auth_failed", {}),
            (ConfigEntryAuthFailed, "remote_auth_failed", None),
        ),
        (
            BellasReefNotFoundError(404, "Not Found", method="DELETE", path="/api/v1/schedules/7"),
            (ServiceValidationError, "remote_schedule_not_found", {"schedule_id": "7"}),
            (
                UpdateFailed,
                "remote_error",
                {"error": "DELETE /api/v1/schedules/7 -> 404: Not Found"},
            ),
        ),
        (
            BellasReefValidationError(422, "name: field required"),
            (ServiceValidationError, "remote_rejected", {"detail": "name: field required"}),
            (UpdateFailed, "remote_error", {"error": "-> 422: name: field required"}),
        ),
        (
            BellasReefTimeoutError("GET /x timed out after 10 s"),
            (HomeAssistantError, "remote_unreachable", {"error": "GET /x timed out after 10 s"}),
            (UpdateFailed, "remote_unreachable", {"error": "GET /x timed out after 10 s"}),
        ),
        (
            BellasReefCircuitOpenError(30),
            (
                HomeAssistantError,
                "remote_unreachable",
                {"error": "Bella's Reef is unreachable; next attempt in 30 s"},
            ),
            (
                UpdateFailed,
                "remote_unreachable",
                {"error": "Bella's Reef is unreachable; next attempt in 30 s"},
            ),
        ),
        (
            BellasReefParseError(200, "unexpected answer"),
            (HomeAssistantError, "remote_error", {"error": "-> 200: unexpected answer"}),
            (UpdateFailed, "remote_error", {"error": "-> 200: unexpected answer"}),
        ),
        (
            BellasReefUnsupportedError(500, "broken route"),
            (HomeAssistantError, "remote_error", {"error": "-> 500: broken route"}),
            (UpdateFailed, "remote_error", {"error": "-> 500: broken route"}),
        ),
        (
            BellasReefResponseError(503, "down"),
            (HomeAssistantError, "remote_error", {"error": "-> 503: down"}),
            (UpdateFailed, "remote_error", {"error": "-> 503: down"}),
        ),
    ],
)
def test_each_client_error_maps_to_one_translation(
    err: BellasReefError,
    service: tuple[type[HomeAssistantError], str, dict[str, str] | None],
    poll: tuple[type[HomeAssistantError], str, dict[str, str] | None],
) -> None:
    for mapped, (cls, key, placeholders) in (
        (service_error(err), service),
        (update_error(err), poll),
    ):
        assert type(mapped) is cls
        assert mapped.translation_domain == DOMAIN
        assert mapped.translation_key == key
        assert mapped.translation_placeholders == placeholders


async def _lights(hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef) -> str:
    """Set up a server entry with one schedule; return the schedule id."""
    fake.add_schedule(name="Lights", device_ids=[2])
    await setup_server_entry(hass, endpoints)
    assert hass.states.get(SWITCH).state == "on"
    return "1"


async def test_service_calls_raise_translated_errors(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    sid = await _lights(hass, endpoints, fake)

    fake.fail_next(
        status=400,
        body='{"detail":"Schedule is locked"}',
        content_type="application/json",
        method="POST",
    )
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call("switch", "turn_off", {"entity_id": SWITCH}, blocking=True)
    assert (err.value.translation_domain, err.value.translation_key) == (DOMAIN, "remote_rejected")
    assert str(err.value) == "The Bella's Reef server refused the request: Schedule is locked"
    assert hass.states.get(SWITCH).state == "on"

    fake.fail_next(status=500, body="boom", method="DELETE")
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN, "delete_schedule", {"schedule_id": sid}, blocking=True
        )
    assert err.value.translation_key == "remote_error"
    assert str(err.value) == (
        f"The Bella's Reef server failed: DELETE /api/v1/schedules/{sid} -> 500: boom"
    )

    await endpoints.scheduler_server.close()
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(DOMAIN, "run_now", {"schedule_id": sid}, blocking=True)
    assert err.value.translation_key == "remote_unreachable"
    assert str(err.value).startswith("The Bella's Reef server cannot be reached: POST ")


async def test_auth_failure_in_a_service_call_starts_reauth(
    hass: HomeAssistant, endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    sid = await _lights(hass, endpoints, fake)
    fake.expire_tokens()
    fake.users["bellas"]["password"] = "rotated-password"
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(DOMAIN, "run_now", {"schedule_id": sid}, blocking=True)
    assert err.value.translation_key == "remote_auth_failed"
    assert str(err.value) == (
        "Bella's Reef refused the credentials; re-authenticate the server entry"
    )
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_refused_poll_is_the_servers_failure(
    hass: HomeAssistant,
    endpoints: FakeEndpoints,
    fake: FakeBellasReef,
    clock: Clock,
) -> None:
    await _lights(hass, endpoints, fake)
    fake.fail_next(status=404, body='{"detail":"Not Found"}', content_type="application/json")
    await clock.advance(31)
    # The server answers: its schedules as last read stay, marked stale.
    state = hass.states.get(SWITCH)
    assert state.state == "on"
    assert state.attributes["stale"] is True
    assert state.attributes["last_contact"] == T0.isoformat()
    assert hass.states.get("sensor.bella_s_reef_127_0_0_1_server_status").state == "server_error"
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    failure = entry.runtime_data.coordinator.last_exception
    assert isinstance(failure, UpdateFailed)
    assert failure.translation_key == "remote_error"
    assert str(failure) == (
        "The Bella's Reef server failed: GET /api/v1/schedules/ -> 404: Not Found"
    )
