"""Light profile actions: create, preview levels (DST days too), acclimation and storm edits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.sun import get_astral_event_date
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.reef_scheduler.const import DOMAIN, SUBENTRY_TYPE_SCHEDULE

from .surface import PUMP, T0, copy_of, reef_devices, setup_local, spec

BLUE = "light.reef_blue"
WHITE = "light.reef_white"
RAMP = [
    {"time": "08:00", "level": 0},
    {"time": "10:00", "level": 80},
    {"time": "18:00", "level": 80},
    {"time": "20:00", "level": 0},
]
BERLIN = ZoneInfo("Europe/Berlin")
ACCLIMATION = {"start_date": "2026-03-01", "days": 30, "start_percent": 50}


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)  # Monday 2026-03-02, 10:00 in Berlin
    await reef_devices(hass)


def profile(name: str = "Reef light", **changes: Any) -> dict[str, Any]:
    """Return a light profile spec: Blue ramps up and down, White holds 60 % at noon.

    A change to None leaves that key out.
    """
    body: dict[str, Any] = {
        "channels": [
            {"name": "Blue", "lights": [BLUE], "points": RAMP},
            {"name": "White", "lights": [WHITE], "points": [{"time": "12:00", "level": 60}]},
        ]
    }
    body.update(changes)
    body = {key: value for key, value in body.items() if value is not None}
    return {"name": name, "type": "light_profile", "profile": body}


async def call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> Any:
    """Call an action and return its response."""
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def create(hass: HomeAssistant, sid: str, definition: dict[str, Any]) -> None:
    """Create a schedule through the action."""
    await call(hass, "create_schedule", {"schedule": definition | {"id": sid}})
    await hass.async_block_till_done(wait_background_tasks=True)


def stored(entry: MockConfigEntry, sid: str) -> dict[str, Any]:
    """Return the definition the schedule's subentry keeps."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_TYPE_SCHEDULE and subentry.unique_id == sid:
            definition: dict[str, Any] = copy_of(subentry)
            return definition
    raise KeyError(sid)


async def refusal(
    hass: HomeAssistant, service: str, data: dict[str, Any]
) -> ServiceValidationError:
    """Return the translated refusal of an action."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, service, data)
    assert err.value.translation_domain == DOMAIN
    return err.value


# --- create and update --------------------------------------------------------------------------


async def test_a_profile_is_stored_as_its_own_kind(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    await create(hass, "reef", profile(moon={"lights": [BLUE], "max_level": 5}))
    definition = stored(entry, "reef")
    assert definition["type"] == "light_profile"
    assert "action" not in definition
    assert [channel["name"] for channel in definition["profile"]["channels"]] == ["Blue", "White"]
    assert definition["profile"]["moon"] == {"lights": [BLUE], "max_level": 5}


async def test_update_switches_between_a_profile_and_another_kind(hass: HomeAssistant) -> None:
    """Changing the type drops the other kind's keys: a profile has no action, others need one."""
    entry, _ = await setup_local(hass)
    await create(hass, "pump", spec("Pump"))
    await call(hass, "update_schedule", {"schedule_id": "pump", "schedule": profile()})
    assert stored(entry, "pump")["type"] == "light_profile"
    assert "action" not in stored(entry, "pump")
    back = spec("Pump")
    await call(hass, "update_schedule", {"schedule_id": "pump", "schedule": back})
    assert stored(entry, "pump")["type"] == "recurring"
    assert "profile" not in stored(entry, "pump")


async def test_a_profile_action_in_another_kind_is_refused(hass: HomeAssistant) -> None:
    await setup_local(hass)
    definition = spec("Pump", action={"type": "profile", "target": {"entity_id": BLUE}})
    err = await refusal(hass, "create_schedule", {"schedule": definition})
    assert err.translation_key == "profile_action_type"
    assert err.translation_placeholders["field"] == "action.type"


async def test_an_invalid_profile_names_its_field(hass: HomeAssistant) -> None:
    await setup_local(hass)
    channels = [
        {"name": "Blue", "lights": [BLUE], "points": RAMP},
        {"name": "UV", "lights": [BLUE], "points": RAMP},
    ]
    err = await refusal(hass, "create_schedule", {"schedule": profile(channels=channels)})
    assert err.translation_key == "shared_light"
    assert err.translation_placeholders["field"] == "profile.channels.1.lights"
    assert err.translation_placeholders["channel"] == "Blue"


