"""Runner tests: timers, re-arming, edits, restart recovery and clock steps, in a real hass."""

from __future__ import annotations

from datetime import datetime, timedelta
import gc
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest

from custom_components.reef_scheduler.engine.ledger import RunStatus, Trigger
from custom_components.reef_scheduler.runner.pause_gc import gc_paused
from custom_components.reef_scheduler.runner.runner import NOT_STARTED, REPLACED, SUPERSEDED
from custom_components.reef_scheduler.runner.store import SCHEDULES_KEY

from .clock import Clock
from .surface import HEATER, PUMP, T0, kill, seed, start_runner


@pytest.fixture(autouse=True)
async def reef_devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Freeze time at T0 in Berlin and provide two switchable reef devices."""
    freezer.move_to(T0)
    await hass.config.async_set_time_zone("Europe/Berlin")
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"return_pump": {}, "heater": {}}}
    )


def spec(sid: str, **fields: Any) -> dict[str, Any]:
    """Return a schedule spec toggling the pump every minute unless told otherwise."""
    base: dict[str, Any] = {
        "id": sid,
        "name": f"Schedule {sid}",
        "type": "interval",
        "every": 60,
        "anchor": T0.isoformat(),
        "action": {"type": "toggle", "target": {"entity_id": [PUMP]}},
    }
    if fields.get("type", "interval") != "interval":
        del base["every"], base["anchor"]
    return base | fields


async def test_one_off_fires_once_at_its_instant(hass: HomeAssistant, clock: Clock) -> None:
    _, runner = await start_runner(hass)
    due = T0 + timedelta(minutes=5)
    await runner.async_add(
        {
            "id": "once",
            "name": "Pump on once",
            "type": "one_off",
            "at": due.isoformat(),
            "action": {"type": "on", "target": {"entity_id": PUMP}},
        }
    )
    assert runner.states["once"].next_due == due

    await clock.move_to(due - timedelta(milliseconds=1))
    assert hass.states.get(PUMP).state == "off"

    await clock.move_to(due)
    assert hass.states.get(PUMP).state == "on"
    records, more = runner.ledger_page("once")
    assert not more
    assert [(r.slot, r.status, r.trigger, r.due) for r in records] == [
        (0, RunStatus.SUCCESS, Trigger.TIMER, due)
    ]
    state = runner.states["once"]
    assert state.expired
    assert state.next_due is None
    assert state.runs == 1
    assert state.last_result is RunStatus.SUCCESS

    await clock.move_to(due + timedelta(hours=1))
    assert len(runner.ledger_page("once")[0]) == 1


async def test_interval_rearms_on_its_grid(hass: HomeAssistant, clock: Clock) -> None:
    _, runner = await start_runner(hass)
    await runner.async_add(spec("wave"))
    for minute in (1, 2, 3):
        await clock.move_to(T0 + timedelta(minutes=minute, seconds=0.4))
    records, _ = runner.ledger_page("wave")
    assert [(r.slot, r.due) for r in records] == [
        (0, T0 + timedelta(minutes=1)),
        (1, T0 + timedelta(minutes=2)),
        (2, T0 + timedelta(minutes=3)),
    ]
    # Three toggles: off -> on -> off -> on.
    assert hass.states.get(PUMP).state == "on"
    assert runner.states["wave"].next_due == T0 + timedelta(minutes=4)
    assert runner.armed == 1


async def test_disable_enable_and_edit_rearm_at_once(hass: HomeAssistant, clock: Clock) -> None:
    _, runner = await start_runner(hass)
    await runner.async_add(spec("wave"))
    await runner.async_set_enabled("wave", False)
    assert runner.states["wave"].next_due is None
    assert runner.armed == 0
    await clock.move_to(T0 + timedelta(minutes=10))
    assert runner.ledger_page("wave") == ([], False)

    # Enabling does not catch up the runs missed while disabled.
    await runner.async_set_enabled("wave", True)
    assert runner.states["wave"].next_due == T0 + timedelta(minutes=11)
    await clock.move_to(T0 + timedelta(minutes=10, seconds=30))
    assert runner.ledger_page("wave") == ([], False)

    await runner.async_update("wave", spec("wave", every=3600))
    assert runner.states["wave"].next_due == T0 + timedelta(hours=1)
    await clock.move_to(T0 + timedelta(minutes=59))
    assert runner.ledger_page("wave") == ([], False)
    await clock.move_to(T0 + timedelta(hours=1))
    assert len(runner.ledger_page("wave")[0]) == 1

    await runner.async_remove("wave")
    assert "wave" not in runner.schedules
    assert runner.armed == 0


async def test_definitions_survive_a_restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    entry, runner = await start_runner(hass)
    created = await runner.async_add(spec("wave", every=600))
    assert hass_storage[SCHEDULES_KEY]["data"]["schedules"]["wave"]["every"] == 600
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    _, runner = await start_runner(hass, entry)
    assert runner.schedules["wave"] == created
    assert runner.states["wave"].next_due == T0 + timedelta(minutes=10)


@pytest.mark.parametrize(
    ("missed_by", "expect_run"),
    [(timedelta(minutes=10), True), (timedelta(minutes=20), False)],
)
async def test_restart_catches_up_event_runs_only_inside_the_window(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    missed_by: timedelta,
    expect_run: bool,
) -> None:
    due = T0 - missed_by
    seed(
        hass_storage,
        [spec("feed", type="one_off", at=due.isoformat())],
        state={"feed": {"next_due": due.isoformat(), "runs": 0}},
    )
    _, runner = await start_runner(hass)
    records, _ = runner.ledger_page("feed")
    assert len(records) == 1
    assert records[0].due == due
    assert records[0].trigger is Trigger.CATCH_UP
    if expect_run:
        assert records[0].status is RunStatus.SUCCESS
        assert hass.states.get(PUMP).state == "on"
    else:
        assert records[0].status is RunStatus.SKIPPED
        assert hass.states.get(PUMP).state == "off"
    assert runner.states["feed"].expired


async def test_restart_reapplies_the_state_a_schedule_prescribes(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    on_due = T0 - timedelta(hours=3)
    off_due = T0 - timedelta(hours=1)
    daily_on = {
        "id": "heat_on",
        "name": "Heater on",
        "type": "recurring",
        "frequency": "daily",
        "times": ["07:00"],
        "action": {"type": "on", "target": {"entity_id": HEATER}},
    }
    daily_off = daily_on | {
        "id": "heat_off",
        "name": "Heater off",
        "times": ["09:00"],
        "action": {"type": "off", "target": {"entity_id": HEATER}},
    }
    # Both missed while stopped (Berlin is UTC+1 in March): on at 06:00Z, off at 08:00Z.
    seed(
        hass_storage,
        [daily_on, daily_off],
        state={
            "heat_on": {"next_due": on_due.isoformat()},
            "heat_off": {"next_due": off_due.isoformat()},
        },
    )
    _, runner = await start_runner(hass)
    # One reconcile of the heater: the later "off" wins, as it would have without the stop.
    assert hass.states.get(HEATER).state == "off"
    # Each missed run is recorded once, as a catch-up whose effect is that reconcile.
    heat_off = runner.ledger_page("heat_off")[0]
    assert [(r.due, r.trigger, r.status) for r in heat_off] == [
        (off_due, Trigger.CATCH_UP, RunStatus.SUCCESS)
    ]
    heat_on = runner.ledger_page("heat_on")[0]
    assert [(r.due, r.trigger, r.status) for r in heat_on] == [
        (on_due, Trigger.CATCH_UP, RunStatus.SKIPPED)
    ]
    assert heat_on[0].error == SUPERSEDED
    assert runner.states["heat_on"].next_due == on_due + timedelta(days=1)


async def test_new_schedule_without_state_does_not_catch_up(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    seed(hass_storage, [spec("wave")])
    _, runner = await start_runner(hass)
    assert runner.ledger_page("wave") == ([], False)
    assert runner.states["wave"].next_due == T0 + timedelta(minutes=1)


async def test_killed_during_an_event_run_never_repeats_it(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, clock: Clock, hass_storage: dict[str, Any]
) -> None:
    entry, runner = await start_runner(hass)
    slow_toggle = spec(
        "slow",
        every=3600,
        action={
            "type": "custom",
            "sequence": [
                {"action": "input_boolean.toggle", "target": {"entity_id": PUMP}},
                {"delay": {"minutes": 30}},
            ],
        },
        catch_up=3600,
    )
    await runner.async_add(slow_toggle)
    await clock.move_to(T0 + timedelta(hours=1), wait=False)
    assert hass.states.get(PUMP).state == "on"
    records, _ = runner.ledger_page("slow")
    assert records[0].status is RunStatus.IN_PROGRESS

    # Home Assistant dies now: only what is on disk survives.
    await kill(hass, entry, hass_storage)

    freezer.move_to(T0 + timedelta(hours=1, minutes=5))
    _, runner = await start_runner(hass, entry)
    records, _ = runner.ledger_page("slow")
    assert [(r.slot, r.status) for r in records] == [(0, RunStatus.INTERRUPTED)]
    assert hass.states.get(PUMP).state == "on"
    assert runner.states["slow"].next_due == T0 + timedelta(hours=2)
    assert runner.states["slow"].last_result is RunStatus.INTERRUPTED

    await clock.move_to(T0 + timedelta(hours=2), wait=False)
    records, _ = runner.ledger_page("slow")
    assert [r.slot for r in records] == [0, 1]
    assert hass.states.get(PUMP).state == "off"


async def test_slots_are_never_reused_after_a_crash(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    # The journal says slot 7 was used; the ledger on disk only knew slots up to 2.
    seed(
        hass_storage,
        [spec("wave")],
        state={"wave": {"next_due": (T0 + timedelta(minutes=1)).isoformat()}},
        ledger={"wave": {"records": [], "next_slot": 3}},
        journal={"wave": {"slot": 8}},
    )
    _, runner = await start_runner(hass)
    record = runner.async_run_now("wave")
    assert record.slot == 8
    await hass.async_block_till_done()


@pytest.mark.parametrize("step", [timedelta(hours=1), timedelta(hours=-1)])
async def test_due_run_fires_within_10s_after_a_clock_step(
    hass: HomeAssistant,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    step: timedelta,
) -> None:
    _, runner = await start_runner(hass)
    due = T0 + timedelta(minutes=90)
    await runner.async_add(spec("wave", type="one_off", at=due.isoformat()))

    # The wall clock jumps by `step` right after arming; the monotonic loop clock does not.
    loop_time = hass.loop.time
    monkeypatch.setattr(hass.loop, "time", lambda: loop_time() - step.total_seconds())
    wall = T0 + step
    fired_at: datetime | None = None
    while wall < due + timedelta(minutes=2) and fired_at is None:
        wall += timedelta(seconds=1 if abs(wall - due) < timedelta(minutes=1) else 30)
        await clock.move_to(wall)
        if runner.ledger_page("wave")[0]:
            fired_at = wall
    assert fired_at is not None
    assert due <= fired_at <= due + timedelta(seconds=10)
    assert len(runner.ledger_page("wave")[0]) == 1


async def test_unload_leaves_no_timer_and_run_now_is_recorded(
    hass: HomeAssistant,
) -> None:
    entry, runner = await start_runner(hass)
    await runner.async_add(spec("wave"))
    record = runner.async_run_now("wave")
    await hass.async_block_till_done()
    assert runner.ledger_page("wave")[0][0].trigger is Trigger.MANUAL
    assert record.due is None
    assert runner.states["wave"].next_due == T0 + timedelta(minutes=1)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_skip_next_records_the_skip_and_moves_on(hass: HomeAssistant, clock: Clock) -> None:
    _, runner = await start_runner(hass)
    await runner.async_add(spec("wave"))
    assert runner.async_skip_next("wave") == T0 + timedelta(minutes=1)
    assert runner.states["wave"].next_due == T0 + timedelta(minutes=2)
    await clock.move_to(T0 + timedelta(minutes=1, seconds=30))
    records, _ = runner.ledger_page("wave")
    assert [(r.slot, r.status, r.trigger) for r in records] == [
        (0, RunStatus.SKIPPED, Trigger.SERVICE)
    ]
    assert hass.states.get(PUMP).state == "off"
    await clock.move_to(T0 + timedelta(minutes=2))
    assert hass.states.get(PUMP).state == "on"
    await runner.async_set_enabled("wave", False)
    assert runner.async_skip_next("wave") is None


@pytest.mark.parametrize(("action", "pump_after"), [("toggle", "off"), ("on", "on")])
async def test_pause_suspends_runs_and_resume_reapplies_state(
    hass: HomeAssistant,
    clock: Clock,
    hass_storage: dict[str, Any],
    action: str,
    pump_after: str,
) -> None:
    entry, runner = await start_runner(hass)
    await runner.async_add(spec("wave", action={"type": action, "target": {"entity_id": PUMP}}))
    until = T0 + timedelta(minutes=5, seconds=30)
    runner.async_pause("wave", until)
    await clock.move_to(T0 + timedelta(minutes=3))
    assert runner.ledger_page("wave") == ([], False)

    # The pause survives a restart.
    await hass.config_entries.async_unload(entry.entry_id)
    _, runner = await start_runner(hass, entry)
    assert runner.states["wave"].paused_until == until
    await clock.move_to(T0 + timedelta(minutes=5))
    assert runner.ledger_page("wave") == ([], False)

    await clock.move_to(until)
    records, _ = runner.ledger_page("wave")
    # Every paused run is recorded once; a state's latest one is applied at the pause's end.
    assert [r.due for r in records] == [T0 + timedelta(minutes=m) for m in range(1, 6)]
    assert {(r.status, r.trigger, r.error) for r in records[:-1]} == {
        (RunStatus.SKIPPED, Trigger.TIMER, "Paused")
    }
    if action == "toggle":
        assert (records[-1].status, records[-1].error) == (RunStatus.SKIPPED, "Paused")
    else:
        assert (records[-1].status, records[-1].trigger) == (RunStatus.SUCCESS, Trigger.CATCH_UP)
    assert hass.states.get(PUMP).state == pump_after
    assert runner.states["wave"].paused_until is None
    assert runner.states["wave"].next_due == T0 + timedelta(minutes=6)


async def test_resume_before_any_missed_run(hass: HomeAssistant, clock: Clock) -> None:
    _, runner = await start_runner(hass)
    await runner.async_add(spec("wave"))
    runner.async_pause("wave", T0 + timedelta(hours=1))
    runner.async_resume("wave")
    runner.async_resume("wave")
    assert runner.states["wave"].paused_until is None
    await clock.move_to(T0 + timedelta(minutes=1))
    assert len(runner.ledger_page("wave")[0]) == 1
    assert [r.slot for r in runner.ledger_page("wave", newest_first=True)[0]] == [0]
    assert len(runner.next_runs(runner.schedules["wave"], 3)) == 3
    window = runner.runs_between(runner.schedules["wave"], T0, T0 + timedelta(minutes=5))
    assert window == [T0 + timedelta(minutes=m) for m in range(5)]


async def test_retention_and_concurrency_follow_the_options(
    hass: HomeAssistant, clock: Clock
) -> None:
    entry, runner = await start_runner(hass)
    hass.config_entries.async_update_entry(
        entry, options={"ledger_records": 10, "ledger_days": 1, "max_concurrent_runs": 2}
    )
    await hass.async_block_till_done()
    assert runner.max_records == 10
    assert runner.max_age == timedelta(days=1)
    await runner.async_add(spec("wave"))
    for minute in range(1, 16):
        await clock.move_to(T0 + timedelta(minutes=minute))
    records, more = runner.ledger_page("wave")
    assert not more
    assert [r.slot for r in records] == list(range(5, 15))
    # Older than a day: pruned at the next run, slots keep counting.
    await clock.move_to(T0 + timedelta(days=2))
    assert [r.slot for r in runner.ledger_page("wave")[0]] == [15]


async def test_a_failing_executor_is_recorded_as_failed(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, runner = await start_runner(hass)

    async def explode(request: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(runner._executor, "async_execute", explode)
    await runner.async_add(spec("wave"))
    runner.async_run_now("wave")
    await hass.async_block_till_done(wait_background_tasks=True)
    record = runner.ledger_page("wave")[0][0]
    assert (record.status, record.error) == (RunStatus.FAILED, "boom")


async def test_recovery_of_disabled_paused_expired_and_journalled_schedules(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    long_ago = T0 - timedelta(days=1000)
    seed(
        hass_storage,
        [
            spec("off", enabled=False),
            spec("paused", anchor=(T0 - timedelta(hours=1)).isoformat()),
            spec("gone", type="one_off", at=long_ago.isoformat()),
            spec("done", type="one_off", at=(T0 - timedelta(hours=1)).isoformat()),
            spec("journalled", every=600),
            spec("crashed", every=3600),
        ],
        state={
            "off": {"next_due": (T0 - timedelta(minutes=5)).isoformat()},
            "paused": {
                "next_due": (T0 - timedelta(minutes=3)).isoformat(),
                "paused_until": (T0 - timedelta(minutes=1)).isoformat(),
            },
            "gone": {"next_due": long_ago.isoformat()},
            "done": {"next_due": None},
            "journalled": {"next_due": (T0 - timedelta(minutes=10)).isoformat()},
            "crashed": {"next_due": (T0 + timedelta(hours=1)).isoformat()},
        },
        ledger={
            "crashed": {
                "records": [
                    {
                        "slot": 0,
                        "due": (T0 - timedelta(hours=1)).isoformat(),
                        "trigger": "timer",
                        "status": "in_progress",
                        "started": (T0 - timedelta(hours=1)).isoformat(),
                    }
                ],
                "next_slot": 1,
            }
        },
        # The journal knows the run due 10 minutes ago was started before the stop.
        journal={"journalled": {"slot": 1, "through": (T0 - timedelta(minutes=10)).isoformat()}},
    )
    _, runner = await start_runner(hass)
    assert runner.states["off"].next_due is None
    assert runner.states["paused"].paused_until is None
    # Runs due during the pause are skipped; the one due after it is caught up.
    paused = runner.ledger_page("paused")[0]
    assert [(r.due, r.status) for r in paused] == [
        (T0 - timedelta(minutes=3), RunStatus.SKIPPED),
        (T0 - timedelta(minutes=2), RunStatus.SKIPPED),
        (T0 - timedelta(minutes=1), RunStatus.SKIPPED),
        (T0, RunStatus.SUCCESS),
    ]
    assert paused[-1].trigger is Trigger.CATCH_UP
    assert [r.status for r in runner.ledger_page("gone")[0]] == [RunStatus.SKIPPED]
    assert runner.ledger_page("gone")[0][0].due == long_ago
    assert runner.states["done"].expired
    # Not the journalled run again: only the one due now.
    assert [r.due for r in runner.ledger_page("journalled")[0]] == [T0]
    assert runner.states["journalled"].next_due == T0 + timedelta(minutes=10)
    crashed = runner.ledger_page("crashed")[0]
    assert [(r.slot, r.status) for r in crashed] == [(0, RunStatus.INTERRUPTED)]
    assert runner.states["crashed"].last_result is RunStatus.INTERRUPTED


async def test_duplicate_ids_and_failed_writes_change_nothing(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from custom_components.reef_scheduler.engine.validate import ScheduleInvalid

    _, runner = await start_runner(hass)
    await runner.async_add(spec("wave"))
    with pytest.raises(ScheduleInvalid):
        await runner.async_add(spec("wave"))

    async def fail(data: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(runner._store.schedules, "async_save", fail)
    with pytest.raises(OSError, match="disk full"):
        await runner.async_add(spec("new"))
    assert "new" not in runner.schedules
    with pytest.raises(OSError, match="disk full"):
        await runner.async_update("wave", spec("wave", every=7))
    assert runner.schedules["wave"].timing.every == timedelta(minutes=1)
    with pytest.raises(OSError, match="disk full"):
        await runner.async_remove("wave")
    assert "wave" in runner.schedules
    runner.async_pause("wave", T0 + timedelta(hours=1))
    monkeypatch.undo()
    await runner.async_set_enabled("wave", False)
    runner.async_resume("wave")
    assert runner.states["wave"].paused_until is None
    runner._note("missing", 0, "nothing to note")


async def test_sun_schedule_follows_home_assistant_location(hass: HomeAssistant) -> None:
    from homeassistant.helpers.sun import get_astral_event_date

    _, runner = await start_runner(hass)
    sun_spec = spec("dawn", type="sun", event="sunrise", offset=-1800)
    await runner.async_add(sun_spec)
    today = T0.astimezone(runner.zone(runner.schedules["dawn"])).date()
    sunrise = get_astral_event_date(hass, "sunrise", today)
    assert sunrise is not None
    expected = sunrise - timedelta(minutes=30)
    if expected <= T0:
        tomorrow = get_astral_event_date(hass, "sunrise", today + timedelta(days=1))
        assert tomorrow is not None
        expected = tomorrow - timedelta(minutes=30)
    assert runner.states["dawn"].next_due == expected


async def test_an_invalid_stored_schedule_is_repaired_by_an_update(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    seed(hass_storage, [spec("broken", every=0)])
    _, runner = await start_runner(hass)
    assert "broken" in runner.invalid
    with pytest.raises(KeyError):
        await runner.async_update("unknown", spec("unknown"))
    await runner.async_update("broken", spec("broken", every=120))
    assert "broken" not in runner.invalid
    assert runner.states["broken"].next_due == T0 + timedelta(minutes=2)
    assert runner.next_wake() == (T0 + timedelta(minutes=2), "broken")
    window = runner.runs_between(runner.schedules["broken"], T0, T0 + timedelta(hours=1), 3)
    assert len(window) == 3


async def test_runs_finish_after_an_entry_reload(hass: HomeAssistant, clock: Clock) -> None:
    entry, runner = await start_runner(hass)
    await runner.async_add(spec("wave", action={"type": "on", "target": {"entity_id": PUMP}}))
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    runner = entry.runtime_data.runner
    await clock.move_to(T0 + timedelta(minutes=1))
    records, _ = runner.ledger_page("wave")
    assert [(r.slot, r.status) for r in records] == [(0, RunStatus.SUCCESS)]
    assert hass.states.get(PUMP).state == "on"


def pending(slot: int, due: datetime) -> dict[str, Any]:
    """Return a stored catch-up record still pending (Home Assistant stopped before it ran)."""
    return {"slot": slot, "due": due.isoformat(), "trigger": "catch_up", "status": "pending"}


@pytest.mark.parametrize("action", ["toggle", "on"])
async def test_catch_ups_left_pending_by_a_stop_are_taken_up_once(
    hass: HomeAssistant, hass_storage: dict[str, Any], action: str
) -> None:
    late, recent = T0 - timedelta(minutes=20), T0 - timedelta(minutes=5)
    heater = {"type": "toggle", "target": {"entity_id": HEATER}}
    every_minute = {"anchor": (T0 - timedelta(hours=1)).isoformat()}
    seed(
        hass_storage,
        [
            spec("late", type="one_off", at=late.isoformat(), action=heater),
            spec("recent", type="one_off", at=recent.isoformat(), action=heater),
            spec("wave", **every_minute, action={"type": action, "target": {"entity_id": PUMP}}),
        ],
        state={
            "late": {"next_due": None},
            "recent": {"next_due": None},
            # Stopped again later: runs were missed after the pending one too.
            "wave": {"next_due": (T0 - timedelta(minutes=2)).isoformat()},
        },
        ledger={
            "late": {"records": [pending(0, late)], "next_slot": 1},
            "recent": {"records": [pending(0, recent)], "next_slot": 1},
            "wave": {"records": [pending(0, T0 - timedelta(minutes=3))], "next_slot": 1},
        },
    )
    _, runner = await start_runner(hass)
    # Outside its window now: recorded as never started, not run.
    assert [(r.slot, r.status, r.error) for r in runner.ledger_page("late")[0]] == [
        (0, RunStatus.SKIPPED, NOT_STARTED)
    ]
    # Inside its window: the same record runs now.
    assert [(r.slot, r.status) for r in runner.ledger_page("recent")[0]] == [(0, RunStatus.SUCCESS)]
    assert hass.states.get(HEATER).state == "on"
    # A later missed run replaces the pending one; only the latest is caught up (a toggle
    # runs once, an "on" is reconciled once).
    records = runner.ledger_page("wave")[0]
    assert [(r.slot, r.due, r.status) for r in records] == [
        (0, T0 - timedelta(minutes=3), RunStatus.SKIPPED),
        (1, T0 - timedelta(minutes=2), RunStatus.SKIPPED),
        (2, T0 - timedelta(minutes=1), RunStatus.SKIPPED),
        (3, T0, RunStatus.SUCCESS),
    ]
    assert records[0].error == REPLACED
    assert hass.states.get(PUMP).state == "on"


async def test_a_reconcile_that_raises_fails_its_catch_up(
    hass: HomeAssistant, hass_storage: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from custom_components.reef_scheduler.runner.actions import ActionExecutor

    async def explode(*_args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(ActionExecutor, "async_apply_state", explode)
    missed = T0 - timedelta(minutes=5)
    on = {"type": "on", "target": {"entity_id": PUMP}}
    seed(
        hass_storage,
        [spec("light", type="one_off", at=missed.isoformat(), action=on)],
        state={"light": {"next_due": missed.isoformat()}},
    )
    _, runner = await start_runner(hass)
    record = runner.ledger_page("light")[0][0]
    assert (record.trigger, record.status) == (Trigger.CATCH_UP, RunStatus.FAILED)
    assert record.error == f"{PUMP}: boom"


def test_gc_pause_leaves_the_collector_as_it_found_it() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # a pause inside a pause does not end the outer one
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
