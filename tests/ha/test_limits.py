"""Input limits through the actions and the schedule form: what the issue's bad calls now get."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.reef_scheduler.const import DOMAIN, SUBENTRY_TYPE_SCHEDULE

from .surface import PUMP, T0, one_off, reef_devices, setup_local, spec


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)


async def call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(DOMAIN, service, data, blocking=True)


async def refused(hass: HomeAssistant, service: str, data: dict[str, Any]) -> tuple[str, str]:
    """Return the translation key and the English text of a refused call."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, service, data)
    assert err.value.translation_domain == DOMAIN
    return str(err.value.translation_key), str(err.value)


PUMP_ON = {"type": "on", "target": {"entity_id": PUMP}}


@pytest.mark.parametrize(
    ("schedule", "key", "text"),
    [
        # A long id without a name used to pass, then be "invalid stored" after a restart.
        ({"id": "x" * 120, "name": None}, "invalid_id", "id: an id is 1 to 64 characters"),
        ({"id": "morning ramp"}, "invalid_id", "letters, digits, _ and -"),
        (
            {"action": PUMP_ON | {"duration": 1e15}},
            "duration_too_large",
            "7 days for a hold",
        ),
        ({"catch_up": 1e300}, "catch_up_out_of_range", "0 seconds to 7 days"),
        (
            {"type": "interval", "every": 1e15, "frequency": None, "times": None},
            "interval_too_large",
            "at most 365 days",
        ),
        ({"start": "0001-01-01T00:00:00"}, "date_out_of_range", "between 1970-01-01 and 2100"),
        ({"end": "9999-12-31T23:59:59"}, "date_out_of_range", "end must lie between"),
        ({"retry": {"timeout": True}}, "invalid_type", "retry.timeout has the wrong type"),
        ({"retry": {"retries": 11}}, "retries_out_of_range", "0 to 10 retries"),
        (
            {
                "action": {
                    "type": "on",
                    "target": {"entity_id": [f"light.l{i}" for i in range(101)]},
                }
            },
            "too_many_targets",
            "at most 100 entities",
        ),
        ({"tags": [f"t{i}" for i in range(20_000)]}, "too_many_tags", "at most 20 tags"),
        (
            {"type": "cron", "cron": "0 0 30 2 *", "frequency": None, "times": None},
            "cron_never_runs",
            "matches no date",
        ),
        (
            {"type": "one_off", "at": "2026-03-02T09:59:00", "frequency": None, "times": None},
            "in_past",
            "at lies in the past",
        ),
        ({"end": "2026-03-01T00:00:00"}, "in_past", "end lies in the past"),
        (
            {"frequency": "monthly", "month_days": [1], "every": 1000},
            "never_runs",
            "would not run before 2100",
        ),
        ({"timezone": "Mars/Base"}, "invalid_timezone", "timezone is not a known"),
    ],
)
async def test_create_refuses_with_the_limit(
    hass: HomeAssistant, schedule: dict[str, Any], key: str, text: str
) -> None:
    entry, backend = await setup_local(hass)
    definition = {k: v for k, v in (spec() | schedule).items() if v is not None}
    found, message = await refused(hass, "create_schedule", {"schedule": definition})
    assert found == key
    assert text in message
    assert not backend.runner.schedules
    assert not entry.subentries


async def test_what_is_accepted_loads_again(hass: HomeAssistant) -> None:
    """The longest id without a name, and the extremes of every range, survive a restart."""
    entry, backend = await setup_local(hass)
    definition = spec(
        id="x" * 64,
        name=None,
        catch_up=7 * 86_400,
        tags=[f"t{i}" for i in range(20)],
        end="2100-01-01T00:00:00Z",
        action={"type": "on", "duration": 7 * 86_400, "target": {"entity_id": PUMP}},
    )
    await call(hass, "create_schedule", {"schedule": {k: v for k, v in definition.items() if v}})
    await hass.async_block_till_done()
    assert backend.runner.schedules["x" * 64].name == "x" * 64
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    runner = entry.runtime_data.runner
    assert set(runner.schedules) == {"x" * 64}
    assert not runner.invalid


