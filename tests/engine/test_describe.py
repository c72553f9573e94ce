"""One line per schedule: every kind of timing and every action, rendered with en.json."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from custom_components.reef_scheduler.engine.describe import (
    Listing,
    Phrase,
    Term,
    describe,
    duration,
    offset,
    phrase,
    render,
    shortened,
)
from custom_components.reef_scheduler.engine.dosing_model import Dosing
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
    CronTiming,
    Frequency,
    IntervalTiming,
    OneOffTiming,
    RecurringTiming,
    Schedule,
    SunEvent,
    SunTiming,
    Target,
    Timing,
)
from custom_components.reef_scheduler.engine.profile import Curve
from custom_components.reef_scheduler.engine.wave_model import (
    WaveMode,
    WaveNight,
    WavePattern,
    WaveSettings,
)

BERLIN = ZoneInfo("Europe/Berlin")
SELECTORS = json.loads(
    (Path(__file__).parents[2] / "custom_components/reef_scheduler/translations/en.json").read_text(
        "utf-8"
    )
)["selector"]
NAMES = {
    "light.reef_blue": "Reef Blue",
    "light.reef_white": "Reef White",
    "switch.wave": "Wave pump",
    "switch.return": "Return pump",
    "light.moon": "Moon",
    "dev1": "LED bar",
    "area1": "Sump",
}
BLUE = Target(entity_ids=("light.reef_blue",))


def templates(group: str, key: str) -> str:
    return str(SELECTORS[group]["options"][key])


def name(kind: str, item: str) -> str:
    assert kind in ("entity", "device", "area")
    return NAMES.get(item, item)


def line(timing: Timing, action: Action) -> str:
    schedule = Schedule("s", "S", timing, action)
    return render(describe(schedule, BERLIN).line, templates, name)


def daily(*times: time, **fields: object) -> RecurringTiming:
    return RecurringTiming(Frequency.DAILY, times, **fields)  # type: ignore[arg-type]


ON = Action(ActionType.ON, Target(entity_ids=("switch.wave",)))


def test_examples_of_the_issue() -> None:
    ramp = Action(ActionType.RAMP, BLUE, level=80, start_level=0, duration=timedelta(hours=1))
    assert line(daily(time(9)), ramp) == "Daily 09:00 · Ramp Reef Blue 0 → 80 % over 1 h"
    pulse = Action(ActionType.ON, ON.target, duration=timedelta(minutes=5))
    assert (
        line(IntervalTiming(timedelta(minutes=15)), pulse)
        == "Every 15 min · Turn on Wave pump for 5 min"
    )
    weekdays = RecurringTiming(
        Frequency.WEEKLY, (time(19), time(7, 30)), weekdays=frozenset(range(5))
    )
    off = Action(ActionType.OFF, Target(entity_ids=("switch.return",)))
    assert line(weekdays, off) == "Weekdays 07:30, 19:00 · Turn off Return pump"
    moon = Action(ActionType.SET_LEVEL, Target(entity_ids=("light.moon",)), level=5)
    sunset = SunTiming(SunEvent.SUNSET, offset=timedelta(minutes=-30))
    assert line(sunset, moon) == "Sunset \u221230 min · Set level Moon 5 %"
    custom = Action(ActionType.CUSTOM, sequence=({"delay": 1},) * 3)
    once = OneOffTiming(datetime(2026, 12, 24, 7, 0, tzinfo=UTC))
    assert line(once, custom) == "Once 2026-12-24 08:00 · Custom actions (3 steps)"


@pytest.mark.parametrize(
    ("timing", "text"),
    [
        (daily(time(9), time(21, 0, 30)), "Daily 09:00, 21:00:30"),
        (daily(time(9), every=3), "Every 3 days 09:00"),
        (daily(time(9), weekdays=frozenset({5, 6})), "Weekends 09:00"),
        (daily(time(9), weekdays=frozenset(range(7))), "Daily 09:00"),
        (daily(time(9), weekdays=frozenset({0, 2, 4})), "Mon, Wed, Fri 09:00"),
        (
            daily(time(9), weekdays=frozenset({0, 2}), every=2),
            "Every 2 days 09:00 (Mon, Wed)",
        ),
        (
            RecurringTiming(Frequency.WEEKLY, (time(8),), weekdays=frozenset({1}), every=2),
            "Every 2 weeks, Tue 08:00",
        ),
        (
            RecurringTiming(Frequency.WEEKLY, (time(8),), every=2),
            "Every 2 weeks, Mon, Tue, Wed, Thu, Fri, Sat, Sun 08:00",
        ),
        (
            RecurringTiming(Frequency.MONTHLY, (time(8),), month_days=(15, 1, -1)),
            "Monthly (last day, 1, 15) 08:00",
        ),
        (
            RecurringTiming(Frequency.MONTHLY, (time(8),), nth_weekdays=((1, 0), (-1, 4)), every=3),
            "Every 3 months (Last Friday, 1st Monday) 08:00",
        ),
        (
            RecurringTiming(Frequency.MONTHLY, (time(8),), month_days=(1, 2, 3, 4, 5)),
            "Monthly (1, 2, 3 and 2 more) 08:00",
        ),
        (daily(*(time(hour) for hour in range(8, 14))), "Daily 08:00, 09:00, 10:00 and 3 more"),
        (IntervalTiming(timedelta(days=1, hours=2, seconds=5)), "Every 1 d 2 h 5 s"),
        (CronTiming("0 9 * * mon-fri"), "Cron 0 9 * * mon-fri"),
        (SunTiming(SunEvent.SUNRISE), "Sunrise"),
        (SunTiming(SunEvent.NOON, offset=timedelta(hours=1)), "Solar noon +1 h"),
        (
            SunTiming(SunEvent.DAWN, weekdays=frozenset({5, 6})),
            "Dawn (Sat, Sun)",
        ),
        (OneOffTiming(datetime(2026, 7, 1, 6, 0, 5, tzinfo=UTC)), "Once 2026-07-01 08:00:05"),
    ],
)
def test_timings(timing: Timing, text: str) -> None:
    assert line(timing, ON).removesuffix(" · Turn on Wave pump") == text


@pytest.mark.parametrize(
    ("action", "text"),
    [
        (Action(ActionType.OFF, BLUE), "Turn off Reef Blue"),
        (Action(ActionType.TOGGLE, BLUE), "Toggle Reef Blue"),
        (Action(ActionType.SET_LEVEL, BLUE, level=12.5), "Set level Reef Blue 12.5 %"),
        (
            Action(ActionType.SET_PWM, BLUE, level=40, duration=timedelta(hours=2)),
            "Set PWM Reef Blue 40 % for 2 h",
        ),
        (
            Action(ActionType.RAMP, BLUE, level=80, duration=timedelta(minutes=90)),
            "Ramp Reef Blue to 80 % over 1 h 30 min",
        ),
        (
            Action(
                ActionType.RAMP,
                BLUE,
                level=0,
                start_level=100,
                duration=timedelta(hours=1),
                curve=Curve.SMOOTH,
            ),
            "Ramp Reef Blue 100 → 0 % over 1 h, smooth",
        ),
        (Action(ActionType.CUSTOM, sequence=({"delay": 1},)), "Custom actions (1 step)"),
        (
            Action(
                ActionType.ON,
                Target(
                    entity_ids=("light.reef_blue", "light.reef_white"),
                    device_ids=("dev1",),
                    area_ids=("area1",),
                ),
            ),
            "Turn on Reef Blue, Reef White and 2 more",
        ),
        (
            Action(ActionType.ON, Target(device_ids=("dev1",), area_ids=("area1", "gone"))),
            "Turn on LED bar, Sump, gone",
        ),
    ],
)
def test_actions(action: Action, text: str) -> None:
    assert line(daily(time(9)), action) == f"Daily 09:00 · {text}"


def test_phrases_name_their_parts() -> None:
    description = describe(Schedule("s", "S", daily(time(9)), ON), BERLIN)
    assert description.timing == phrase("daily", times=Listing(("09:00",), 4))
    assert description.line == Phrase(
        "line", (("timing", description.timing), ("action", description.action))
    )
    assert render(Term("sun_event", "dusk"), templates, name) == "Dusk"
    # A placeholder the values lack stays as written.
    assert render(Phrase("for", (("text", "x"),)), templates, name) == "x for {duration}"


def test_values() -> None:
    assert duration(timedelta(0)) == "0 s"
    assert duration(timedelta(seconds=0.3)) == "0.3 s"
    assert duration(timedelta(seconds=59.6)) == "1 min"
    assert duration(timedelta(days=2)) == "2 d"
    assert offset(timedelta(minutes=-90)) == "\u22121 h 30 min"
    assert shortened([1, 2, 3], 3) == ([1, 2, 3], 0)
    assert shortened([1, 2, 3, 4], 3) == ([1, 2], 2)
    assert shortened([1, 2], 1) == ([1], 1)
    assert shortened([1, 2, 3, 4], None) == ([1, 2, 3, 4], 0)


BLUE_CHANNEL = Channel("Blue", ("light.reef_blue",), ((time(12), 80.0),))
WHITE_CHANNEL = Channel("White", ("number.white",), ((time(12), 60.0),))
MOON = Moonlight(("light.moon",), 5.0)
CLOUDS = Clouds(2, 40, 5)
STORM = Storm(20, 60)


@pytest.mark.parametrize(
    ("profile", "text"),
    [
        (LightProfile((BLUE_CHANNEL,)), "Light profile · 1 channel"),
        (
            LightProfile((BLUE_CHANNEL, WHITE_CHANNEL), moon=MOON, clouds=CLOUDS),
            "Light profile · 2 channels · moonlight, clouds",
        ),
        (
            LightProfile(
                (BLUE_CHANNEL,),
                acclimation=Acclimation(datetime(2026, 11, 1).date(), 30, 50),
                storm=STORM,
            ),
            "Light profile · 1 channel · acclimation, storm",
        ),
        (
            LightProfile((BLUE_CHANNEL,), clouds=CLOUDS, storm=STORM, weather=False),
            "Light profile · 1 channel · weather off",
        ),
        (None, "Light profile · 0 channels"),
    ],
)
def test_light_profiles(profile: LightProfile | None, text: str) -> None:
    """A profile shapes every day: its timing is the day, not its run at midnight."""
    target = Target(entity_ids=profile.lights if profile else ())
    action = Action(ActionType.PROFILE, target, plan=profile)
    assert line(daily(time(0)), action) == f"Every day · {text}"


S = timedelta(seconds=1)
FANS = ("fan.left", "switch.wave")


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (
            WavePattern(FANS, WaveSettings(WaveMode.ALTERNATE, on=30 * S)),
            "Waves fan.left, Wave pump · alternate every 30 s",
        ),
        (
            WavePattern(
                FANS,
                WaveSettings(WaveMode.RANDOM, 10 * S, 20 * S, 90 * S, 120 * S),
                WaveNight(time(22), time(7), WaveSettings(WaveMode.PULSE, 10 * S, 50 * S)),
            ),
            "Waves fan.left, Wave pump · random 10 s\u20131 min 30 s on, 20 s\u20132 min off"
            " · 22:00\u201307:00: pulse 10 s on, 50 s off",
        ),
        (
            WavePattern(
                FANS, WaveSettings(WaveMode.SINE, period=600 * S, min_speed=30, max_speed=90.5)
            ),
            "Waves fan.left, Wave pump · sine 30\u201390.5 % over 10 min",
        ),
        (
            WavePattern(
                FANS,
                WaveSettings(WaveMode.RAMPED_PULSE, 20 * S, 10 * S, ramp=5 * S, min_speed=10),
            ),
            "Waves fan.left, Wave pump · ramped pulse 10\u2013100 %, 20 s on, 10 s off,"
            " ramps of 5 s",
        ),
    ],
)
def test_wave_patterns(pattern: WavePattern, text: str) -> None:
    """A wave shapes every day like a profile: its settings, and the night's."""
    action = Action(ActionType.WAVE, Target(entity_ids=pattern.pumps), plan=pattern)
    assert line(daily(time(0)), action) == f"Every day · {text}"


def test_wave_without_its_pattern() -> None:
    action = Action(ActionType.WAVE, Target(entity_ids=FANS))
    assert line(daily(time(0)), action) == "Every day · Waves fan.left, Wave pump · "


def test_a_dose_names_its_volume_and_doser() -> None:
    """A dosing schedule's line: its dose times, each dose's ml and the doser's pump."""
    plan = Dosing("switch.return", 24.0, 4, time(8), time(20))
    dose = Action(ActionType.DOSE, Target(entity_ids=("switch.return",)), plan=plan)
    times = daily(time(8), time(12), time(16), time(20))
    assert line(times, dose) == "Daily 08:00, 12:00, 16:00, 20:00 · Dose 6 ml with Return pump"
    third = Action(ActionType.DOSE, dose.target, plan=Dosing("switch.return", 10.0, 3))
    assert line(daily(time(8)), third) == "Daily 08:00 · Dose 3.33 ml with Return pump"
