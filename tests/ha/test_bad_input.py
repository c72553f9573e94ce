"""Arbitrary input to every action and to the schedule form: refused clearly or done, never a crash.

Each example starts from a fresh local entry holding a valid, a one-off and an invalid stored
schedule, then makes one action call, or walks the schedule form (new or reconfigure) with a few
inputs. Every call must succeed or be refused: an action by a translated ServiceValidationError
(its schema's refusals included), the form by form errors or by Home Assistant's own check of
the form's fields (InvalidData, which the UI shows on the field). Nothing may be logged at
ERROR, and a refused call leaves every store (Home Assistant's storage and the run journal
file) byte for byte as it was.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
import json
import logging
import os
from pathlib import Path
import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant, SupportsResponse
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util.async_ import get_scheduled_timer_handles
from hypothesis import HealthCheck, assume, event, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.reef_scheduler.const import (
    CONF_ENTRY_KIND,
    DOMAIN,
    ENTRY_KIND_LOCAL,
    SUBENTRY_TYPE_SCHEDULE,
)
from custom_components.reef_scheduler.local.flow_fields import KINDS
from custom_components.reef_scheduler.runner.store import CoalescedWriter

from .surface import HEATER, PUMP, T0, one_off, reef_devices, seed, spec

TARGET = {"target": {"entity_id": [PUMP]}}

# Both properties: about 10 s in the ci profile on an idle 2-core machine, 20 s with coverage;
# run more locally with e.g. REEF_FUZZ_EXAMPLES=400.
EXAMPLES = int(os.environ.get("REEF_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
STORED = [
    spec(id="sunrise", tags=["pumps"]),
    one_off("feed", T0 + timedelta(hours=2), {"type": "toggle", "target": {"entity_id": HEATER}}),
    spec(id="broken", times=["25:00"]),  # invalid stored: refused by actions that need it valid
    {
        "id": "reef",
        "name": "Reef",
        "type": "light_profile",
        "profile": {
            "channels": [
                {
                    "name": "Blue",
                    "lights": ["light.reef_blue"],
                    "points": [{"time": "12:00", "level": 50}],
                }
            ],
            "acclimation": {"start_date": "2026-03-01", "days": 30, "start_percent": 50},
        },
    },
]

# --- values -----------------------------------------------------------------------------------

EDGES = st.sampled_from(
    [
        0,
        -1,
        1,
        59,
        3600,
        86_401,
        10**13,
        10**400,
        1e15,
        1e300,
        -1e300,
        float("inf"),
        float("nan"),
        True,
        "",
        " ",
        "x" * 300,
        "0001-01-01T00:00:00",
        "9999-12-31T23:59:59-12:00",
        "2026-03-01T08:00:00",  # the day before the frozen now
        "2026-03-03T10:00:00",
        "2150-01-01T00:00:00Z",
        "Mars/Base",
        "Europe/Berlin",
        "Pacific/Chatham",
        "07:30",
        "25:00",
        "0 0 30 2 *",
        "*/5 * * * *",
        {"days": 10_000_000},
        {"days": 1e300},
        {"hours": 1},
        {"minutes": -5},
        [],
        {},
        PUMP,
        "sunrise",
        "broken",
        "feed",
        "pumps",
        "mon",
        "last",
        ["sunrise", "nope"],
        [f"light.l{index}" for index in range(120)],
        [str(index) for index in range(25)],
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | EDGES
    | st.datetimes().map(lambda value: value.isoformat())
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def mostly(
    plausible: st.SearchStrategy[Any], other: st.SearchStrategy[Any] = JSON
) -> st.SearchStrategy[Any]:
    """Return a plausible value three times in four, else another (by default any JSON)."""
    return st.integers(0, 3).flatmap(lambda n: other if n == 0 else plausible)


SPEC_KEYS = [
    "id",
    "name",
    "enabled",
    "timezone",
    "type",
    "start",
    "end",
    "catch_up",
    "tags",
    "retry",
    "created",
    "at",
    "every",
    "anchor",
    "cron",
    "frequency",
    "times",
    "weekdays",
    "month_days",
    "nth_weekdays",
    "anchor_date",
    "event",
    "offset",
    "preset",
    "params",
    "profile",
]
ACTION_KEYS = ["type", "target", "level", "start_level", "duration", "curve", "transition"]
SEQUENCES = st.sampled_from(
    [[{"delay": 1e300}], [{"delay": {"days": 2}}], [{"delay": "99999999999:00:00"}], [{"x": 1}]]
)
VALID_SPECS = [
    spec(),
    spec(id="new_one", tags=["pumps"], timezone="Asia/Tokyo"),
    {**one_off("later", T0 + timedelta(days=1), {"type": "on", "target": {"entity_id": PUMP}})},
    spec(type="interval", every=900, frequency=None, times=None),
    spec(type="cron", cron="0 8 * * mon-fri", frequency=None, times=None),
    spec(type="sun", event="sunset", offset=-600, frequency=None, times=None),
    spec(
        type="preset",
        preset="photoperiod",
        params={"on": "10:00", "off": "20:00"},
        frequency=None,
        times=None,
    ),
    spec(action={"type": "custom", "sequence": [{"delay": 5}]}),  # VALID_SPECS[7]
    spec(action={"type": "ramp", "level": 80, "duration": 600, "target": {"entity_id": PUMP}}),
    {
        "name": "Reef light",
        "type": "light_profile",
        "profile": {
            "curve": "smooth",
            "channels": [
                {
                    "name": "Blue",
                    "lights": ["light.blue"],
                    "points": [{"time": "09:00", "level": 80}],
                },
                {
                    "name": "White",
                    "lights": "light.white",
                    "points": [{"time": "12:00", "level": 60}],
                },
            ],
            "moon": {"lights": ["light.blue"], "max_level": 5},
            "clouds": {"per_hour": 2, "depth": 40, "minutes": 5},
            "storm": {"minutes": 20, "depth": 60, "start": "15:00", "flash_channel": "White"},
        },
    },
    {
        "name": "Alkalinity",
        "type": "dosing",
        "dosing": {"doser": "switch.alk_doser", "daily_ml": 24, "doses": 4, "start": "08:00"},
    },
]


@st.composite
def specs(draw: st.DrawFn, *, partial: bool = False) -> dict[str, Any]:
    """Return a valid spec (or, for updates, a part of one) with a few keys changed."""
    result = {key: value for key, value in draw(st.sampled_from(VALID_SPECS)).items() if value}
    if partial:
        kept = draw(st.sets(st.sampled_from(sorted(result)), max_size=3))
        result = {key: result[key] for key in kept}
    for _ in range(draw(st.integers(0, 2))):
        where = draw(st.sampled_from(["spec", "action", "delete"]))
        if where == "delete" and result:
            del result[draw(st.sampled_from(sorted(result)))]
        elif where == "action" and result.get("action") == VALID_SPECS[7]["action"]:
            result["action"] = {"type": "custom", "sequence": draw(mostly(SEQUENCES))}
        elif where == "action" and isinstance(result.get("action"), dict):
            action = dict(result["action"])
            action[draw(mostly(st.sampled_from(ACTION_KEYS), st.text(max_size=5)))] = draw(JSON)
            result["action"] = action
        else:
            result[draw(mostly(st.sampled_from(SPEC_KEYS), st.text(max_size=5)))] = draw(JSON)
    return result


ids = mostly(st.sampled_from(["sunrise", "feed", "broken", "nope", "reef"]))
# The schedules as a target: their Enabled switches, other entities, devices and areas.
switches = mostly(
    st.sampled_from(
        ["switch.sunrise_enabled", "switch.reef_enabled", HEATER, "switch.sunrise_enabled, x"]
    )
)
SERVICE_TARGET: dict[str, st.SearchStrategy[Any]] = {
    "entity_id": switches,
    "device_id": mostly(st.just("nope")),
    "area_id": mostly(st.just("sump")),
}
numbers = mostly(st.integers(0, 101) | EDGES)
CARE_DEVICES = st.sampled_from(
    [
        [PUMP],
        PUMP,
        [{"entity_id": HEATER, "level": "off", "restore_after": 5}],
        [{"entity_id": HEATER, "level": 101}],
        ["sensor.x"],
    ]
)
entries = st.integers(0, 3).flatmap(lambda n: JSON if n == 0 else st.just("nope"))
FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "create_schedule": {"schedule": mostly(specs()), "config_entry_id": entries},
    "update_schedule": {
        "schedule_id": ids,
        "schedule": mostly(specs(partial=True)),
        **SERVICE_TARGET,
    },
    "delete_schedule": {"schedule_id": ids, **SERVICE_TARGET},
    "run_now": {"schedule_id": ids, **SERVICE_TARGET},
    "skip_next": {"schedule_id": ids, **SERVICE_TARGET},
    "pause": {
        **SERVICE_TARGET,
        "schedule_id": ids,
        "tags": mostly(st.sampled_from(["pumps", ["pumps", "lights"]])),
        "duration": mostly(st.sampled_from([{"minutes": 5}, "00:10:00", 600]) | EDGES),
        "until": mostly(st.sampled_from(["2026-03-02T12:00:00", "2027-03-03T00:00:00"]) | EDGES),
    },
    "resume": {"schedule_id": ids, "tags": mostly(st.just("pumps")), **SERVICE_TARGET},
    "get_history": {
        **SERVICE_TARGET,
        "schedule_id": ids,
        "start_slot": numbers,
        "limit": numbers,
        "newest_first": mostly(st.booleans()),
    },
    "get_next_runs": {"schedule_id": ids, "count": numbers, **SERVICE_TARGET},
    "preview": {
        "schedule": mostly(specs()),
        "count": numbers,
        "config_entry_id": entries,
        "date": mostly(st.sampled_from(["2026-03-29", "2026-10-25", "1969-12-31", "2100-01-01"])),
    },
    **{
        service: {"schedule_id": ids, **SERVICE_TARGET}
        for service in ("acclimation_pause", "acclimation_resume", "acclimation_reset")
    },
    "storm": {"schedule_id": ids, "minutes": numbers, **SERVICE_TARGET},
    "refill": {
        "doser": mostly(st.sampled_from(["switch.alk_doser", HEATER, "nope"])),
        "ml": numbers,
    },
    "feed_mode": {"minutes": numbers, "devices": mostly(CARE_DEVICES)},
    "feed_mode_cancel": {},
    "maintenance": {
        "minutes": numbers,
        "start": mostly(st.sampled_from(["2026-03-02T12:00:00", "0001-01-01T00:00:00"]) | EDGES),
        "end": mostly(st.sampled_from(["2026-03-02T13:00:00", "2026-05-02T13:00:00"]) | EDGES),
        "devices": mostly(CARE_DEVICES),
        "schedule_id": ids,
        "tags": mostly(st.just("pumps")),
    },
    "maintenance_end": {},
    "reapply": {"entity_id": mostly(st.sampled_from([PUMP, [PUMP, HEATER], "sensor.x", "a, b"]))},
}
# Fields given in three calls of four; the others in one of two.
MAIN = {"schedule", "schedule_id"}


async def test_every_action_is_fuzzed(hass: HomeAssistant, hass_storage: dict[str, Any]) -> None:
    async with fresh_entry(hass, hass_storage):
        assert set(hass.services.async_services_for_domain(DOMAIN)) == set(FIELDS)


@st.composite
def calls(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """Return an action and its data: some of its fields, rarely an unknown one."""
    service = draw(st.sampled_from(sorted(FIELDS)))
    fields = FIELDS[service]
    chosen = [
        key
        for key in sorted(fields)
        if draw(st.integers(0, 3)) < (3 if key in MAIN else 2) and key != "config_entry_id"
    ]
    if "config_entry_id" in fields and draw(st.integers(0, 4)) == 0:
        chosen.append("config_entry_id")
    data = {key: draw(fields[key]) for key in chosen}
    if draw(st.integers(0, 9)) == 0:
        data[draw(st.text(max_size=6))] = draw(JSON)
    return service, data


# --- the harness -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)


class Disk:
    """What a refused call must leave alone: Home Assistant's storage and the journal file."""

    def __init__(self, hass: HomeAssistant, hass_storage: dict[str, Any]) -> None:
        self.hass = hass
        self.storage = hass_storage
        self.journal = Path(hass.config.path(".storage", "reef_scheduler.journal.jsonl"))

    async def snapshot(self) -> tuple[str, bytes]:
        """Return the journal as it is, and the stores once what waits to be written is."""
        await self.hass.async_block_till_done(wait_background_tasks=True)
        # Read first: the writes below compact the journal.
        journal = self.journal.read_bytes() if self.journal.exists() else b""
        # Run state and ledger writes wait up to 10 s; Home Assistant's stores until stop.
        for handle in get_scheduled_timer_handles(self.hass.loop):
            write = getattr(handle, "_callback", None)
            if getattr(write, "__func__", None) is CoalescedWriter._async_write_now:
                handle.cancel()
                write()
        self.hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
        await self.hass.async_block_till_done(wait_background_tasks=True)
        return json.dumps(self.storage, sort_keys=True, default=repr), journal


