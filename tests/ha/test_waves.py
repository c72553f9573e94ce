"""Wave patterns in Home Assistant: each pattern's on/off instants over an hour, a kill between.

Pumps are template switches over input_booleans and input_numbers (variable speed). The clock
moves to every instant the pattern changes (read from the engine's curve, the only place the
seeded random lengths can come from); at each, every pump must be where the pattern puts it.
Half way, Home Assistant is killed (storage as on disk) and starts again two minutes later:
the pattern goes on where the clock says, and no pump is ever switched on or off for less
than its minimum, the kill included.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED, EVENT_STATE_CHANGED
from homeassistant.core import CoreState, Event, HomeAssistant
from homeassistant.setup import async_setup_component
import pytest

from custom_components.reef_scheduler.engine.light_curve import day_end
from custom_components.reef_scheduler.engine.profile import round_level
from custom_components.reef_scheduler.engine.timeline import get_zone
from custom_components.reef_scheduler.engine.validate import validate_schedule
from custom_components.reef_scheduler.engine.wave import WaveCurve, wave_curve

from .clock import Clock
from .surface import kill, start_runner

LEFT, RIGHT = "switch.wave_left", "switch.wave_right"
FAST, SLOW = "input_number.wave_fast", "input_number.wave_slow"
SID = "waves"
ZONE = get_zone("Europe/Berlin")
MINIMUM = 20  # seconds: min_on and min_off of the on/off patterns


def berlin(hour: int, minute: int = 0, second: int = 0) -> datetime:
    """Return an instant of 2026-03-04 on Berlin's wall clock (UTC+1)."""
    return datetime.fromisoformat(f"2026-03-04T{hour:02d}:{minute:02d}:{second:02d}+01:00")


START, KILLED, END = berlin(10), berlin(10, 30, 30), berlin(11)


def switch(name: str) -> dict[str, Any]:
    """Return a template switch over an input_boolean of the same name."""
    target = {"entity_id": f"input_boolean.{name}"}
    return {
        "value_template": f"{{{{ is_state('input_boolean.{name}', 'on') }}}}",
        "turn_on": {"action": "input_boolean.turn_on", "target": target},
        "turn_off": {"action": "input_boolean.turn_off", "target": target},
    }


@pytest.fixture(autouse=True)
async def pumps(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Two switch pumps and two variable-speed pumps in Berlin."""
    freezer.move_to(START - timedelta(minutes=1))
    await hass.config.async_set_time_zone("Europe/Berlin")
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"wave_left": {}, "wave_right": {}}}
    )
    speed = {"min": 0, "max": 100, "step": 1, "initial": 0}
    assert await async_setup_component(
        hass, "input_number", {"input_number": {"wave_fast": speed, "wave_slow": speed}}
    )
    switches = {"wave_left": switch("wave_left"), "wave_right": switch("wave_right")}
    assert await async_setup_component(
        hass, "switch", {"switch": [{"platform": "template", "switches": switches}]}
    )
    await hass.async_block_till_done()


ON_OFF = {"min_on": MINIMUM, "min_off": MINIMUM}
PATTERNS = {
    "alternate": {"pumps": [LEFT, RIGHT], "mode": "alternate", "on": 45} | ON_OFF,
    "pulse": {"pumps": [LEFT, RIGHT], "mode": "pulse", "on": 25, "off": 35} | ON_OFF,
    "random": {
        "pumps": [LEFT, RIGHT],
        "mode": "random",
        "on": 20,
        "off": 20,
        "on_max": 90,
        "off_max": 120,
    }
    | ON_OFF,
    "sine": {
        "pumps": [FAST, SLOW],
        "mode": "sine",
        "period": 1200,
        "min_speed": 40,
        "max_speed": 60,
    },
    "ramped_pulse": {
        "pumps": [FAST, SLOW],
        "mode": "ramped_pulse",
        "on": 120,
        "off": 120,
        "ramp": 60,
        "min_speed": 40,
        "max_speed": 60,
    },
}


def level(hass: HomeAssistant, pump: str) -> int:
    """Return a pump's level: 0/100 for a switch, the speed of an input_number."""
    state = hass.states.get(pump)
    assert state is not None
    if pump.startswith("switch."):
        return 100 if state.state == "on" else 0
    return round(float(state.state))


class Changes:
    """Every state change of the pumps: (instant, pump, level)."""

    def __init__(self, hass: HomeAssistant, pumps: list[str]) -> None:
        """Listen to the pumps' state changes."""
        self.hass = hass
        self.made: list[tuple[datetime, str, int]] = []
        hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_change)
        self.pumps = pumps

    def _on_change(self, event: Event) -> None:
        pump = event.data["entity_id"]
        if pump in self.pumps and event.data["new_state"] is not None:
            self.made.append((event.time_fired, pump, level(self.hass, pump)))

    def shortest(self, pump: str) -> dict[bool, timedelta]:
        """Return the shortest whole on and off of a switch pump."""
        flips: list[tuple[datetime, bool]] = []
        for at, eid, value in self.made:
            if eid == pump and (not flips or flips[-1][1] != (value > 0)):
                flips.append((at, value > 0))
        found: dict[bool, timedelta] = {}
        for (began, on), (ended, _) in pairwise(flips):
            found[on] = min(found.get(on, ended - began), ended - began)
        return found


