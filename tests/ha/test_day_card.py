"""The day card's websocket commands: the DAY's shape, windows, permissions, pushes, re-apply."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.reef_scheduler.const import DOMAIN

from .clock import Clock
from .surface import (
    BLUE,
    HEATER,
    LEVEL,
    PUMP,
    level_of,
    ramp_action,
    reef_tank,
    seed,
    setup_local,
    spec,
)

# Wednesday 12:00 in Berlin (CEST, +02:00): the local day is 2026-10-20T22:00Z .. 10-21T22:00Z.
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 10, 21, 10, 0, tzinfo=UTC)
MIDNIGHT = datetime(2026, 10, 20, 22, 0, tzinfo=UTC)
MORNING = spec(id="morning", name="Morning", times=["09:00"], action=ramp_action(BLUE, 0, 80, 3600))
PUMP_ON = spec(id="pump", name="Pump", times=["10:00"])
SIESTA = spec(
    id="siesta",
    name="Siesta",
    times=["14:00"],
    action={"type": "set_level", "level": 40, "duration": 7200, "target": {"entity_id": BLUE}},
)
SCHEDULES = [SIESTA, PUMP_ON, MORNING]


def local(hour: int, minute: int = 0, day: int = 21, second: int = 0) -> str:
    """Return an instant of Berlin's wall clock in October 2026 (CEST) as the DAY writes it."""
    return datetime(2026, 10, day, hour - 2, minute, second, tzinfo=UTC).isoformat()


def ledger(*runs: tuple[str, str, str | None]) -> dict[str, Any]:
    """Return a stored run history: (due, status, error) per run, each taking 2 seconds."""
    return {
        "next_slot": len(runs),
        "records": [
            {
                "slot": slot,
                "due": due,
                "trigger": "timer",
                "status": status,
                "started": due,
                "finished": (datetime.fromisoformat(due) + timedelta(seconds=2)).isoformat(),
                "error": error,
            }
            for slot, (due, status, error) in enumerate(runs)
        ],
    }


@pytest.fixture
def now() -> datetime:
    """Return the instant the test starts at (a test may parametrize it)."""
    return NOW


@pytest.fixture(autouse=True)
async def tank(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    now: datetime,
) -> None:
    freezer.move_to(now)
    await reef_tank(hass)
    seed(
        hass_storage,
        SCHEDULES,
        ledger={
            "pump": ledger((local(10), "success", None)),
            "morning": ledger((local(9), "failed", "light.reef_blue is unavailable")),
        },
    )
    await setup_local(hass)


async def ask(client: Any, **fields: Any) -> dict[str, Any]:
    """Send a reef_scheduler/day command and return its answer."""
    await client.send_json_auto_id({"type": f"{DOMAIN}/day", **fields})
    return dict(await client.receive_json())


async def day_of(client: Any, **fields: Any) -> dict[str, Any]:
    """Return the DAY of a window."""
    answer = await ask(client, **fields)
    assert answer["success"], answer
    return dict(answer["result"])


def row(day: dict[str, Any], sid: str) -> dict[str, Any]:
    """Return a schedule's row."""
    return next(item for item in day["schedules"] if item["id"] == sid)


def target(day: dict[str, Any], entity_id: str) -> dict[str, Any]:
    """Return a target."""
    return next(item for item in day["targets"] if item["entity_id"] == entity_id)


def level_at(curve: list[list[Any]], at: str) -> list[Any]:
    """Return the curve's levels at an instant (two at a jump)."""
    return [level for instant, level in curve if instant == at]


