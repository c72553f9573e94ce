"""Calendars: one per category, events that say what happens, past results, day bands, DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.local.calendar import DAY_LIMIT

from .clock import Clock
from .surface import (
    BLUE,
    EQUIPMENT,
    LEVEL,
    LIGHTS,
    OTHER,
    PUMP,
    events,
    ramp_action,
    reef_tank,
    seed,
    setup_local,
    spec,
)

# Wednesday of the week Europe/Berlin falls back (Sunday 2026-10-25 03:00 -> 02:00).
NOW = datetime(2026, 10, 21, 10, 0, tzinfo=UTC)  # 12:00 local
WEEK = (datetime(2026, 10, 18, 22, 0, tzinfo=UTC), datetime(2026, 10, 25, 23, 0, tzinfo=UTC))
MORNING = spec(id="morning", name="Morning", times=["09:00"], action=ramp_action(BLUE, 0, 80, 3600))
PULSE = {
    "id": "wave",
    "name": "Wave pulse",
    "type": "interval",
    "every": 900,
    "anchor": "2026-10-01T00:00:00+00:00",
    "action": {"type": "on", "duration": 300, "target": {"entity_id": PUMP}},
}


@pytest.fixture(autouse=True)
async def tank(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entity_registry: er.EntityRegistry
) -> None:
    freezer.move_to(NOW)
    await reef_tank(hass)
    entity_registry.async_update_entity(PUMP, name="Return pump")
    await hass.async_block_till_done()


def quarters(start: datetime, count: int) -> list[datetime]:
    """Return instants 15 minutes apart."""
    return [start + timedelta(minutes=15 * index) for index in range(count)]


def records(
    dues: list[datetime], failed: set[int] = frozenset(), took: float = 2
) -> dict[str, Any]:
    """Return a stored run history: one run per due instant, some of them failed."""
    return {
        "next_slot": len(dues),
        "records": [
            {
                "slot": slot,
                "due": due.isoformat(),
                "trigger": "timer",
                "status": "failed" if slot in failed else "success",
                "started": due.isoformat(),
                "finished": (due + timedelta(seconds=took)).isoformat(),
                "error": "switch.gone: switch.gone is unavailable" if slot in failed else None,
            }
            for slot, due in enumerate(dues)
        ],
    }


def shown(found: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Return the events' summaries with their start and end."""
    return [(event["summary"], event["start"], event["end"]) for event in found]


