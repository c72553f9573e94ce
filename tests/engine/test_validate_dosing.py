"""Tests for the dosing spec: validation, dose times, serialisation."""

from __future__ import annotations

from datetime import time, timedelta
import json
import pathlib
import re
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.reef_scheduler.engine import validate, validate_dosing
from custom_components.reef_scheduler.engine.dose import dose_seconds
from custom_components.reef_scheduler.engine.dosing_model import Doser, Dosing
from custom_components.reef_scheduler.engine.model import (
    Action,
    ActionType,
    Frequency,
    RecurringTiming,
    Schedule,
    Target,
)
from custom_components.reef_scheduler.engine.validate import schedule_to_dict, validate_schedule
from custom_components.reef_scheduler.engine.validate_dosing import (
    dose_times,
    dosing_action,
    dosing_timing,
)

from .engine_helpers import errors_of, plan_spec_errors, spec_with

ZONE = "Europe/Berlin"
ALK = "switch.alk_doser"


def dosing_spec(**dosing: Any) -> dict[str, Any]:
    """Return the dosing schedule of the README with some dosing keys changed (None deletes)."""
    plan = {"doser": ALK, "daily_ml": 24, "doses": 4, "start": "08:00", "end": "20:00"} | dosing
    return {
        "id": "alk",
        "name": "Alkalinity",
        "type": "dosing",
        "dosing": {key: value for key, value in plan.items() if value is not None},
    }


def test_the_readme_example_doses_6_ml_four_times_a_day() -> None:
    schedule = validate_schedule(dosing_spec(), default_timezone=ZONE)
    plan = Dosing(ALK, 24.0, 4, time(8), time(20))
    assert schedule == Schedule(
        id="alk",
        name="Alkalinity",
        timing=RecurringTiming(Frequency.DAILY, (time(8), time(12), time(16), time(20))),
        action=Action(ActionType.DOSE, Target(entity_ids=(ALK,)), plan=plan),
    )
    assert schedule.action.dosing == plan
    assert plan.dose_ml == 6
    assert not schedule.action.type.idempotent  # a dose is an event: never repeated


def test_one_dose_has_no_end_and_start_defaults_to_eight() -> None:
    schedule = validate_schedule(dosing_spec(doses=1, end=None, start=None), default_timezone=ZONE)
    assert schedule.timing == RecurringTiming(Frequency.DAILY, (time(8),))
    assert schedule.action.dosing == Dosing(ALK, 24.0, 1, time(8), None)


@pytest.mark.parametrize(
    ("dosing", "times"),
    [
        # Past midnight: the doses after it come first in the local day.
        (
            {"doses": 5, "start": "22:00", "end": "02:00"},
            (time(0), time(1), time(2), time(22), time(23)),
        ),
        # Uneven gaps are rounded to whole seconds: 24 h / 47.
        ({"doses": 3, "start": "08:00", "end": "08:00:01"}, None),
        ({"doses": 3, "start": "00:00", "end": "00:01:01"}, None),
        ({"doses": 2, "start": "23:59", "end": "23:59:30"}, None),
    ],
)
def test_times_are_spread_evenly_and_wrap_past_midnight(
    dosing: dict[str, Any], times: tuple[time, ...] | None
) -> None:
    data = dosing_spec(**dosing)
    if times is None:
        assert errors_of(data) == {("dosing.end", "doses_too_close")}
        return
    assert validate_schedule(data, default_timezone=ZONE).timing.times == times  # type: ignore[union-attr]


def test_48_doses_around_the_clock_are_whole_seconds_apart_and_distinct() -> None:
    plan = Dosing(ALK, 48.0, 48, time(0), time(23, 30))
    times = dose_times(plan)
    assert len(set(times)) == 48
    assert (times[0], times[-1]) == (time(0), time(23, 30))
    assert all(at.microsecond == 0 for at in times)


DOSING_ERRORS: list[tuple[dict[str, Any], set[tuple[str, str]]]] = [
    ({"doser": None}, {("dosing.doser", "required")}),
    ({"doser": "Alk doser"}, {("dosing.doser", "invalid_entity_id")}),
    ({"doser": 5}, {("dosing.doser", "invalid_type")}),
    ({"daily_ml": None}, {("dosing.daily_ml", "required")}),
    ({"daily_ml": 0.05}, {("dosing.daily_ml", "daily_ml_out_of_range")}),
    ({"daily_ml": 10_001}, {("dosing.daily_ml", "daily_ml_out_of_range")}),
    ({"doses": 0}, {("dosing.doses", "doses_out_of_range")}),
    ({"doses": 49}, {("dosing.doses", "doses_out_of_range")}),
    ({"doses": 2.5}, {("dosing.doses", "invalid_type")}),
    ({"doses": 1}, {("dosing.end", "not_allowed")}),
    ({"end": None}, {("dosing.end", "required")}),
    ({"end": "08:00"}, {("dosing.end", "dosing_end_is_start")}),
    ({"end": "25:00"}, {("dosing.end", "invalid_time")}),
    ({"start": "8 o'clock"}, {("dosing.start", "invalid_time")}),
    ({"start": "08:00", "end": "08:02"}, {("dosing.end", "doses_too_close")}),
    ({"volume": 3}, {("dosing.volume", "unknown_key")}),
]


