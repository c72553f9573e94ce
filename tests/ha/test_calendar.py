"""Calendar: past runs from the ledger, upcoming runs from the timeline, across a DST change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from .clock import Clock
from .surface import PUMP, events, reef_devices, setup_local, spec

# Saturday before Europe/Berlin springs forward (2026-03-29 02:00 -> 03:00).
NOW = datetime(2026, 3, 28, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(NOW)
    await reef_devices(hass)


async def test_week_across_dst(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, clock: Clock
) -> None:
    _, backend = await setup_local(hass)
    await backend.async_create(spec(id="lights", name="Lights", times=["08:00"]))
    await backend.async_create(
        spec(
            id="ramp",
            name="Ramp",
            times=["09:00"],
            action={"type": "ramp", "level": 80, "duration": 1800, "target": {"entity_id": PUMP}},
            enabled=False,
        )
    )
    await hass.async_block_till_done()
    state = hass.states.get("calendar.reef_schedules")
    assert state.state == "off"
    assert state.attributes["message"] == "Lights"
    assert state.attributes["start_time"] == "2026-03-28 08:00:00"

    # Run once at 08:00 local (07:00 UTC) on Saturday; it becomes a past event.
    await clock.move_to(datetime(2026, 3, 28, 7, 0, tzinfo=UTC))
    freezer.move_to(datetime(2026, 3, 28, 7, 30, tzinfo=UTC))

    found = await events(hass, datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC))
    assert [(e["summary"], e["start"]) for e in found] == [
        ("Lights", "2026-03-28T08:00:00+01:00"),
        ("Lights", "2026-03-29T08:00:00+02:00"),  # summer time: same wall clock
        ("Lights", "2026-03-30T08:00:00+02:00"),
    ]
    assert found[0]["description"] == f"on: {PUMP} (success, timer)"
    assert found[1]["end"] == "2026-03-29T08:01:00+02:00"
    # A window entirely in the past only has recorded runs.
    past = await events(
        hass, datetime(2026, 3, 28, 6, tzinfo=UTC), datetime(2026, 3, 28, 7, 10, tzinfo=UTC)
    )
    assert [e["description"] for e in past] == [f"on: {PUMP} (success, timer)"]

    await backend.async_set_enabled("ramp", True)
    found = await events(hass, datetime(2026, 3, 29, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC))
    ramp = [e for e in found if e["summary"] == "Ramp"]
    assert [(e["start"], e["end"], e["description"]) for e in ramp] == [
        ("2026-03-29T09:00:00+02:00", "2026-03-29T09:30:00+02:00", f"ramp: {PUMP}")
    ]
    await backend.async_delete("lights")
    await backend.async_delete("ramp")
    await hass.async_block_till_done()
    assert hass.states.get("calendar.reef_schedules").state == "off"
    assert await events(hass, NOW, NOW + timedelta(days=1)) == []


async def test_many_past_runs_page(hass: HomeAssistant) -> None:
    _, backend = await setup_local(hass)
    await backend.async_create(spec(id="p", name="P"))
    for _ in range(250):
        backend.runner.async_run_now("p")
    await hass.async_block_till_done(wait_background_tasks=True)
    found = await events(hass, NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    assert len(found) == 250


async def test_next_event_skips_a_paused_schedule(hass: HomeAssistant) -> None:
    _, backend = await setup_local(hass)
    await backend.async_create(spec(id="early", name="Early", times=["08:00"]))
    await backend.async_create(spec(id="late", name="Late", times=["09:00"]))
    await hass.async_block_till_done()
    assert hass.states.get("calendar.reef_schedules").attributes["message"] == "Early"
    # Paused until 08:30: the queue's head is a wake-up, not a run.
    backend.runner.async_pause("early", datetime(2026, 3, 28, 7, 30, tzinfo=UTC))
    backend.runner.async_pause("late", datetime(2026, 3, 28, 6, 30, tzinfo=UTC))
    entity = hass.data["calendar"].get_entity("calendar.reef_schedules")
    assert entity.event is None
    backend.runner.async_resume("late")
    assert entity.event.summary == "Late"
    backend.runner.async_resume("early")
    await backend.async_delete("early")
    await backend.async_delete("late")
    assert entity.event is None