async def test_a_pulse_is_one_band_per_day_through_a_dst_week(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    # Tuesday's 96 runs happened (two failed), the rest of the week is to come.
    tuesday = datetime(2026, 10, 19, 22, 0, tzinfo=UTC)
    seed(hass_storage, [PULSE], ledger={"wave": records(quarters(tuesday, 96), {10, 50})})
    await setup_local(hass)

    found = await events(hass, *WEEK)
    band = "Wave pulse · Every 15 min ({} runs)"
    assert shown(found) == [
        (band.format(96), "2026-10-20T00:00:00+02:00", "2026-10-20T23:50:00+02:00"),
        # From now on (12:00 local): 47 runs to come.
        (band.format(47), "2026-10-21T12:15:00+02:00", "2026-10-21T23:50:00+02:00"),
        (band.format(96), "2026-10-22T00:00:00+02:00", "2026-10-22T23:50:00+02:00"),
        (band.format(96), "2026-10-23T00:00:00+02:00", "2026-10-23T23:50:00+02:00"),
        (band.format(96), "2026-10-24T00:00:00+02:00", "2026-10-24T23:50:00+02:00"),
        # Sunday has 25 hours: 100 runs, the last one after the clocks went back.
        (band.format(100), "2026-10-25T00:00:00+02:00", "2026-10-25T23:50:00+01:00"),
    ]
    line = "Every 15 min · Turn on Return pump for 5 min"
    assert [event["description"] for event in found[:3]] == [
        f"{line}\n94 ok, 2 failed",
        f"{line}\n47 to come",
        f"{line}\n96 to come",
    ]
    assert await events(hass, *WEEK, calendar=LIGHTS) == []


async def test_calendars_by_category(
    hass: HomeAssistant,
    clock: Clock,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    _, backend = await setup_local(hass)
    # A device whose one light is reached through the device.
    led_entry = MockConfigEntry(domain="demo")
    led_entry.add_to_hass(hass)
    bar = device_registry.async_get_or_create(
        config_entry_id=led_entry.entry_id, identifiers={("demo", "bar")}, name="LED bar"
    )
    entity_registry.async_get_or_create("light", "demo", "bar", device_id=bar.id)
    await backend.async_create(MORNING)
    level = {"type": "set_level", "level": 30, "target": {"device_id": bar.id}}
    await backend.async_create(spec(id="bar", name="Bar", times=["12:30"], action=level))
    await backend.async_create(spec(id="pump", name="Pump", times=["10:00"]))
    pwm = {"type": "set_pwm", "level": 55, "target": {"entity_id": LEVEL}}
    await backend.async_create(spec(id="skimmer", name="Skimmer", times=["11:00"], action=pwm))
    both = {"type": "off", "target": {"entity_id": [BLUE, PUMP]}}
    await backend.async_create(spec(id="both", name="Both", times=["22:00"], action=both))
    feed = {"type": "custom", "sequence": [{"delay": 1}, {"delay": 1}]}
    await backend.async_create(spec(id="feed", name="Feed", times=["18:00"], action=feed))
    # A disabled schedule has no runs to come.
    await backend.async_create(spec(id="off", name="Off", times=["07:00"], enabled=False))
    # Schedules created in a row rewrite the calendars' states once a second.
    await clock.advance(2)

    tomorrow = (
        datetime(2026, 10, 21, 22, 0, tzinfo=UTC),
        datetime(2026, 10, 22, 22, 0, tzinfo=UTC),
    )
    assert shown(await events(hass, *tomorrow, calendar=LIGHTS)) == [
        (
            "Morning · Ramp Reef Blue 0 → 80 % over 1 h",
            "2026-10-22T09:00:00+02:00",
            "2026-10-22T10:00:00+02:00",
        ),
        ("Bar · Set level LED bar 30 %", "2026-10-22T12:30:00+02:00", "2026-10-22T12:30:01+02:00"),
    ]
    equipment = await events(hass, *tomorrow)
    assert [event["summary"] for event in equipment] == [
        "Pump · Turn on Return pump",
        "Skimmer · Set PWM input_number.blue_level 55 %",
    ]
    assert equipment[0]["description"] == "Daily 10:00 · Turn on Return pump"
    assert [event["summary"] for event in await events(hass, *tomorrow, calendar=OTHER)] == [
        "Feed · Custom actions (2 steps)",
        "Both · Turn off Reef Blue, Return pump",
    ]
    # Each calendar's state names its next run.
    assert {
        calendar: hass.states.get(calendar).attributes["message"]
        for calendar in (LIGHTS, EQUIPMENT, OTHER)
    } == {
        LIGHTS: "Bar · Set level LED bar 30 %",
        EQUIPMENT: "Pump · Turn on Return pump",
        OTHER: "Feed · Custom actions (2 steps)",
    }
    assert hass.states.get(LIGHTS).attributes["start_time"] == "2026-10-21 12:30:00"
    assert hass.states.get(LIGHTS).attributes["description"] == (
        "Daily 12:30 · Set level LED bar 30 %"
    )


async def test_past_runs_tell_their_result_and_real_duration(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    yesterday = datetime(2026, 10, 20, 8, 0, tzinfo=UTC)
    # Runs of three days ago, yesterday's (failed), today's (skipped on request) and
    # tomorrow's (skipped on request already): the window shows the middle two.
    ledger = records([yesterday - timedelta(days=2), yesterday], {1}, took=12)
    ledger["records"] += [
        {
            "slot": slot,
            "due": (yesterday + timedelta(days=days)).isoformat(),
            "trigger": "service",
            "status": "skipped",
            "finished": (yesterday + timedelta(hours=20)).isoformat(),
            "error": "Skipped on request",
        }
        for slot, days in ((2, 1), (3, 2))
    ]
    ledger["next_slot"] = 4
    seed(hass_storage, [spec(id="pump", name="Pump")], ledger={"pump": ledger})
    await setup_local(hass)
    found = await events(hass, yesterday - timedelta(hours=1), NOW)
    assert [(e["start"], e["end"], e["description"]) for e in found] == [
        (
            "2026-10-20T10:00:00+02:00",
            "2026-10-20T10:00:12+02:00",
            "Daily 10:00 · Turn on Return pump\n"
            "Failed, on time · 10:00:00 → 10:00:12 (12 s)\n"
            "switch.gone: switch.gone is unavailable",
        ),
        (
            "2026-10-21T10:00:00+02:00",
            "2026-10-21T10:00:01+02:00",
            "Daily 10:00 · Turn on Return pump\nSkipped, run by an action\nSkipped on request",
        ),
    ]


async def test_a_ramp_under_way_is_the_calendars_state(hass: HomeAssistant, clock: Clock) -> None:
    _, backend = await setup_local(hass)
    await backend.async_create(MORNING)
    await hass.async_block_till_done()
    state = hass.states.get(LIGHTS)
    assert (state.state, state.attributes["start_time"]) == ("off", "2026-10-22 09:00:00")
    # A shorter ramp inside the morning's does not replace it as the calendar's state.
    flash = ramp_action(BLUE, 80, 40, 600)
    await backend.async_create(spec(id="flash", name="Flash", times=["09:15"], action=flash))
    await clock.move_to(datetime(2026, 10, 22, 7, 0, tzinfo=UTC))
    state = hass.states.get(LIGHTS)
    assert state.state == "on"
    assert state.attributes["message"] == "Morning · Ramp Reef Blue 0 → 80 % over 1 h"
    assert state.attributes["end_time"] == "2026-10-22 10:00:00"
    await clock.move_to(datetime(2026, 10, 22, 7, 15, tzinfo=UTC))
    assert hass.states.get(LIGHTS).attributes["message"].startswith("Morning · ")
    # Its end writes the state again: the next morning's run.
    await clock.move_to(datetime(2026, 10, 22, 8, 0, tzinfo=UTC))
    state = hass.states.get(LIGHTS)
    assert (state.state, state.attributes["start_time"]) == ("off", "2026-10-23 09:00:00")
    # Once run, the morning's event carries its result; the ramp's hour is its length.
    (ran, _) = await events(
        hass,
        datetime(2026, 10, 22, 6, 0, tzinfo=UTC),
        datetime(2026, 10, 22, 8, 0, tzinfo=UTC),
        calendar=LIGHTS,
    )
    assert (ran["start"], ran["end"]) == ("2026-10-22T09:00:00+02:00", "2026-10-22T10:00:00+02:00")
    assert ran["description"].endswith("\nSuccess, on time · 09:00:00 → 09:00:00 (0 s)")


async def test_week_across_spring_forward(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
    _, backend = await setup_local(hass)
    await backend.async_create(MORNING)
    await backend.async_create({**PULSE, "anchor": "2026-03-01T00:00:00+00:00"})
    # Saturday 00:00 to Monday 00:00 local: 47 hours.
    window = (datetime(2026, 3, 27, 23, 0, tzinfo=UTC), datetime(2026, 3, 29, 22, 0, tzinfo=UTC))
    found = await events(hass, *window, calendar=LIGHTS)
    assert [event["start"] for event in found] == [
        "2026-03-28T09:00:00+01:00",
        "2026-03-29T09:00:00+02:00",  # summer time: the same wall-clock time
    ]
    pulse = await events(hass, *window)
    assert [(event["summary"], event["end"]) for event in pulse] == [
        ("Wave pulse · Every 15 min (96 runs)", "2026-03-28T23:50:00+01:00"),
        # Sunday has 23 hours.
        ("Wave pulse · Every 15 min (92 runs)", "2026-03-29T23:50:00+02:00"),
    ]


async def test_many_runs_of_a_day_page_through_the_history(hass: HomeAssistant) -> None:
    _, backend = await setup_local(hass)
    await backend.async_create(spec(id="p", name="P"))
    for _ in range(250):
        backend.runner.async_run_now("p")
    await hass.async_block_till_done(wait_background_tasks=True)
    found = await events(hass, NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    assert [(event["summary"], event["description"]) for event in found] == [
        ("P · Daily 10:00 (250 runs)", "Daily 10:00 · Turn on Return pump\n250 ok")
    ]


async def test_a_day_beyond_counting(hass: HomeAssistant) -> None:
    _, backend = await setup_local(hass)
    plain = {"type": "on", "target": {"entity_id": PUMP}}
    await backend.async_create({**PULSE, "every": 30, "action": plain})
    tomorrow = datetime(2026, 10, 21, 22, 0, tzinfo=UTC)
    (band,) = await events(hass, tomorrow, tomorrow + timedelta(hours=1))
    assert band["summary"] == f"Wave pulse · Every 30 s (more than {DAY_LIMIT} runs)"
    assert (band["start"], band["end"]) == (
        "2026-10-22T00:00:00+02:00",
        "2026-10-23T00:00:00+02:00",
    )


async def test_next_event_skips_a_paused_schedule(hass: HomeAssistant) -> None:
    _, backend = await setup_local(hass)
    await backend.async_create(spec(id="early", name="Early", times=["14:00"]))
    await backend.async_create(spec(id="late", name="Late", times=["15:00"]))
    entity = hass.data["calendar"].get_entity(EQUIPMENT)

    def message() -> str | None:
        entity.async_write_ha_state()
        return hass.states.get(EQUIPMENT).attributes.get("message")

    assert message() == "Early · Turn on Return pump"
    # Paused, their queue entries are wake-ups, not runs.
    backend.runner.async_pause("early", datetime(2026, 10, 21, 12, 30, tzinfo=UTC))
    backend.runner.async_pause("late", datetime(2026, 10, 21, 11, 30, tzinfo=UTC))
    assert message() is None
    backend.runner.async_resume("late")
    assert message() == "Late · Turn on Return pump"
    backend.runner.async_resume("early")
    await backend.async_delete("early")
    await backend.async_delete("late")
    assert message() is None


async def test_a_light_profile_fills_each_day_of_the_lights_calendar(hass: HomeAssistant) -> None:
    """One event a day from local midnight to the next, 25 hours on the fall-back Sunday."""
    _, backend = await setup_local(hass)
    points = [{"time": "08:00", "level": 0}, {"time": "10:00", "level": 80}]
    channel = {"name": "Blue", "lights": [BLUE], "points": points}
    await backend.async_create(
        {
            "id": "reef",
            "name": "Reef light",
            "type": "light_profile",
            "profile": {
                "channels": [channel],
                "clouds": {"per_hour": 2, "depth": 40, "minutes": 5},
            },
        }
    )
    saturday = (
        datetime(2026, 10, 23, 22, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 23, 0, tzinfo=UTC),
    )
    found = await events(hass, *saturday, calendar=LIGHTS)
    summary = "Reef light · Light profile · 1 channel · clouds"
    assert shown(found) == [
        (summary, "2026-10-24T00:00:00+02:00", "2026-10-25T00:00:00+02:00"),
        (summary, "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00"),
    ]
    assert found[0]["description"] == "Every day · Light profile · 1 channel · clouds"
