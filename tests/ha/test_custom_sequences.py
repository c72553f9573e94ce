"""Custom action sequences: per-call timeouts, long delays, the step reached, repairs, restarts."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.reef_scheduler.const import DOMAIN

from .surface import (
    HEATER,
    PUMP,
    T0,
    kill,
    reef_devices,
    run_records,
    seed,
    setup_local,
    start_runner,
)

_LOOP_TURNS = 50
PAUSE = [
    {"action": "input_boolean.turn_off", "target": {"entity_id": PUMP}},
    {"delay": {"seconds": 20}},
    {"action": "input_boolean.turn_on", "target": {"entity_id": PUMP}},
]


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)


def custom(sid: str, sequence: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """Return a custom schedule (once, next year) with a 10 s per-call timeout, no retries."""
    return {
        "id": sid,
        "name": f"Pump {sid}",
        "type": "one_off",
        "at": (T0 + timedelta(days=365)).isoformat(),
        "retry": {"timeout": 10, "retries": 0},
        "action": {"type": "custom", "sequence": sequence},
    } | fields


def hourly(spec: dict[str, Any]) -> dict[str, Any]:
    """Return a spec run every hour from T0, caught up within an hour after a restart."""
    timing = {"type": "interval", "every": 3600, "anchor": T0.isoformat(), "catch_up": 3600}
    return {key: value for key, value in spec.items() if key != "at"} | timing


async def call(hass: HomeAssistant, service: str, data: dict[str, Any], **kw: Any) -> Any:
    return await hass.services.async_call(DOMAIN, service, data, blocking=True, **kw)


async def create(hass: HomeAssistant, spec: dict[str, Any]) -> str:
    result = await call(hass, "create_schedule", {"schedule": spec}, return_response=True)
    return str(result["schedule_id"])


async def settle(hass: HomeAssistant) -> None:
    """Let a run go as far as it gets without time passing (each step takes a few loop turns).

    No async_block_till_done: it would wait for a call that hangs until its timeout. Every
    service here runs on the loop; the only executor work is the run journal's appends (a
    custom run waits for its start line), so the journal is flushed between rounds of turns.
    """
    for _ in range(3):
        for _ in range(_LOOP_TURNS):
            await asyncio.sleep(0)
        for entry in hass.config_entries.async_loaded_entries(DOMAIN):
            await entry.runtime_data.runner._store.journal.async_flush()


async def run_now(hass: HomeAssistant, sid: str) -> None:
    """Start a run; return once it went as far as it gets without time passing."""
    await call(hass, "run_now", {"schedule_id": sid})
    await settle(hass)


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, step: float | timedelta
) -> None:
    """Move the frozen clock on, fire what is due, and let the runs go on."""
    freezer.tick(step if isinstance(step, timedelta) else timedelta(seconds=step))
    async_fire_time_changed(hass)
    await settle(hass)


async def move_to(hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime) -> None:
    """Move the frozen clock to an instant, fire what is due, and let the runs go on."""
    freezer.move_to(when)
    async_fire_time_changed(hass)
    await settle(hass)


async def history(hass: HomeAssistant, sid: str) -> list[tuple[str, str | None]]:
    """Return (status, error) of a schedule's runs, oldest first."""
    return [(record["status"], record["error"]) for record in await run_records(hass, sid)]


def issue(hass: HomeAssistant, kind: str, sid: str) -> dict[str, str] | None:
    """Return the placeholders of a repair issue, or None when there is none."""
    found = ir.async_get(hass).async_get_issue(DOMAIN, f"{kind}_{sid}")
    return None if found is None else dict(found.translation_placeholders or {})


def pump(hass: HomeAssistant) -> str:
    return hass.states.get(PUMP).state