@pytest.mark.parametrize(("dosing", "expected"), DOSING_ERRORS)
def test_dosing_errors(dosing: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    assert errors_of(dosing_spec(**dosing)) == expected


SPEC_ERRORS = plan_spec_errors("dosing", ALK, [1])


@pytest.mark.parametrize(("changes", "expected"), SPEC_ERRORS)
def test_spec_errors(changes: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    assert errors_of(spec_with(dosing_spec(), changes)) == expected


def test_a_dose_is_no_plain_action_type() -> None:
    data = {
        "id": "s1",
        "type": "recurring",
        "frequency": "daily",
        "times": ["08:00"],
        "action": {"type": "dose", "target": {"entity_id": ALK}},
    }
    assert errors_of(data) == {("action.type", "dose_action_type")}
    data["dosing"] = dosing_spec()["dosing"]
    del data["action"]
    assert ("dosing", "unknown_key") in errors_of(data)


def test_a_stored_plan_may_hold_more_than_the_documented_daily_volume() -> None:
    data = dosing_spec(daily_ml=20_000)
    assert errors_of(data) == {("dosing.daily_ml", "daily_ml_out_of_range")}
    plan = validate_schedule(data, default_timezone=ZONE, stored=True).action.dosing
    assert plan is not None
    assert plan.daily_ml == 20_000
    assert errors_of(dosing_spec(doses=49), stored=True) == {("dosing.doses", "doses_out_of_range")}


# --- every code is translated and exercised -------------------------------------------------


def _codes() -> set[str]:
    cases = DOSING_ERRORS + SPEC_ERRORS
    return {code for _, expected in cases for _, code in expected} | {"dose_action_type"}


def test_every_code_is_translated() -> None:
    folder = pathlib.Path(validate.__file__).parent.parent / "translations"
    for language in ("en", "de"):
        data = json.loads((folder / f"{language}.json").read_text("utf-8"))
        form = data["config_subentries"]["schedule"]["error"]
        # The Home Assistant side's own check (the doser exists) is translated too.
        codes = _codes() | {"unknown_doser"}
        assert codes - set(data["exceptions"]) == set(), language
        assert codes - set(form) == set(), language


def test_every_defined_code_is_exercised() -> None:
    source = pathlib.Path(validate_dosing.__file__).read_text()
    defined = set(re.findall(r'fail\([^,]+,\s*"([a-z_]+)"', source))
    defined |= set(re.findall(r'code="([a-z_]+)"', source))
    assert {"daily_ml_out_of_range", "doses_too_close"} <= defined
    assert defined <= _codes(), defined - _codes()


# --- the doses of a day ---------------------------------------------------------------------


@st.composite
def plans(draw: st.DrawFn) -> Dosing:
    doses = draw(st.integers(1, 48))
    start = draw(st.times().map(lambda at: at.replace(microsecond=0)))
    end = None
    if doses > 1:
        span = draw(st.integers((doses - 1) * 60, 86_399))
        total = start.hour * 3600 + start.minute * 60 + start.second + span
        end = time(total % 86_400 // 3600, total % 3600 // 60, total % 60)
    daily = draw(st.integers(1, 100_000)) / 10
    doser = draw(st.from_regex(r"switch\.[a-z_]{1,12}", fullmatch=True))
    return Dosing(doser, daily, doses, start, end)


@settings(max_examples=300)
@given(plans(), st.sampled_from([None, "UTC", "Australia/Lord_Howe"]))
def test_round_trip(plan: Dosing, timezone: str | None) -> None:
    schedule = Schedule(
        id="alk",
        name="Alkalinity",
        timing=dosing_timing(plan),
        action=dosing_action(plan),
        timezone=timezone,
    )
    data = json.loads(json.dumps(schedule_to_dict(schedule)))
    assert "action" not in data
    assert validate_schedule(data, default_timezone=ZONE) == schedule
    assert validate_schedule(data, default_timezone=ZONE, stored=True) == schedule


@settings(max_examples=300)
@given(plans())
def test_a_plan_has_its_number_of_distinct_daily_times_from_start_to_end(plan: Dosing) -> None:
    times = dose_times(plan)
    assert len(set(times)) == plan.doses
    assert plan.start in times
    if plan.end is not None:
        assert plan.end in times


@settings(max_examples=300)
@given(plans(), st.integers(1, 1000).map(lambda n: n / 100))
def test_k_doses_sum_to_the_daily_volume_within_the_rounding(plan: Dosing, rate: float) -> None:
    """Each dose runs the pump for whole tenths of a second: the day's sum is that close."""
    doser = Doser(plan.doser, "Doser", rate, daily_max_ml=plan.daily_ml)
    seconds = [dose_seconds(plan, doser) for _ in dose_times(plan)]
    dosed = sum(s * rate for s in seconds)
    assert abs(dosed - plan.daily_ml) <= plan.doses * 0.05 * rate + 1e-9
    assert all(round(s, 1) == s for s in seconds)


def test_a_dose_lasts_its_volume_over_the_rate_in_tenths_of_a_second() -> None:
    doser = Doser(ALK, "Alk doser", 0.75, daily_max_ml=30)
    plan = Dosing(ALK, 24, 4, time(8), time(20))
    assert dose_seconds(plan, doser) == 8.0
    assert dose_seconds(Dosing(ALK, 1, 3, time(8), time(9)), doser) == 0.4
    assert timedelta(seconds=dose_seconds(plan, doser)) == timedelta(seconds=8)
