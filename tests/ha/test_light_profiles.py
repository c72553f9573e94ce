"""Light profiles in Home Assistant: runs, steps and fades, other schedules, restarts.

Every expected level is worked out by hand from the profile's points and the clock (Berlin).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_CALL_SERVICE, EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, Event, HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
import pytest

from custom_components.reef_scheduler.engine.ledger import RunStatus, Trigger
from custom_components.reef_scheduler.engine.light_curve import light_curve
from custom_components.reef_scheduler.engine.profile import steps
from custom_components.reef_scheduler.engine.timeline import get_zone
from custom_components.reef_scheduler.runner import levels

from .clock import Clock
from .surface import kill, level_of, one_off, start_runner, template_light

BLUE = "light.reef_blue"
WHITE = "light.reef_white"
BLUE_LEVEL = "input_number.blue_level"
WHITE_LEVEL = "input_number.white_level"
UV = "light.reef_uv"  # each of its calls runs the service LAG first (see `slow_calls`)
UV_LEVEL = "input_number.uv_level"
LAG = "reef_test.lag"
POWER = "input_boolean.light_power"
SID = "reef"


def berlin(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """Return an instant of March 2026 on Berlin's wall clock (UTC+1 all month long here)."""
    return datetime.fromisoformat(f"2026-03-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}+01:00")


@pytest.fixture(autouse=True)
async def lights(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """LED channels in Berlin: blue and UV step, white fades; all need the light power on."""
    freezer.move_to(berlin(4, 7))
    await hass.config.async_set_time_zone("Europe/Berlin")
    hass.config.latitude, hass.config.longitude = 52.52, 13.405
    number = {"min": 0, "max": 100, "step": 1, "initial": 0}
    assert await async_setup_component(
        hass,
        "input_number",
        {"input_number": {"blue_level": number, "white_level": number, "uv_level": number}},
    )
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"light_power": {"initial": True}}}
    )
    available = {"availability_template": f"{{{{ is_state('{POWER}', 'on') }}}}"}
    config = {
        "reef_blue": template_light("Reef Blue", BLUE_LEVEL, transition=False) | available,
        "reef_white": template_light("Reef White", WHITE_LEVEL, transition=True) | available,
        "reef_uv": template_light("Reef UV", UV_LEVEL, transition=False, before=LAG) | available,
    }
    assert await async_setup_component(
        hass, "light", {"light": [{"platform": "template", "lights": config}]}
    )
    await hass.async_block_till_done()


def channel(name: str, light: str, *points: tuple[str, float], **fields: Any) -> dict[str, Any]:
    """Return a day channel of a profile spec."""
    return {
        "name": name,
        "lights": [light],
        "points": [{"time": at, "level": level} for at, level in points],
    } | fields


BLUE_DAY = channel("Blue", BLUE, ("08:00", 0), ("10:00", 80), ("18:00", 80), ("20:00", 0))
WHITE_DAY = channel("White", WHITE, ("09:00", 0), ("11:00", 100), ("15:00", 100), ("16:00", 0))


def profile_spec(*channels: dict[str, Any], **profile: Any) -> dict[str, Any]:
    """Return the light profile schedule "Reef light"."""
    return {
        "id": SID,
        "name": "Reef light",
        "type": "light_profile",
        "profile": {"channels": list(channels)} | profile,
    }


class Calls:
    """The light service calls made, per light: (instant, data)."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen to every light service call."""
        self.made: list[tuple[datetime, str, dict[str, Any]]] = []
        hass.bus.async_listen(EVENT_CALL_SERVICE, self._on_call)

    def _on_call(self, event: Event) -> None:
        if event.data["domain"] == "light":
            data = dict(event.data["service_data"])
            self.made.append((event.time_fired, data.pop("entity_id"), data))

    def of(
        self, light: str, since: datetime, until: datetime
    ) -> list[tuple[datetime, dict[str, Any]]]:
        """Return the calls to one light in [since, until]."""
        return [(at, data) for at, eid, data in self.made if eid == light and since <= at <= until]


async def walk(clock: Clock, start: datetime, end: datetime, step: timedelta) -> None:
    """Move the clock from start to end (both included) in steps."""
    instant = start
    while instant <= end:
        await clock.move_to(instant)
        instant += step