@pytest.fixture
def disk(hass: HomeAssistant, hass_storage: dict[str, Any]) -> Disk:
    return Disk(hass, hass_storage)


@asynccontextmanager
async def fresh_entry(hass: HomeAssistant, hass_storage: dict[str, Any]) -> AsyncIterator[str]:
    """Set up a local entry with the stored schedules; remove it (and its stores) afterwards."""
    seed(hass_storage, STORED)
    entry = MockConfigEntry(
        domain=DOMAIN, title="Reef Scheduler", data={CONF_ENTRY_KIND: ENTRY_KIND_LOCAL}
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    try:
        yield entry.entry_id
    finally:
        await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> Callable[[], None]:
    """Return a check that nothing was logged at ERROR since now."""
    seen = len(caplog.records)

    def check() -> None:
        errors = [r for r in caplog.records[seen:] if r.levelno >= logging.ERROR]
        assert errors == [], [r.getMessage() for r in errors]

    return check


MESSAGES = {
    key: value["message"]
    for key, value in json.loads(
        (
            Path(__file__).parents[2] / "custom_components/reef_scheduler/translations/en.json"
        ).read_text("utf-8")
    )["exceptions"].items()
}


def assert_translated(err: ServiceValidationError) -> None:
    """The error names a message of ours and gives every placeholder that message uses."""
    assert err.translation_domain == DOMAIN, err
    assert err.translation_key in MESSAGES, err
    wanted = set(re.findall(r"\{(\w+)\}", MESSAGES[err.translation_key]))
    assert wanted <= set(err.translation_placeholders or {}), err.translation_key


# --- the properties --------------------------------------------------------------------------


@FUZZ
@given(call=calls())
async def test_actions_refuse_bad_input_clearly(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    disk: Disk,
    caplog: pytest.LogCaptureFixture,
    call: tuple[str, dict[str, Any]],
) -> None:
    service, data = call
    async with fresh_entry(hass, hass_storage):
        before = await disk.snapshot()
        check_log = no_errors_logged(caplog)
        refused = True
        try:
            await hass.services.async_call(
                DOMAIN,
                service,
                data,
                blocking=True,
                return_response=hass.services.supports_response(DOMAIN, service)
                is not SupportsResponse.NONE,
            )
            refused = False
        except ServiceValidationError as err:  # also what the action's schema refuses
            assert_translated(err)
            event(f"{service}: {err.translation_key}")
        else:
            event(f"{service}: done")
        if refused:
            assert await disk.snapshot() == before
        await hass.async_block_till_done(wait_background_tasks=True)
        check_log()


NAN = float("nan")
# Plausible values of the form's fields, by field name (any step); durations are minutes.
FORM_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "name": st.sampled_from(["Dawn", "Feed pause", "Moon", "sunrise ", "x" * 101, " "]),
    "kind": st.sampled_from(sorted(KINDS)),
    "times": st.sampled_from(["08:00", "7:30\n25:00", "08:00\n" * 101, "", ["08:00"]]),
    "every": st.sampled_from([1, 1000, 1001, 0.5, 525_601, NAN]),
    "weekdays": st.sampled_from([["mon"], ["mon"] * 200, []]),
    "month_days": st.sampled_from([["31"], ["last"]]),
    "nth_weekdays": st.sampled_from([["last_fri"], ["1_mon"]]),
    "cron": st.sampled_from(["0 8 * * *", "0 0 30 2 *", "61 * * * *", "0 " * 60]),
    "event": st.sampled_from(["sunrise", "noon"]),
    "offset": st.sampled_from([-60, 780, 0.5, NAN]),
    "at": st.sampled_from(
        ["2026-03-03 10:00:00", "2026-03-01 10:00:00", "0001-01-01 00:00:00", "2150-01-01"]
    ),
    "on": st.sampled_from(["10:00", "10:00:00"]),
    "off": st.sampled_from(["20:00", "10:00"]),
    "minute": st.integers(0, 60),
    "minutes": st.integers(0, 60),
    "action": st.sampled_from(["on", "off", "toggle", "set_level", "ramp", "custom", "dance"]),
    "level": st.sampled_from([0, 50, 100, NAN]),
    "start_level": st.sampled_from([0, 50]),
    "duration": st.sampled_from([30, 0.001, 1441, 10_081, NAN]),
    "curve": st.sampled_from(["linear", "smooth", "wiggly"]),
    "transition": st.sampled_from([0, 5, 3600]),
    "sequence": st.sampled_from(
        [[{"delay": 5}], [{"delay": 1e300}], [{"delay": {"days": 2}}], {"delay": 1}]
    ),
    "target": st.sampled_from(
        [
            {"entity_id": [PUMP]},
            {"entity_id": [f"light.l{index}" for index in range(120)]},
            {"floor_id": ["ground"]},
        ]
    ),
    "enabled": st.booleans(),
    "catch_up": st.sampled_from([5, 10_081, NAN]),
    "retries": st.sampled_from([0, 3, 11, 2.5, NAN]),
    "timeout": st.sampled_from([0.1, 600, 601]),
}


