"""Tests for wave_curve: each mode's instants, night switches, pump protection, DST, midnight."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.reef_scheduler.engine import validate_wave
from custom_components.reef_scheduler.engine.light_curve import day_end
from custom_components.reef_scheduler.engine.model import ScheduleInvalid
from custom_components.reef_scheduler.engine.profile import round_level, steps
from custom_components.reef_scheduler.engine.timeline import resolve_local
from custom_components.reef_scheduler.engine.validate import validate_schedule
from custom_components.reef_scheduler.engine.wave import (
    random_block,
    to_us,
    wave_curve,
)
from custom_components.reef_scheduler.engine.wave_model import (
    WaveMode,
    WaveNight,
    WavePattern,
    WaveSettings,
)

S = timedelta(seconds=1)
UTC_ZONE = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
PUMPS = ("switch.left", "switch.right")
FANS = ("fan.left", "number.right")
# 2026-11-29 00:00 UTC: a whole number of hours (and minutes) after the epoch.
DAY = datetime(2026, 11, 29, tzinfo=UTC)


def curve(
    pattern: WavePattern, pump: str, start: datetime = DAY, zone: ZoneInfo = UTC_ZONE
) -> object:
    return wave_curve(pattern, pump, start, day_end(start, zone), zone=zone, seed="waves")


def levels(
    pattern: WavePattern, pump: str, *offsets: float, zone: ZoneInfo = UTC_ZONE
) -> list[int]:
    found = wave_curve(pattern, pump, DAY, day_end(DAY, zone), zone=zone, seed="waves")
    return [round_level(found.level_at(DAY + offset * S)) for offset in offsets]


def changes(pattern: WavePattern, pump: str, hours: float = 1.0) -> list[tuple[float, int]]:
    """Return (seconds after DAY, level) at the start and each change over some hours."""
    found = wave_curve(pattern, pump, DAY, day_end(DAY, UTC_ZONE), zone=UTC_ZONE, seed="waves")
    horizon = DAY + timedelta(hours=hours)
    result = []
    for at, level in steps(found, DAY):
        if at >= horizon:
            break
        result.append(((at - DAY).total_seconds(), level))
    return result


def test_alternate_takes_turns() -> None:
    pattern = WavePattern(
        ("switch.a", "switch.b", "switch.c"), WaveSettings(WaveMode.ALTERNATE, on=20 * S)
    )
    # 2026-11-29 00:00 UTC is slot 89 795 520 of 20 s since the epoch: % 3 == 0, pump a.s turn.
    assert changes(pattern, "switch.a", hours=0.025) == [(0, 100), (20, 0), (60, 100), (80, 0)]
    assert changes(pattern, "switch.b", hours=0.025) == [(0, 0), (20, 100), (40, 0), (80, 100)]
    assert levels(pattern, "switch.c", 39.999, 40, 59.999, 60) == [0, 100, 100, 0]


def test_pulse_and_max_speed() -> None:
    pattern = WavePattern(FANS, WaveSettings(WaveMode.PULSE, on=10 * S, off=50 * S, max_speed=70))
    assert changes(pattern, "fan.left", hours=0.025) == [(0, 70), (10, 0), (60, 70), (70, 0)]
    # Every pump alike.
    assert changes(pattern, "number.right", hours=0.05) == changes(pattern, "fan.left", 0.05)


def test_sine_spreads_the_pumps_over_the_period() -> None:
    settings_ = WaveSettings(WaveMode.SINE, period=600 * S, min_speed=20, max_speed=80)
    pattern = WavePattern(FANS, settings_)
    # Pump 0 starts the period at its lowest; pump 1 of 2 half a period later (its highest).
    assert levels(pattern, "fan.left", 0, 150, 300, 450) == [20, 50, 80, 50]
    assert levels(pattern, "number.right", 0, 150, 300, 450) == [80, 50, 20, 50]
    found = changes(pattern, "fan.left", hours=600 / 3600)
    # Up by one percent at a time to 80, then down to 20: 60 + 60 changes and the start.
    assert [level for _, level in found[:3]] == [20, 21, 22]
    assert len(found) == 121
    assert all(abs(a[1] - b[1]) == 1 for a, b in pairwise(found))


def test_ramped_pulse() -> None:
    settings_ = WaveSettings(
        WaveMode.RAMPED_PULSE, on=20 * S, off=10 * S, ramp=5 * S, min_speed=10, max_speed=50
    )
    pattern = WavePattern(FANS, settings_)
    # Cycle of 40 s from the epoch: up 0..5, top 5..25, down 25..30, bottom 30..40.
    assert levels(pattern, "fan.left", 0, 2.5, 5, 24, 27.5, 30, 39) == [10, 30, 50, 50, 30, 10, 10]
    found = changes(pattern, "fan.left", hours=40 / 3600)
    assert found[0] == (0, 10)
    assert len(found) == 1 + 40 + 40


def test_constant_variable_wave_never_changes() -> None:
    pattern = WavePattern(
        FANS, WaveSettings(WaveMode.SINE, period=60 * S, min_speed=50, max_speed=50)
    )
    assert changes(pattern, "fan.left") == [(0, 50)]


def test_random_fills_each_hour_within_the_bounds() -> None:
    bounds = (10, 20, 60, 90)
    for block in range(200):
        edges = random_block("waves", "switch.left", block, bounds)
        ends = [*edges[1:], 3600]
        lengths = [b - a for a, b in zip(edges, ends, strict=True)]
        assert edges[0] == 0
        assert all(10 <= on <= 60 for on in lengths[0::2]), lengths
        assert all(20 <= off <= 90 for off in lengths[1::2]), lengths
        assert sum(lengths) == 3600
        assert len(lengths) % 2 == 0  # every hour starts with on and ends with off
    assert random_block("waves", "switch.left", 7, bounds) == random_block(
        "waves", "switch.left", 7, bounds
    )
    assert random_block("waves", "switch.right", 7, bounds) != random_block(
        "waves", "switch.left", 7, bounds
    )
    with pytest.raises(ValueError, match="fill"):
        random_block("waves", "switch.left", 7, (7, 7, 7, 7))


def test_random_follows_its_block() -> None:
    settings_ = WaveSettings(WaveMode.RANDOM, 10 * S, 20 * S, 60 * S, 90 * S)
    pattern = WavePattern(PUMPS, settings_)
    block = to_us(DAY) // 3_600_000_000
    edges = random_block("waves", "switch.left", block, (10, 20, 60, 90))
    assert changes(pattern, "switch.left") == [
        (edge, 100 if index % 2 == 0 else 0) for index, edge in enumerate(edges)
    ]
    # Another seed, another sequence; the same seed, the same one.
    other = wave_curve(
        pattern, "switch.left", DAY, DAY + timedelta(days=1), zone=UTC_ZONE, seed="x"
    )
    assert [at for at, _ in steps(other, DAY)][:20] != [DAY + edge * S for edge in edges[:20]]


def test_arguments_are_checked() -> None:
    pattern = WavePattern(PUMPS, WaveSettings(WaveMode.ALTERNATE))
    with pytest.raises(ValueError, match="pump"):
        wave_curve(pattern, "switch.other", DAY, DAY + S, zone=UTC_ZONE, seed="x")
    with pytest.raises(ValueError, match="aware"):
        wave_curve(pattern, "switch.left", DAY.replace(tzinfo=None), DAY, zone=UTC_ZONE, seed="x")


def test_constant_outside_the_run() -> None:
    pattern = WavePattern(PUMPS, WaveSettings(WaveMode.PULSE, on=30 * S, off=30 * S))
    found = wave_curve(pattern, "switch.left", DAY, DAY + 45 * S, zone=UTC_ZONE, seed="x")
    assert found.knots == (DAY, DAY + 45 * S)
    assert found.level_at(DAY - timedelta(hours=1)) == 100
    assert found.level_at(DAY + timedelta(hours=1)) == 0
    assert found.next_change(DAY + 40 * S) is None
    assert found.next_change(DAY + 45 * S) is None
    assert found.next_change(DAY) == DAY + 30 * S


# --- night ----------------------------------------------------------------------------------

NIGHT_PULSE = WaveSettings(WaveMode.PULSE, on=10 * S, off=50 * S)


def test_night_switches_after_min_on_and_the_next_change() -> None:
    day = WaveSettings(WaveMode.PULSE, on=40 * S, off=20 * S)
    pattern = WavePattern(PUMPS, day, WaveNight(time(22), time(7), NIGHT_PULSE), min_on=30 * S)
    found = curve(pattern, "switch.left")
    start = DAY + timedelta(hours=7)
    # At 07:00 the night's pulse has just gone on: it stays on for min_on (30 s), then until
    # the day's next change (07:00:40 off), from which the day's pulse runs.
    assert [(round((at - start).total_seconds()), level) for at, level in steps(found, start)][
        :5
    ] == [(0, 100), (40, 0), (60, 100), (100, 0), (120, 100)]
    evening = DAY + timedelta(hours=22)
    # At 22:00 the day's pulse has just gone on (40 s): kept 30 s, then the night's next
    # change is 22:00:10 (off) ... already past: its next, 22:01:00 (on), keeps it on to 22:01:10.
    assert [(round((at - evening).total_seconds()), level) for at, level in steps(found, evening)][
        :4
    ] == [(0, 100), (70, 0), (120, 100), (130, 0)]


def test_night_variable_and_back() -> None:
    night = WaveSettings(WaveMode.SINE, period=600 * S, min_speed=20, max_speed=40)
    day = WaveSettings(WaveMode.PULSE, on=30 * S, off=30 * S, max_speed=90)
    pattern = WavePattern(FANS, day, WaveNight(time(22), time(6, 0, 10), night))
    found = curve(pattern, "fan.left")
    assert round_level(found.level_at(DAY + timedelta(hours=3))) in range(20, 41)
    # 06:00:10 (sine -> pulse, on since 06:00): the sine's level is held until the pulse's
    # next change (06:00:30, off), from which the pulse runs.
    switch = DAY + timedelta(hours=6, seconds=10)
    held = found.level_at(switch)
    assert round_level(held) == round_level(found.level_at(switch - timedelta(microseconds=1)))
    assert found.level_at(switch + 19 * S) == held
    assert [round_level(found.level_at(switch + n * S)) for n in (20, 50)] == [0, 90]
    # 22:00 (pulse -> sine): the pulse's on began at 22:00, kept 5 s, then the sine runs.
    ten = DAY + timedelta(hours=22)
    assert round_level(found.level_at(ten + 4 * S)) == 90
    assert round_level(found.level_at(ten + 5 * S)) in range(20, 41)


def test_night_switch_on_a_dst_day_is_at_the_gap_end() -> None:
    """Europe/Berlin 2026-03-29: 02:30 does not exist; the night starts at 03:00 (CEST)."""
    day = WaveSettings(WaveMode.PULSE, on=3600 * S, off=3600 * S)
    night = WaveSettings(WaveMode.PULSE, on=60 * S, off=60 * S)
    pattern = WavePattern(PUMPS, day, WaveNight(time(2, 30), time(12), night), min_on=0 * S)
    start = resolve_local(datetime(2026, 3, 29), BERLIN)
    assert start is not None
    found = wave_curve(pattern, "switch.left", start, day_end(start, BERLIN), zone=BERLIN, seed="x")
    gap_end = datetime(2026, 3, 29, 1, tzinfo=UTC)  # 03:00 CEST
    # No switch at 00:30 or 01:30 UTC (02:30 read with either offset): the day's hourly pulse
    # (on 00:00..01:00 UTC) runs on to the gap's end. There its off has just begun: it is kept
    # for min_off (5 s), then until the night's next change (01:01, its minute pulse going
    # off), so the first night on is at 01:02.
    assert found.next_change(gap_end - timedelta(minutes=59)) == gap_end
    assert found.level_at(gap_end - S) == 100
    assert [round_level(found.level_at(gap_end + n * S)) for n in (0, 59, 60, 119, 120)] == [
        0,
        0,
        0,
        0,
        100,
    ]


# --- properties -----------------------------------------------------------------------------


def _segments(
    pattern: WavePattern, pump: str, first: date, days: int, zone: ZoneInfo
) -> Iterator[tuple[bool, datetime, datetime]]:
    """Yield (on, start, end) of each whole on/off over consecutive runs, as the runner does."""
    previous: tuple[bool, datetime] | None = None
    whole = False  # the first on/off began before the first run
    for offset in range(days):
        start = resolve_local(datetime.combine(first + timedelta(days=offset), time()), zone)
        assert start is not None
        end = day_end(start, zone)
        found = wave_curve(pattern, pump, start, end, zone=zone, seed="prop")
        for at, level in steps(found, start):
            if at >= end:
                break
            on = level > 0
            if previous is None:
                previous = (on, at)
            elif on != previous[0]:
                if whole:
                    yield previous[0], previous[1], at
                previous, whole = (on, at), True


@st.composite
def on_off(draw: st.DrawFn, count: int) -> WaveSettings:
    mode = draw(st.sampled_from([WaveMode.ALTERNATE, WaveMode.PULSE, WaveMode.RANDOM]))
    on = draw(st.integers(20, 300)) * S
    off = draw(st.integers(20, 300)) * S
    if mode is WaveMode.RANDOM:
        on_max = on + draw(st.integers(0, 300)) * S
        off_max = off + draw(st.integers(0, 300)) * S
        return WaveSettings(mode, on, off, on_max, off_max)
    return WaveSettings(mode, on, off)


@st.composite
def protected(draw: st.DrawFn) -> tuple[WavePattern, ZoneInfo, date]:
    count = draw(st.integers(2, 3))
    pumps = tuple(f"switch.p{index}" for index in range(count))
    day = draw(on_off(count))
    night_settings = draw(on_off(count))
    start = draw(st.integers(0, 23 * 60 - 1)) * 60
    length = draw(st.integers(4 * 3600, 20 * 3600))
    end = (start + length) % 86_400
    night = WaveNight(
        time(start // 3600, start // 60 % 60),
        time(end // 3600, end // 60 % 60),
        night_settings,
    )
    shortest = min(
        [day.on, night_settings.on]
        + [one.off for one in (day, night_settings) if one.mode is not WaveMode.ALTERNATE]
    )
    limit = int(shortest.total_seconds())
    pattern = WavePattern(
        pumps,
        day,
        night,
        min_on=draw(st.integers(0, min(limit, 600))) * S,
        min_off=draw(st.integers(0, min(limit, 600))) * S,
    )
    zone = ZoneInfo(draw(st.sampled_from(["Europe/Berlin", "Australia/Lord_Howe", "UTC"])))
    first = draw(
        st.sampled_from([date(2026, 3, 28), date(2026, 10, 24), date(2026, 4, 4), date(2026, 7, 1)])
    )
    return pattern, zone, first


def _accepted(case: tuple[WavePattern, ZoneInfo, date]) -> bool:
    """Return True for a pattern the validation accepts."""
    pattern = case[0]
    spec = validate_wave.wave_to_dict(pattern)
    try:
        validate_schedule({"id": "w", "type": "wave", "wave": spec}, default_timezone="UTC")
    except ScheduleInvalid:
        return False
    return True


@settings(max_examples=150, deadline=None)
@given(protected().filter(_accepted))
def test_min_on_and_off_hold_over_days_with_night_switches_and_dst(
    case: tuple[WavePattern, ZoneInfo, date],
) -> None:
    pattern, zone, first = case
    for on, start, end in _segments(pattern, pattern.pumps[-1], first, 3, zone):
        shortest = pattern.min_on if on else pattern.min_off
        assert end - start >= shortest, (on, start, end)


@settings(max_examples=60, deadline=None)
@given(protected().filter(_accepted))
def test_runs_join_at_midnight(case: tuple[WavePattern, ZoneInfo, date]) -> None:
    """Each day's run gives the levels one long run would: midnight cuts nothing."""
    pattern, zone, first = case
    pump = pattern.pumps[0]
    start = resolve_local(datetime.combine(first, time()), zone)
    assert start is not None
    middle = day_end(start, zone)
    end = day_end(middle, zone)
    whole = wave_curve(pattern, pump, start, end, zone=zone, seed="s")
    today = wave_curve(pattern, pump, start, middle, zone=zone, seed="s")
    tomorrow = wave_curve(pattern, pump, middle, end, zone=zone, seed="s")
    for minutes in range(-90, 90, 7):
        at = middle + timedelta(minutes=minutes, seconds=minutes % 13)
        part = today if at < middle else tomorrow
        assert part.level_at(at) == whole.level_at(at)
    after_today = [at for at, _ in steps(whole, middle - timedelta(hours=1)) if at < middle]
    assert after_today == [at for at, _ in steps(today, middle - timedelta(hours=1)) if at < middle]
    assert [at for at, _ in steps(whole, middle)][:30] == [at for at, _ in steps(tomorrow, middle)][
        :30
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(WaveMode),
    st.integers(0, 86_000),
    st.sampled_from(["fan.left", "number.right"]),
)
def test_next_change_is_exact(mode: WaveMode, second: int, pump: str) -> None:
    """The rounded level holds until next_change and differs from it on."""
    variable = {
        WaveMode.SINE: WaveSettings(mode, period=77 * S, min_speed=3, max_speed=97),
        WaveMode.RAMPED_PULSE: WaveSettings(
            mode, on=7 * S, off=5 * S, ramp=13 * S, min_speed=0, max_speed=60
        ),
    }
    settings_ = variable.get(mode, WaveSettings(mode, 7 * S, 9 * S, 31 * S, 17 * S))
    pattern = WavePattern(FANS, settings_)
    found = curve(pattern, pump)
    at = DAY + second * S + timedelta(microseconds=second * 11)
    following = found.next_change(at)
    assert following is not None
    current = round_level(found.level_at(at))
    assert round_level(found.level_at(following - timedelta(microseconds=1))) == current
    assert round_level(found.level_at(following)) != current


