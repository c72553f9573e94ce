"""The light profile kind in the schedule steps: template, one step per channel, moonlight,
acclimation and weather, the policy with the day's levels; edits, refused values, texts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.sun import get_astral_event_date
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.diagnostics import async_get_config_entry_diagnostics
from custom_components.reef_scheduler.engine.presets import format_time_of_day

from .flows import (
    add_schedule,
    answer,
    counter,
    fields,
    fix_issue,
    options,
    options_step,
    reconfigure,
    subentry_step,
    suggested,
)
from .surface import T0, reef_devices, seed, setup_local

BLUE, WHITE, UV, MOONLIGHT = "light.blue", "light.white", "light.uv", "light.moon"
NO_EXTRAS = {"moon": {}, "acclimation": {}, "clouds": {}, "storm": {}}
LINEAR = {"curve": "linear"} | NO_EXTRAS
POLICY = {"enabled": True, "catch_up": 15, "retries": 3, "timeout": 10}
DAY = "08:00 0, 10:00 80, 18:00 80, 20:00 0"
MOON_HOURS = {"lights": [MOONLIGHT], "max_level": 10, "start": "21:00:00", "end": "06:00:00"}


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)  # Monday 2026-03-02 10:00 in Berlin
    await reef_devices(hass)


def channel(name: str, lights: list[str], points: str = DAY, **more: Any) -> dict[str, Any]:
    """Return the answer to a channel step."""
    answers = {"min_level": 0, "max_level": 100, "acclimate": True, "weather": True}
    return answers | {"name": name, "lights": lights, "points": points} | more


def stored_channel(name: str, lights: list[str], **more: Any) -> dict[str, Any]:
    """Return a channel as the stored definition holds it."""
    points = [
        {"time": "08:00", "level": 0},
        {"time": "10:00", "level": 80},
        {"time": "18:00", "level": 80},
        {"time": "20:00", "level": 0},
    ]
    base = {"name": name, "lights": lights, "points": points, "min_level": 0, "max_level": 100}
    return base | {"acclimate": True, "weather": True} | more


def profile_spec(name: str = "Reef light", **profile: Any) -> dict[str, Any]:
    """Return the spec of a two-channel profile."""
    channels = [stored_channel("Blue", [BLUE]), stored_channel("White", [WHITE])]
    return {"name": name, "type": "light_profile", "profile": {"channels": channels} | profile}


async def definition(hass: HomeAssistant, entry: Any, sid: str) -> dict[str, Any]:
    """Return a schedule's stored definition as the entry's diagnostics show it."""
    data = await async_get_config_entry_diagnostics(hass, entry)
    definition: dict[str, Any] = data["schedules"][sid]["definition"]
    return definition


async def to_template(hass: HomeAssistant, entry: Any, name: str = "Reef light") -> Any:
    """Start adding a profile; return the template step."""
    step = subentry_step(hass)
    result = await add_schedule(hass, entry)
    return await answer(step, result, {"name": name, "kind": "light_profile"})


async def test_a_reef_light_step_by_step(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    step = subentry_step(hass)
    result = await add_schedule(hass, entry)
    assert "light_profile" in options(result, "kind")
    result = await answer(step, result, {"name": "Reef light", "kind": "light_profile"})

    assert result["step_id"] == "profile_template"
    assert fields(result) == [
        "template",
        "channels",
        "names",
        "start",
        "ramp",
        "photoperiod",
        "peak",
        "min_photoperiod",
        "max_photoperiod",
        "offset",
    ]
    assert options(result, "template") == ["diurnal", "follow_sun", "sine", "empty"]
    assert suggested(result) == {
        "template": "diurnal",
        "channels": 3,
        "names": "Blue, White, UV",
        "start": "08:00:00",
        "ramp": 120,
        "photoperiod": 10,
        "peak": 80,
        "min_photoperiod": 8,
        "max_photoperiod": 12,
        "offset": 0,
    }
    # Kind, template, three channels, extras, policy.
    assert (result["last_step"], counter(result)) == (False, ("2", "7"))

    result = await answer(step, result, suggested(result))
    assert result["step_id"] == "profile_channel"
    assert fields(result) == [
        "name",
        "lights",
        "points",
        "min_level",
        "max_level",
        "acclimate",
        "weather",
    ]
    placeholders = result["description_placeholders"]
    assert (placeholders["channel"], placeholders["channels"]) == ("1", "3")
    assert placeholders["channel_name"] == "Blue"
    assert (result["last_step"], counter(result)) == (False, ("3", "7"))
    # The template's day: on at 08:00, two hours up to 80 %, two hours down to off at 18:00.
    assert suggested(result) == {
        "name": "Blue",
        "points": "08:00 0, 10:00 80, 16:00 80, 18:00 0",
        "min_level": 0,
        "max_level": 100,
        "acclimate": True,
        "weather": True,
    }
    result = await answer(step, result, channel("Blue", [BLUE], min_level=5))
    assert result["description_placeholders"]["channel_name"] == "White"
    assert counter(result) == ("4", "7")
    result = await answer(step, result, channel("White", [WHITE], max_level=60, acclimate=False))
    assert result["description_placeholders"]["channel_name"] == "UV"
    result = await answer(step, result, channel("UV", [UV], points="09:00 0, 12:00 40, 17:00 0"))

    assert result["step_id"] == "profile_extras"
    assert fields(result) == ["curve", "moon", "acclimation", "clouds", "storm"]
    assert suggested(result) == {"curve": "linear"} | NO_EXTRAS
    assert (result["last_step"], counter(result)) == (False, ("6", "7"))
    extras = {
        "curve": "smooth",
        "moon": {"lights": [MOONLIGHT, BLUE], "max_level": 5},
        "acclimation": {"days": 30, "start_percent": 50},
        "clouds": {"per_hour": 2, "depth": 40, "minutes": 5, "weekdays": []},
        "storm": {"start": "15:00:00", "minutes": 30, "depth": 60, "weekdays": ["sat"]}
        | {"flash_channel": "White"},
    }
    result = await answer(step, result, extras)

    assert result["step_id"] == "profile_policy"
    assert fields(result) == ["enabled", "catch_up", "retries", "timeout"]
    assert (result["last_step"], counter(result)) == (True, ("7", "7"))
    assert suggested(result) == POLICY
    result = await answer(step, result, POLICY)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Reef light"
    await hass.async_block_till_done()
    (sid,) = backend.runner.schedules
    stored = await definition(hass, entry, sid)
    assert stored["type"] == "light_profile"
    assert "action" not in stored
    assert stored["profile"] == {
        "curve": "smooth",
        "channels": [
            stored_channel("Blue", [BLUE], min_level=5),
            stored_channel("White", [WHITE], max_level=60, acclimate=False),
            stored_channel("UV", [UV])
            | {
                "points": [
                    {"time": "09:00", "level": 0},
                    {"time": "12:00", "level": 40},
                    {"time": "17:00", "level": 0},
                ]
            },
        ],
        "weather": True,
        "moon": {"lights": [MOONLIGHT, BLUE], "max_level": 5},
        # Day 1 is today when no date is given.
        "acclimation": {"start_date": "2026-03-02", "days": 30, "start_percent": 50},
        "clouds": {"per_hour": 2, "depth": 40, "minutes": 5, "weekdays": []},
        "storm": {
            "minutes": 30,
            "depth": 60,
            "flashes_per_minute": 3,
            "start": "15:00",
            "weekdays": ["sat"],
            "flash_channel": "White",
        },
    }
    (subentry,) = entry.subentries.values()
    assert (subentry.title, subentry.unique_id) == ("Reef light", sid)


async def test_the_last_step_shows_the_levels_of_today(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    step = subentry_step(hass)
    result = await to_template(hass, entry)
    result = await answer(
        step,
        result,
        suggested(result) | {"channels": 2, "names": "Blue, White"},
        channel("Blue", [BLUE]),
        channel("White", [WHITE], points="09:00 0, 12:00 50, 15:00 50, 17:00 0"),
        {"curve": "linear"} | NO_EXTRAS | {"moon": MOON_HOURS},
    )
    assert result["step_id"] == "profile_policy"
    # Every three hours from local midnight; the moon is full on 3 March 2026, on 21:00-06:00.
    assert result["description_placeholders"]["preview"].splitlines() == [
        "| Time | Blue | White | Moon |",
        "|---|---|---|---|",
        "| 00:00 | 0 | 0 | 10 |",
        "| 03:00 | 0 | 0 | 10 |",
        "| 06:00 | 0 | 0 | 0 |",
        "| 09:00 | 40 | 0 | 0 |",
        "| 12:00 | 80 | 50 | 0 |",
        "| 15:00 | 80 | 50 | 0 |",
        "| 18:00 | 80 | 0 | 0 |",
        "| 21:00 | 0 | 0 | 10 |",
    ]


async def test_refused_template_answers_stay_in_their_fields(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    step = subentry_step(hass)
    result = await to_template(hass, entry)
    typed = suggested(result) | {"channels": 2, "names": "Blue, White, UV"}
    result = await answer(step, result, typed)
    assert result["errors"] == {"names": "too_many_names"}
    assert result["description_placeholders"]["count"] == "2"
    assert suggested(result) == typed
    result = await answer(step, result, typed | {"names": "Blue, blue"})
    assert result["errors"] == {"names": "duplicate_channel"}
    result = await answer(step, result, typed | {"names": "Blue, Moon"})
    assert result["errors"] == {"names": "invalid_channel_name"}
    result = await answer(step, result, typed | {"names": "Blue"})
    # A channel without a name gets a number.
    assert result["description_placeholders"]["channel_name"] == "Blue"
    result = await answer(step, result, channel("Blue", [BLUE]))
    assert result["description_placeholders"]["channel_name"] == "Channel 2"


DUPLICATE = "duplicate_point_time"


async def test_refused_channel_answers_stay_in_their_fields(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    step = subentry_step(hass)
    result = await to_template(hass, entry)
    result = await answer(step, result, suggested(result) | {"channels": 2, "names": "A, B"})
    cases = [
        (channel("A", [BLUE], points="08:00 0, banana"), {"points": "invalid_point"}, "banana"),
        (channel("A", [BLUE], points="08:00 0, 10:00"), {"points": "invalid_point"}, "10:00"),
        (channel("A", [BLUE], points="08:00 0, 25:00 10"), {"points": "invalid_time"}, "25:00"),
        (channel("A", [BLUE], points="08:00 0, 9:00 nan"), {"points": "invalid_point"}, "9:00 nan"),
        (channel("A", [BLUE], points="08:00 0, 8:00 5"), {"points": DUPLICATE}, "08:00"),
        (
            channel("A", [BLUE], points="08:00 0, 10:00 high"),
            {"points": "invalid_point"},
            "10:00 high",
        ),
        (channel("A", [BLUE], points="08:00 120"), {"points": "level_out_of_range"}, ""),
        (channel("A", [BLUE], points="08:00 -5%"), {"points": "level_out_of_range"}, ""),
        (channel("A", [BLUE], points=" , "), {"points": "required"}, ""),
        (channel("A", []), {"lights": "required"}, ""),
        (channel("A", [BLUE], min_level=50, max_level=40), {"max_level": "max_below_min"}, ""),
        (channel("moon", [BLUE]), {"name": "invalid_channel_name"}, ""),
    ]
    for answers, errors, value in cases:
        result = await answer(step, result, answers)
        assert (result["step_id"], result["errors"]) == ("profile_channel", errors), answers
        assert result["description_placeholders"].get("value", "") == value
        # What was typed stays, also in the title.
        assert suggested(result)["points"] == answers["points"]
        assert result["description_placeholders"]["channel_name"] == answers["name"]
    result = await answer(step, result, channel("A", [BLUE]))
    # A light belongs to one day channel only.
    result = await answer(step, result, channel("B", [BLUE, WHITE]))
    assert result["errors"] == {"lights": "shared_light"}
    assert result["description_placeholders"]["value"] == BLUE
    result = await answer(step, result, channel("B", [WHITE]))
    assert result["step_id"] == "profile_extras"


async def test_refused_extras_stay_in_their_sections(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    step = subentry_step(hass)
    result = await to_template(hass, entry)
    result = await answer(
        step,
        result,
        suggested(result) | {"channels": 1, "names": "Blue"},
        channel("Blue", [BLUE]),
    )
    storm = next(value for key, value in result["data_schema"].schema.items() if key == "storm")
    flash = next(value for key, value in storm.schema.schema.items() if key == "flash_channel")
    assert flash.config["options"] == ["Blue"]
    cases = [
        ({"moon": {"lights": [MOONLIGHT], "max_level": 5, "start": "21:00:00"}}, "moon_hours"),
        ({"moon": {"max_level": 5}}, "required"),
        ({"clouds": {"per_hour": 2}}, "required"),
        ({"storm": {"minutes": 30, "depth": 50, "weekdays": ["sat"]}}, "not_allowed"),
    ]
    for answers, code in cases:
        typed = {"curve": "linear"} | NO_EXTRAS | answers
        result = await answer(step, result, typed)
        (section,) = answers
        assert result["errors"] == {section: code}, answers
        assert suggested(result)[section] == answers[section]


async def test_editing_a_profile_opens_its_channels(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    acclimation = {"start_date": "2026-02-20", "days": 20, "start_percent": 40}
    storm = {"minutes": 20, "depth": 50, "flash_channel": "White", "flashes_per_minute": 6}
    clouds = {"per_hour": 1.5, "depth": 30, "minutes": 4, "weekdays": ["sat", "sun"]}
    sid = await backend.async_create(
        profile_spec(
            acclimation=acclimation | {"paused_on": "2026-03-01"}, storm=storm, clouds=clouds
        )
    )
    await hass.async_block_till_done()
    step = subentry_step(hass)
    result = await answer(step, await reconfigure(hass, entry), {"next_step_id": "edit"})
    assert result["step_id"] == "kind"
    # No template unless asked for: the profile's own channels come first.
    assert fields(result) == ["name", "kind", "template"]
    assert suggested(result) == {"name": "Reef light", "kind": "light_profile"}
    assert counter(result) == ("1", "5")
    result = await answer(step, result, suggested(result))
    assert (result["step_id"], counter(result)) == ("profile_channel", ("2", "5"))
    assert suggested(result) == {
        "name": "Blue",
        "lights": [BLUE],
        "points": DAY,
        "min_level": 0,
        "max_level": 100,
        "acclimate": True,
        "weather": True,
    }
    result = await answer(step, result, suggested(result) | {"points": "07:00 0, 19:00 0"})
    # Renaming the lightning channel keeps its storm.
    result = await answer(step, result, suggested(result) | {"name": "Daylight"})
    assert result["step_id"] == "profile_extras"
    assert suggested(result) == {
        "curve": "linear",
        "moon": {},
        "acclimation": acclimation,
        "clouds": clouds,
        "storm": {"minutes": 20, "depth": 50, "flash_channel": "Daylight"},
    }
    result = await answer(step, result, suggested(result))
    result = await answer(step, result, suggested(result))
    assert result["reason"] == "reconfigure_successful"
    profile = (await definition(hass, entry, sid))["profile"]
    assert [c["name"] for c in profile["channels"]] == ["Blue", "Daylight"]
    assert profile["channels"][0]["points"] == [
        {"time": "07:00", "level": 0},
        {"time": "19:00", "level": 0},
    ]
    # What no form shows stays: the pause, the flashes' rate.
    assert profile["acclimation"] == acclimation | {"paused_on": "2026-03-01"}
    assert profile["storm"] == storm | {"flash_channel": "Daylight"}


async def test_editing_a_profile_from_a_template(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    sid = await backend.async_create(profile_spec())
    await hass.async_block_till_done()
    step = subentry_step(hass)
    result = await answer(step, await reconfigure(hass, entry), {"next_step_id": "edit"})
    result = await answer(step, result, suggested(result) | {"template": True})
    assert (result["step_id"], counter(result)) == ("profile_template", ("2", "6"))
    result = await answer(step, result, suggested(result) | {"channels": 1, "names": "Sun"})
    assert counter(result) == ("3", "5")
    result = await answer(step, result, channel("Sun", [BLUE, WHITE]), LINEAR)
    result = await answer(step, result, POLICY)
    assert result["reason"] == "reconfigure_successful"
    profile = (await definition(hass, entry, sid))["profile"]
    assert [c["name"] for c in profile["channels"]] == ["Sun"]


async def test_changing_the_kind_to_and_from_a_profile(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    sid = await backend.async_create(profile_spec())
    await hass.async_block_till_done()
    step = subentry_step(hass)
    result = await answer(step, await reconfigure(hass, entry), {"next_step_id": "edit"})
    result = await answer(step, result, {"name": "Reef light", "kind": "daily"})
    assert result["step_id"] == "timing_daily"
    result = await answer(
        step,
        result,
        {"times": "08:00", "every": 1},
        {"action": "on"},
        {},
        {"target": {"entity_id": [BLUE]}},
        POLICY,
    )
    assert result["reason"] == "reconfigure_successful"
    stored = await definition(hass, entry, sid)
    assert (stored["type"], "profile" in stored) == ("recurring", False)

    result = await answer(step, await reconfigure(hass, entry), {"next_step_id": "edit"})
    # Nothing to edit yet: the template step comes first.
    result = await answer(step, result, {"name": "Reef light", "kind": "light_profile"})
    assert result["step_id"] == "profile_template"
    result = await answer(
        step,
        result,
        suggested(result) | {"template": "empty", "channels": 1, "names": "Blue"},
    )
    assert suggested(result)["name"] == "Blue"
    assert "points" not in suggested(result)
    result = await answer(step, result, channel("Blue", [BLUE]), LINEAR)
    result = await answer(step, result, POLICY)
    assert result["reason"] == "reconfigure_successful"
    stored = await definition(hass, entry, sid)
    assert (stored["type"], "action" in stored) == ("light_profile", False)


async def test_adding_a_profile_from_the_options(hass: HomeAssistant) -> None:
    entry, backend = await setup_local(hass)
    step = options_step(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await answer(
        step,
        result,
        {"next_step_id": "add_schedule"},
        {"name": "Sump light", "kind": "light_profile"},
    )
    assert result["step_id"] == "profile_template"
    result = await answer(
        step,
        result,
        suggested(result) | {"channels": 1, "names": "Refugium"},
        channel("Refugium", [BLUE], points="20:00 100, 08:00 0"),
        LINEAR,
    )
    assert (result["step_id"], result["last_step"]) == ("profile_policy", True)
    result = await answer(step, result, POLICY)
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "schedule_added")
    (schedule,) = backend.runner.schedules.values()
    assert schedule.name == "Sump light"


async def test_the_frontend_gets_the_profile_steps(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """The steps as the browser gets them: a channel's fields, the extras' sections."""
    entry, _ = await setup_local(hass)
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    url = "/api/config/config_entries/subentries/flow"
    response = await client.post(url, json={"handler": [entry.entry_id, "schedule"]})
    step = await response.json()
    seen = []
    for data in (
        {"name": "Reef light", "kind": "light_profile"},
        {"template": "diurnal", "channels": 1, "names": "Blue"},
        {**channel("Blue", [BLUE])},
        {"curve": "linear", **NO_EXTRAS},
        POLICY,
    ):
        fields = {field["name"]: field for field in step["data_schema"]}
        seen.append((step["step_id"], step["last_step"]))
        if step["step_id"] == "profile_channel":
            assert fields["lights"]["selector"]["entity"]["multiple"] is True
        if step["step_id"] == "profile_extras":
            assert fields["moon"]["type"] == "expandable"
            assert fields["moon"]["expanded"] is False
            assert [f["name"] for f in fields["storm"]["schema"]][-1] == "flash_channel"
        response = await client.post(f"{url}/{step['flow_id']}", json=data)
        assert response.status == 200, await response.text()
        step = await response.json()
    assert seen == [
        ("kind", False),
        ("profile_template", False),
        ("profile_channel", False),
        ("profile_extras", False),
        ("profile_policy", True),
    ]
    assert (step["type"], step["title"]) == ("create_entry", "Reef light")


async def test_german_names_and_preview(hass: HomeAssistant) -> None:
    hass.config.language = "de"
    entry, _ = await setup_local(hass)
    step = subentry_step(hass)
    result = await to_template(hass, entry)
    assert suggested(result)["names"] == "Blau, Weiß, UV"
    result = await answer(step, result, suggested(result) | {"channels": 4})
    result = await answer(
        step,
        result,
        channel("Blau", [BLUE]),
        channel("Weiß", [WHITE]),
        channel("UV", [UV]),
    )
    assert result["description_placeholders"]["channel_name"] == "Kanal 4"
    result = await answer(
        step,
        result,
        channel("Kanal 4", ["light.violet"]),
        NO_EXTRAS | {"curve": "linear", "moon": {"lights": [MOONLIGHT], "max_level": 5}},
    )
    header = result["description_placeholders"]["preview"].splitlines()[0]
    assert header == "| Uhrzeit | Blau | Weiß | UV | Kanal 4 | Mond |"


async def test_fixing_a_stored_profile_shows_its_problems(
    hass: HomeAssistant, hass_storage: dict[str, Any], issue_registry: ir.IssueRegistry
) -> None:
    broken = profile_spec(storm={"minutes": 20, "depth": 50, "flash_channel": "Gone"})
    broken["profile"]["channels"][1]["points"][1]["time"] = "25:00"
    broken["profile"]["channels"][0]["points"].append("noon")
    seed(hass_storage, [broken | {"id": "reef"}])
    _, backend = await setup_local(hass)
    result, step = await fix_issue(hass, "invalid_schedule_reef")
    assert fields(result) == ["name", "kind", "template"]
    result = await answer(step, result, suggested(result))
    # What is no point is left out of the box.
    assert result["description_placeholders"]["channel_name"] == "Blue"
    assert result["errors"] == {"points": "invalid_type"}
    assert suggested(result)["points"] == DAY
    result = await answer(step, result, suggested(result))
    # The stored problems show on their fields at first sight, the refused time quoted.
    assert result["errors"] == {"points": "invalid_time"}
    assert result["description_placeholders"]["value"] == "25:00"
    assert suggested(result)["points"] == "08:00 0, 25:00 80, 18:00 80, 20:00 0"
    result = await answer(step, result, suggested(result) | {"points": DAY})
    assert result["errors"] == {"storm": "unknown_flash_channel"}
    result = await answer(step, result, suggested(result) | {"storm": {}})
    result = await answer(step, result, suggested(result))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, "invalid_schedule_reef") is None
    assert backend.runner.schedules["reef"].action.profile is not None


async def test_a_stored_problem_no_profile_step_asks_for(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    seed(hass_storage, [profile_spec() | {"id": "reef", "timezone": "Mars/Olympus"}])
    entry, _ = await setup_local(hass)
    step = subentry_step(hass)
    result = await reconfigure(hass, entry)
    assert result["step_id"] == "kind"
    for _ in range(3):  # the kind, then the two channels as they are
        result = await answer(step, result, suggested(result))
    result = await answer(step, result, suggested(result))
    assert result["step_id"] == "profile_policy"
    assert result["description_placeholders"]["preview"] == (
        "No levels to show: the profile is not complete."
    )
    result = await answer(step, result, POLICY)
    assert result["errors"] == {"base": "not_in_form"}
    assert result["description_placeholders"]["field"] == "timezone"


async def test_a_sine_day(hass: HomeAssistant) -> None:
    entry, _ = await setup_local(hass)
    step = subentry_step(hass)
    result = await to_template(hass, entry)
    sine = {"template": "sine", "channels": 1, "names": "Blue"}
    result = await answer(step, result, suggested(result) | sine)
    points = suggested(result)["points"].split(", ")
    # 24 pieces of half a sine from 08:00 over 10 hours, levels to a tenth.
    assert len(points) == 25
    assert points[:3] == ["08:00 0", "08:25 10.4", "08:50 20.7"]
    assert (points[12], points[-1]) == ("13:00 80", "18:00 0")


async def test_following_the_sun_of_today(hass: HomeAssistant) -> None:
    await hass.config.async_update(latitude=52.52, longitude=13.405)  # Berlin
    entry, _ = await setup_local(hass)
    step = subentry_step(hass)
    result = await to_template(hass, entry)
    params = {"template": "follow_sun", "channels": 1, "names": "Sun", "ramp": 30}
    params |= {"max_photoperiod": 8}
    result = await answer(step, result, suggested(result) | params | {"offset": 60})
    # Eight hours (the longest allowed) around the middle of today's day, an hour later.
    day = T0.date()
    sunrise = get_astral_event_date(hass, "sunrise", day)
    sunset = get_astral_event_date(hass, "sunset", day)
    assert sunrise is not None
    assert sunset is not None
    middle = sunrise + (sunset - sunrise) / 2 + timedelta(hours=1)
    begin = (middle - timedelta(hours=4)).astimezone(dt_util.get_default_time_zone())
    begin = begin.replace(microsecond=0)
    offsets = [(timedelta(0), 0), (timedelta(minutes=30), 80)]
    offsets += [(timedelta(hours=7, minutes=30), 80), (timedelta(hours=8), 0)]
    expected = [f"{format_time_of_day((begin + at).time())} {level}" for at, level in offsets]
    assert suggested(result)["points"] == ", ".join(expected)
    assert expected[0].startswith("09:")  # sunrise is about 06:55, sunset about 17:57


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({"ramp": 301}, {"ramp": "ramp_out_of_range"}),  # more than half the photoperiod
        ({"photoperiod": 23.5, "ramp": 720}, {"ramp": "ramp_out_of_range"}),
        (
            {"template": "follow_sun", "min_photoperiod": 13},
            {"max_photoperiod": "photoperiods_reversed"},
        ),
        ({"channels": float("nan")}, {"base": "not_a_number"}),
        ({"start": "8:00"}, {"start": "invalid_time"}),
    ],
)
async def test_a_template_that_makes_no_day(
    hass: HomeAssistant, answers: dict[str, Any], errors: dict[str, str]
) -> None:
    entry, _ = await setup_local(hass)
    step = subentry_step(hass)
    result = await to_template(hass, entry)
    result = await answer(step, result, suggested(result) | answers)
    assert (result["step_id"], result["errors"]) == ("profile_template", errors)


async def test_no_sun_to_follow(hass: HomeAssistant) -> None:
    await hass.config.async_update(latitude=89.5, longitude=0)  # the polar night
    entry, _ = await setup_local(hass)
    step = subentry_step(hass)
    result = await to_template(hass, entry)
    answers = {"template": "follow_sun", "channels": 1, "names": "Sun"}
    result = await answer(step, result, suggested(result) | answers)
    assert result["errors"] == {"template": "no_sun_today"}


async def test_the_moon_from_moonrise_to_moonset(hass: HomeAssistant) -> None:
    await hass.config.async_update(latitude=52.52, longitude=13.405)  # Berlin
    entry, _ = await setup_local(hass)
    step = subentry_step(hass)
    result = await to_template(hass, entry)
    result = await answer(
        step,
        result,
        suggested(result) | {"channels": 1, "names": "Blue"},
        channel("Blue", [BLUE]),
        LINEAR | {"moon": {"lights": [MOONLIGHT], "max_level": 8}},
    )
    table = result["description_placeholders"]["preview"].splitlines()
    # Full moon on 3 March 2026: it sets after 06:00 and rises before 18:00 in Berlin.
    moon = [row.removesuffix(" |").rpartition(" | ")[2] for row in table[2:]]
    assert moon == ["8", "8", "8", "0", "0", "0", "8", "8"]