async def test_a_stepped_light_follows_its_channel_one_call_per_percent(
    hass: HomeAssistant, clock: Clock
) -> None:
    calls = Calls(hass)
    _, runner = await start_runner(hass)
    await runner.async_add(profile_spec(BLUE_DAY))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert level_of(hass, BLUE_LEVEL) == 0  # 07:00: before the morning ramp

    await walk(clock, berlin(4, 8), berlin(4, 9), timedelta(seconds=30))
    assert level_of(hass, BLUE_LEVEL) == 40
    await walk(clock, berlin(4, 9, 0, 30), berlin(4, 10), timedelta(seconds=30))
    ramp = calls.of(BLUE, berlin(4, 8), berlin(4, 10))
    assert 0 < len(ramp) <= 80  # 0 -> 80 %: at most one call per percent
    assert all("transition" not in data for _, data in ramp)
    assert level_of(hass, BLUE_LEVEL) == 80
    # Flat from 10:00 to 18:00: no call.
    await walk(clock, berlin(4, 10, 10), berlin(4, 17, 50), timedelta(minutes=10))
    assert calls.of(BLUE, berlin(4, 10, 1), berlin(4, 17, 50)) == []
    await walk(clock, berlin(4, 18), berlin(4, 19), timedelta(minutes=1))
    assert level_of(hass, BLUE_LEVEL) == 40
    await walk(clock, berlin(4, 19), berlin(4, 20), timedelta(minutes=1))
    assert level_of(hass, BLUE_LEVEL) == 0
    assert hass.states.get(BLUE).state == "off"

    # The next day's run at local midnight: one record, the same curve again.
    await clock.move_to(berlin(5, 0))
    await walk(clock, berlin(5, 8), berlin(5, 9), timedelta(minutes=1))
    assert level_of(hass, BLUE_LEVEL) == 40
    records = runner.ledger_page(SID)[0]
    assert [(r.due, r.trigger, r.status) for r in records] == [
        (berlin(5, 0), Trigger.TIMER, RunStatus.SUCCESS)
    ]


async def test_a_fading_light_gets_one_fade_per_five_minutes_and_none_when_flat(
    hass: HomeAssistant, clock: Clock
) -> None:
    calls = Calls(hass)
    _, runner = await start_runner(hass)
    await runner.async_add(profile_spec(WHITE_DAY))
    await walk(clock, berlin(4, 8), berlin(4, 14, 59), timedelta(minutes=1))
    ramp = calls.of(WHITE, berlin(4, 9), berlin(4, 11))
    # Two hours of ramp: at most 24 fades of at most 5 minutes each.
    assert 0 < len(ramp) <= 24
    assert all(0 < data["transition"] <= 300 for _, data in ramp)
    assert calls.of(WHITE, berlin(4, 8), berlin(4, 8, 59)) == []  # flat at 0 before 09:00
    assert calls.of(WHITE, berlin(4, 11, 1), berlin(4, 14, 59)) == []  # flat at 100 %
    assert level_of(hass, WHITE_LEVEL) == 100
    await walk(clock, berlin(4, 15), berlin(4, 16), timedelta(minutes=1))
    assert level_of(hass, WHITE_LEVEL) == 0
    assert len(calls.of(WHITE, berlin(4, 15), berlin(4, 16))) <= 12


async def test_a_storm_with_flashes_steps_a_fading_light(hass: HomeAssistant, clock: Clock) -> None:
    calls = Calls(hass)
    _, runner = await start_runner(hass)
    white = channel("White", WHITE, ("00:00", 40))
    storm = {"minutes": 10, "depth": 50, "start": "08:00", "flash_channel": "White"}
    await runner.async_add(profile_spec(white, storm=storm))
    schedule = runner.schedules[SID]
    assert schedule.action.profile is not None
    midnight = berlin(4, 0)
    curve = light_curve(
        schedule.action.profile, WHITE, midnight, zone=get_zone("Europe/Berlin"), seed=SID
    )
    assert curve.flashes
    changes = [at for at, _ in steps(curve, berlin(4, 7, 59)) if at <= berlin(4, 8, 10)]
    for instant in changes:
        await clock.move_to(instant)
    stormy = calls.of(WHITE, berlin(4, 8), berlin(4, 8, 10))
    assert stormy
    assert all("transition" not in data for _, data in stormy)
    assert max(data["brightness_pct"] for _, data in stormy) == 100  # a flash


