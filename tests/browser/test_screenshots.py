"""Screenshots of what a reef keeper meets, taken in a real Chromium against a real Home Assistant.

At desktop and phone width: each step of "Add schedule" for a daily ramp (and a refused time
of day with its error), the new schedule's device page and the calendar panel in week view; at
desktop width also each step of a two-channel light profile (and a refused point).
Each screenshot is taken once the page shows its own text (step title, error, device model),
so it is of the right thing. The flow's steps are one table (flow_steps); a changed flow only
changes the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest

from custom_components.reef_scheduler.const import DOMAIN

from .hass_ui import (
    DESKTOP,
    FINISH,
    MENU,
    MY_CALENDARS,
    NEXT,
    PHONE,
    SUBMIT,
    Choice,
    Entity,
    Field,
    Lights,
    Number,
    Section,
    Shots,
    Text,
    Viewport,
    any_of,
    open_context,
    shown,
    unavailable,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

    from .instance import Instance

REASON = unavailable()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(REASON is not None, reason=str(REASON))]

ROOT = Path(__file__).resolve().parents[2]
EN = json.loads((ROOT / f"custom_components/{DOMAIN}/translations/en.json").read_text("utf-8"))
FLOW = EN["config_subentries"]["schedule"]


def option(selector: str, value: str) -> str:
    """Return the English text of a drop-down option."""
    text: str = EN["selector"][selector]["options"][value]
    return text


@dataclass(frozen=True)
class Step:
    """One step of the schedule flow: what to enter, and a refused value to try first."""

    step_id: str
    fields: Mapping[str, Field]
    # field -> (a value the step refuses, the error key it shows); tried before `fields`.
    refused: Mapping[str, tuple[Field, str]] = field(default_factory=dict)


def flow_steps(name: str) -> tuple[Step, ...]:
    """Return the steps of "Add schedule" for a daily 08:00 ramp of Reef Blue, 0 -> 80 % in 1 h."""
    return (
        Step("kind", {"name": Text(name), "kind": Choice(option("schedule_kind", "daily"))}),
        Step(
            "timing_daily",
            {"times": Text("08:00")},
            refused={"times": (Text("25:00"), "invalid_time")},
        ),
        Step("action", {"action": Choice(option("action_type", "ramp"))}),
        Step(
            "action_ramp",
            {
                "start_level": Number(0),
                "level": Number(80),
                "duration": Number(60),  # minutes
                "curve": Choice(option("ramp_curve", "linear")),
            },
        ),
        Step("targets", {"target": Entity("Reef Blue")}),
        Step("policy", {}),
    )


DAY = "08:00 0, 10:00 80, 18:00 80, 20:00 0"
PROFILE = "light_profile"


def profile_steps(name: str) -> tuple[Step, ...]:
    """Return the steps of "Add schedule" for a light profile: Blue and White, and moonlight."""
    return (
        Step("kind", {"name": Text(name), "kind": Choice(option("schedule_kind", PROFILE))}),
        Step(
            "profile_template",  # the first template, diurnal
            {
                "channels": Number(2),
                "names": Text("Blue, White"),
            },
        ),
        Step(
            "profile_channel",
            {"lights": Lights("Reef Blue"), "points": Text(DAY)},
            refused={"points": (Text("08:00 0, 10:00 eighty"), "invalid_point")},
        ),
        # The template's day (08:00, two-hour ramps, ten hours, 80 %) as it comes.
        Step("profile_channel", {"lights": Lights("Reef White")}),
        Step(
            "profile_extras",
            {"moon": Section({"lights": Lights("Reef UV"), "max_level": Number(5)})},
        ),
        Step("profile_policy", {}),
    )


PROFILE_RESULT: dict[str, Any] = {
    "type": PROFILE,
    "profile": {
        "channels": [
            {"name": "Blue", "lights": ["light.reef_blue"]},
            {
                "name": "White",
                "lights": ["light.reef_white"],
                "points": [
                    {"time": "08:00", "level": 0},
                    {"time": "10:00", "level": 80},
                    {"time": "16:00", "level": 80},
                    {"time": "18:00", "level": 0},
                ],
            },
        ],
        "moon": {"lights": ["light.reef_uv"], "max_level": 5},
    },
}


# The schedules created through the actions before the pages are opened.
SCHEDULES: tuple[dict[str, Any], ...] = (
    {
        "id": "sunrise",
        "name": "Sunrise",
        "type": "recurring",
        "frequency": "daily",
        "times": ["08:00"],
        "action": {
            "type": "ramp",
            "start_level": 0,
            "level": 80,
            "duration": 3600,
            "target": {"entity_id": ["light.reef_blue"]},
        },
    },
    {
        "id": "wave_pulse",
        "name": "Wave pulse",
        "type": "interval",
        "every": 900,
        "action": {"type": "on", "duration": 300, "target": {"entity_id": ["switch.wavemaker"]}},
    },
    {
        "id": "skimmer_cycle",
        "name": "Skimmer cycle",
        "type": "cron",
        "cron": "*/30 * * * *",
        "action": {"type": "on", "duration": 900, "target": {"entity_id": ["switch.skimmer"]}},
    },
)
# What the flow's answers make, compared with the saved definition (these keys only).
FLOW_RESULT: dict[str, Any] = {
    "type": "recurring",
    "frequency": "daily",
    "times": ["08:00"],
    "action": {
        "type": "ramp",
        "start_level": 0,
        "level": 80,
        "duration": 3600,
        "curve": "linear",
        "target": {"entity_id": ["light.reef_blue"]},
    },
}
# Each width adds its own schedule through the flow (names must differ).
FLOW_NAMES = {DESKTOP.name: "Blue sunrise", PHONE.name: "Blue sunrise (phone)"}


async def test_screenshots(instance: Instance, browser: Browser, screenshots: Path) -> None:
    client = instance.client
    for schedule in SCHEDULES:
        await client.call(DOMAIN, "create_schedule", {"schedule": schedule}, response=True)
    for viewport in (DESKTOP, PHONE):
        context = await open_context(
            browser, viewport, instance.base, instance.token, instance.timezone
        )
        try:
            page = await context.new_page()
            shots = Shots(page, screenshots / viewport.folder)
            try:
                await _walk(page, shots, instance, viewport)
            except BaseException:
                await shots.take("FAILED", whole=False)
                raise
        finally:
            await context.close()


async def _walk(page: Page, shots: Shots, instance: Instance, viewport: Viewport) -> None:
    """Take every screenshot of one width."""
    name = FLOW_NAMES[viewport.name]
    await add_schedule(page, shots, instance.base, flow_steps(name))
    assert picked(await definition_of(instance, name), FLOW_RESULT) == FLOW_RESULT
    device = await device_of(instance, name)
    await device_page(page, shots, instance.base, device)
    await calendar_week(page, shots, instance)
    if viewport is DESKTOP:
        await add_schedule(page, shots, instance.base, profile_steps("Reef light"), "profile")
        result = picked(await definition_of(instance, "Reef light"), PROFILE_RESULT)
        assert result == PROFILE_RESULT


# ----- the flow ------------------------------------------------------------------------------


async def add_schedule(
    page: Page, shots: Shots, base: str, steps: tuple[Step, ...], prefix: str = "flow"
) -> None:
    """Walk "Add schedule" from the integration's page; screenshot each step once filled."""
    from playwright.async_api import expect

    await page.goto(f"{base}/config/integrations/integration/{DOMAIN}")
    await start_flow(page, FLOW["initiate_flow"]["user"])
    for number, step in enumerate(steps, start=1):
        button = SUBMIT if number == len(steps) else NEXT
        texts = FLOW["step"][step.step_id]
        title = page.get_by_role("heading", name=shown(texts["title"]))
        await expect(title).to_be_visible()
        shot = f"{prefix}-{number}-{step.step_id}"
        if step.refused:
            await fill(
                page, texts, {**step.fields, **{k: bad for k, (bad, _) in step.refused.items()}}
            )
            await submit(page, button)
            for _, code in step.refused.values():
                await expect(page.get_by_text(shown(FLOW["error"][code]))).to_be_visible()
            await expect(title).to_be_visible()
            await shots.take(f"{shot}-refused")
        await fill(page, texts, step.fields)
        await shots.take(shot)
        await submit(page, button)
    await page.get_by_role("button", name=FINISH, exact=True).click()
    await expect(page.get_by_role("alertdialog")).to_be_hidden()


