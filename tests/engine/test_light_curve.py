"""Tests for light profile curves: points on the wall clock, acclimation, caps and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.reef_scheduler.engine.light_curve import (
    LightCurve,
    channel_curve,
    day_end,
    light_curve,
)
from custom_components.reef_scheduler.engine.light_model import (
    MOON,
    Acclimation,
    Channel,
    Clouds,
    LightProfile,
    Moonlight,
    Storm,
)
from custom_components.reef_scheduler.engine.profile import (
    Curve,
    round_level,
    steps,
    transition_segments,
)

from .engine_helpers import US, assert_next_change_contract, at

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)

BLUE = Channel(
    "Blue",
    ("light.blue_1", "light.blue_2"),
    ((time(8), 0.0), (time(10), 80.0), (time(18), 80.0), (time(20), 0.0)),
)
WHITE = Channel("White", ("light.white",), ((time(9), 0.0), (time(12), 60.0), (time(15), 0.0)))
PROFILE = LightProfile((BLUE, WHITE))


def midnight(zone: ZoneInfo, *day: int) -> datetime:
    """Return the UTC instant of a local midnight."""
    return datetime(*day, tzinfo=zone).astimezone(UTC)


def curve_of(
    profile: LightProfile = PROFILE,
    channel: str = "Blue",
    day: tuple[int, int, int] = (2026, 6, 1),
    zone: ZoneInfo = BERLIN,
) -> LightCurve:
    """Return a channel's curve for the run at a local midnight."""
    return channel_curve(profile, channel, midnight(zone, *day), zone=zone, seed="s1")


def local(curve: LightCurve, zone: ZoneInfo, *args: int, fold: int = 0) -> float:
    """Return the curve's level at a local wall-clock time."""
    return curve.level_at(datetime(*args, tzinfo=zone, fold=fold).astimezone(UTC))


def assert_quiet_until_change(curve: LightCurve, after: datetime, samples: int = 50) -> None:
    """Check the contract, and that samples before the change keep the rounded level."""
    assert_next_change_contract(curve, after)
    change = curve.next_change(after)
    stop = curve.end if change is None else change
    current = round_level(curve.level_at(after))
    span = stop - after
    for k in range(1, samples):
        probe = after + span * k / samples
        if probe < stop:
            assert round_level(curve.level_at(probe)) == current, (after, probe, change)


class TestDayEnd:
    """The next local-midnight run instant."""

    def test_plain_day(self) -> None:
        start = midnight(BERLIN, 2026, 6, 1)
        assert day_end(start, BERLIN) == midnight(BERLIN, 2026, 6, 2)
        assert day_end(start + 5 * HOUR, BERLIN) == midnight(BERLIN, 2026, 6, 2)

    @pytest.mark.parametrize(("day", "hours"), [((2026, 3, 29), 23), ((2026, 10, 25), 25)])
    def test_dst_days_last_23_and_25_hours(self, day: tuple[int, int, int], hours: int) -> None:
        start = midnight(BERLIN, *day)
        assert day_end(start, BERLIN) - start == timedelta(hours=hours)

    def test_midnight_in_a_gap_ends_at_the_gap_end(self) -> None:
        # Chile springs forward at local midnight: 2026-09-06 00:00 does not exist.
        zone = ZoneInfo("America/Santiago")
        start = midnight(zone, 2026, 9, 5)
        assert day_end(start, zone) == at("America/Santiago", 2026, 9, 6, 1)

    def test_a_date_that_never_existed_is_skipped(self) -> None:
        zone = ZoneInfo("Pacific/Apia")
        start = midnight(zone, 2011, 12, 29)
        assert day_end(start, zone) == midnight(zone, 2011, 12, 31)


