"""Tests for a light profile's template in a spec: expansion to channels and its errors."""

from __future__ import annotations

from datetime import UTC, datetime
import json
import pathlib
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.reef_scheduler.engine import validate_template
from custom_components.reef_scheduler.engine.model import ScheduleInvalid
from custom_components.reef_scheduler.engine.validate import validate_schedule
from custom_components.reef_scheduler.engine.validate_template import (
    TemplateKind,
    expand_template,
    template_kind,
)

ZONE = ZoneInfo("Europe/Berlin")
CHANNELS = [
    {"name": "Blue", "lights": ["light.blue"], "peak": 80},
    {"name": "White", "lights": "number.white", "peak": 60},
]
# 2026-06-21 in Berlin: sunrise 04:43, sunset 21:33 (local).
SUN = (datetime(2026, 6, 21, 2, 43, tzinfo=UTC), datetime(2026, 6, 21, 19, 33, tzinfo=UTC))


def spec(**template: Any) -> dict[str, Any]:
    """Return a light profile spec made from a template (with the two channels)."""
    body = {"channels": CHANNELS} | template
    return {
        "id": "reef",
        "type": "light_profile",
        "profile": {"template": body, "curve": "smooth"},
    }


def points_of(data: dict[str, Any], channel: int = 0) -> list[tuple[str, float]]:
    return [(p["time"], p["level"]) for p in data["profile"]["channels"][channel]["points"]]


def test_diurnal_becomes_ordinary_channels() -> None:
    data = expand_template(
        spec(kind="diurnal", start="09:00", ramp=3600, photoperiod=36_000), zone=ZONE
    )
    assert data["profile"]["curve"] == "smooth"  # the profile's other keys stay
    assert "template" not in data["profile"]
    assert points_of(data) == [("09:00", 0), ("10:00", 80), ("18:00", 80), ("19:00", 0)]
    assert points_of(data, 1)[1] == ("10:00", 60)
    assert data["profile"]["channels"][1]["lights"] == ["number.white"]
    # What it expands to is a valid profile like any other.
    schedule = validate_schedule(data, default_timezone="Europe/Berlin")
    assert schedule.action.profile is not None
    assert [c.name for c in schedule.action.profile.channels] == ["Blue", "White"]


def test_sine_has_25_points_from_start_over_the_photoperiod() -> None:
    data = expand_template(spec(kind="sine", start="08:00", photoperiod=43_200), zone=ZONE)
    points = points_of(data)
    assert len(points) == 25
    assert (points[0], points[12], points[-1]) == (("08:00", 0), ("14:00", 80), ("20:00", 0))


def test_follow_sun_centres_on_the_sun_and_clamps_the_photoperiod() -> None:
    """16 h 50 min of sun, at most 10 h of light: 08:08 to 18:08, shifted by -30 min."""
    template = {
        "kind": "follow_sun",
        "min_photoperiod": 28_800,
        "max_photoperiod": 36_000,
        "offset": -1800,
        "ramp": 1800,
    }
    points = points_of(expand_template(spec(**template), zone=ZONE, sun=SUN))
    assert points == [("07:38", 0), ("08:08", 80), ("17:08", 80), ("17:38", 0)]


def test_no_template_leaves_the_spec_alone() -> None:
    data = {"id": "s", "type": "light_profile", "profile": {"channels": []}}
    assert expand_template(data, zone=ZONE) == data
    assert expand_template({"id": "s", "profile": 5}, zone=ZONE) == {"id": "s", "profile": 5}
    assert template_kind(spec(kind="follow_sun")) is TemplateKind.FOLLOW_SUN
    assert template_kind(spec(kind="sunny")) is None
    assert template_kind({"profile": {"template": 5}}) is None


def errors_of(data: dict[str, Any], sun: validate_template.Sun = SUN) -> set[tuple[str, str]]:
    with pytest.raises(ScheduleInvalid) as info:
        expand_template(data, zone=ZONE, sun=sun)
    return {(error.field, error.code) for error in info.value.errors}