# --- preview ------------------------------------------------------------------------------------


async def levels_of(hass: HomeAssistant, definition: dict[str, Any], day: str) -> Any:
    """Return the preview's levels of a definition over a local date."""
    result = await call(hass, "preview", {"schedule": definition, "date": day, "count": 2})
    return result["levels"]


async def test_preview_gives_each_channels_steps_over_a_day(hass: HomeAssistant) -> None:
    await setup_local(hass)
    result = await call(hass, "preview", {"schedule": profile(), "count": 2})
    # Daily at local midnight; the levels are today's (Berlin) by default.
    assert result["runs"] == ["2026-03-02T23:00:00+00:00", "2026-03-03T23:00:00+00:00"]
    blue, white = result["levels"]["Blue"], result["levels"]["White"]
    assert white == [{"at": "2026-03-02T00:00:00+01:00", "level": 60}]
    assert blue[0] == {"at": "2026-03-02T00:00:00+01:00", "level": 0}
    # One step per 1 % up and down: 80 up, 80 down.
    assert len(blue) == 161
    assert [step["level"] for step in blue[1:81]] == list(range(1, 81))
    assert blue[80]["at"] == "2026-03-02T09:59:15+01:00"  # 79.5 % rounds to 80
    assert blue[-1]["level"] == 0
    assert blue[-1]["at"] < "2026-03-02T20:00:01+01:00"
    assert await levels_of(hass, profile(), "2026-03-02") == result["levels"]


# Up by 20 % an hour from 01:00 to 04:00 (through the hour DST skips or repeats), down at noon.
DST_POINTS = [
    {"time": "01:00", "level": 0},
    {"time": "04:00", "level": 60},
    {"time": "12:00", "level": 60},
    {"time": "13:00", "level": 0},
]
DST_PROFILE = profile(channels=[{"name": "Blue", "lights": [BLUE], "points": DST_POINTS}])


def rise(steps: list[dict[str, Any]]) -> list[tuple[int, datetime]]:
    """Return the (level, instant) steps of the morning's rise (up to the 60 % held at noon)."""
    found = [(step["level"], datetime.fromisoformat(step["at"])) for step in steps]
    top = next(index for index, (level, _) in enumerate(found) if level == 60)
    return found[: top + 1]


async def test_preview_of_the_spring_forward_day_skips_the_missing_hour(
    hass: HomeAssistant,
) -> None:
    """Europe/Berlin 2026-03-29 has 23 hours: 02:00 jumps to 03:00 and so does the curve."""
    await setup_local(hass)
    steps = rise((await levels_of(hass, DST_PROFILE, "2026-03-29"))["Blue"])
    levels = [level for level, _ in steps]
    # 20 % an hour: 20 % at 02:00 (the gap), then 03:00's 40 % at once; nothing in between.
    assert levels == [*range(21), *range(40, 61)]
    at = dict(steps)
    assert at[0] == datetime.fromisoformat("2026-03-29T00:00:00+01:00")
    assert at[40] == datetime.fromisoformat("2026-03-29T03:00:00+02:00")
    assert at[40] - at[20] < timedelta(minutes=2)
    assert at[60] == datetime.fromisoformat("2026-03-29T03:58:30+02:00")  # 59.5 % rounds up


async def test_preview_of_the_fall_back_day_plays_the_repeated_hour_once(
    hass: HomeAssistant,
) -> None:
    """Europe/Berlin 2026-10-25 has 25 hours: 02:00-03:00 twice; the curve plays it once."""
    await setup_local(hass)
    steps = rise((await levels_of(hass, DST_PROFILE, "2026-10-25"))["Blue"])
    assert [level for level, _ in steps] == list(range(61))  # never backwards, nothing twice
    at = dict(steps)
    # 40 % comes at the end of the first 02:00-03:00 and holds through the second one.
    assert at[40] == datetime.fromisoformat("2026-10-25T02:58:30+02:00")
    assert at[41] == datetime.fromisoformat("2026-10-25T03:01:30+01:00")
    assert at[60] == datetime.fromisoformat("2026-10-25T03:58:30+01:00")