async def test_an_expired_one_off_can_be_renamed_not_moved_into_the_past(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    _, backend = await setup_local(hass)
    at = T0 + timedelta(hours=1)
    await call(hass, "create_schedule", {"schedule": one_off("once", at, PUMP_ON)})
    freezer.move_to(at + timedelta(hours=1))
    await call(hass, "update_schedule", {"schedule_id": "once", "schedule": {"name": "Old"}})
    assert backend.runner.schedules["once"].name == "Old"
    moved = {"schedule_id": "once", "schedule": {"at": (at + timedelta(minutes=30)).isoformat()}}
    assert (await refused(hass, "update_schedule", moved))[0] == "in_past"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"duration": {"days": 10_000_000}}, "pause_too_long"),
        ({"duration": {"days": 1e300}}, "pause_too_long"),
        ({"duration": {"days": 366}}, "pause_too_long"),
        ({"until": "9999-12-31T23:59:59"}, "pause_too_long"),
        ({"until": "0001-01-01T00:00:00"}, "pause_in_past"),
        ({"until": "2026-03-01T00:00:00"}, "pause_in_past"),
    ],
)
async def test_pause_is_bounded(hass: HomeAssistant, data: dict[str, Any], key: str) -> None:
    _, backend = await setup_local(hass)
    await call(hass, "create_schedule", {"schedule": spec(id="sunrise")})
    found, text = await refused(hass, "pause", {"schedule_id": "sunrise", **data})
    assert found == key
    if key == "pause_too_long":
        assert "at most 365 days" in text
    assert backend.runner.states["sunrise"].paused_until is None


async def test_pause_of_the_longest_duration(hass: HomeAssistant) -> None:
    _, backend = await setup_local(hass)
    await call(hass, "create_schedule", {"schedule": spec(id="sunrise")})
    await call(hass, "pause", {"schedule_id": "sunrise", "duration": {"days": 365}})
    assert backend.runner.states["sunrise"].paused_until == T0 + timedelta(days=365)


async def test_schedule_form_refuses_a_one_off_in_the_past(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    flows = hass.config_entries.subentries
    result = await flows.async_init(
        (entry.entry_id, SUBENTRY_TYPE_SCHEDULE), context={"source": SOURCE_USER}
    )
    result = await flows.async_configure(result["flow_id"], {"name": "Once", "kind": "once"})
    result = await flows.async_configure(result["flow_id"], {"at": "2026-03-02 09:59:00"})
    assert result["errors"] == {"at": "in_past"}
    result = await flows.async_configure(result["flow_id"], {"at": "2150-01-01 00:00:00"})
    assert result["errors"] == {"at": "date_out_of_range"}
    result = await flows.async_configure(result["flow_id"], {"at": "2026-03-02 10:01:00"})
    assert result["step_id"] == "action"
    flows.async_abort(result["flow_id"])


async def test_many_problems_are_listed_up_to_ten(hass: HomeAssistant) -> None:
    await setup_local(hass)
    junk = {f"typo{index:02}": 1 for index in range(25)}
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "create_schedule", {"schedule": spec() | junk})
    listed = err.value.translation_placeholders["errors"]
    assert listed.startswith("typo00: unknown_key, typo01: unknown_key")
    assert listed.endswith("typo09: unknown_key, … 15 more")


async def test_reconfiguring_a_schedule_in_its_own_zone(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    await call(hass, "create_schedule", {"schedule": spec(id="tokyo", timezone="Asia/Tokyo")})
    subentry = next(iter(entry.subentries.values()))
    flows = hass.config_entries.subentries
    result = await flows.async_init(
        (entry.entry_id, SUBENTRY_TYPE_SCHEDULE),
        context={"source": "reconfigure", "subentry_id": subentry.subentry_id},
    )
    result = await flows.async_configure(result["flow_id"], {"next_step_id": "edit"})
    result = await flows.async_configure(result["flow_id"], {"name": "Tokyo", "kind": "daily"})
    result = await flows.async_configure(result["flow_id"], {"times": "10:00", "every": 1})
    assert result["step_id"] == "action"
    # The next runs are shown in the schedule's own zone.
    assert "JST" in result["description_placeholders"]["preview"]
    flows.async_abort(result["flow_id"])
    assert backend.runner.schedules["tokyo"].timezone == "Asia/Tokyo"