class TestLevels:
    """Points interpolated on the wall clock, wrapping at midnight."""

    @pytest.mark.parametrize(
        ("hour", "minute", "expected"),
        [(0, 0, 0), (8, 0, 0), (9, 0, 40), (9, 30, 60), (10, 0, 80), (14, 0, 80), (19, 0, 40)],
    )
    def test_linear_points(self, hour: int, minute: int, expected: float) -> None:
        curve = curve_of()
        assert local(curve, BERLIN, 2026, 6, 1, hour, minute) == pytest.approx(expected)

    def test_smooth_points_ease(self) -> None:
        curve = curve_of(LightProfile((BLUE,), curve=Curve.SMOOTH))
        # Smoothstep at a quarter of the ramp: 0.15625 of 80.
        assert local(curve, BERLIN, 2026, 6, 1, 8, 30) == pytest.approx(12.5)
        assert local(curve, BERLIN, 2026, 6, 1, 9, 0) == pytest.approx(40)

    def test_points_wrap_at_midnight(self) -> None:
        night = Channel("Night", ("light.n",), ((time(6), 0.0), (time(22), 40.0)))
        curve = curve_of(LightProfile((night,)), "Night")
        # 22:00 -> 06:00 falls from 40 to 0 over 8 hours, through midnight.
        assert local(curve, BERLIN, 2026, 6, 1, 0, 0) == pytest.approx(30)
        assert local(curve, BERLIN, 2026, 6, 1, 2, 0) == pytest.approx(20)
        assert local(curve, BERLIN, 2026, 6, 1, 23, 0) == pytest.approx(35)
        assert curve.level_at(curve.end) == pytest.approx(30)

    def test_one_point_is_constant(self) -> None:
        flat = Channel("Flat", ("light.f",), ((time(12), 25.0),))
        curve = curve_of(LightProfile((flat,)), "Flat")
        assert list(steps(curve, curve.start)) == [(curve.start, 25)]
        assert curve.knots == (curve.start, curve.end)

    def test_constant_before_start_and_after_end(self) -> None:
        night = Channel("Night", ("light.n",), ((time(6), 0.0), (time(22), 40.0)))
        curve = curve_of(LightProfile((night,)), "Night")
        assert curve.level_at(curve.start - HOUR) == curve.level_at(curve.start)
        assert curve.level_at(curve.end + 5 * HOUR) == curve.level_at(curve.end)
        assert curve.next_change(curve.end) is None
        assert curve.next_change(curve.end + HOUR) is None

    def test_knots_hold_every_point_and_the_run(self) -> None:
        curve = curve_of()
        assert curve.knots == (
            curve.start,
            at("Europe/Berlin", 2026, 6, 1, 8),
            at("Europe/Berlin", 2026, 6, 1, 10),
            at("Europe/Berlin", 2026, 6, 1, 18),
            at("Europe/Berlin", 2026, 6, 1, 20),
            curve.end,
        )
        assert not curve.flashes

    def test_steps_are_one_percent_each(self) -> None:
        curve = curve_of()
        levels = [level for _, level in steps(curve, curve.start)]
        assert levels == [0, *range(1, 81), *range(79, -1, -1)]
        # The first step of the 2-hour 0 -> 80 ramp: 0.5 % is reached after 45 s.
        assert curve.next_change(curve.start) == at("Europe/Berlin", 2026, 6, 1, 8, 0, 45)

    def test_transition_segments_follow_the_knots(self) -> None:
        curve = curve_of()
        segments = transition_segments(curve, curve.start, timedelta(minutes=30))
        starts = {start for start, _, _ in segments}
        assert set(curve.knots[:-1]) <= starts
        assert segments[-1][1] == 0

    def test_unknown_channel_and_light_are_refused(self) -> None:
        with pytest.raises(ValueError, match="no channel"):
            curve_of(channel="Red")
        with pytest.raises(ValueError, match="no moon"):
            curve_of(channel=MOON)
        with pytest.raises(ValueError, match="not a light"):
            light_curve(
                PROFILE, "light.other", midnight(BERLIN, 2026, 6, 1), zone=BERLIN, seed="s1"
            )
        with pytest.raises(ValueError, match="aware"):
            channel_curve(PROFILE, "Blue", datetime(2026, 6, 1), zone=BERLIN, seed="s1")


