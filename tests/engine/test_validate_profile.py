"""Tests for the light_profile spec: validation, errors and the round trip."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
import json
import pathlib
import re
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.reef_scheduler.engine import validate, validate_profile
from custom_components.reef_scheduler.engine.light_model import (
    Acclimation,
    Channel,
    Clouds,
    LightProfile,
    Moonlight,
    Storm,
)
from custom_components.reef_scheduler.engine.model import (
    Action,
    ActionType,
    Frequency,
    RecurringTiming,
    Schedule,
    Target,
)
from custom_components.reef_scheduler.engine.profile import Curve
from custom_components.reef_scheduler.engine.validate import schedule_to_dict, validate_schedule

from .engine_helpers import errors_of, plan_spec_errors, spec_with

ZONE = "Europe/Berlin"
BLUE = {
    "name": "Blue",
    "lights": ["light.blue_1", "light.blue_2"],
    "points": [
        {"time": "08:00", "level": 0},
        {"time": "10:00", "level": 80},
        {"time": "18:00", "level": 80},
        {"time": "20:00", "level": 0},
    ],
}
WHITE = {"name": "White", "lights": ["number.white"], "points": [{"time": "12:00", "level": 60}]}


def profile_spec(**changes: Any) -> dict[str, Any]:
    """Return a valid light_profile spec whose profile has some keys changed (None deletes)."""
    profile: dict[str, Any] = {"channels": [BLUE, WHITE]}
    profile.update(changes)
    return {
        "id": "reef",
        "type": "light_profile",
        "profile": {key: value for key, value in profile.items() if value is not None},
    }


def channel(**changes: Any) -> dict[str, Any]:
    """Return the Blue channel with some keys changed (None deletes)."""
    return {key: value for key, value in (BLUE | changes).items() if value is not None}


def test_minimal_profile() -> None:
    schedule = validate_schedule(profile_spec(), default_timezone=ZONE)
    blue = Channel(
        "Blue",
        ("light.blue_1", "light.blue_2"),
        ((time(8), 0.0), (time(10), 80.0), (time(18), 80.0), (time(20), 0.0)),
    )
    white = Channel("White", ("number.white",), ((time(12), 60.0),))
    profile = LightProfile((blue, white))
    assert schedule == Schedule(
        id="reef",
        name="reef",
        timing=RecurringTiming(Frequency.DAILY, (time(0),)),
        action=Action(
            ActionType.PROFILE,
            Target(entity_ids=("light.blue_1", "light.blue_2", "number.white")),
            plan=profile,
        ),
    )


def test_full_profile() -> None:
    data = profile_spec(
        curve="smooth",
        channels=[
            channel(min_level=5, max_level=90, acclimate=False, weather=False),
            WHITE | {"points": [{"time": "20:00", "level": 0}, {"time": "08:00:30", "level": 1}]},
        ],
        moon={"lights": ["light.blue_1"], "max_level": 5, "start": "21:00", "end": "07:00"},
        acclimation={"start_date": "2026-11-01", "days": 30, "start_percent": 50},
        clouds={"per_hour": 2, "depth": 40, "minutes": 0.5, "weekdays": ["mon", "TUE"]},
        storm={
            "minutes": 30,
            "depth": 60,
            "start": "15:00",
            "weekdays": ["sat"],
            "flash_channel": "White",
            "flashes_per_minute": 3,
        },
        weather=False,
        storm_now={"start": "2026-11-29T15:00", "end": "2026-11-29T15:20:00+01:00"},
    )
    profile = validate_schedule(data, default_timezone=ZONE).action.profile
    assert profile == LightProfile(
        channels=(
            Channel(
                "Blue",
                ("light.blue_1", "light.blue_2"),
                ((time(8), 0.0), (time(10), 80.0), (time(18), 80.0), (time(20), 0.0)),
                5.0,
                90.0,
                acclimate=False,
                weather=False,
            ),
            # Points come in any order and are kept sorted.
            Channel("White", ("number.white",), ((time(8, 0, 30), 1.0), (time(20), 0.0))),
        ),
        curve=Curve.SMOOTH,
        moon=Moonlight(("light.blue_1",), 5.0, time(21), time(7)),
        acclimation=Acclimation(date(2026, 11, 1), 30, 50.0),
        clouds=Clouds(2.0, 40.0, 0.5, frozenset({0, 1})),
        storm=Storm(30.0, 60.0, time(15), frozenset({5}), "White", 3.0),
        weather=False,
        # Naive instants are read in the schedule's zone.
        storm_now=(
            datetime(2026, 11, 29, 14, tzinfo=UTC),
            datetime(2026, 11, 29, 14, 20, tzinfo=UTC),
        ),
    )


def test_moon_shares_a_light_and_its_hours_may_be_left_out() -> None:
    data = profile_spec(moon={"lights": "light.blue_2", "max_level": 5})
    profile = validate_schedule(data, default_timezone=ZONE).action.profile
    assert profile is not None
    assert profile.moon == Moonlight(("light.blue_2",), 5.0)
    assert profile.lights == ("light.blue_1", "light.blue_2", "number.white")


def test_schedule_keys_apply_to_a_profile() -> None:
    data = profile_spec() | {"name": "Reef light", "timezone": "Asia/Tokyo", "tags": ["lights"]}
    schedule = validate_schedule(data | {"enabled": False}, default_timezone=ZONE)
    assert (schedule.name, schedule.timezone, schedule.tags, schedule.enabled) == (
        "Reef light",
        "Asia/Tokyo",
        frozenset({"lights"}),
        False,
    )


def test_stored_profile_has_no_action_and_names_its_type() -> None:
    stored = schedule_to_dict(validate_schedule(profile_spec(), default_timezone=ZONE))
    assert "action" not in stored
    assert stored["type"] == "light_profile"
    assert stored["profile"]["channels"][0]["points"][1] == {"time": "10:00", "level": 80}


POINTS = [
    {"time": f"{hour:02}:{minute:02}", "level": 1} for hour in range(24) for minute in (0, 30)
]

PROFILE_ERRORS: list[tuple[dict[str, Any], set[tuple[str, str]]]] = [
    ({"channels": None}, {("profile.channels", "required")}),
    ({"channels": []}, {("profile.channels", "required")}),
    ({"channels": {"name": "x"}}, {("profile.channels", "invalid_type")}),
    ({"channels": ["Blue"]}, {("profile.channels.0", "invalid_type")}),
    (
        {"channels": [WHITE | {"name": f"C{i}", "lights": [f"light.c{i}"]} for i in range(9)]},
        {("profile.channels", "too_many_channels")},
    ),
    ({"channels": [channel(name="")]}, {("profile.channels.0.name", "invalid_channel_name")}),
    ({"channels": [channel(name="x" * 41)]}, {("profile.channels.0.name", "invalid_channel_name")}),
    ({"channels": [channel(name="Moon")]}, {("profile.channels.0.name", "invalid_channel_name")}),
    ({"channels": [channel(name=None)]}, {("profile.channels.0.name", "required")}),
    (
        {"channels": [BLUE, WHITE | {"name": "blue"}]},
        {("profile.channels.1.name", "duplicate_channel")},
    ),
    ({"channels": [channel(lights=[])]}, {("profile.channels.0.lights", "required")}),
    ({"channels": [channel(lights=None)]}, {("profile.channels.0.lights", "required")}),
    (
        {"channels": [channel(lights=[f"light.l{i}" for i in range(21)])]},
        {("profile.channels.0.lights", "too_many_lights")},
    ),
    (
        {"channels": [channel(lights=["switch.pump", "light", 5])]},
        {
            ("profile.channels.0.lights.0", "invalid_light"),
            ("profile.channels.0.lights.1", "invalid_light"),
            ("profile.channels.0.lights.2", "invalid_light"),
        },
    ),
    (
        {"channels": [BLUE, WHITE | {"lights": ["light.blue_2"]}]},
        {("profile.channels.1.lights", "shared_light")},
    ),
    ({"channels": [channel(points=[])]}, {("profile.channels.0.points", "required")}),
    ({"channels": [channel(points=None)]}, {("profile.channels.0.points", "required")}),
    (
        {"channels": [channel(points=[*POINTS, {"time": "23:59", "level": 1}])]},
        {("profile.channels.0.points", "too_many_points")},
    ),
    (
        {"channels": [channel(points=[{"time": "08:00", "level": 1}, {"time": "8", "level": 1}])]},
        {("profile.channels.0.points.1.time", "invalid_time")},
    ),
    (
        {"channels": [channel(points=[{"time": "08:00", "level": 1}, {"time": "08:00:00"}])]},
        {
            ("profile.channels.0.points.1.time", "duplicate_point_time"),
            ("profile.channels.0.points.1.level", "required"),
        },
    ),
    (
        {"channels": [channel(points=[{"time": "08:00", "level": 101, "fade": 1}])]},
        {
            ("profile.channels.0.points.0.level", "level_out_of_range"),
            ("profile.channels.0.points.0.fade", "unknown_key"),
        },
    ),
    (
        {"channels": [channel(min_level=-1, max_level="x")]},
        {
            ("profile.channels.0.min_level", "level_out_of_range"),
            ("profile.channels.0.max_level", "invalid_type"),
        },
    ),
    (
        {"channels": [channel(min_level=20, max_level=10)]},
        {("profile.channels.0.max_level", "max_below_min")},
    ),
    (
        {"channels": [channel(acclimate="yes", weather=1)]},
        {
            ("profile.channels.0.acclimate", "invalid_type"),
            ("profile.channels.0.weather", "invalid_type"),
        },
    ),
    ({"curve": "cubic"}, {("profile.curve", "invalid_curve")}),
    ({"template": {"kind": "sine"}}, {("profile.template", "unknown_key")}),
    ({"weather": "on"}, {("profile.weather", "invalid_type")}),
    ({"moon": {"max_level": 5}}, {("profile.moon.lights", "required")}),
    (
        {"moon": {"lights": ["light.moon"], "max_level": 120}},
        {("profile.moon.max_level", "level_out_of_range")},
    ),
    (
        {"moon": {"lights": ["light.moon"], "max_level": 5, "start": "21:00"}},
        {("profile.moon.end", "moon_hours")},
    ),
    (
        {"moon": {"lights": ["light.moon"], "max_level": 5, "end": "21:00"}},
        {("profile.moon.start", "moon_hours")},
    ),
    (
        {"moon": {"lights": ["light.moon"], "max_level": 5, "start": "21:00", "end": "21:00"}},
        {("profile.moon.end", "moon_hours")},
    ),
    ({"moon": 5}, {("profile.moon", "invalid_type")}),
    (
        {"acclimation": {"days": 0, "start_percent": 0}},
        {
            ("profile.acclimation.start_date", "required"),
            ("profile.acclimation.days", "days_out_of_range"),
            ("profile.acclimation.start_percent", "percent_out_of_range"),
        },
    ),
    (
        {"acclimation": {"start_date": "2026-13-01", "days": 366, "start_percent": 50}},
        {
            ("profile.acclimation.start_date", "invalid_date"),
            ("profile.acclimation.days", "days_out_of_range"),
        },
    ),
    (
        {
            "acclimation": {
                "start_date": "2026-11-01",
                "days": 30,
                "start_percent": 50,
                "paused_on": "2200-01-01",
            }
        },
        {("profile.acclimation.paused_on", "date_out_of_range")},
    ),
    (
        {"clouds": {"per_hour": 13, "depth": 91, "minutes": 0.4, "weekdays": ["someday"]}},
        {
            ("profile.clouds.per_hour", "per_hour_out_of_range"),
            ("profile.clouds.depth", "depth_out_of_range"),
            ("profile.clouds.minutes", "cloud_minutes_out_of_range"),
            ("profile.clouds.weekdays.0", "invalid_weekday"),
        },
    ),
    (
        {"clouds": {}},
        {
            ("profile.clouds.per_hour", "required"),
            ("profile.clouds.depth", "required"),
            ("profile.clouds.minutes", "required"),
        },
    ),
    (
        {"storm": {"minutes": 241, "depth": 50, "flashes_per_minute": 31}},
        {
            ("profile.storm.minutes", "storm_minutes_out_of_range"),
            ("profile.storm.flashes_per_minute", "flashes_out_of_range"),
        },
    ),
    (
        {"storm": {"minutes": 20, "depth": 50, "flash_channel": "UV"}},
        {("profile.storm.flash_channel", "unknown_flash_channel")},
    ),
    (
        {"storm": {"minutes": 20, "depth": 50, "weekdays": ["sat"]}},
        {("profile.storm.weekdays", "not_allowed")},
    ),
    (
        {"storm": {"minutes": 20, "depth": 50, "start": "25:00"}},
        {("profile.storm.start", "invalid_time")},
    ),
    (
        {"storm_now": {"start": "2026-11-29T15:00Z", "end": "2026-11-29T15:00Z"}},
        {("profile.storm_now.end", "end_before_start")},
    ),
    (
        {"storm_now": {"start": "soon"}},
        {("profile.storm_now.start", "invalid_datetime"), ("profile.storm_now.end", "required")},
    ),
]


@pytest.mark.parametrize(("changes", "expected"), PROFILE_ERRORS)
def test_profile_errors(changes: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    assert errors_of(profile_spec(**changes)) == expected


SPEC_ERRORS = plan_spec_errors("profile", "light.reef")


@pytest.mark.parametrize(("changes", "expected"), SPEC_ERRORS)
def test_spec_errors(changes: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    assert errors_of(spec_with(profile_spec(), changes)) == expected


def test_profile_key_belongs_to_light_profiles() -> None:
    data = {
        "id": "s1",
        "type": "recurring",
        "frequency": "daily",
        "times": ["08:00"],
        "action": {"type": "on", "target": {"entity_id": "light.reef"}},
        "profile": {"channels": [BLUE]},
    }
    assert errors_of(data) == {("profile", "unknown_key")}


def test_a_stored_profile_is_read_without_the_documented_counts() -> None:
    """Counts that a later version might lower keep loading; the level ranges still hold."""
    channels = [
        {"name": f"C{i}", "lights": [f"light.c{i}_{n}" for n in range(21)], "points": POINTS}
        for i in range(9)
    ]
    data = profile_spec(
        channels=channels,
        acclimation={"start_date": "2026-11-01", "days": 400, "start_percent": 50},
    )
    profile = validate_schedule(data, default_timezone=ZONE, stored=True).action.profile
    assert profile is not None
    assert (len(profile.channels), len(profile.lights)) == (9, 189)
    assert profile.acclimation is not None
    assert profile.acclimation.days == 400
    assert errors_of(profile_spec(channels=[channel(max_level=101)]), stored=True) == {
        ("profile.channels.0.max_level", "level_out_of_range")
    }


# --- every code is translated and exercised -------------------------------------------------


def _codes() -> set[str]:
    return {code for _, expected in PROFILE_ERRORS + SPEC_ERRORS for _, code in expected}


def test_every_code_is_translated() -> None:
    folder = pathlib.Path(validate.__file__).parent.parent / "translations"
    for language in ("en", "de"):
        data = json.loads((folder / f"{language}.json").read_text("utf-8"))
        form = data["config_subentries"]["schedule"]["error"]
        assert _codes() - set(data["exceptions"]) == set(), language
        assert _codes() - set(form) == set(), language


def test_every_defined_code_is_exercised() -> None:
    source = pathlib.Path(validate_profile.__file__).read_text()
    defined = set(re.findall(r'fail\([^,]+,\s*"([a-z_]+)"', source))
    defined |= set(re.findall(r'code="([a-z_]+)"', source))
    defined |= set(re.findall(r'MAX_\w+,\s*"([a-z_]+)"\)', source))
    assert {"too_many_channels", "max_below_min", "invalid_light"} <= defined
    assert defined <= _codes(), defined - _codes()


# --- round trip -----------------------------------------------------------------------------

names = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=10)
lights = st.from_regex(r"(light|number|input_number|fan)\.[a-z_]{1,8}", fullmatch=True)
percent = st.floats(0, 100, allow_nan=False)
clock = st.times().map(lambda at: at.replace(microsecond=0))
weekdays = st.frozensets(st.integers(0, 6))
dates = st.dates(date(2000, 1, 1), date(2099, 12, 31))
instants = st.datetimes(datetime(2000, 1, 1), datetime(2099, 1, 1), timezones=st.just(UTC))


@st.composite
def channels(draw: st.DrawFn) -> tuple[Channel, ...]:
    chosen = draw(
        st.lists(names, min_size=1, max_size=8, unique_by=str.casefold).filter(
            lambda found: all(name.casefold() != "moon" for name in found)
        )
    )
    pool = draw(st.lists(lights, min_size=len(chosen) * 2, max_size=30, unique=True))
    result = []
    for index, name in enumerate(chosen):
        own = tuple(pool[index * 2 : index * 2 + draw(st.integers(1, 2))])
        points = draw(st.dictionaries(clock, percent, min_size=1, max_size=6))
        low = draw(percent)
        result.append(
            Channel(
                name,
                own,
                tuple(sorted(points.items())),
                low,
                draw(st.floats(low, 100)),
                draw(st.booleans()),
                draw(st.booleans()),
            )
        )
    return tuple(result)


@st.composite
def profiles(draw: st.DrawFn) -> LightProfile:
    day = draw(channels())
    hours = draw(st.none() | st.tuples(clock, clock).filter(lambda pair: pair[0] != pair[1]))
    moon = Moonlight(
        tuple(draw(st.lists(lights, min_size=1, max_size=3, unique=True))),
        draw(percent),
        *(hours or (None, None)),
    )
    acclimation = Acclimation(
        draw(dates), draw(st.integers(1, 365)), draw(st.floats(1, 100)), draw(st.none() | dates)
    )
    clouds = Clouds(
        draw(st.floats(0, 12)), draw(st.floats(0, 90)), draw(st.floats(0.5, 60)), draw(weekdays)
    )
    start = draw(st.none() | clock)
    storm = Storm(
        draw(st.floats(1, 240)),
        draw(st.floats(0, 90)),
        start,
        frozenset() if start is None else draw(weekdays),
        draw(st.none() | st.sampled_from([channel.name for channel in day])),
        draw(st.floats(0, 30)),
    )
    begin = draw(instants)
    return LightProfile(
        channels=day,
        curve=draw(st.sampled_from(Curve)),
        moon=draw(st.none() | st.just(moon)),
        acclimation=draw(st.none() | st.just(acclimation)),
        clouds=draw(st.none() | st.just(clouds)),
        storm=draw(st.none() | st.just(storm)),
        weather=draw(st.booleans()),
        storm_now=draw(
            st.none()
            | st.just(
                (begin, begin + draw(st.timedeltas(min_value=_MS, max_value=timedelta(days=1))))
            )
        ),
    )


_MS = timedelta(milliseconds=1)


@settings(max_examples=300)
@given(profiles(), st.sampled_from([None, "UTC", "Australia/Lord_Howe"]))
def test_round_trip(profile: LightProfile, timezone: str | None) -> None:
    schedule = Schedule(
        id="reef",
        name="Reef light",
        timing=validate_profile.PROFILE_TIMING,
        action=validate_profile.profile_action(profile),
        timezone=timezone,
    )
    data = json.loads(json.dumps(schedule_to_dict(schedule)))
    assert validate_schedule(data, default_timezone=ZONE) == schedule
    assert validate_schedule(data, default_timezone=ZONE, stored=True) == schedule


def test_with_profile_is_the_spec_of_an_edit() -> None:
    """The services and the weather switch store an edited profile as this spec."""
    schedule = validate_schedule(profile_spec() | {"name": "Reef"}, default_timezone=ZONE)
    assert schedule.action.profile is not None
    quiet = dataclasses.replace(schedule.action.profile, weather=False)
    edited = validate_schedule(validate.with_profile(schedule, quiet), default_timezone=ZONE)
    assert edited.action.profile == quiet
    assert edited.action.target == schedule.action.target
    assert edited.name == "Reef"