async def test_a_pause_longer_than_the_call_timeout_completes(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await setup_local(hass)
    await hass.services.async_call("input_boolean", "turn_on", {"entity_id": PUMP}, blocking=True)
    sid = await create(hass, custom("pause", PAUSE))
    await run_now(hass, sid)
    assert pump(hass) == "off"
    assert await history(hass, sid) == [("in_progress", "at step 2: delay 0:00:20")]

    await advance(hass, freezer, 15)
    assert pump(hass) == "off"
    await advance(hass, freezer, 6)
    assert pump(hass) == "on"
    assert await history(hass, sid) == [("success", None)]
    assert issue(hass, "custom_run_failed", sid) is None


async def test_an_hour_long_delay_works(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await setup_local(hass)
    sequence = [PAUSE[0], {"delay": "01:00:00"}, PAUSE[2]]
    sid = await create(hass, custom("hour", sequence))
    await hass.services.async_call("input_boolean", "turn_on", {"entity_id": PUMP}, blocking=True)
    await run_now(hass, sid)
    await advance(hass, freezer, 3599)
    assert pump(hass) == "off"
    assert await history(hass, sid) == [("in_progress", "at step 2: delay 1:00:00")]
    await advance(hass, freezer, 2)
    assert pump(hass) == "on"
    assert await history(hass, sid) == [("success", None)]


async def test_a_waiting_run_gives_its_concurrency_slot_back(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry, _ = await setup_local(hass)
    hass.config_entries.async_update_entry(entry, options={"max_concurrent_runs": 1})
    await hass.async_block_till_done()
    await hass.services.async_call("input_boolean", "turn_on", {"entity_id": PUMP}, blocking=True)
    pause = await create(hass, custom("pause", PAUSE))
    heater_on = custom(
        "heater",
        [{"action": "input_boolean.turn_on", "target": {"entity_id": HEATER}}],
    )
    heater = await create(hass, heater_on)
    await run_now(hass, pause)
    assert pump(hass) == "off"
    # The pause only waits now: with one slot, another run still goes ahead at once.
    await run_now(hass, heater)
    assert hass.states.get(HEATER).state == "on"
    assert await history(hass, heater) == [("success", None)]
    await advance(hass, freezer, 21)
    assert pump(hass) == "on"
    assert await history(hass, pause) == [("success", None)]


@pytest.mark.parametrize(
    ("sequence", "field"),
    [
        ([PAUSE[0], {"delay": {"hours": 24, "seconds": 1}}, PAUSE[2]], "action.sequence.1"),
        ([{"delay": "25:00:00"}], "action.sequence.0"),
        (
            [
                {
                    "if": [{"condition": "template", "value_template": "{{ true }}"}],
                    "then": [{"delay": {"days": 2}}],
                }
            ],
            "action.sequence.0",
        ),
        ([{"wait_template": "{{ false }}", "timeout": {"hours": 30}}], "action.sequence.0"),
    ],
)
async def test_a_delay_over_24_hours_is_refused(
    hass: HomeAssistant, sequence: list[dict[str, Any]], field: str
) -> None:
    _, backend = await setup_local(hass)
    with pytest.raises(ServiceValidationError) as err:
        await create(hass, custom("long", sequence))
    assert err.value.translation_key == "delay_too_long"
    assert err.value.translation_placeholders["field"] == field
    assert "long" not in backend.runner.schedules
    # Exactly 24 hours is fine.
    await create(hass, custom("day", [{"delay": {"hours": 24}}]))


async def test_a_hanging_call_fails_its_run_with_a_repair_naming_the_step(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await setup_local(hass)
    answer = asyncio.Event()
    calls: list[ServiceCall] = []

    async def slow_switch(call: ServiceCall) -> None:
        calls.append(call)
        await answer.wait()

    async def switch(call: ServiceCall) -> None:
        calls.append(call)

    hass.services.async_register("switch", "turn_off", slow_switch)
    hass.services.async_register("switch", "turn_on", switch)
    sequence = [
        {"action": "switch.turn_off", "target": {"entity_id": "switch.return_pump"}},
        {"delay": 20},
        {"action": "switch.turn_on", "target": {"entity_id": "switch.return_pump"}},
    ]
    sid = await create(hass, custom("hang", sequence))
    await run_now(hass, sid)
    await advance(hass, freezer, 9)
    assert await history(hass, sid) == [
        ("in_progress", "at step 1: switch.turn_off switch.return_pump")
    ]
    await advance(hass, freezer, 2)
    error = "at step 1: switch.turn_off switch.return_pump: no answer within 10 s"
    assert await history(hass, sid) == [("failed", error)]
    assert issue(hass, "custom_run_failed", sid) == {
        "schedule": "Pump hang",
        "step": "1: switch.turn_off switch.return_pump",
        "error": error,
    }
    assert issue(hass, "run_failed", sid) is None
    # The steps after the failed one did not run.
    await advance(hass, freezer, 60)
    assert [c.service for c in calls] == ["turn_off"]
    # The call carried the run's context (the logbook names the schedule).
    assert calls[0].context.id == (await run_records(hass, sid))[0]["context_id"]

    answer.set()
    await run_now(hass, sid)
    await advance(hass, freezer, 20)
    assert [c.service for c in calls] == ["turn_off", "turn_off", "turn_on"]
    context_id = (await run_records(hass, sid))[-1]["context_id"]
    assert {c.context.id for c in calls[1:]} == {context_id}
    assert (await history(hass, sid))[-1] == ("success", None)
    assert issue(hass, "custom_run_failed", sid) is None


async def test_a_wait_is_bounded_by_24_hours(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await setup_local(hass)
    sid = await create(hass, custom("wait", [{"wait_template": "{{ false }}"}]))
    await run_now(hass, sid)
    await advance(hass, freezer, timedelta(hours=24))
    assert await history(hass, sid) == [("in_progress", "at step 1: wait_template")]
    await advance(hass, freezer, 11)
    assert await history(hass, sid) == [
        ("failed", "at step 1: wait_template: still waiting after 1 day, 0:00:10")
    ]
    assert issue(hass, "custom_run_failed", sid) == {
        "schedule": "Pump wait",
        "step": "1: wait_template",
        "error": "at step 1: wait_template: still waiting after 1 day, 0:00:10",
    }


async def test_steps_share_variables_and_end_at_a_condition_or_stop(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await setup_local(hass)
    sequence = [
        {"variables": {"device": HEATER}},
        {"action": "input_boolean.turn_on", "data": {"entity_id": "{{ device }}"}},
        {
            "alias": "Pump on when the heater is",
            "if": [{"condition": "state", "entity_id": HEATER, "state": "on"}],
            "then": [
                {"delay": 5},
                {"action": "input_boolean.turn_on", "target": {"entity_id": PUMP}},
            ],
        },
        {"condition": "state", "entity_id": PUMP, "state": "off"},
        {"action": "input_boolean.turn_off", "target": {"entity_id": HEATER}},
    ]
    sid = await create(hass, custom("vars", sequence))
    await run_now(hass, sid)
    assert hass.states.get(HEATER).state == "on"
    assert await history(hass, sid) == [("in_progress", "at step 3: Pump on when the heater is")]
    await advance(hass, freezer, 5)
    assert pump(hass) == "on"
    # The condition is false: the sequence ends there, as a success.
    assert hass.states.get(HEATER).state == "on"
    assert await history(hass, sid) == [("success", None)]

    stop = [
        {"stop": "Nothing to do"},
        {"action": "input_boolean.turn_off", "target": {"entity_id": PUMP}},
    ]
    sid = await create(hass, custom("stop", stop))
    await run_now(hass, sid)
    assert pump(hass) == "on"
    assert await history(hass, sid) == [("success", None)]

    error_stop = [{"stop": "Pump not primed", "error": True}]
    sid = await create(hass, custom("abort", error_stop))
    await run_now(hass, sid)
    assert await history(hass, sid) == [("failed", "at step 1: stop: Pump not primed")]
    assert issue(hass, "custom_run_failed", sid)["step"] == "1: stop"


async def test_a_failing_call_and_a_templated_delay_name_their_step(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await setup_local(hass)
    sequence = [{"delay": "{{ 5 }}"}, {"action": "reef_test.missing"}]
    sid = await create(hass, custom("broken", sequence))
    await run_now(hass, sid)
    assert await history(hass, sid) == [("in_progress", "at step 1: delay {{ 5 }}")]
    await advance(hass, freezer, 5)
    [(status, error)] = await history(hass, sid)
    assert status == "failed"
    assert error is not None
    assert error.startswith("at step 2: reef_test.missing: ")

    async def gives_up(call: ServiceCall) -> None:
        raise TimeoutError

    hass.services.async_register("switch", "turn_on", gives_up)
    sequence = [{"action": "switch.turn_on", "data": {"entity_id": "switch.skimmer"}}]
    sid = await create(hass, custom("skimmer", sequence))
    await run_now(hass, sid)
    assert await history(hass, sid) == [
        ("failed", "at step 1: switch.turn_on switch.skimmer: TimeoutError")
    ]


async def test_a_schedule_deleted_during_its_run(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await setup_local(hass)
    sid = await create(hass, custom("pause", PAUSE))
    await run_now(hass, sid)
    await call(hass, "delete_schedule", {"schedule_id": sid})
    # The run under way finishes its steps; nothing is recorded or raised for it any more.
    await advance(hass, freezer, 20)
    assert pump(hass) == "on"
    assert issue(hass, "custom_run_failed", sid) is None


async def test_unload_cancels_a_run_under_way(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry, _ = await setup_local(hass)
    sid = await create(hass, custom("pause", PAUSE))
    await hass.services.async_call("input_boolean", "turn_on", {"entity_id": PUMP}, blocking=True)
    await run_now(hass, sid)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await advance(hass, freezer, 30)
    assert pump(hass) == "off"


async def test_killed_during_the_delay_is_interrupted_at_that_step(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    entry, _ = await setup_local(hass)
    await hass.services.async_call("input_boolean", "turn_on", {"entity_id": PUMP}, blocking=True)
    sid = await create(hass, hourly(custom("pause", PAUSE)))
    await move_to(hass, freezer, T0 + timedelta(hours=1))
    assert pump(hass) == "off"
    await advance(hass, freezer, 15)
    assert pump(hass) == "off"

    # Home Assistant dies now: only what is on disk survives.
    await kill(hass, entry, hass_storage)
    freezer.move_to(T0 + timedelta(hours=1, minutes=1))
    await start_runner(hass, entry)

    step = "2: delay 0:00:20"
    assert await history(hass, sid) == [
        ("interrupted", f"Home Assistant stopped during the run at step {step}")
    ]
    assert issue(hass, "custom_run_interrupted", sid) == {"schedule": "Pump pause", "step": step}
    # Not repeated (although inside the catch-up window), not finished by anyone.
    await advance(hass, freezer, 60)
    assert pump(hass) == "off"
    assert len(await history(hass, sid)) == 1

    # The next run succeeds and clears the issue.
    await move_to(hass, freezer, T0 + timedelta(hours=2))
    await advance(hass, freezer, 21)
    assert pump(hass) == "on"
    assert (await history(hass, sid))[-1] == ("success", None)
    assert issue(hass, "custom_run_interrupted", sid) is None


# Let Home Assistant's "no new script runs a minute after the stop" timer run.
@pytest.mark.parametrize("wait_for_stop_scripts_after_shutdown", [True])
async def test_a_shutdown_interrupts_a_run_at_its_step(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry, _ = await setup_local(hass)

    async def no_answer(call: ServiceCall) -> None:
        await asyncio.Event().wait()

    hass.services.async_register("switch", "turn_off", no_answer)
    hanging = [{"action": "switch.turn_off", "target": {"entity_id": "switch.return_pump"}}]
    delay_sid = await create(hass, custom("pause", PAUSE))
    call_sid = await create(hass, custom("hang", hanging))
    await run_now(hass, delay_sid)
    await run_now(hass, call_sid)
    # Home Assistant stops every script still running when it shuts down.
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await settle(hass)
    stopped = "Home Assistant stopped during the run at step"
    assert await history(hass, delay_sid) == [("interrupted", f"{stopped} 2: delay 0:00:20")]
    assert await history(hass, call_sid) == [
        ("interrupted", f"{stopped} 1: switch.turn_off switch.return_pump")
    ]
    assert issue(hass, "custom_run_interrupted", delay_sid) == {
        "schedule": "Pump pause",
        "step": "2: delay 0:00:20",
    }
    assert pump(hass) == "off"

    # A minute later it starts no script any more: a run started now is interrupted at once.
    await advance(hass, freezer, 61)
    await run_now(hass, delay_sid)
    assert (await history(hass, delay_sid))[-1] == (
        "interrupted",
        f"{stopped} 1: input_boolean.turn_off input_boolean.return_pump",
    )
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_unknown_steps_still_raise_the_issues(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    # A stored sequence Home Assistant no longer accepts, and a run journalled before a kill
    # whose record never reached the disk.
    bad = custom("bad", [{"action": "not a service"}])
    seed(
        hass_storage,
        [bad, custom("lost", PAUSE)],
        journal={"lost": {"slot": 1, "run": {"slot": 0, "due": None, "trigger": "manual"}}},
    )
    await setup_local(hass)
    assert issue(hass, "custom_run_interrupted", "lost") == {"schedule": "Pump lost", "step": "?"}

    await run_now(hass, "bad")
    [(status, error)] = await history(hass, "bad")
    assert status == "failed"
    assert error is not None
    assert error.startswith("action.sequence: invalid_sequence")
    assert issue(hass, "custom_run_failed", "bad") == {
        "schedule": "Pump bad",
        "step": "?",
        "error": error,
    }

    await call(hass, "delete_schedule", {"schedule_id": "bad"})
    await call(hass, "delete_schedule", {"schedule_id": "lost"})
    assert issue(hass, "custom_run_failed", "bad") is None
    assert issue(hass, "custom_run_interrupted", "lost") is None