class TestCaps:
    """max_level caps after acclimation; a level in (0, min_level) is sent as off."""

    def test_max_level_caps(self) -> None:
        capped = Channel("Blue", BLUE.lights, BLUE.points, max_level=50)
        curve = curve_of(LightProfile((capped,)))
        assert local(curve, BERLIN, 2026, 6, 1, 14) == 50
        assert local(curve, BERLIN, 2026, 6, 1, 9) == pytest.approx(40)
        assert max(level for _, level in steps(curve, curve.start)) == 50

    def test_min_level_sends_low_levels_as_off(self) -> None:
        floored = Channel("Blue", BLUE.lights, BLUE.points, min_level=10)
        curve = curve_of(LightProfile((floored,)))
        assert local(curve, BERLIN, 2026, 6, 1, 8, 10) == 0  # 6.67 % < 10 %
        assert local(curve, BERLIN, 2026, 6, 1, 8, 15) == pytest.approx(10)
        walk = list(steps(curve, curve.start))
        # Off until the ramp reaches 10 %, then on at 10 %; back off below 10 % in the evening.
        assert walk[:3] == [
            (curve.start, 0),
            (at("Europe/Berlin", 2026, 6, 1, 8, 15), 10),
            (at("Europe/Berlin", 2026, 6, 1, 8, 15, 45), 11),
        ]
        assert walk[-2][1] == 10
        assert walk[-1] == (at("Europe/Berlin", 2026, 6, 1, 19, 45) + US, 0)

    def test_cap_comes_after_acclimation(self) -> None:
        capped = Channel("Blue", BLUE.lights, BLUE.points, max_level=50)
        acclimation = Acclimation(date(2026, 6, 1), days=10, start_percent=50)
        curve = curve_of(LightProfile((capped,), acclimation=acclimation))
        # 80 % x 0.5 = 40 %, under the cap.
        assert local(curve, BERLIN, 2026, 6, 1, 14) == pytest.approx(40)


class TestAcclimation:
    """The factor scales acclimated channels only, by the run's local date."""

    ACCLIMATION = Acclimation(date(2026, 6, 1), days=10, start_percent=50)

    @pytest.mark.parametrize(
        ("day", "expected"),
        [((2026, 5, 20), 40), ((2026, 6, 1), 40), ((2026, 6, 6), 60), ((2026, 6, 11), 80)],
    )
    def test_levels_over_the_days(self, day: tuple[int, int, int], expected: float) -> None:
        curve = curve_of(LightProfile((BLUE,), acclimation=self.ACCLIMATION), day=day)
        assert local(curve, BERLIN, *day, 14) == pytest.approx(expected)

    def test_channels_that_do_not_acclimate_keep_their_level(self) -> None:
        fixed = Channel("Blue", BLUE.lights, BLUE.points, acclimate=False)
        curve = curve_of(LightProfile((fixed,), acclimation=self.ACCLIMATION))
        assert local(curve, BERLIN, 2026, 6, 1, 14) == pytest.approx(80)


