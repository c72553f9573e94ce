"""Tests for the light profile templates: diurnal, follow the sun and sine."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
import math
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st
import pytest

from custom_components.reef_scheduler.engine.light_curve import channel_curve
from custom_components.reef_scheduler.engine.light_model import Channel, LightProfile
from custom_components.reef_scheduler.engine.light_templates import (
    TemplateChannel,
    diurnal,
    follow_sun,
    sine,
)
from custom_components.reef_scheduler.engine.profile import steps

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)
BLUE = TemplateChannel("Blue", ("light.blue_1", "light.blue_2"), 80)
WHITE = TemplateChannel("White", ("light.white",), 60)


def test_diurnal_points() -> None:
    blue, white = diurnal((BLUE, WHITE), start=time(9), ramp=HOUR, photoperiod=10 * HOUR)
    assert blue == Channel(
        "Blue",
        BLUE.lights,
        ((time(9), 0.0), (time(10), 80.0), (time(18), 80.0), (time(19), 0.0)),
    )
    assert white.points[1] == (time(10), 60.0)


def test_diurnal_wraps_past_midnight() -> None:
    (channel,) = diurnal((BLUE,), start=time(20), ramp=HOUR, photoperiod=6 * HOUR)
    assert channel.points == ((time(1), 80.0), (time(2), 0.0), (time(20), 0.0), (time(21), 80.0))


def test_diurnal_with_ramps_of_half_the_day_has_one_peak() -> None:
    (channel,) = diurnal((BLUE,), start=time(8), ramp=2 * HOUR, photoperiod=4 * HOUR)
    assert channel.points == ((time(8), 0.0), (time(10), 80.0), (time(12), 0.0))


@pytest.mark.parametrize(
    ("ramp", "photoperiod"),
    [(HOUR, timedelta(0)), (HOUR, 24 * HOUR), (timedelta(0), 8 * HOUR), (5 * HOUR, 8 * HOUR)],
)
def test_diurnal_refuses(ramp: timedelta, photoperiod: timedelta) -> None:
    with pytest.raises(ValueError, match="photoperiod|ramp"):
        diurnal((BLUE,), start=time(8), ramp=ramp, photoperiod=photoperiod)


def test_a_diurnal_day_steps_once_per_percent() -> None:
    channels = diurnal((BLUE,), start=time(9), ramp=HOUR, photoperiod=10 * HOUR)
    start = datetime(2026, 6, 1, tzinfo=BERLIN).astimezone(UTC)
    curve = channel_curve(LightProfile(channels), "Blue", start, zone=BERLIN, seed="s")
    assert len(list(steps(curve, start))) == 1 + 80 + 80


class TestFollowSun:
    """A diurnal day centred on the sun's, clamped and shifted."""

    SUNRISE = datetime(2026, 6, 21, 4, 43, tzinfo=BERLIN)
    SUNSET = datetime(2026, 6, 21, 21, 33, tzinfo=BERLIN)

    def test_clamped_to_the_longest_photoperiod(self) -> None:
        (channel,) = follow_sun(
            (BLUE,),
            sunrise=self.SUNRISE.astimezone(UTC),
            sunset=self.SUNSET.astimezone(UTC),
            zone=BERLIN,
            min_photoperiod=8 * HOUR,
            max_photoperiod=10 * HOUR,
        )
        # Solar middle 13:08; 10 hours around it.
        assert [p for p, _ in channel.points] == [time(8, 8), time(9, 8), time(17, 8), time(18, 8)]

    def test_offset_and_short_days(self) -> None:
        sunrise = datetime(2026, 12, 21, 8, 15, tzinfo=BERLIN)
        sunset = datetime(2026, 12, 21, 15, 55, tzinfo=BERLIN)
        (channel,) = follow_sun(
            (BLUE,),
            sunrise=sunrise,
            sunset=sunset,
            zone=BERLIN,
            min_photoperiod=9 * HOUR,
            max_photoperiod=12 * HOUR,
            offset=2 * HOUR,
            ramp=30 * timedelta(minutes=1),
        )
        # Middle 12:05 + 2 h = 14:05; 9 hours around it.
        assert [p for p, _ in channel.points] == [
            time(9, 35),
            time(10, 5),
            time(18, 5),
            time(18, 35),
        ]

    def test_refuses(self) -> None:
        with pytest.raises(ValueError, match="sunset"):
            follow_sun(
                (BLUE,),
                sunrise=self.SUNSET,
                sunset=self.SUNRISE,
                zone=BERLIN,
                min_photoperiod=HOUR,
                max_photoperiod=2 * HOUR,
            )
        with pytest.raises(ValueError, match="min_photoperiod"):
            follow_sun(
                (BLUE,),
                sunrise=self.SUNRISE,
                sunset=self.SUNSET,
                zone=BERLIN,
                min_photoperiod=3 * HOUR,
                max_photoperiod=2 * HOUR,
            )


def test_sine_follows_half_a_sine() -> None:
    (channel,) = sine((BLUE,), start=time(8), photoperiod=12 * HOUR)
    assert len(channel.points) == 25
    assert channel.points[0] == (time(8), 0.0)
    assert channel.points[12] == (time(14), pytest.approx(80))
    assert channel.points[-1] == (time(20), 0.0)
    start = datetime(2026, 6, 1, tzinfo=BERLIN).astimezone(UTC)
    curve = channel_curve(LightProfile((channel,)), "Blue", start, zone=BERLIN, seed="s")
    for minute in range(0, 12 * 60, 7):
        expected = 80 * math.sin(math.pi * minute / (12 * 60))
        probe = datetime(2026, 6, 1, 8, tzinfo=BERLIN) + timedelta(minutes=minute)
        assert curve.level_at(probe.astimezone(UTC)) == pytest.approx(expected, abs=0.25)


def test_sine_refuses_a_too_short_day() -> None:
    with pytest.raises(ValueError, match="too short"):
        sine((BLUE,), start=time(8), photoperiod=timedelta(seconds=10))


@given(
    start=st.times().map(lambda t: t.replace(microsecond=0)),
    photoperiod=st.timedeltas(timedelta(minutes=1), timedelta(hours=23, minutes=59)),
    kind=st.sampled_from(["diurnal", "sine"]),
)
def test_templates_make_valid_channels(start: time, photoperiod: timedelta, kind: str) -> None:
    if kind == "diurnal":
        channels = diurnal(
            (BLUE, WHITE), start=start, ramp=photoperiod / 3, photoperiod=photoperiod
        )
    else:
        channels = sine((BLUE, WHITE), start=start, photoperiod=photoperiod)
    for channel, template in zip(channels, (BLUE, WHITE), strict=True):
        moments = [moment for moment, _ in channel.points]
        assert moments == sorted(set(moments))
        assert max(level for _, level in channel.points) == pytest.approx(template.peak)
        assert 1 <= len(channel.points) <= 48
