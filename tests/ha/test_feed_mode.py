"""Feed mode in Home Assistant: stages, extend, cancel, restarts, pauses, failed restores.

Berlin, March 2026 (UTC+1). The return pump and the skimmer are input booleans; the return pump
is restored at once after feed mode, the skimmer 5 minutes later (the entry's options).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import CONF_ENTRY_KIND, DOMAIN, ENTRY_KIND_LOCAL
from custom_components.reef_scheduler.engine.model import (
    Action,
    ActionType,
    Frequency,
    RecurringTiming,
    Schedule,
    Target,
)
from custom_components.reef_scheduler.runner.runner import ScheduleState

from .clock import Clock
from .surface import kill, start_runner

PUMP = "input_boolean.return_pump"
SKIMMER = "input_boolean.skimmer"
DOSER = "input_boolean.doser"
BUTTON = "button.reef_care_feed_mode"
END = "sensor.reef_care_feed_mode_end"
OPTIONS = {
    "feed_minutes": 10,
    "feed_devices": [
        {"entity_id": PUMP, "restore_after": 0},
        {"entity_id": SKIMMER, "restore_after": 5},
    ],
}


def berlin(hour: int, minute: int = 0, second: int = 0, day: int = 4) -> datetime:
    """Return an instant of March 2026 on Berlin's wall clock (UTC+1)."""
    return datetime.fromisoformat(f"2026-03-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}+01:00")


# Feed mode from 11:00 for 10 minutes: when each device is restored.
RELEASES = {PUMP: berlin(11, 10), SKIMMER: berlin(11, 15)}


def utc(instant: datetime) -> str:
    """Return an instant as Home Assistant and the care store write it (UTC, ISO 8601)."""
    return instant.astimezone(UTC).isoformat()