async def test_the_day_lists_rows_runs_bands_targets_and_curves(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    day = await day_of(await hass_ws_client(hass))

    assert (day["start"], day["end"], day["now"]) == (
        MIDNIGHT.isoformat(),
        (MIDNIGHT + timedelta(days=1)).isoformat(),
        NOW.isoformat(),
    )
    assert day["time_zone"] == "Europe/Berlin"
    assert [item["name"] for item in day["schedules"]] == ["Morning", "Pump", "Siesta"]
    morning = row(day, "morning")
    assert {key: morning[key] for key in ("type", "action", "enabled", "paused_until")} == {
        "type": "recurring",
        "action": "ramp",
        "enabled": True,
        "paused_until": None,
    }
    assert morning["enabled_entity"] == hass.states.get(morning["enabled_entity"]).entity_id
    assert morning["targets"] == [BLUE]
    assert morning["runs"] == [
        {
            "start": local(9),
            "end": local(10),
            "result": "failed",
            "ml": None,
            "error": "light.reef_blue is unavailable",
        }
    ]
    assert morning["bands"] == []  # a failed ramp did not happen
    assert row(day, "pump")["runs"] == [
        {
            "start": local(10),
            "end": local(10, second=2),  # it took 2 seconds
            "result": "success",
            "ml": None,
            "error": None,
        }
    ]
    siesta = row(day, "siesta")
    assert [(run["start"], run["end"], run["result"]) for run in siesta["runs"]] == [
        (local(14), local(16), "upcoming")
    ]
    assert siesta["bands"] == [{"start": local(14), "end": local(16), "kind": "hold"}]
    assert all(not item["more"] for item in day["schedules"])

    assert [item["entity_id"] for item in day["targets"]] == [BLUE, PUMP]  # by name
    blue = target(day, BLUE)
    assert blue["name"] == "Reef Blue"
    assert blue["schedules"] == ["morning", "siesta"]
    assert (blue["level"], blue["prescribed"], blue["held"], blue["drift"]) == (
        80.0,
        80.0,
        None,
        False,
    )
    curve = blue["curve"]
    assert curve[0] == [MIDNIGHT.isoformat(), 0.0]
    assert curve[-1] == [(MIDNIGHT + timedelta(days=1)).isoformat(), 0.0]
    assert level_at(curve, local(9)) == [0.0]
    assert level_at(curve, local(10)) == [80.0]
    assert level_at(curve, local(14)) == [80.0, 40.0]  # a jump: before, after
    assert level_at(curve, local(16)) == [40.0, 0.0]
    instants = [datetime.fromisoformat(instant) for instant, _ in curve]
    assert instants == sorted(instants)
    assert len(curve) <= 300
    ramp = [level for instant, level in curve if local(9) < instant < local(10)]
    assert ramp == sorted(ramp)
    assert len(ramp) > 5  # sampled as it moves
    pump = target(day, PUMP)
    assert pump["curve"] == [[MIDNIGHT.isoformat(), 100.0], [day["end"], 100.0]]
    assert (pump["level"], pump["prescribed"], pump["drift"]) == (100.0, 100.0, False)
    assert day["care"] == []


async def test_a_choice_of_schedules_or_entities(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    client = await hass_ws_client(hass)

    day = await day_of(client, schedules=["siesta", "unknown"])
    assert [item["id"] for item in day["schedules"]] == ["siesta"]
    assert [item["entity_id"] for item in day["targets"]] == [BLUE]
    # The curve is what every schedule prescribes, shown or not: the morning ramp too.
    assert level_at(target(day, BLUE)["curve"], local(10)) == [80.0]
    day = await day_of(client, entities=[PUMP])
    assert [item["id"] for item in day["schedules"]] == ["pump"]
    assert [item["entity_id"] for item in day["targets"]] == [PUMP]


@pytest.mark.parametrize(
    ("now", "start", "hours"),
    [
        # Noon on the day Berlin springs forward (23 hours) and on the day it falls back (25).
        (datetime(2026, 3, 29, 10, 0, tzinfo=UTC), datetime(2026, 3, 28, 23, 0, tzinfo=UTC), 23),
        (datetime(2026, 10, 25, 11, 0, tzinfo=UTC), datetime(2026, 10, 24, 22, 0, tzinfo=UTC), 25),
        (NOW, MIDNIGHT, 24),
    ],
)
async def test_the_default_window_is_the_local_day(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    now: datetime,
    start: datetime,
    hours: int,
) -> None:
    day = await day_of(await hass_ws_client(hass))

    end = start + timedelta(hours=hours)
    assert (day["start"], day["end"]) == (start.isoformat(), end.isoformat())
    # The siesta at 14:00 local: today's, not the next day's.
    siesta = datetime.combine(now.astimezone(BERLIN).date(), time(14), BERLIN)
    assert [run["start"] for run in row(day, "siesta")["runs"]] == [
        siesta.astimezone(UTC).isoformat()
    ]
    curve = target(day, BLUE)["curve"]
    assert (curve[0][0], curve[-1][0]) == (start.isoformat(), end.isoformat())
    assert len(curve) <= 300


async def test_a_window_from_a_start_includes_its_start_and_excludes_its_end(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    client = await hass_ws_client(hass)
    ten = datetime.fromisoformat(local(10, day=22))

    day = await day_of(client, start=ten.isoformat(), hours=24)
    assert (day["start"], day["end"]) == (ten.isoformat(), (ten + timedelta(days=1)).isoformat())
    assert [run["start"] for run in row(day, "pump")["runs"]] == [local(10, day=22)]
    day = await day_of(client, start=(ten - timedelta(hours=1)).isoformat(), hours=1)
    assert row(day, "pump")["runs"] == []
    # A naive start is Home Assistant's wall clock; 72 hours at most.
    day = await day_of(client, start="2026-10-22T10:00:00", hours=72)
    assert day["start"] == ten.isoformat()
    assert len(row(day, "pump")["runs"]) == 3


@pytest.mark.parametrize(
    "fields",
    [
        {"hours": 0},
        {"hours": 73},
        {"start": "tomorrow"},
        {"schedules": "pump"},
        {"start": "9999-12-31T23:00:00+00:00", "hours": 72},
    ],
)
async def test_a_bad_window_is_refused(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, fields: dict[str, Any]
) -> None:
    answer = await ask(await hass_ws_client(hass), **fields)

    assert not answer["success"]
    assert answer["error"]["code"] == "invalid_format"


async def test_a_user_sees_the_schedules_and_targets_they_may_read(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_user: MockUser,
    hass_read_only_access_token: str,
) -> None:
    admin = await day_of(await hass_ws_client(hass))
    switch = row(admin, "siesta")["enabled_entity"]
    hass_read_only_user.mock_policy({"entities": {"entity_ids": {switch: True, PUMP: True}}})

    day = await day_of(await hass_ws_client(hass, hass_read_only_access_token))
    assert [item["id"] for item in day["schedules"]] == ["siesta"]
    assert row(day, "siesta")["targets"] == []  # the light is not theirs to read
    assert day["targets"] == []
    hass_read_only_user.mock_policy({"entities": {"entity_ids": {switch: True, BLUE: True}}})
    day = await day_of(await hass_ws_client(hass, hass_read_only_access_token))
    assert [item["entity_id"] for item in day["targets"]] == [BLUE]
    assert target(day, BLUE)["curve"] == target(admin, BLUE)["curve"]


async def subscribe(client: Any, **fields: Any) -> tuple[int, dict[str, Any]]:
    """Subscribe to a window; return the subscription's id and the first DAY."""
    await client.send_json_auto_id({"type": f"{DOMAIN}/day/subscribe", **fields})
    answer = await client.receive_json()
    assert answer["success"], answer
    assert answer["result"] is None
    return answer["id"], await pushed(client, answer["id"])


async def pushed(client: Any, subscription: int) -> dict[str, Any]:
    """Return the next DAY pushed."""
    message = await client.receive_json()
    assert (message["id"], message["type"]) == (subscription, "event")
    return dict(message["event"]["day"])


async def test_the_subscription_pushes_runs_care_and_target_changes(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, clock: Clock
) -> None:
    client = await hass_ws_client(hass)
    subscription, day = await subscribe(client)
    assert [run["result"] for run in row(day, "siesta")["runs"]] == ["upcoming"]

    # A run starts and ends.
    await clock.move_to(datetime.fromisoformat(local(14)))
    day = await latest(client, subscription, clock)
    assert [run["result"] for run in row(day, "siesta")["runs"]] == ["success"]
    assert target(day, BLUE)["prescribed"] == 40.0
    assert target(day, BLUE)["level"] == 40.0

    # Feed mode (at 14:00:02) holds the pump off: a care period, the pump held.
    await hass.services.async_call(
        DOMAIN, "feed_mode", {"minutes": 10, "devices": [{"entity_id": PUMP}]}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    day = await latest(client, subscription, clock)
    assert [period["kind"] for period in day["care"]] == ["feed"]
    assert day["care"][0]["devices"] == [{"entity_id": PUMP, "release": local(14, 10, second=2)}]
    pump = target(day, PUMP)
    assert (pump["held"], pump["prescribed"], pump["level"], pump["drift"]) == (
        "feed",
        0.0,
        0.0,
        False,
    )
    assert level_at(pump["curve"], local(14, second=2)) == [100.0, 0.0]
    assert level_at(pump["curve"], local(14, 10, second=2)) == [0.0, 100.0]

    # A shown target's state changes: someone turns the light up by hand.
    await hass.services.async_call(
        "input_number", "set_value", {"entity_id": LEVEL, "value": 100}, blocking=True
    )
    await hass.async_block_till_done()
    day = await latest(client, subscription, clock)
    blue = target(day, BLUE)
    assert (blue["level"], blue["prescribed"], blue["drift"]) == (100.0, 40.0, True)


async def latest(client: Any, subscription: int, clock: Clock) -> dict[str, Any]:
    """Return the last DAY pushed once pending pushes are out (2 s on; a ping marks the end)."""
    await clock.advance(2)
    await client.send_json_auto_id({"type": "ping"})
    day: dict[str, Any] | None = None
    while (message := await client.receive_json())["type"] != "pong":
        assert (message["id"], message["type"]) == (subscription, "event")
        day = message["event"]["day"]
    assert day is not None, "nothing was pushed"
    return day


async def test_schedule_changes_and_a_reload_are_pushed(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, clock: Clock
) -> None:
    client = await hass_ws_client(hass)
    subscription, day = await subscribe(client)
    await clock.advance(2)

    await hass.services.async_call(
        DOMAIN, "pause", {"schedule_id": "pump", "duration": "01:00:00"}, blocking=True
    )
    day = await latest(client, subscription, clock)
    assert row(day, "pump")["paused_until"] == (NOW + timedelta(hours=1, seconds=2)).isoformat()

    # After a reload the new runner's changes are pushed.
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await hass.services.async_call(DOMAIN, "skip_next", {"schedule_id": "siesta"}, blocking=True)
    day = await latest(client, subscription, clock)
    assert [run["result"] for run in row(day, "siesta")["runs"]] == ["skipped"]
    assert row(day, "siesta")["runs"][0]["error"] == "Skipped on request"
    assert row(day, "siesta")["bands"] == []


async def test_unsubscribing_removes_every_listener(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, clock: Clock
) -> None:
    client = await hass_ws_client(hass)
    subscription, _day = await subscribe(client)
    await clock.advance(2)

    await client.send_json_auto_id({"type": "unsubscribe_events", "subscription": subscription})
    answer = await client.receive_json()
    assert answer["success"], answer
    await clock.advance(2)
    # A target's state, a schedule, care and a reload: nothing of them reaches the client.
    await hass.services.async_call("input_boolean", "turn_off", {"entity_id": PUMP}, blocking=True)
    await hass.services.async_call(DOMAIN, "skip_next", {"schedule_id": "siesta"}, blocking=True)
    await hass.services.async_call(
        DOMAIN, "feed_mode", {"minutes": 10, "devices": [{"entity_id": PUMP}]}, blocking=True
    )
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await clock.advance(2)
    await client.send_json_auto_id({"type": "ping"})
    assert (await client.receive_json())["type"] == "pong"  # nothing pushed before it


async def test_reapply_drives_a_target_back_and_refuses_what_nothing_prescribes(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    client = await hass_ws_client(hass)
    await hass.services.async_call(
        "input_number", "set_value", {"entity_id": LEVEL, "value": 100}, blocking=True
    )
    await hass.async_block_till_done()
    assert target(await day_of(client), BLUE)["drift"] is True

    await hass.services.async_call(DOMAIN, "reapply", {"entity_id": [BLUE]}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert level_of(hass) == 80
    assert target(await day_of(client), BLUE)["drift"] is False

    await hass.services.async_call(
        "input_number", "set_value", {"entity_id": LEVEL, "value": 100}, blocking=True
    )
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "reapply", {"entity_id": [BLUE, HEATER]}, blocking=True
        )
    assert err.value.translation_key == "not_prescribed"
    assert err.value.translation_placeholders == {"entity_id": HEATER}
    await hass.async_block_till_done(wait_background_tasks=True)
    assert level_of(hass) == 100  # nothing changed


async def test_doses_show_their_ml_and_their_pump_s_run_time(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    doser = {"pump": HEATER, "name": "Alk doser", "ml_per_second": 0.5, "daily_max_ml": 30}
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(data=doser, subentry_type="doser", title="Alk doser", unique_id=HEATER),
    )
    plan = {"doser": HEATER, "daily_ml": 24, "doses": 4, "start": "08:00", "end": "20:00"}
    schedule = {"id": "alk", "name": "Alkalinity", "type": "dosing", "dosing": plan}
    await hass.services.async_call(DOMAIN, "create_schedule", {"schedule": schedule}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)

    day = await day_of(await hass_ws_client(hass), schedules=["alk"])
    alk = row(day, "alk")
    assert (alk["type"], alk["action"], alk["targets"], alk["bands"]) == (
        "dosing",
        "dose",
        [HEATER],
        [],
    )
    # 6 ml at 0.5 ml/s: the pump runs 12 s.
    assert alk["runs"] == [
        {
            "start": local(hour),
            "end": local(hour, second=12),
            "result": "upcoming",
            "ml": 6.0,
            "error": None,
        }
        for hour in (16, 20)
    ]
    heater = target(day, HEATER)
    assert (heater["curve"], heater["prescribed"], heater["drift"]) == (None, None, False)


async def test_without_the_local_entry_the_day_is_empty(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert await hass.config_entries.async_unload(entry.entry_id)

    day = await day_of(await hass_ws_client(hass))
    assert (day["start"], day["schedules"], day["targets"], day["care"]) == (
        MIDNIGHT.isoformat(),
        [],
        [],
        [],
    )