T = "profile.template."
DIURNAL = {"kind": "diurnal", "start": "09:00", "ramp": 3600, "photoperiod": 36_000}
FOLLOW = {"kind": "follow_sun", "min_photoperiod": 28_800, "max_photoperiod": 36_000}
TEMPLATE_ERRORS: list[tuple[dict[str, Any], set[tuple[str, str]]]] = [
    ({"kind": "sunny"}, {(T + "kind", "unknown_template")}),
    ({"kind": None}, {(T + "kind", "required")}),
    (DIURNAL | {"channels": None}, {(T + "channels", "required")}),
    (DIURNAL | {"channels": []}, {(T + "channels", "required")}),
    (
        DIURNAL | {"channels": [CHANNELS[0] | {"name": f"C{i}"} for i in range(9)]},
        {(T + "channels", "too_many_channels")},
    ),
    (
        DIURNAL | {"channels": [{"name": "moon", "lights": ["switch.x"], "peak": 101}]},
        {
            (T + "channels.0.name", "invalid_channel_name"),
            (T + "channels.0.lights.0", "invalid_light"),
            (T + "channels.0.peak", "level_out_of_range"),
        },
    ),
    (
        DIURNAL | {"start": "9", "ramp": 0, "photoperiod": 59},
        {
            (T + "start", "invalid_time"),
            (T + "ramp", "ramp_out_of_range"),
            (T + "photoperiod", "photoperiod_out_of_range"),
        },
    ),
    (DIURNAL | {"ramp": 18_001}, {(T + "ramp", "ramp_out_of_range")}),
    (
        DIURNAL | {"offset": 60, "dawn": 1},
        {(T + "offset", "not_allowed"), (T + "dawn", "unknown_key")},
    ),
    ({"kind": "sine"}, {(T + "start", "required"), (T + "photoperiod", "required")}),
    (
        FOLLOW | {"max_photoperiod": 3600, "offset": 43_201},
        {(T + "max_photoperiod", "photoperiods_reversed"), (T + "offset", "offset_out_of_range")},
    ),
    (FOLLOW | {"start": "08:00"}, {(T + "start", "not_allowed")}),
]


@pytest.mark.parametrize(("template", "expected"), TEMPLATE_ERRORS)
def test_template_errors(template: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    assert errors_of(spec(**template)) == expected


def test_follow_sun_needs_a_sunrise_and_sunset() -> None:
    assert errors_of(spec(**FOLLOW), sun=None) == {(T + "kind", "no_sun_today")}


def test_channels_and_a_template_do_not_mix() -> None:
    data = spec(**DIURNAL)
    data["profile"]["channels"] = CHANNELS
    assert errors_of(data) == {("profile.channels", "not_allowed")}
    assert errors_of({"profile": {"template": []}}) == {("profile.template", "invalid_type")}


def _codes() -> set[str]:
    return {code for _, expected in TEMPLATE_ERRORS for _, code in expected} | {"no_sun_today"}


def test_every_code_is_translated_and_exercised() -> None:
    folder = pathlib.Path(validate_template.__file__).parent.parent / "translations"
    for language in ("en", "de"):
        data = json.loads((folder / f"{language}.json").read_text("utf-8"))
        assert _codes() - set(data["exceptions"]) == set(), language
        assert _codes() - set(data["config_subentries"]["schedule"]["error"]) == set()
    source = pathlib.Path(validate_template.__file__).read_text()
    defined = set(re.findall(r'fail\([^,]+,\s*"([a-z_]+)"', source))
    defined |= set(re.findall(r'code="([a-z_]+)"', source))
    defined |= set(re.findall(r'"\w+",\s*\w+,\s*"([a-z_]+)"\)', source))
    assert {"photoperiods_reversed", "unknown_template"} <= defined
    assert defined <= _codes(), defined - _codes()


def test_a_photoperiod_wraps_at_midnight_in_whole_seconds() -> None:
    data = expand_template(spec(kind="sine", start="08:00:00", photoperiod=86_340), zone=ZONE)
    points = points_of(data)
    assert all(re.fullmatch(r"\d\d:\d\d(:\d\d)?", at) for at, _ in points)
    assert ("07:59", 0) in points  # 23 h 59 min after 08:00, on the next day's clock