@pytest.fixture(autouse=True)
async def tank(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """The pumps in Berlin, all on."""
    freezer.move_to(berlin(11))
    await hass.config.async_set_time_zone("Europe/Berlin")
    on = {"initial": True}
    assert await async_setup_component(
        hass,
        "input_boolean",
        {"input_boolean": {"return_pump": on, "skimmer": on, "doser": on}},
    )
    await hass.async_block_till_done()


def local_entry(hass: HomeAssistant, options: dict[str, Any] | None = None) -> MockConfigEntry:
    """Add the local entry with the feed options."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Reef Scheduler",
        data={CONF_ENTRY_KIND: ENTRY_KIND_LOCAL},
        options=OPTIONS if options is None else options,
    )
    entry.add_to_hass(hass)
    return entry


def daily(sid: str, at: str, action: str, entity_id: str = PUMP, **fields: Any) -> dict[str, Any]:
    """Return a daily schedule switching one entity."""
    return {
        "id": sid,
        "name": sid.title(),
        "type": "recurring",
        "frequency": "daily",
        "times": [at],
        "action": {"type": action, "target": {"entity_id": [entity_id]}},
    } | fields


def states(hass: HomeAssistant, *entity_ids: str) -> tuple[str, ...]:
    """Return the entities' states."""
    return tuple(hass.states.get(entity_id).state for entity_id in entity_ids)


async def feed(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call feed_mode and return its response."""
    response = await hass.services.async_call(
        DOMAIN, "feed_mode", data, blocking=True, return_response=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return dict(response or {})


async def test_feed_mode_turns_the_pumps_off_and_restores_them_in_stages(
    hass: HomeAssistant, clock: Clock
) -> None:
    await start_runner(hass, local_entry(hass))
    assert hass.states.get(END).state == "unknown"
    await hass.services.async_call("button", "press", {"entity_id": BUTTON}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert states(hass, PUMP, SKIMMER, DOSER) == ("off", "off", "on")
    assert hass.states.get(END).state == utc(berlin(11, 10))
    await clock.move_to(berlin(11, 9, 59))
    assert states(hass, PUMP, SKIMMER) == ("off", "off")
    await clock.move_to(berlin(11, 10))
    # The return pump first, at the end; the skimmer still waits.
    assert states(hass, PUMP, SKIMMER) == ("on", "off")
    assert hass.states.get(END).state == "unknown"
    await clock.move_to(berlin(11, 14, 59))
    assert states(hass, SKIMMER) == ("off",)
    await clock.move_to(berlin(11, 15))
    assert states(hass, PUMP, SKIMMER) == ("on", "on")


async def test_feed_mode_again_extends_it_and_cancel_restores_at_once(
    hass: HomeAssistant, clock: Clock
) -> None:
    await start_runner(hass, local_entry(hass))
    await feed(hass)
    await clock.move_to(berlin(11, 8))
    response = await feed(hass, minutes=10)
    assert response["period"]["end"] == utc(berlin(11, 18))
    assert response["period"]["start"] == utc(berlin(11))
    await clock.move_to(berlin(11, 12))
    assert states(hass, PUMP, SKIMMER) == ("off", "off")  # past the first end: extended
    await hass.services.async_call(DOMAIN, "feed_mode_cancel", {}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    # Restored now in its stages from now: the pump at once, the skimmer 5 minutes later.
    assert states(hass, PUMP, SKIMMER) == ("on", "off")
    await clock.move_to(berlin(11, 16, 59))
    assert states(hass, SKIMMER) == ("off",)
    await clock.move_to(berlin(11, 17))
    assert states(hass, SKIMMER) == ("on",)
    # Nothing to cancel is no error.
    await hass.services.async_call(DOMAIN, "feed_mode_cancel", {}, blocking=True)


async def test_a_kill_during_feed_mode_restores_the_pumps_at_the_right_instants(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    entry = local_entry(hass)
    await start_runner(hass, entry)
    await feed(hass)
    await clock.move_to(berlin(11, 3))
    await kill(hass, entry, hass_storage)
    assert "reef_scheduler.care" in hass_storage  # written before the action returned

    # Home Assistant starts again at 11:06, inside feed mode; the pumps came up on.
    for entity_id in (PUMP, SKIMMER):
        await hass.services.async_call(
            "input_boolean", "turn_on", {"entity_id": entity_id}, blocking=True
        )
    await clock.move_to(berlin(11, 6))
    hass.set_state(CoreState.not_running)
    await start_runner(hass, entry)
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert states(hass, PUMP, SKIMMER) == ("off", "off")  # feed mode goes on
    await clock.move_to(berlin(11, 9, 59))
    assert states(hass, PUMP, SKIMMER) == ("off", "off")
    await clock.move_to(berlin(11, 10))
    assert states(hass, PUMP, SKIMMER) == ("on", "off")
    await clock.move_to(berlin(11, 15))
    assert states(hass, PUMP, SKIMMER) == ("on", "on")


async def test_an_expired_feed_mode_restores_at_once_on_start(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    entry = local_entry(hass)
    await start_runner(hass, entry)
    await feed(hass)
    await kill(hass, entry, hass_storage)
    # Home Assistant was down over the whole feed mode and its stages.
    await clock.move_to(berlin(12))
    await start_runner(hass, entry)
    assert states(hass, PUMP, SKIMMER) == ("on", "on")
    assert hass.states.get(END).state == "unknown"
    await clock.move_to(berlin(12, 1))
    assert hass_storage["reef_scheduler.care"]["data"]["periods"] == []


async def test_a_schedule_of_a_fed_pump_is_paused_and_its_state_applied_at_release(
    hass: HomeAssistant, clock: Clock
) -> None:
    entry = local_entry(hass)
    _, runner = await start_runner(hass, entry)
    # The pump is off at 11:05 by its schedule, the doser's schedule is left alone.
    await runner.async_add(daily("pump_off", "11:05", "off"))
    await runner.async_add(daily("doser_off", "11:05", "off", DOSER))
    await feed(hass)
    assert runner.states["pump_off"].paused_until == berlin(11, 10)
    assert runner.states["doser_off"].paused_until is None
    await clock.move_to(berlin(11, 5))
    assert states(hass, PUMP, DOSER) == ("off", "off")
    await hass.services.async_call("input_boolean", "turn_on", {"entity_id": PUMP}, blocking=True)
    await clock.move_to(berlin(11, 10))
    # The paused run's state (off) is what the pump is driven to at its release.
    assert states(hass, PUMP) == ("off",)
    assert runner.states["pump_off"].paused_until is None


async def test_a_users_pause_survives_feed_mode_and_its_cancel(
    hass: HomeAssistant, clock: Clock
) -> None:
    entry = local_entry(hass)
    _, runner = await start_runner(hass, entry)
    await runner.async_add(daily("pump_on", "13:00", "on"))
    await runner.async_add(daily("short", "13:00", "on"))
    until = berlin(12)
    for sid, end in (("pump_on", until), ("short", berlin(11, 2))):
        await hass.services.async_call(
            DOMAIN, "pause", {"schedule_id": sid, "until": end}, blocking=True
        )
    await feed(hass)
    assert runner.states["pump_on"].paused_until == until  # the user's is longer
    assert runner.states["short"].paused_until == berlin(11, 10)
    await hass.services.async_call(DOMAIN, "feed_mode_cancel", {}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert runner.states["pump_on"].paused_until == until  # never shortened
    assert runner.states["short"].paused_until == berlin(11, 2)  # back to the user's own
    await feed(hass)
    # A user's resume during feed mode ends only the user's pause.
    await hass.services.async_call(DOMAIN, "resume", {"schedule_id": "pump_on"}, blocking=True)
    assert runner.states["pump_on"].paused_until == berlin(11, 10)
    await clock.move_to(berlin(11, 10))
    assert runner.states["pump_on"].paused_until is None


async def feed_with_flaky_pump(hass: HomeAssistant, failures: int) -> list[str]:
    """Start feed mode on the pump whose first `failures` turn_on calls fail; return the calls.

    Backoff is full (2, 4, 8 s) so the retries come at known instants.
    """
    _, runner = await start_runner(hass, local_entry(hass, {"feed_devices": [{"entity_id": PUMP}]}))
    runner._executor._rng = lambda: 1.0  # type: ignore[attr-defined]
    await feed(hass)
    left = [failures]
    calls: list[str] = []

    async def flaky(call: ServiceCall) -> None:
        calls.append(call.service)
        if left[0]:
            left[0] -= 1
            raise HomeAssistantError("the pump's relay did not answer")
        hass.states.async_set(PUMP, "on")

    hass.services.async_register("input_boolean", "turn_on", flaky)
    return calls


async def test_a_failed_restore_is_retried(hass: HomeAssistant, clock: Clock) -> None:
    calls = await feed_with_flaky_pump(hass, 2)
    await clock.move_to(berlin(11, 10), wait=False)
    assert (states(hass, PUMP), calls) == (("off",), ["turn_on"])
    await clock.advance(2, wait=False)
    assert (states(hass, PUMP), calls) == (("off",), ["turn_on"] * 2)
    await clock.advance(4)
    assert (states(hass, PUMP), calls) == (("on",), ["turn_on"] * 3)


async def test_a_restore_refused_by_every_retry_is_tried_again_until_it_takes(
    hass: HomeAssistant, clock: Clock
) -> None:
    # The first attempt and its 3 retries fail, then the first try a minute later.
    calls = await feed_with_flaky_pump(hass, 4 + 1)
    await clock.move_to(berlin(11, 10), wait=False)
    for backoff in (2, 4, 8):
        await clock.advance(backoff, wait=False)
    assert (states(hass, PUMP), len(calls)) == (("off",), 4)
    await clock.advance(59, wait=False)
    assert len(calls) == 4  # not before the minute is up
    await clock.advance(1, wait=False)
    assert (states(hass, PUMP), len(calls)) == (("off",), 5)
    await clock.advance(2, wait=False)
    assert (states(hass, PUMP), len(calls)) == (("on",), 6)


async def test_feed_mode_devices_given_and_bad_input(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    await start_runner(hass, local_entry(hass, {}))
    with pytest.raises(ServiceValidationError) as refused:
        await feed(hass)
    assert refused.value.translation_key == "care_no_devices"
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call("button", "press", {"entity_id": BUTTON}, blocking=True)
    assert refused.value.translation_key == "care_no_devices"
    for data, key in (
        ({"minutes": 0}, "out_of_range"),
        ({"minutes": True}, "out_of_range"),
        ({"minutes": "x"}, "out_of_range"),
        ({"devices": []}, "care_devices"),
        ({"devices": ["sensor.x"]}, "care_domain"),
        ({"devices": ["not an id"]}, "invalid_entity_id"),
        ({"devices": [{"entity_id": PUMP, "level": 5}]}, "unknown_key"),
        ({"devices": [{"entity_id": PUMP, "restore_after": -1}]}, "out_of_range"),
        ({"other": 1}, "unknown_key"),
    ):
        with pytest.raises(ServiceValidationError) as refused:
            await feed(hass, **data)
        assert refused.value.translation_key == key, data
    assert "reef_scheduler.care" not in hass_storage
    assert states(hass, PUMP, SKIMMER) == ("on", "on")  # nothing changed
    await feed(hass, minutes=2, devices=[DOSER])
    assert states(hass, PUMP, DOSER) == ("on", "off")
    await clock.move_to(berlin(11, 2))
    assert states(hass, DOSER) == ("on",)


async def test_the_care_device_survives_a_reload_and_a_migration(hass: HomeAssistant) -> None:
    entry = local_entry(hass)
    registry = er.async_get(hass)
    # An entry of an earlier version: its old Run now button goes, the Feed mode button stays.
    hass.config_entries.async_update_entry(entry, minor_version=2)
    old = registry.async_get_or_create(
        "button", DOMAIN, f"{entry.entry_id}_sunrise_run_now", config_entry=entry
    )
    await start_runner(hass, entry)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert registry.async_get(old.entity_id) is None
    button = registry.async_get(BUTTON)
    assert button is not None
    assert hass.states.get(BUTTON).state == "unknown"
    device = dr.async_get(hass).async_get(button.device_id)
    assert device is not None
    assert device.name == "Reef care"


async def test_a_restore_to_an_unavailable_device_waits_for_it(
    hass: HomeAssistant, clock: Clock
) -> None:
    options = {"feed_devices": [{"entity_id": PUMP}], "retries": 0, "target_wait_minutes": 0}
    await start_runner(hass, local_entry(hass, options))
    await feed(hass)
    hass.states.async_set(PUMP, "unavailable")
    await clock.move_to(berlin(11, 10))
    assert states(hass, PUMP) == ("unavailable",)  # tried once: it failed
    hass.states.async_set(PUMP, "off")  # back, as it was left
    await hass.async_block_till_done(wait_background_tasks=True)
    assert states(hass, PUMP) == ("on",)  # its level before feed mode


async def test_an_unexpected_error_of_a_restore_is_logged(
    hass: HomeAssistant, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    await start_runner(hass, local_entry(hass, {"feed_devices": [{"entity_id": PUMP}]}))
    await feed(hass)

    async def broken(call: ServiceCall) -> None:
        raise RuntimeError("relay on fire")

    hass.services.async_register("input_boolean", "turn_on", broken)
    await clock.move_to(berlin(11, 10))
    assert "Feed mode could not set input_boolean.return_pump to 100.0 %" in caplog.text
    assert states(hass, PUMP) == ("off",)


async def test_a_schedule_targeting_an_area_is_looked_up_when_feed_mode_begins(
    hass: HomeAssistant,
) -> None:
    _, runner = await start_runner(hass, local_entry(hass))
    area = daily("sump", "13:00", "on")
    area["action"]["target"] = {"area_id": ["sump"]}
    await runner.async_add(area)
    await feed(hass)
    assert runner.states["sump"].paused_until is None  # the area holds no fed pump


async def test_wave_patterns_stop_and_a_schedule_created_meanwhile_is_paused(
    hass: HomeAssistant, clock: Clock
) -> None:
    _, runner = await start_runner(hass, local_entry(hass, {"feed_devices": [{"entity_id": PUMP}]}))
    # A wave pattern's schedule as the wave helper builds it: its pumps are its action's target.
    waves = Schedule(
        id="waves",
        name="Waves",
        timing=RecurringTiming(Frequency.DAILY, (time(0),)),
        action=Action(ActionType.WAVE, Target(entity_ids=(DOSER,))),
    )
    runner.schedules["waves"], runner.states["waves"] = waves, ScheduleState()
    await feed(hass)
    assert states(hass, PUMP, DOSER) == ("off", "off")
    assert runner.states["waves"].paused_until == berlin(11, 10)
    await runner.async_add(daily("later", "13:00", "on"))
    assert runner.states["later"].paused_until == berlin(11, 10)
    await clock.move_to(berlin(11, 10))
    assert states(hass, PUMP, DOSER) == ("on", "on")
    assert runner.states["waves"].paused_until is None


@pytest.mark.parametrize("step", [timedelta(hours=1), timedelta(hours=-1)])
async def test_a_clock_step_neither_delays_nor_hastens_the_restore(
    hass: HomeAssistant, clock: Clock, step: timedelta
) -> None:
    await start_runner(hass, local_entry(hass))
    await feed(hass)
    # The wall clock is set right after; the loop's monotonic clock does not move with it.
    clock.step(step)
    stepped = berlin(11) + step
    if step > timedelta(0):  # the wall clock passed the releases: at once (the skimmer's too)
        due = {entity_id: max(at, stepped) for entity_id, at in RELEASES.items()}
    else:  # set back before the start: feed mode ends then, its stages run from then
        due = {PUMP: stepped, SKIMMER: stepped + timedelta(minutes=5)}
    restored: dict[str, datetime] = {}
    wall = stepped
    while wall < max(due.values()) + timedelta(minutes=5) and len(restored) < len(due):
        near = any(abs(wall - at) < timedelta(minutes=1) for at in due.values())
        wall += timedelta(seconds=1 if near else 30)
        await clock.move_to(wall)
        for entity_id in due.keys() - restored.keys():
            if states(hass, entity_id) == ("on",):
                restored[entity_id] = wall
    assert restored.keys() == due.keys()
    for entity_id, at in due.items():
        assert at <= restored[entity_id] <= at + timedelta(seconds=10), entity_id
