"""Action data Home Assistant's schema check refuses is a translated error naming the field.

A wrong type, an unknown field, a missing field or a number out of range is refused before the
handler runs, as a ServiceValidationError of ours (over the websocket: the translation key and
placeholders the UI shows in the user's language), never voluptuous's English text.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.reef_scheduler.const import DOMAIN

from .surface import PUMP, T0, one_off, reef_devices, setup_local, spec


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)


REFUSED: list[tuple[str, dict[str, Any], str, dict[str, str]]] = [
    ("delete_schedule", {"schedule_id": {"a": 1}}, "expected_texts", {"field": "schedule_id"}),
    ("run_now", {"device_id": {"a": 1}}, "expected_texts", {"field": "device_id"}),
    ("run_now", {}, "no_schedule", {"field": "schedule_id"}),
    ("skip_next", {"schedule_id": "a", "colour": "red"}, "unknown_key", {"field": "colour"}),
    ("create_schedule", {"schedule": "daily"}, "expected_mapping", {"field": "schedule"}),
    ("create_schedule", {}, "required", {"field": "schedule"}),
    ("update_schedule", {"schedule_id": "a"}, "required", {"field": "schedule"}),
    ("get_history", {"entity_id": [["x"]]}, "expected_texts", {"field": "entity_id"}),
    ("create_schedule", {"schedule": {}, "config_entry_id": []}, "expected_text", {}),
    ("pause", {"tags": [{}], "duration": 60}, "expected_texts", {"field": "tags"}),
    ("pause", {"tags": "a", "duration": "soon"}, "expected_duration", {"field": "duration"}),
    ("pause", {"tags": "a", "until": "tomorrow"}, "expected_datetime", {"field": "until"}),
    ("resume", {"schedule_id": [None]}, "expected_texts", {"field": "schedule_id"}),
    ("get_history", {"schedule_id": "a", "limit": 0}, "out_of_range", {"max": "1000"}),
    ("get_history", {"schedule_id": "a", "start_slot": -1}, "expected_slot", {}),
    ("get_history", {"schedule_id": "a", "newest_first": "maybe"}, "expected_boolean", {}),
    ("get_next_runs", {"schedule_id": "a", "count": "many"}, "out_of_range", {"min": "1"}),
    ("preview", {"schedule": {}, "count": 101}, "out_of_range", {"field": "count"}),
]


@pytest.mark.parametrize(("service", "data", "key", "placeholders"), REFUSED)
async def test_schema_refusals_are_translated(
    hass: HomeAssistant,
    service: str,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str],
) -> None:
    await setup_local(hass)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            service,
            data,
            blocking=True,
            return_response=service.startswith(("get_", "preview", "create")) or None,
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    assert placeholders.items() <= (err.value.translation_placeholders or {}).items()
    for language in ("en", "de"):
        messages = await async_get_translations(hass, language, "exceptions", [DOMAIN])
        message = messages[f"component.{DOMAIN}.exceptions.{key}.message"]
        assert "{" not in message.format(**(err.value.translation_placeholders or {}))


async def test_the_websocket_carries_the_translation(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    """What the UI, scripts and automations see: our key and placeholders, not invalid_format."""
    await setup_local(hass)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": "get_next_runs",
            "service_data": {"schedule_id": "a", "count": 0},
            "return_response": True,
        }
    )
    reply = await client.receive_json()
    assert reply["success"] is False
    assert reply["error"]["code"] == "service_validation_error"
    assert reply["error"]["translation_key"] == "out_of_range"
    assert reply["error"]["translation_placeholders"] == {
        "field": "count",
        "min": "1",
        "max": "100",
    }
    assert reply["error"]["message"] == "Validation error: count must be between 1 and 100"


async def test_a_valid_call_still_gets_the_defaults(hass: HomeAssistant) -> None:
    """The wrapped schema still fills defaults and coerces (count 5, an id list from one id)."""
    await setup_local(hass)
    result = await hass.services.async_call(
        DOMAIN, "preview", {"schedule": spec()}, blocking=True, return_response=True
    )
    assert len(result["runs"]) == 5


async def test_preview_refuses_a_one_off_in_the_past(hass: HomeAssistant) -> None:
    """Like create_schedule, not an empty list: the spec would never run."""
    await setup_local(hass)
    action = {"type": "on", "target": {"entity_id": PUMP}}
    for at, field in ((T0 - timedelta(minutes=1), "at"), (T0, "at")):
        past = one_off("feed", at, action)
        for service in ("preview", "create_schedule"):
            with pytest.raises(ServiceValidationError) as err:
                await hass.services.async_call(
                    DOMAIN, service, {"schedule": past}, blocking=True, return_response=True
                )
            assert err.value.translation_key == "in_past"
            assert err.value.translation_placeholders["field"] == field
    ended = spec(end=(T0 - timedelta(days=1)).isoformat())
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "preview", {"schedule": ended}, blocking=True, return_response=True
        )
    assert (err.value.translation_key, err.value.translation_placeholders["field"]) == (
        "in_past",
        "end",
    )
    later = one_off("feed", T0 + timedelta(hours=1), action)
    result = await hass.services.async_call(
        DOMAIN, "preview", {"schedule": later}, blocking=True, return_response=True
    )
    assert result == {"runs": [(T0 + timedelta(hours=1)).isoformat()]}