class TestDst:
    """A 23-hour day skips the missing hour; a 25-hour day plays the repeated hour once."""

    # 01:00 -> 04:00 rises 0 -> 60 %: 20 % per wall-clock hour.
    RAMP = Channel("W", ("light.w",), ((time(1), 0.0), (time(4), 60.0)))
    PROFILE = LightProfile((RAMP,))

    def test_spring_forward_berlin_jumps_over_the_gap(self) -> None:
        curve = curve_of(self.PROFILE, "W", (2026, 3, 29))
        gap = at("Europe/Berlin", 2026, 3, 29, 3)  # 02:00 CET became 03:00 CEST
        assert curve.level_at(gap - US) == pytest.approx(20, abs=1e-6)
        assert curve.level_at(gap) == pytest.approx(40)
        morning = {i: v for i, v in steps(curve, curve.start) if i <= gap + HOUR}
        assert morning[gap] == 40
        assert 21 not in morning.values()
        assert 39 not in morning.values()
        assert gap in curve.knots
        assert curve.end - curve.start == timedelta(hours=23)

    def test_fall_back_berlin_holds_during_the_second_hour(self) -> None:
        curve = curve_of(self.PROFILE, "W", (2026, 10, 25))
        first = at("Europe/Berlin", 2026, 10, 25, 2, 30, fold=0)
        second = at("Europe/Berlin", 2026, 10, 25, 2, 30, fold=1)
        back = at("Europe/Berlin", 2026, 10, 25, 2, fold=1)  # the clock falls back
        again = at("Europe/Berlin", 2026, 10, 25, 3)  # the end of the second 02:00-03:00
        assert curve.level_at(first) == pytest.approx(30)
        assert curve.level_at(back) == pytest.approx(40)
        assert curve.level_at(second) == pytest.approx(40)
        assert curve.level_at(again) == pytest.approx(40)
        assert curve.level_at(again + HOUR / 2) == pytest.approx(50)
        ramp_end = at("Europe/Berlin", 2026, 10, 25, 4)
        walk = [(i, v) for i, v in steps(curve, curve.start) if first - HOUR <= i <= ramp_end]
        instants = [instant for instant, _ in walk]
        assert not any(back < instant <= again for instant in instants)
        levels = [level for _, level in walk]
        assert levels == list(range(11, 61))  # never runs backwards
        assert levels.count(40) == 1
        assert {back, again} <= set(curve.knots)

    def test_new_york_spring_forward(self) -> None:
        curve = curve_of(self.PROFILE, "W", (2026, 3, 8), NEW_YORK)
        gap = at("America/New_York", 2026, 3, 8, 3)
        assert curve.level_at(gap - US) == pytest.approx(20, abs=1e-6)
        assert curve.level_at(gap) == pytest.approx(40)
        assert curve.next_change(gap - timedelta(seconds=1)) == gap

    def test_new_york_fall_back(self) -> None:
        curve = curve_of(self.PROFILE, "W", (2026, 11, 1), NEW_YORK)
        second = at("America/New_York", 2026, 11, 1, 1, 30, fold=1)
        # The repeated hour is 01:00-02:00: the ramp reached 20 % at its first end and holds.
        assert curve.level_at(at("America/New_York", 2026, 11, 1, 1, 30)) == pytest.approx(10)
        assert curve.level_at(second) == pytest.approx(20)
        assert curve.next_change(second) == at("America/New_York", 2026, 11, 1, 2, 1, 30)
        assert curve.end - curve.start == timedelta(hours=25)

    def test_a_run_starting_in_the_repeated_hour(self) -> None:
        start = at("Europe/Berlin", 2026, 10, 25, 2, 30, fold=1)
        curve = channel_curve(self.PROFILE, "W", start, zone=BERLIN, seed="s1")
        assert curve.level_at(start) == pytest.approx(30)
        assert curve.end == midnight(BERLIN, 2026, 10, 26)

    def test_midnight_falling_back_holds_to_the_end(self) -> None:
        # Beirut falls back at midnight: 23:00-24:00 of 24 Oct 2026 happens twice, so the run
        # of the 24th lasts 25 hours and holds its midnight level through the second pass.
        zone = ZoneInfo("Asia/Beirut")
        curve = curve_of(self.PROFILE, "W", (2026, 10, 24), zone)
        assert curve.end - curve.start == timedelta(hours=25)
        first_midnight = at("Asia/Beirut", 2026, 10, 24, 23, 59, 59)
        # 04:00 60 % -> 01:00 0 % falls 60 % in 21 hours; 24:00 is 1 hour short of 01:00.
        assert curve.level_at(first_midnight + timedelta(seconds=1)) == pytest.approx(60 / 21)
        assert curve.level_at(curve.end) == pytest.approx(60 / 21)
        assert curve.next_change(first_midnight + timedelta(seconds=1)) is None

    def test_midnight_in_a_gap(self) -> None:
        # Santiago springs forward at midnight: the 5th's run ends at the 6th's 01:00, where
        # the 6th's run begins with its 01:00 level.
        zone = ZoneInfo("America/Santiago")
        before = curve_of(self.PROFILE, "W", (2026, 9, 5), zone)
        after = channel_curve(self.PROFILE, "W", before.end, zone=zone, seed="s1")
        assert before.end == after.start == at("America/Santiago", 2026, 9, 6, 1)
        # 24 real hours, but the wall clock runs 25: the 6th's 00:00-01:00 is skipped.
        assert before.end - before.start == timedelta(hours=24)
        assert before.level_at(before.end - US) == pytest.approx(60 / 21)
        assert before.level_at(before.end) == after.level_at(after.start) == 0
        assert before.next_change(before.end - timedelta(seconds=1)) == before.end

    def test_storm_now_before_the_transition(self) -> None:
        begin = at("Europe/Berlin", 2026, 10, 25, 1)
        channel = Channel("C", ("light.c",), ((time(12), 50.0),))
        profile = LightProfile((channel,), storm_now=(begin, begin + 2 * HOUR))
        curve = curve_of(profile, "C", (2026, 10, 25))
        assert curve.level_at(begin + HOUR / 2) == pytest.approx(25)
        assert curve.level_at(begin + 3 * HOUR) == pytest.approx(50)