async def start_flow(page: Page, action: str) -> None:
    """Click an entry's action where it shows, or else in the (first) entry's overflow menu."""
    from playwright.async_api import expect

    button = page.get_by_role("button", name=action, exact=True)
    menu = page.get_by_role("button", name=MENU, exact=True).first
    await expect(button.or_(menu).first).to_be_visible()
    if not await button.is_visible():
        await menu.click()
        # The 2025.4 menu's items have no role the accessibility tree shows.
        button = page.get_by_text(action, exact=True)
    await button.click()


async def fill(page: Page, texts: Mapping[str, Any], fields: Mapping[str, Field]) -> None:
    """Enter each field's value, finding the field by its translated label (sections too)."""
    for key, value in fields.items():
        if isinstance(value, Section):
            section = texts["sections"][key]
            await value.fill(page, section["name"])
            await fill(page, section, value.fields)
        else:
            await value.fill(page, texts["data"][key])


async def submit(page: Page, button: str) -> None:
    """Press the step's button, which must say `button` (Next, or Submit on the last step)."""
    await page.get_by_role("button", name=button, exact=True).click()


# ----- the device page and the calendar ------------------------------------------------------


async def definition_of(instance: Instance, name: str) -> dict[str, Any]:
    """Return the saved definition of the schedule named `name` (from the diagnostics)."""
    (entry,) = await instance.client.entries(DOMAIN)
    report = await instance.client.get(f"/api/diagnostics/config_entry/{entry['entry_id']}")
    found = [
        schedule["definition"]
        for schedule in report["data"]["schedules"].values()
        if schedule["definition"]["name"] == name
    ]
    assert len(found) == 1, f"one schedule named {name!r}"
    definition: dict[str, Any] = found[0]
    return definition