def curves(spec: dict[str, Any]) -> dict[str, WaveCurve]:
    """Return each pump's curve for the run of 2026-03-04 (the engine's, seeded by the id)."""
    schedule = validate_schedule(
        {"id": SID, "type": "wave", "wave": spec}, default_timezone="Europe/Berlin"
    )
    pattern = schedule.action.wave
    assert pattern is not None
    midnight = berlin(0)
    return {
        pump: wave_curve(pattern, pump, midnight, day_end(midnight, ZONE), zone=ZONE, seed=SID)
        for pump in pattern.pumps
    }


def instants(found: dict[str, WaveCurve], since: datetime, until: datetime) -> list[datetime]:
    """Return every instant in (since, until] at which some pump's level changes."""
    result: set[datetime] = set()
    for curve in found.values():
        at = curve.next_change(since)
        while at is not None and at <= until:
            result.add(at)
            at = curve.next_change(at)
    return sorted(result)


async def follow(
    hass: HomeAssistant,
    clock: Clock,
    found: dict[str, WaveCurve],
    since: datetime,
    until: datetime,
    held: dict[str, tuple[datetime, int]] | None = None,
) -> int:
    """Move to each change in (since, until]; every pump must be at its curve's level.

    ``held``: pumps that keep a level until an instant instead.
    """
    held = held or {}
    moves = instants(found, since, until)
    for at in moves:
        await clock.move_to(at)
        expected = {
            pump: held[pump][1]
            if pump in held and at < held[pump][0]
            else round_level(curve.level_at(at))
            for pump, curve in found.items()
        }
        assert {pump: level(hass, pump) for pump in found} == expected, at
    return len(moves)


@pytest.mark.parametrize(
    ("mode", "back", "keeps"),
    [
        *((mode, berlin(10, 32, 3), False) for mode in PATTERNS),
        # 10:32:21: the pulse's on (from 10:32:00) ends in 4 s, less than min_on: the pumps,
        # off since 10:30:25, stay off (the pulse is off from 10:32:25 to 10:33:00 anyway).
        ("pulse", berlin(10, 32, 21), True),
    ],
)
async def test_each_pattern_over_an_hour_with_a_kill_in_the_middle(
    hass: HomeAssistant,
    clock: Clock,
    hass_storage: dict[str, Any],
    mode: str,
    back: datetime,
    keeps: bool,
) -> None:
    spec = PATTERNS[mode]
    changes = Changes(hass, spec["pumps"])
    found = curves(spec)
    await clock.move_to(START)
    entry, runner = await start_runner(hass)
    await runner.async_add({"id": SID, "name": "Waves", "type": "wave", "wave": spec})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert {pump: level(hass, pump) for pump in found} == {
        pump: round_level(curve.level_at(START)) for pump, curve in found.items()
    }
    before = await follow(hass, clock, found, START, KILLED)
    assert before >= 30  # the pattern did move

    await clock.move_to(KILLED)
    await kill(hass, entry, hass_storage)
    left = {pump: level(hass, pump) for pump in found}
    await clock.move_to(back)  # Home Assistant was down for two minutes: nothing moved
    assert {pump: level(hass, pump) for pump in found} == left
    hass.set_state(CoreState.not_running)
    _, runner = await start_runner(hass, entry)
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done(wait_background_tasks=True)

    # Back on the pattern at once, except a switch pump that would be switched for less than
    # its minimum: it keeps its state until the pattern comes back to it.
    held: dict[str, tuple[datetime, int]] = {}
    for pump, curve in found.items():
        wanted, kept = round_level(curve.level_at(back)), left[pump]
        following = curve.next_change(back)
        assert following is not None
        switched = (wanted > 0) != (kept > 0)
        if pump.startswith("switch.") and switched and following - back < timedelta(seconds=20):
            held[pump] = (following, kept)
        assert level(hass, pump) == (held[pump][1] if pump in held else wanted), pump
    if keeps:
        assert held == {LEFT: (berlin(10, 32, 25), 0), RIGHT: (berlin(10, 32, 25), 0)}
    after = await follow(hass, clock, found, back, END, held)
    assert after >= 30
    # The switch pumps were never on or off for less than their minimum, the kill included.
    for pump in found:
        if pump.startswith("switch."):
            shortest = changes.shortest(pump)
            assert min(shortest.values()) >= timedelta(seconds=MINIMUM), shortest
    # A wave run is a run at local midnight: none in the hour, nothing ran twice.
    assert runner.ledger_page(SID)[0] == []


