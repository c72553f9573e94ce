"""Tests for schedule presets."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from custom_components.reef_scheduler.engine.model import (
    CronTiming,
    Frequency,
    RecurringTiming,
    ScheduleInvalid,
    SunEvent,
    SunTiming,
)
from custom_components.reef_scheduler.engine.presets import (
    PRESETS,
    expand_preset,
    format_time_of_day,
    parse_time_of_day,
)


def test_registry_names() -> None:
    assert set(PRESETS) == {"photoperiod", "hourly_pulse", "dawn_lights"}
    assert all(preset.description for preset in PRESETS.values())


@pytest.mark.parametrize(
    ("on", "off", "hold"),
    [
        ("08:00", "20:00", timedelta(hours=12)),
        ("22:00", "06:30", timedelta(hours=8, minutes=30)),
        ("10:00:30", "10:00:00", timedelta(hours=23, minutes=59, seconds=30)),
    ],
)
def test_photoperiod(on: str, off: str, hold: timedelta) -> None:
    timing, duration = expand_preset("photoperiod", {"on": on, "off": off})
    assert timing == RecurringTiming(Frequency.DAILY, (parse_time_of_day(on),))  # type: ignore[arg-type]
    assert duration == hold


def test_hourly_pulse() -> None:
    assert expand_preset("hourly_pulse", {"minute": 5, "minutes": 10}) == (
        CronTiming("5 * * * *"),
        timedelta(minutes=10),
    )
    assert expand_preset("hourly_pulse", {"minutes": 1})[0] == CronTiming("0 * * * *")


def test_dawn_lights() -> None:
    assert expand_preset("dawn_lights", {}) == (SunTiming(SunEvent.SUNRISE), None)
    assert expand_preset("dawn_lights", {"offset": -1800}) == (
        SunTiming(SunEvent.SUNRISE, timedelta(minutes=-30)),
        None,
    )


def _codes(name: str, params: dict[str, object]) -> set[tuple[str, str]]:
    with pytest.raises(ScheduleInvalid) as info:
        expand_preset(name, params)
    return {(error.field, error.code) for error in info.value.errors}


@pytest.mark.parametrize(
    ("name", "params", "expected"),
    [
        ("nope", {}, {("preset", "invalid_preset")}),
        ("photoperiod", {}, {("params.on", "required"), ("params.off", "required")}),
        (
            "photoperiod",
            {"on": "8:00", "off": "24:00", "x": 1},
            {
                ("params.on", "invalid_time"),
                ("params.off", "invalid_time"),
                ("params.x", "unknown_key"),
            },
        ),
        ("photoperiod", {"on": "08:00", "off": "08:00"}, {("params.off", "duration_too_small")}),
        ("hourly_pulse", {}, {("params.minutes", "required")}),
        (
            "hourly_pulse",
            {"minute": 60, "minutes": True},
            {("params.minute", "out_of_range"), ("params.minutes", "invalid_type")},
        ),
        ("dawn_lights", {"offset": 43_201}, {("params.offset", "offset_out_of_range")}),
    ],
)
def test_preset_errors(
    name: str, params: dict[str, object], expected: set[tuple[str, str]]
) -> None:
    assert _codes(name, params) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("00:00", time(0, 0)),
        ("23:59:59", time(23, 59, 59)),
        ("07:05", time(7, 5)),
        ("7:05", None),
        ("12:60", None),
        ("12:00:60", None),
        ("12:00 ", None),
        (1200, None),
    ],
)
def test_parse_time_of_day(text: object, value: time | None) -> None:
    assert parse_time_of_day(text) == value


def test_format_time_of_day() -> None:
    assert format_time_of_day(time(7, 5)) == "07:05"
    assert format_time_of_day(time(7, 5, 9)) == "07:05:09"