class TestLightCurve:
    """A light on several channels takes the highest level."""

    def test_highest_channel_wins(self) -> None:
        shared = Channel("Shared", ("light.blue_1",), ((time(12), 30.0),))
        profile = LightProfile((BLUE, shared))
        curve = light_curve(
            profile, "light.blue_1", midnight(BERLIN, 2026, 6, 1), zone=BERLIN, seed="s1"
        )
        assert local(curve, BERLIN, 2026, 6, 1, 6) == 30
        assert local(curve, BERLIN, 2026, 6, 1, 14) == 80
        walk = list(steps(curve, curve.start))
        assert walk[0][1] == 30
        assert walk[1] == (at("Europe/Berlin", 2026, 6, 1, 8, 45, 45), 31)
        assert min(level for _, level in walk) == 30

    def test_every_light_of_the_profile_has_a_curve(self) -> None:
        moon = Moonlight(("light.blue_1", "light.moon"), max_level=5, start=time(21), end=time(7))
        profile = LightProfile((BLUE, WHITE), moon=moon)
        assert profile.lights == ("light.blue_1", "light.blue_2", "light.white", "light.moon")
        start = midnight(BERLIN, 2026, 6, 1)
        for light in profile.lights:
            curve = light_curve(profile, light, start, zone=BERLIN, seed="s1")
            assert curve.start == start

    def test_light_of_one_channel_is_that_channel(self) -> None:
        start = midnight(BERLIN, 2026, 6, 1)
        alone = light_curve(PROFILE, "light.white", start, zone=BERLIN, seed="s1")
        channel = channel_curve(PROFILE, "White", start, zone=BERLIN, seed="s1")
        assert list(steps(alone, start)) == list(steps(channel, start))