def form_input(data: st.DataObject, form: dict[str, Any]) -> dict[str, Any]:
    """Return an answer to a form: its required and some optional fields, one in four junk."""
    fields = {
        str(marker): isinstance(marker, vol.Required) for marker in form["data_schema"].schema
    }
    chosen = data.draw(st.sets(st.sampled_from(sorted(fields))))
    chosen |= {key for key, required in fields.items() if required}
    answer = {key: data.draw(FORM_VALUES.get(key, JSON)) for key in sorted(chosen)}
    match data.draw(st.integers(0, 7)):
        case 0:
            answer[data.draw(st.sampled_from(sorted(fields)))] = data.draw(JSON)
        case 1 if answer:
            del answer[data.draw(st.sampled_from(sorted(answer)))]
        case 2:
            answer[data.draw(st.text(max_size=6))] = data.draw(JSON)
    # A form's answer arrives as JSON, and Home Assistant's orjson refuses integers past 64 bits.
    assume(_fits_json(answer))
    return answer


def _fits_json(value: Any) -> bool:
    """Return True when no integer in the value is beyond what JSON parsing accepts."""
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**64
    if isinstance(value, dict):
        return all(_fits_json(item) for item in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return all(_fits_json(item) for item in value)
    return True


@FUZZ
@given(data=st.data(), reconfigure=st.booleans())
async def test_schedule_form_refuses_bad_input_clearly(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    disk: Disk,
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
    reconfigure: bool,
) -> None:
    async with fresh_entry(hass, hass_storage) as entry_id:
        entry = hass.config_entries.async_get_entry(entry_id)
        assert entry is not None
        context: dict[str, Any] = {"source": SOURCE_USER}
        if reconfigure:
            # By schedule id: subentry ids are random, and the draws must not depend on them.
            by_schedule = {s.unique_id: s.subentry_id for s in entry.subentries.values()}
            sid = data.draw(st.sampled_from(sorted(by_schedule)))
            context = {"source": SOURCE_RECONFIGURE, "subentry_id": by_schedule[sid]}
        check_log = no_errors_logged(caplog)
        flows = hass.config_entries.subentries
        result = await flows.async_init((entry_id, SUBENTRY_TYPE_SCHEDULE), context=context)
        if result["type"] is FlowResultType.MENU:
            result = await flows.async_configure(result["flow_id"], {"next_step_id": "edit"})
        for _ in range(data.draw(st.integers(1, 10))):
            if result["type"] is not FlowResultType.FORM:
                break
            result = await answer_form(hass, disk, result, form_input(data, result))
        check_log()
        if result["type"] is FlowResultType.FORM:
            flows.async_abort(result["flow_id"])


async def answer_form(
    hass: HomeAssistant, disk: Disk, form: dict[str, Any], user_input: dict[str, Any]
) -> dict[str, Any]:
    """Answer a form: a refused answer (form errors or a field check) leaves the stores alone."""
    before = await disk.snapshot()
    try:
        result = await hass.config_entries.subentries.async_configure(form["flow_id"], user_input)
    except InvalidData:
        assert await disk.snapshot() == before  # the form's own field check
        event(f"form: {form['step_id']} schema")
        return form
    event(f"form: {form['step_id']} -> {result['type']} {result.get('errors')}")
    if result["type"] is FlowResultType.FORM:
        assert await disk.snapshot() == before
    return dict(result)


# Valid answers that lead to each step, timing answers by kind.
WALK_TIMING: dict[str, dict[str, Any]] = {
    "daily": {"times": "08:00", "every": 1},
    "weekly": {"times": "08:00", "weekdays": ["mon"], "every": 1},
    "monthly": {"times": "08:00", "month_days": ["last"], "every": 1},
    "interval": {"every": 120},
    "cron": {"cron": "0 8 * * *"},
    "sun": {"event": "sunset", "offset": -30},
    "once": {"at": "2026-03-05 20:00:00"},
    "photoperiod": {"on": "10:00:00", "off": "20:30:00"},
    "hourly_pulse": {"minute": 5, "minutes": 10},
    "dawn_lights": {"offset": -20},
}
STAGES = ["kind", "timing", "action", "details", "targets", "policy"]
POLICY = {"enabled": True, "catch_up": 15, "retries": 3, "timeout": 10}


def walk_to(kind: str, stage: str, name: str = "Walk") -> tuple[str, dict[str, dict[str, Any]]]:
    """Return the step id of a stage of a kind's flow, and valid answers to the steps before."""
    steps = ["kind", f"timing_{kind}", "action", "action_on", "targets", "policy"]
    answers = [{"name": name, "kind": kind}, WALK_TIMING[kind], {"action": "on"}, {}, TARGET]
    return steps[STAGES.index(stage)], dict(zip(steps, answers, strict=False))


def any_answer(data: st.DataObject, form: dict[str, Any]) -> dict[str, Any]:
    """Return a plausible answer with junk (form_input) or arbitrary JSON under the form's keys."""
    if data.draw(st.booleans()):
        return form_input(data, form)
    keys = sorted(str(marker) for marker in form["data_schema"].schema)
    answer: dict[str, Any] = data.draw(
        st.dictionaries(st.sampled_from(keys) | st.text(max_size=6), JSON, max_size=6)
    )
    return answer


@FUZZ
@given(
    data=st.data(),
    stage=st.sampled_from(STAGES),
    kind=st.sampled_from(sorted(WALK_TIMING)),
    reconfigure=st.booleans(),
)
async def test_every_form_step_refuses_bad_input_clearly(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    disk: Disk,
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
    stage: str,
    kind: str,
    reconfigure: bool,
) -> None:
    """Walk to one step (of a new or an edited schedule) with valid answers, then throw junk."""
    async with fresh_entry(hass, hass_storage) as entry_id:
        entry = hass.config_entries.async_get_entry(entry_id)
        assert entry is not None
        flows = hass.config_entries.subentries
        context: dict[str, Any] = {"source": SOURCE_USER}
        if reconfigure:
            by_schedule = {s.unique_id: s.subentry_id for s in entry.subentries.values()}
            context = {"source": SOURCE_RECONFIGURE, "subentry_id": by_schedule["sunrise"]}
        result = dict(await flows.async_init((entry_id, SUBENTRY_TYPE_SCHEDULE), context=context))
        target, walk = walk_to(kind, stage)
        walk["reconfigure"] = {"next_step_id": "edit"}
        while result["step_id"] != target:
            result = dict(await flows.async_configure(result["flow_id"], walk[result["step_id"]]))
            assert result["type"] is FlowResultType.FORM, result
            assert not result["errors"], result
        check_log = no_errors_logged(caplog)
        for _ in range(data.draw(st.integers(1, 3))):
            if result["type"] is not FlowResultType.FORM or result["step_id"] != target:
                break
            result = await answer_form(hass, disk, result, any_answer(data, result))
        check_log()
        if result["type"] is FlowResultType.FORM:
            flows.async_abort(result["flow_id"])


async def test_the_walk_reaches_every_step_and_saves(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """What the step property relies on: its valid answers lead through every step to a save."""
    async with fresh_entry(hass, hass_storage) as entry_id:
        flows = hass.config_entries.subentries
        for kind in WALK_TIMING:
            result = await flows.async_init(
                (entry_id, SUBENTRY_TYPE_SCHEDULE), context={"source": SOURCE_USER}
            )
            seen = []
            _, walk = walk_to(kind, "policy", name=kind)
            for answer in (*walk.values(), POLICY):
                seen.append(result["step_id"])
                result = await flows.async_configure(result["flow_id"], answer)
            assert seen == [walk_to(kind, stage)[0] for stage in STAGES], kind
            assert result["type"] is FlowResultType.CREATE_ENTRY, result


@pytest.mark.parametrize("delay", [1e300, {"days": 1e300}, "99999999999:00:00"])
async def test_a_delay_too_long_for_python_is_an_invalid_sequence(
    hass: HomeAssistant, hass_storage: dict[str, Any], delay: Any
) -> None:
    """Home Assistant's script schema overflows on these; the action and the form refuse them."""
    custom = {"type": "custom", "sequence": [{"delay": delay}]}
    async with fresh_entry(hass, hass_storage) as entry_id:
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN, "create_schedule", {"schedule": spec("Pause", action=custom)}, blocking=True
            )
        assert err.value.translation_key == "invalid_sequence"
        flows = hass.config_entries.subentries
        result = await flows.async_init(
            (entry_id, SUBENTRY_TYPE_SCHEDULE), context={"source": SOURCE_USER}
        )
        result = await flows.async_configure(result["flow_id"], {"name": "Pause", "kind": "cron"})
        result = await flows.async_configure(result["flow_id"], {"cron": "0 8 * * *"})
        result = await flows.async_configure(result["flow_id"], {"action": "custom"})
        result = await flows.async_configure(result["flow_id"], {"sequence": custom["sequence"]})
        assert result["errors"] == {"sequence": "invalid_sequence"}
        flows.async_abort(result["flow_id"])


async def test_the_disk_snapshot_sees_every_store(
    hass: HomeAssistant, hass_storage: dict[str, Any], disk: Disk
) -> None:
    """What the properties rely on: a done call shows in the snapshot, also a delayed write."""
    async with fresh_entry(hass, hass_storage):
        before = await disk.snapshot()
        assert await disk.snapshot() == before
        await hass.services.async_call(
            DOMAIN, "pause", {"schedule_id": "sunrise", "duration": 60}, blocking=True
        )
        paused = await disk.snapshot()
        assert paused != before
        assert '"paused_until": "2026-03-02T09:01:00+00:00"' in paused[0]
        await hass.services.async_call(DOMAIN, "run_now", {"schedule_id": "feed"}, blocking=True)
        ran = await disk.snapshot()
        assert b'"trigger":"manual"' in ran[1]  # the journal, at once
        assert '"trigger": "manual"' in ran[0]  # the ledger, written up to 10 s later