async def preview(hass: HomeAssistant, spec: dict[str, Any], day: str) -> dict[str, Any]:
    """Return the preview of a wave schedule over a local date."""
    definition = {"name": "Waves", "type": "wave", "wave": spec}
    result = await hass.services.async_call(
        "reef_scheduler",
        "preview",
        {"schedule": definition, "date": day, "count": 2},
        blocking=True,
        return_response=True,
    )
    assert isinstance(result, dict)
    return result


async def test_preview_gives_each_pumps_levels_over_a_local_date(
    hass: HomeAssistant, clock: Clock
) -> None:
    await start_runner(hass)
    spec = PATTERNS["random"] | {
        "night": {"start": "22:00", "end": "07:00", "mode": "pulse", "on": 600, "off": 3000}
    }
    result = await preview(hass, spec, "2026-03-04")
    assert result["runs"] == ["2026-03-04T23:00:00+00:00", "2026-03-05T23:00:00+00:00"]
    assert set(result["levels"]) == {LEFT, RIGHT}
    # The night's pulse: on for 10 minutes at the start of each hour, from midnight to 07:00
    # (07:00 is the start of an on: kept min_on, then until the day's next change).
    left = result["levels"][LEFT]
    assert left[:4] == [
        {"at": "2026-03-04T00:00:00+01:00", "level": 100},
        {"at": "2026-03-04T00:10:00+01:00", "level": 0},
        {"at": "2026-03-04T01:00:00+01:00", "level": 100},
        {"at": "2026-03-04T01:10:00+01:00", "level": 0},
    ]
    assert "truncated" not in result
    # The preview's id is its own ("preview"): its random lengths are those of that seed.
    schedule = validate_schedule(
        {"id": "preview", "type": "wave", "wave": spec}, default_timezone="Europe/Berlin"
    )
    assert schedule.action.wave is not None
    midnight = berlin(0)
    curve = wave_curve(
        schedule.action.wave, LEFT, midnight, day_end(midnight, ZONE), zone=ZONE, seed="preview"
    )
    day_steps = [
        (datetime.fromisoformat(step["at"]), step["level"]) for step in left if "T10:" in step["at"]
    ]
    assert day_steps
    assert all(round_level(curve.level_at(at)) == value for at, value in day_steps)


async def test_preview_cuts_a_pump_at_2000_steps(hass: HomeAssistant, clock: Clock) -> None:
    await start_runner(hass)
    busy = PATTERNS["sine"] | {"period": 60, "min_speed": 0, "max_speed": 100}
    result = await preview(hass, busy, "2026-03-04")
    assert result["truncated"] == [FAST, SLOW]
    assert [len(result["levels"][pump]) for pump in (FAST, SLOW)] == [2000, 2000]


async def test_a_disabled_wave_leaves_its_pumps_until_enabled_again(
    hass: HomeAssistant, clock: Clock
) -> None:
    spec = PATTERNS["pulse"]
    found = curves(spec)
    await clock.move_to(START)
    _, runner = await start_runner(hass)
    await runner.async_add({"id": SID, "name": "Waves", "type": "wave", "wave": spec})
    await follow(hass, clock, found, START, berlin(10, 5))
    await clock.move_to(berlin(10, 5, 10))
    assert level(hass, LEFT) == 100  # on from 10:05:00 to 10:05:25
    await runner.async_set_enabled(SID, False)
    await clock.move_to(berlin(10, 5, 30))
    await clock.move_to(berlin(10, 7, 30))
    assert level(hass, LEFT) == 100  # no longer driven
    await runner.async_set_enabled(SID, True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert level(hass, LEFT) == 0  # off from 10:07:25
    await follow(hass, clock, found, berlin(10, 7, 30), berlin(10, 10))