async def test_a_light_too_slow_for_flashes_keeps_the_storms_dimming_only(
    hass: HomeAssistant, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    elapsed = [0.0]  # the clock light calls are timed by: it moves only while UV answers

    async def lag(_call: ServiceCall) -> None:
        elapsed[0] += 0.2  # too slow for a flash's way up and back in 300 ms

    hass.services.async_register(*LAG.split("."), lag)
    monkeypatch.setattr(levels, "call_clock", lambda: elapsed[0])
    calls = Calls(hass)
    _, runner = await start_runner(hass)
    uv = channel("UV", UV, ("00:00", 40))
    storm = {"minutes": 10, "depth": 50, "start": "08:00", "flash_channel": "UV"}
    await runner.async_add(profile_spec(uv, storm=storm))
    assert elapsed[0] == pytest.approx(0.2)  # the run's first call was timed
    profile = runner.schedules[SID].action.profile
    assert profile is not None
    assert profile.storm is not None
    zone, midnight, window = (
        get_zone("Europe/Berlin"),
        berlin(4, 0),
        (berlin(4, 8), berlin(4, 8, 10)),
    )
    curve = light_curve(profile, UV, midnight, zone=zone, seed=SID)
    changes = [at for at, _ in steps(curve, berlin(4, 7, 59)) if at <= window[1]]
    assert sum(curve.flash_at(at) for at in changes) >= 20  # 3 a minute, some merged
    for instant in changes:
        await clock.move_to(instant)
    stormy = calls.of(UV, *window)
    assert not any(curve.flash_at(at) for at, _ in stormy)
    # The storm's dimming without its flashes: down to 20 % and back, one call per percent.
    calm = replace(profile, storm=replace(profile.storm, flash_channel=None))
    dimming = light_curve(calm, UV, midnight, zone=zone, seed=SID)
    expected = [level for at, level in steps(dimming, window[0]) if at <= window[1]][1:]
    assert min(expected) == 20
    assert [data["brightness_pct"] for _, data in stormy] == expected
    assert level_of(hass, UV_LEVEL) == 40


async def test_another_schedule_on_the_light_wins_until_the_next_local_midnight(
    hass: HomeAssistant, clock: Clock
) -> None:
    _, runner = await start_runner(hass)
    await runner.async_add(profile_spec(BLUE_DAY))
    dim = {"type": "set_level", "level": 30, "target": {"entity_id": BLUE}}
    await runner.async_add(one_off("dim", berlin(4, 14), dim))
    await walk(clock, berlin(4, 9, 59), berlin(4, 10), timedelta(seconds=1))
    assert level_of(hass, BLUE_LEVEL) == 80
    await clock.move_to(berlin(4, 14))
    assert level_of(hass, BLUE_LEVEL) == 30
    await walk(clock, berlin(4, 18), berlin(4, 23, 59), timedelta(minutes=10))
    assert level_of(hass, BLUE_LEVEL) == 30  # the evening ramp is the profile's: not today
    await clock.move_to(berlin(5, 0))
    await walk(clock, berlin(5, 8), berlin(5, 9), timedelta(minutes=1))
    assert level_of(hass, BLUE_LEVEL) == 40


async def test_a_kill_mid_profile_every_light_at_its_level_once_available(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    calls = Calls(hass)
    entry, runner = await start_runner(hass)
    await runner.async_add(profile_spec(BLUE_DAY, WHITE_DAY))
    await walk(clock, berlin(4, 8), berlin(4, 9, 30), timedelta(minutes=1))
    # Blue steps (60 % at 09:30); white fades to the level of its segment's end (09:35).
    assert (level_of(hass, BLUE_LEVEL), level_of(hass, WHITE_LEVEL)) == (60, 29)
    await clock.advance(12)  # the coalesced writes reach the disk
    await clock.advance(1)
    await kill(hass, entry, hass_storage)

    # Home Assistant starts again at 10:30; the lights' integration comes up later.
    await hass.services.async_call("input_boolean", "turn_off", {"entity_id": POWER})
    await hass.async_block_till_done()
    assert hass.states.get(BLUE).state == "unavailable"
    await clock.move_to(berlin(4, 10, 30))
    hass.set_state(CoreState.not_running)
    _, runner = await start_runner(hass, entry)
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (level_of(hass, BLUE_LEVEL), level_of(hass, WHITE_LEVEL)) == (60, 29)  # unchanged

    back = berlin(4, 10, 30)
    await hass.services.async_call("input_boolean", "turn_on", {"entity_id": POWER}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(WHITE).last_changed == back  # available again
    await clock.advance(10)
    # 10:30: blue holds 80 % since 10:00, white is 3/4 up its 09:00-11:00 ramp: each light is
    # set to that level at once, then white fades on towards 10:35's 79 %.
    assert level_of(hass, BLUE_LEVEL) == 80
    assert [data for _, data in calls.of(BLUE, back, back + timedelta(seconds=10))] == [
        {"brightness_pct": 80}
    ]
    assert [data for _, data in calls.of(WHITE, back, back + timedelta(seconds=10))] == [
        {"brightness_pct": 75},
        {"brightness_pct": 79, "transition": 300},
    ]
    await walk(clock, berlin(4, 10, 31), berlin(4, 11), timedelta(minutes=1))
    assert (level_of(hass, BLUE_LEVEL), level_of(hass, WHITE_LEVEL)) == (80, 100)
    assert runner.ledger_page(SID)[0] == []  # applying a state is no run; nothing ran twice


async def test_acclimation_across_days_with_a_kill_each_day(
    hass: HomeAssistant, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    entry, _ = await start_runner(hass)
    steady = channel("Blue", BLUE, ("00:00", 80))
    acclimation = {"start_date": "2026-03-04", "days": 4, "start_percent": 50}
    await entry.runtime_data.backend.async_create(profile_spec(steady, acclimation=acclimation))
    await hass.async_block_till_done(wait_background_tasks=True)
    sensor = "sensor.reef_light_acclimation"
    # Factor 50 % on day 1, then 1/4 of the rest more each day, 100 % from day 5 on.
    for day, factor in ((4, 50.0), (5, 62.5), (6, 75.0), (7, 87.5), (8, 100.0), (9, 100.0)):
        if day > 4:
            await clock.advance(13)
            await kill(hass, entry, hass_storage)
            await clock.move_to(berlin(day, 12))
            await start_runner(hass, entry)
        assert level_of(hass, BLUE_LEVEL) == 80 * factor / 100
        state = hass.states.get(sensor)
        assert float(state.state) == factor
        assert state.attributes["day"] == day - 3
        assert state.attributes["days"] == 4
        assert state.attributes["paused"] is False


@pytest.mark.parametrize("light", [BLUE, WHITE])
async def test_a_manual_change_stops_the_profile_on_that_light_until_its_next_day(
    hass: HomeAssistant, clock: Clock, light: str
) -> None:
    level = BLUE_LEVEL if light == BLUE else WHITE_LEVEL
    _, runner = await start_runner(hass)
    await runner.async_add(profile_spec(BLUE_DAY, WHITE_DAY))
    await walk(clock, berlin(4, 9), berlin(4, 9, 10), timedelta(minutes=1))
    # Someone dims the light by hand.
    await hass.services.async_call(
        "light", "turn_on", {"entity_id": light, "brightness_pct": 10}, blocking=True
    )
    await hass.async_block_till_done()
    await walk(clock, berlin(4, 9, 11), berlin(4, 12), timedelta(minutes=1))
    assert level_of(hass, level) == 10  # left alone
    other, expected = (WHITE_LEVEL, 100) if light == BLUE else (BLUE_LEVEL, 80)
    assert level_of(hass, other) == expected  # the other light still follows the profile
    await clock.move_to(berlin(5, 0))
    await walk(clock, berlin(5, 9), berlin(5, 9, 55), timedelta(minutes=1))
    # 09:55: blue steps to 77 %; white fades to 10:00's 50 %.
    assert (level_of(hass, BLUE_LEVEL), level_of(hass, WHITE_LEVEL)) == (77, 50)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # 29 March: 02:00-03:00 does not exist; the level jumps to the curve's after the gap.
        pytest.param(
            "2026-03-29",
            [("00:59:00", 20), ("01:00:00", 40), ("02:00:00", 60)],
            id="spring-forward",
        ),
        # 25 October: 02:00-03:00 twice; played once, its end held during the second.
        pytest.param(
            "2026-10-25",
            [("00:30:00", 30), ("01:30:00", 40), ("02:00:00", 40), ("03:00:00", 60)],
            id="fall-back",
        ),
    ],
)
async def test_a_dst_day_reads_the_curve_on_the_wall_clock(
    hass: HomeAssistant, clock: Clock, day: str, expected: list[tuple[str, int]]
) -> None:
    night = channel("Blue", BLUE, ("01:00", 0), ("05:00", 80))
    await clock.move_to(datetime.fromisoformat(f"{day}T00:00:00+00:00") - timedelta(hours=3))
    _, runner = await start_runner(hass)
    await runner.async_add(profile_spec(night))
    instant = datetime.fromisoformat(f"{day}T00:00:00+00:00") - timedelta(hours=2)
    for at, level in expected:
        until = datetime.fromisoformat(f"{day}T{at}+00:00")  # UTC
        await walk(clock, instant, until, timedelta(minutes=1))
        instant = until + timedelta(minutes=1)
        assert level_of(hass, BLUE_LEVEL) == level, at


async def test_a_disabled_profile_leaves_its_lights_until_enabled_again(
    hass: HomeAssistant, clock: Clock
) -> None:
    _, runner = await start_runner(hass)
    await runner.async_add(profile_spec(BLUE_DAY))
    await walk(clock, berlin(4, 9), berlin(4, 9, 30), timedelta(minutes=1))
    assert level_of(hass, BLUE_LEVEL) == 60
    await runner.async_set_enabled(SID, False)
    await walk(clock, berlin(4, 9, 31), berlin(4, 10), timedelta(minutes=1))
    assert level_of(hass, BLUE_LEVEL) == 60  # no longer driven
    await runner.async_set_enabled(SID, True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert level_of(hass, BLUE_LEVEL) == 80