def picked(actual: Any, expected: Any) -> Any:
    """Return the part of `actual` that `expected` has keys for (nested mappings and lists)."""
    if isinstance(actual, list) and isinstance(expected, list) and len(actual) == len(expected):
        return [picked(item, want) for item, want in zip(actual, expected, strict=True)]
    if not isinstance(actual, Mapping) or not isinstance(expected, Mapping):
        return actual
    return {key: picked(actual.get(key), value) for key, value in expected.items()}


async def device_of(instance: Instance, name: str) -> dict[str, Any]:
    """Return the registry entry of the device of a schedule (the flow has just made it)."""
    (devices,) = await instance.client.ws({"type": "config/device_registry/list"})
    found = [device for device in devices if device["name"] == name]
    assert len(found) == 1, f"one device named {name!r}: {[d['name'] for d in devices]}"
    device: dict[str, Any] = found[0]
    return device


async def device_page(page: Page, shots: Shots, base: str, device: dict[str, Any]) -> None:
    """Open a schedule's device page; it shows its name and what the schedule is (model)."""
    from playwright.async_api import expect

    await page.goto(f"{base}/config/devices/device/{device['id']}")
    await expect(page.get_by_text(device["name"], exact=True).first).to_be_visible()
    await expect(page.get_by_text(device["model"]).first).to_be_visible()
    await shots.take("device")


async def calendar_week(page: Page, shots: Shots, instance: Instance) -> None:
    """Open the calendar panel in week view; it shows the runs and lists the reef calendars."""
    from playwright.async_api import expect

    calendars = await reef_calendars(instance)
    summaries = await week_summaries(instance, list(calendars))
    assert summaries, "the reef calendars have runs this week"
    await page.goto(f"{instance.base}/calendar")
    await week_view(page)
    # A day of the week grid names its events (on a phone their titles may be cut off).
    day = page.get_by_role("gridcell", name=any_of(summaries))
    await expect(day.first).to_be_visible()
    titles = [page.get_by_text(title, exact=True).first for title in calendars.values()]
    menu = page.get_by_role("button", name=MY_CALENDARS)  # on a phone the list is a menu
    await expect(titles[0].or_(menu).first).to_be_visible()
    phone = await menu.is_visible()
    if not phone:
        for title in titles:
            await expect(title).to_be_visible()
    await shots.take("calendar-week")
    if phone:
        await menu.click()
        for title in titles:
            await expect(title).to_be_visible()
        await shots.take("calendar-list", whole=False)


async def week_view(page: Page) -> None:
    """Switch the calendar panel to its week view; its title becomes a range of days."""
    from playwright.async_api import expect

    # 2025.4 leaves the view buttons without names: Month, Week, Day, List, in that order.
    views = page.locator("ha-button-toggle-group").get_by_role("button")
    await views.nth(1).click()
    await expect(
        page.get_by_role("heading", name=re.compile(r"\d\s*[\u2013-]\s*\w"))
    ).to_be_visible()


async def reef_calendars(instance: Instance) -> dict[str, str]:
    """Return entity id -> title of every calendar of the integration."""
    (entities,) = await instance.client.ws({"type": "config/entity_registry/list"})
    states = await instance.client.states()
    return {
        entity["entity_id"]: states[entity["entity_id"]]["attributes"]["friendly_name"]
        for entity in entities
        if entity["platform"] == DOMAIN
        and entity["entity_id"].startswith("calendar.")
        and entity["disabled_by"] is None
    }


async def week_summaries(instance: Instance, calendars: list[str]) -> set[str]:
    """Return the summaries of the calendars' events from yesterday to a week ahead."""
    now = datetime.now(UTC)
    span = {
        "start": (now - timedelta(days=1)).isoformat(),
        "end": (now + timedelta(days=8)).isoformat(),
    }
    summaries: set[str] = set()
    for entity_id in calendars:
        events = await instance.client.get(f"/api/calendars/{entity_id}?{urlencode(span)}")
        summaries.update(event["summary"] for event in events)
    return summaries