async def test_preview_levels_only_for_profiles_and_dates_in_range(hass: HomeAssistant) -> None:
    await setup_local(hass)
    result = await call(hass, "preview", {"schedule": spec("Pump"), "date": "2026-03-29"})
    assert "levels" not in result
    err = await refusal(hass, "preview", {"schedule": profile(), "date": "2100-01-01"})
    assert (err.translation_key, err.translation_placeholders["field"]) == (
        "date_out_of_range",
        "date",
    )
    err = await refusal(hass, "preview", {"schedule": profile(), "date": "someday"})
    assert err.translation_key == "expected_date"


async def test_preview_of_a_date_the_zone_skipped_has_no_steps(hass: HomeAssistant) -> None:
    """Pacific/Apia went from 2011-12-29 to 2011-12-31: no run, so no levels that day."""
    await setup_local(hass)
    definition = profile() | {"timezone": "Pacific/Apia"}
    assert await levels_of(hass, definition, "2011-12-30") == {"Blue": [], "White": []}
    assert (await levels_of(hass, definition, "2011-12-31"))["White"] == [
        {"at": "2011-12-31T00:00:00+14:00", "level": 60}
    ]


async def test_preview_cuts_a_channel_at_2000_steps(hass: HomeAssistant) -> None:
    """Deep clouds every few minutes on a bright channel make thousands of 1 % steps."""
    await setup_local(hass)
    channels = [
        {"name": "Blue", "lights": [BLUE], "points": [{"time": "12:00", "level": 100}]},
        {"name": "White", "lights": [WHITE], "points": RAMP, "weather": False},
    ]
    clouds = {"per_hour": 12, "depth": 90, "minutes": 0.5}
    definition = profile(channels=channels, clouds=clouds)
    result = await call(hass, "preview", {"schedule": definition, "date": "2026-06-01"})
    assert result["truncated"] == ["Blue"]
    assert len(result["levels"]["Blue"]) == 2000
    assert len(result["levels"]["White"]) == 161
    # The same date and schedule id give the same clouds.
    again = await call(hass, "preview", {"schedule": definition, "date": "2026-06-01"})
    assert again == result
    other = await call(hass, "preview", {"schedule": definition, "date": "2026-06-02"})
    assert wall(other["levels"]["Blue"]) != wall(result["levels"]["Blue"])
    # Another id draws other clouds on the same date.
    renamed = await call(
        hass, "preview", {"schedule": definition | {"id": "reef"}, "date": "2026-06-01"}
    )
    assert wall(renamed["levels"]["Blue"]) != wall(result["levels"]["Blue"])