class TestWeather:
    """Clouds and storms dim weather channels when the profile's weather is on."""

    CLOUDY = LightProfile((BLUE, WHITE), clouds=Clouds(per_hour=2, depth=40, minutes=5))
    STORM = Storm(30, 60, time(15), flash_channel="White", flashes_per_minute=3)

    def test_clouds_dim_and_repeat_for_the_same_date(self) -> None:
        plain = curve_of()
        cloudy = curve_of(self.CLOUDY)
        again = curve_of(self.CLOUDY)
        assert list(steps(cloudy, cloudy.start)) == list(steps(again, again.start))
        probes = [cloudy.start + timedelta(minutes=m) for m in range(0, 24 * 60, 1)]
        dips = [p for p in probes if cloudy.level_at(p) < plain.level_at(p) - 1e-9]
        assert dips  # some cloud passes during the 10 lit hours
        assert all(cloudy.level_at(p) <= plain.level_at(p) + 1e-9 for p in probes)
        assert all(cloudy.level_at(p) >= 0.6 * plain.level_at(p) - 1e-9 for p in probes)
        assert len(cloudy.knots) > len(plain.knots)

    def test_another_date_has_other_clouds(self) -> None:
        today = curve_of(self.CLOUDY)
        tomorrow = curve_of(self.CLOUDY, day=(2026, 6, 2))
        shift = timedelta(days=1)
        assert [round_level(today.level_at(k)) for k in today.knots] != [
            round_level(tomorrow.level_at(k + shift)) for k in today.knots
        ]

    def test_weather_switch_and_channel_option(self) -> None:
        plain = list(steps(curve_of(), curve_of().start))
        off = LightProfile(self.CLOUDY.channels, clouds=self.CLOUDY.clouds, weather=False)
        assert list(steps(curve_of(off), curve_of(off).start)) == plain
        immune = Channel("Blue", BLUE.lights, BLUE.points, weather=False)
        profile = LightProfile((immune,), clouds=self.CLOUDY.clouds, storm=self.STORM)
        assert list(steps(curve_of(profile), curve_of(profile).start)) == plain

    def test_storm_darkens_and_flashes_the_flash_channel(self) -> None:
        profile = LightProfile((BLUE, WHITE), storm=self.STORM)
        blue = curve_of(profile)
        middle = at("Europe/Berlin", 2026, 6, 1, 15, 15)
        assert blue.level_at(middle) == pytest.approx(80 * 0.4)
        assert not blue.flashes
        white = curve_of(profile, "White")
        assert white.flashes
        # White is 0 at 15:00; flashes put it at its max level for 300 ms each.
        storm = (at("Europe/Berlin", 2026, 6, 1, 15), at("Europe/Berlin", 2026, 6, 1, 15, 30))
        walk = [(i, v) for i, v in steps(white, white.start) if storm[0] <= i <= storm[1]]
        ons = [i for i, v in walk if v == 100]
        assert 60 <= len(ons) <= 90
        for (on, level), (off, after) in pairwise(walk):
            if level == 100:
                assert after == 0
                assert off - on >= timedelta(milliseconds=300)
        assert all(i in white.knots for i in ons)

    def test_flash_at_inside_at_the_edges_and_outside(self) -> None:
        profile = LightProfile((BLUE, WHITE), storm=self.STORM)
        white = curve_of(profile, "White")
        storm = (at("Europe/Berlin", 2026, 6, 1, 15), at("Europe/Berlin", 2026, 6, 1, 15, 30))
        walk = [(i, v) for i, v in steps(white, white.start) if storm[0] <= i <= storm[1]]
        spans = [(on, off) for (on, level), (off, _) in pairwise(walk) if level == 100]
        assert spans
        for on, off in spans:
            assert white.flash_at(on)  # the first microsecond is in the flash
            assert white.flash_at(on + (off - on) / 2)
            assert white.flash_at(off - US)
            assert not white.flash_at(off)  # the end is not
            assert not white.flash_at(on - US)
        probes = [storm[0] + timedelta(seconds=s) for s in range(0, 30 * 60, 7)]
        assert all(white.flash_at(p) == (white.level_at(p) == 100) for p in probes)
        # Outside the storm, before and after the run, and on a channel that does not flash.
        assert not white.flash_at(storm[0] - HOUR)
        assert not white.flash_at(white.start - timedelta(days=1))
        assert not white.flash_at(white.end + timedelta(days=1))
        blue = curve_of(profile)
        assert not any(blue.flash_at(on) for on, _ in spans)
        # A light of both channels flashes with the flash channel.
        both = Channel("White", ("light.blue_1",), WHITE.points)
        mixed = light_curve(
            LightProfile((BLUE, both), storm=self.STORM),
            "light.blue_1",
            white.start,
            zone=BERLIN,
            seed="s1",
        )
        assert all(mixed.flash_at(on) and not mixed.flash_at(off) for on, off in spans)

    def test_storm_now_without_a_storm_definition(self) -> None:
        begin = at("Europe/Berlin", 2026, 6, 1, 12)
        profile = LightProfile((BLUE,), storm_now=(begin, begin + timedelta(minutes=20)))
        curve = curve_of(profile)
        assert curve.level_at(begin + timedelta(minutes=10)) == pytest.approx(40)
        assert curve.level_at(begin + timedelta(minutes=21)) == pytest.approx(80)
        assert not curve.flashes