def test_a_resumed_pump_keeps_its_state_rather_than_switch_for_less_than_the_minimum() -> None:
    pattern = WavePattern(
        PUMPS, WaveSettings(WaveMode.PULSE, 30 * S, 30 * S), min_on=20 * S, min_off=0 * S
    )
    found = curve(pattern, "switch.left")
    late = DAY + 25 * S  # 5 s before the on ends
    kept = found.resume(late, 0.0)
    assert [round_level(kept.level_at(late + n * S)) for n in (0, 4, 5, 34, 35)] == [
        0,
        0,
        0,
        0,
        100,
    ]
    assert kept.next_change(late) == DAY + 60 * S
    assert kept.next_change(DAY - timedelta(hours=1)) == late
    # 25 s of on are left: switched on at once; already on, or following its own level: as is.
    assert found.resume(DAY + 5 * S, 0.0) is found
    assert found.resume(late, 100.0) is found
    # Off for 30 s with no minimum off: switched off even for the last second.
    assert found.resume(DAY + 59 * S, 100.0) is found
    ramped = WaveSettings(WaveMode.SINE, period=60 * S, min_speed=0, max_speed=100)
    sine = curve(WavePattern(FANS, ramped, min_on=50 * S), "fan.left")
    assert sine.resume(DAY + 29 * S, 0.0) is sine