def wall(steps: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """Return the steps by their local time of day (so two dates compare)."""
    return [(step["at"][11:], step["level"]) for step in steps]


async def test_preview_shows_the_moon_channel(hass: HomeAssistant) -> None:
    await setup_local(hass)
    moon = {"lights": [BLUE], "max_level": 10, "start": "22:00", "end": "06:00"}
    levels = await levels_of(hass, profile(moon=moon), "2026-03-03")  # full moon
    assert set(levels) == {"Blue", "White", "moon"}
    assert levels["moon"][0] == {"at": "2026-03-03T00:00:00+01:00", "level": 10}
    assert {"at": "2026-03-03T06:00:00+01:00", "level": 0} in levels["moon"]


# --- acclimation --------------------------------------------------------------------------------


async def test_acclimation_pause_resume_and_reset(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The services change the definition only: a date moves, no counter is kept."""
    entry, _ = await setup_local(hass)
    await create(hass, "reef", profile(acclimation=ACCLIMATION))
    response = await call(hass, "acclimation_pause", {"schedule_id": "reef"})
    assert response == {"schedules": [{"schedule_id": "reef", "name": "Reef light"}]}
    assert stored(entry, "reef")["profile"]["acclimation"] == ACCLIMATION | {
        "paused_on": "2026-03-02"
    }
    # Pausing again changes nothing.
    await call(hass, "acclimation_pause", {"entity_id": "switch.reef_light_enabled"})
    assert stored(entry, "reef")["profile"]["acclimation"]["paused_on"] == "2026-03-02"
    freezer.move_to(T0 + timedelta(days=3))
    await call(hass, "acclimation_resume", {"schedule_id": "reef"})
    # Three days paused: day 1 moves three days later.
    assert stored(entry, "reef")["profile"]["acclimation"] == ACCLIMATION | {
        "start_date": "2026-03-04"
    }
    freezer.move_to(T0 + timedelta(days=5))
    await call(hass, "acclimation_reset", {"schedule_id": "reef"})
    assert stored(entry, "reef")["profile"]["acclimation"]["start_date"] == "2026-03-07"


async def test_acclimation_is_read_on_the_profiles_own_calendar(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """At 23:30 UTC it is already the next day in Berlin, but not in New York."""
    entry, _ = await setup_local(hass)
    await create(hass, "reef", profile(acclimation=ACCLIMATION))
    await create(
        hass,
        "far",
        profile("Far light", acclimation=ACCLIMATION) | {"timezone": "America/New_York"},
    )
    freezer.move_to(datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    await call(hass, "acclimation_reset", {"schedule_id": ["reef", "far"]})
    assert stored(entry, "reef")["profile"]["acclimation"]["start_date"] == "2026-03-03"
    assert stored(entry, "far")["profile"]["acclimation"]["start_date"] == "2026-03-02"


@pytest.mark.parametrize(
    "service", ["acclimation_pause", "acclimation_resume", "acclimation_reset", "storm"]
)
async def test_profile_actions_refuse_other_schedules_and_change_nothing(
    hass: HomeAssistant, service: str
) -> None:
    entry, _ = await setup_local(hass)
    await create(hass, "pump", spec("Pump"))
    await create(hass, "reef", profile(acclimation=ACCLIMATION))
    before = {sid: stored(entry, sid) for sid in ("pump", "reef")}
    # Every chosen schedule is checked before any changes.
    err = await refusal(hass, service, {"schedule_id": ["reef", "pump"]})
    assert (err.translation_key, err.translation_placeholders["name"]) == (
        "not_a_light_profile",
        "Pump",
    )
    assert {sid: stored(entry, sid) for sid in ("pump", "reef")} == before


@pytest.mark.parametrize(
    "service", ["acclimation_pause", "acclimation_resume", "acclimation_reset"]
)
async def test_acclimation_actions_need_an_acclimation(hass: HomeAssistant, service: str) -> None:
    entry, _ = await setup_local(hass)
    await create(hass, "reef", profile())
    before = stored(entry, "reef")
    err = await refusal(hass, service, {"schedule_id": "reef"})
    assert (err.translation_key, err.translation_placeholders["name"]) == (
        "no_acclimation",
        "Reef light",
    )
    assert stored(entry, "reef") == before


# --- storm --------------------------------------------------------------------------------------


async def test_storm_now_and_its_end(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    await create(hass, "reef", profile())
    await call(hass, "storm", {"schedule_id": "reef"})
    assert stored(entry, "reef")["profile"]["storm_now"] == {
        "start": "2026-03-02T09:00:00+00:00",
        "end": "2026-03-02T09:20:00+00:00",
    }
    await call(hass, "storm", {"entity_id": "switch.reef_light_enabled", "minutes": 45})
    assert stored(entry, "reef")["profile"]["storm_now"]["end"] == "2026-03-02T09:45:00+00:00"
    await call(hass, "storm", {"schedule_id": "reef", "minutes": 0})
    assert "storm_now" not in stored(entry, "reef")["profile"]


async def test_storm_needs_the_weather_on_and_at_most_four_hours(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    await create(hass, "reef", profile(weather=False))
    before = stored(entry, "reef")
    err = await refusal(hass, "storm", {"schedule_id": "reef"})
    assert err.translation_key == "weather_off"
    err = await refusal(hass, "storm", {"schedule_id": "reef", "minutes": 241})
    assert (err.translation_key, err.translation_placeholders) == (
        "out_of_range",
        {"min": "0", "max": "240", "field": "minutes"},
    )
    # Ending a storm needs no weather.
    await call(hass, "storm", {"schedule_id": "reef", "minutes": 0})
    assert stored(entry, "reef") == before


async def test_profile_actions_need_a_local_schedule(hass: HomeAssistant) -> None:
    await setup_local(hass)
    err = await refusal(hass, "storm", {"schedule_id": "nope"})
    assert err.translation_key == "unknown_schedule"
    err = await refusal(hass, "acclimation_pause", {"entity_id": PUMP})
    assert err.translation_key == "not_a_schedule"


# --- templates ----------------------------------------------------------------------------------

TEMPLATE_CHANNELS = [{"name": "Blue", "lights": [BLUE], "peak": 80}]


async def test_create_expands_a_template_to_ordinary_channels(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    template = {"kind": "diurnal", "start": "09:00", "ramp": 3600, "photoperiod": 36_000}
    definition = profile(channels=None, template=template | {"channels": TEMPLATE_CHANNELS})
    await create(hass, "reef", definition)
    body = stored(entry, "reef")["profile"]
    assert "template" not in body
    assert body["channels"][0]["points"] == [
        {"time": "09:00", "level": 0},
        {"time": "10:00", "level": 80},
        {"time": "18:00", "level": 80},
        {"time": "19:00", "level": 0},
    ]
    # update_schedule takes a template too; a refused one changes nothing.
    sine = {"kind": "sine", "start": "08:00", "photoperiod": 43_200, "channels": TEMPLATE_CHANNELS}
    await call(
        hass,
        "update_schedule",
        {"schedule_id": "reef", "schedule": {"profile": {"template": sine}}},
    )
    assert len(stored(entry, "reef")["profile"]["channels"][0]["points"]) == 25
    before = stored(entry, "reef")
    bad = {"schedule_id": "reef", "schedule": {"profile": {"template": sine | {"photoperiod": 5}}}}
    err = await refusal(hass, "update_schedule", bad)
    assert (err.translation_key, err.translation_placeholders["field"]) == (
        "photoperiod_out_of_range",
        "profile.template.photoperiod",
    )
    assert stored(entry, "reef") == before


async def test_follow_sun_takes_todays_sun_at_home(hass: HomeAssistant) -> None:
    """Berlin on 2026-03-02: about 10 h 55 min of sun, clamped to 10 h around its middle."""
    await hass.config.async_update(latitude=52.52, longitude=13.405)
    await setup_local(hass)
    template = {
        "kind": "follow_sun",
        "min_photoperiod": 28_800,
        "max_photoperiod": 36_000,
        "ramp": 1800,
        "channels": TEMPLATE_CHANNELS,
    }
    result = await call(hass, "preview", {"schedule": profile(channels=None, template=template)})
    sunrise = get_astral_event_date(hass, "sunrise", T0.date())
    sunset = get_astral_event_date(hass, "sunset", T0.date())
    assert sunrise is not None
    assert sunset is not None
    begin = (sunrise + (sunset - sunrise) / 2 - timedelta(hours=5)).astimezone(BERLIN)
    blue = result["levels"]["Blue"]
    first = datetime.fromisoformat(next(step["at"] for step in blue if step["level"] == 1))
    # The ramp starts at the computed second and reaches 1 % (0.5 % rounds up) 11.25 s later.
    assert first - begin.replace(microsecond=0) == timedelta(seconds=11.25)
    assert max(step["level"] for step in blue) == 80


async def test_follow_sun_refused_without_a_sunset(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """North of the polar circle in June the sun does not set."""
    await hass.config.async_update(latitude=78.2, longitude=15.6)
    await setup_local(hass)
    template = {"kind": "follow_sun", "min_photoperiod": 28_800, "max_photoperiod": 36_000}
    with_channels = template | {"channels": TEMPLATE_CHANNELS}
    freezer.move_to(datetime(2026, 6, 21, 10, tzinfo=UTC))
    definition = profile(channels=None, template=with_channels)
    err = await refusal(hass, "create_schedule", {"schedule": definition})
    assert (err.translation_key, err.translation_placeholders["field"]) == (
        "no_sun_today",
        "profile.template.kind",
    )