class TestMoon:
    """The moon channel: max_level x the night's fraction during its hours."""

    def test_fixed_hours(self) -> None:
        moon = Moonlight(("light.blue_1",), max_level=5, start=time(21), end=time(7))
        profile = LightProfile((BLUE,), moon=moon)
        curve = curve_of(profile, MOON, (2026, 3, 3))
        # Full moon on 3 Mar 2026 (the total lunar eclipse); the night of the 2nd holds the
        # midnight starting the 3rd, the night of the 3rd the midnight ending it.
        assert local(curve, BERLIN, 2026, 3, 3, 3) == pytest.approx(5, abs=0.05)
        assert local(curve, BERLIN, 2026, 3, 3, 12) == 0
        assert local(curve, BERLIN, 2026, 3, 3, 22) == pytest.approx(5, abs=0.05)
        walk = list(steps(curve, curve.start))
        assert [level for _, level in walk] == [5, 0, 5]
        assert [i for i, _ in walk[1:]] == [
            at("Europe/Berlin", 2026, 3, 3, 7),
            at("Europe/Berlin", 2026, 3, 3, 21),
        ]

    def test_new_moon_is_dark(self) -> None:
        moon = Moonlight(("light.m",), max_level=5, start=time(21), end=time(7))
        curve = curve_of(LightProfile((BLUE,), moon=moon), MOON, (2026, 8, 12))
        assert list(steps(curve, curve.start)) == [(curve.start, 0)]

    def test_moonrise_to_moonset(self) -> None:
        rise = at("Europe/Berlin", 2026, 6, 1, 22, 10)
        moonset = at("Europe/Berlin", 2026, 6, 2, 5, 40)
        earlier = (at("Europe/Berlin", 2026, 5, 31, 21, 20), at("Europe/Berlin", 2026, 6, 1, 4, 30))
        windows = {date(2026, 6, 1): (rise, moonset), date(2026, 5, 31): earlier}
        moon = Moonlight(("light.blue_1",), max_level=10)
        profile = LightProfile((BLUE,), moon=moon)
        curve = channel_curve(
            profile, MOON, midnight(BERLIN, 2026, 6, 1), zone=BERLIN, seed="s1",
            moon_window=windows.get,
        )  # fmt: skip
        walk = list(steps(curve, curve.start))
        assert [i for i, _ in walk] == [curve.start, earlier[1], rise]
        assert walk[0][1] == walk[2][1] == 10  # full moon on 31 May
        dark = channel_curve(profile, MOON, midnight(BERLIN, 2026, 6, 1), zone=BERLIN, seed="s")
        assert list(steps(dark, dark.start)) == [(dark.start, 0)]

    def test_moon_shares_a_light_with_a_day_channel(self) -> None:
        moon = Moonlight(("light.blue_1",), max_level=5, start=time(21), end=time(7))
        profile = LightProfile((BLUE,), moon=moon)
        curve = light_curve(
            profile, "light.blue_1", midnight(BERLIN, 2026, 3, 3), zone=BERLIN, seed="s1"
        )
        assert local(curve, BERLIN, 2026, 3, 3, 3) == pytest.approx(5, abs=0.05)
        assert local(curve, BERLIN, 2026, 3, 3, 14) == 80
        assert local(curve, BERLIN, 2026, 3, 3, 19, 30) == pytest.approx(20)
        assert local(curve, BERLIN, 2026, 3, 3, 21, 30) == pytest.approx(5, abs=0.05)


# --- properties ------------------------------------------------------------------------------

ZONES = st.sampled_from(
    [
        *(BERLIN, NEW_YORK, ZoneInfo("UTC"), ZoneInfo("Australia/Lord_Howe")),
        *(ZoneInfo("Asia/Kolkata"), ZoneInfo("America/Santiago"), ZoneInfo("Asia/Beirut")),
    ]
)
DAYS = st.sampled_from(
    [
        *(date(2026, 3, 29), date(2026, 10, 25), date(2026, 3, 8), date(2026, 11, 1)),
        *(date(2026, 4, 5), date(2026, 10, 4)),  # Lord Howe's half-hour shifts
        *(date(2026, 9, 5), date(2026, 4, 4), date(2026, 10, 24)),  # shifts at midnight
        date(2026, 6, 1),
    ]
)
LEVELS = st.one_of(st.floats(min_value=0, max_value=100), st.integers(0, 200).map(lambda n: n / 2))


@st.composite
def channels(draw: st.DrawFn) -> Channel:
    """Draw a channel with 1-6 points at distinct whole minutes and random caps."""
    minutes = draw(st.lists(st.integers(0, 24 * 60 - 1), min_size=1, max_size=6, unique=True))
    points = tuple((time(m // 60, m % 60), draw(LEVELS)) for m in sorted(minutes))
    low = draw(st.sampled_from([0.0, 0.0, 5.0, 12.5]))
    high = draw(st.sampled_from([100.0, 100.0, 70.0, 33.3]))
    return Channel("C", ("light.c",), points, min_level=low, max_level=max(low, high))


@st.composite
def profiles(draw: st.DrawFn) -> LightProfile:
    """Draw a profile of one channel with optional acclimation and weather."""
    acclimation = draw(
        st.none()
        | st.builds(
            Acclimation,
            st.just(date(2026, 6, 1)),
            st.integers(1, 60),
            LEVELS.filter(lambda v: v >= 1),
        )
    )
    clouds = draw(
        st.none() | st.builds(Clouds, st.floats(0, 12), st.floats(0, 90), st.floats(0.5, 60))
    )
    storm = draw(
        st.none()
        | st.builds(
            Storm,
            st.floats(1, 240),
            st.floats(0, 90),
            st.times(),
            flash_channel=st.sampled_from([None, "C"]),
            flashes_per_minute=st.floats(0, 10),
        )
    )
    moon = draw(
        st.none() | st.builds(Moonlight, st.just(("light.c",)), LEVELS, st.times(), st.times())
    )
    storm_now = None
    if draw(st.booleans()):
        begin = draw(
            st.datetimes(datetime(2026, 3, 1), datetime(2026, 11, 30), timezones=st.just(UTC))
        )
        storm_now = (begin, begin + draw(st.timedeltas(timedelta(0), timedelta(hours=3))))
    return LightProfile(
        (draw(channels()),),
        curve=draw(st.sampled_from(Curve)),
        moon=moon,
        acclimation=acclimation,
        clouds=clouds,
        storm=storm,
        weather=draw(st.booleans()),
        storm_now=storm_now,
    )


class TestProperties:
    """next_change is never early and exact; levels stay within [0, cap]."""

    @settings(max_examples=150)
    @given(
        profile=profiles(),
        zone=ZONES,
        day=DAYS,
        fractions=st.lists(st.floats(0, 1.02), min_size=1, max_size=4),
    )
    def test_next_change_contract(
        self, profile: LightProfile, zone: ZoneInfo, day: date, fractions: list[float]
    ) -> None:
        curve = light_curve(
            profile, "light.c", midnight(zone, day.year, day.month, day.day), zone=zone, seed="p"
        )
        for fraction in fractions:
            assert_quiet_until_change(curve, curve.start + (curve.end - curve.start) * fraction)

    @settings(max_examples=60)
    @given(profile=profiles(), zone=ZONES, day=DAYS)
    def test_steps_stay_within_the_cap_and_end_constant(
        self, profile: LightProfile, zone: ZoneInfo, day: date
    ) -> None:
        curve = light_curve(
            profile, "light.c", midnight(zone, day.year, day.month, day.day), zone=zone, seed="p"
        )
        channel = profile.channels[0]
        cap = max(channel.max_level, profile.moon.max_level if profile.moon else 0.0)
        walk = list(steps(curve, curve.start))
        for (instant, level), (following, _) in pairwise(walk):
            assert instant < following
            assert 0 <= level <= round_level(cap)
        assert all(instant <= curve.end for instant, _ in walk)
        assert walk[-1][1] == round_level(curve.level_at(curve.end))
        assert curve.level_at(curve.end + timedelta(days=2)) == curve.level_at(curve.end)
        assert curve.knots[0] == curve.start
        assert curve.knots[-1] == curve.end


def test_a_long_storm_now_is_bounded_to_the_run() -> None:
    begin = at("Europe/Berlin", 2026, 5, 1)
    storm = Storm(20, 50, flash_channel="Blue", flashes_per_minute=10)
    profile = LightProfile((BLUE,), storm=storm, storm_now=(begin, begin + timedelta(days=365)))
    curve = curve_of(profile)
    assert curve.flashes
    level = curve.level_at(at("Europe/Berlin", 2026, 6, 1, 14))
    assert level == 100 or level == pytest.approx(40)
    # About 10 flashes a minute over the 24 hours of the run.
    assert 10 * 60 * 24 <= len(curve.knots) <= 2 * 10 * 60 * 24 + 20
