"""The Lovelace card end to end: a real Home Assistant serves and registers it, Chromium shows it.

Schedules are made through the actions (a light profile, a wave pattern, a dose from a doser
added through its subentry flow, an hourly skimmer), the card sits on a storage-mode dashboard
that only names its type: the resource it needs is the one the integration registered. The
card must show the rows, run markers and curves; its buttons must change what Home Assistant
reports over REST; a light changed by hand must show drift until Re-apply puts it back; feed
mode shows as a band. Last the card is edited in the dashboard's editor and saved.
Screenshots at desktop width (light and dark) and at 360 px go to the screenshots folder.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
import re
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.reef_scheduler.const import DOMAIN

from .hass_ui import (
    DESKTOP,
    EDIT,
    SAVE,
    SMALL_PHONE,
    Shots,
    Viewport,
    label,
    open_context,
    unavailable,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator, Page

    from .instance import Instance

REASON = unavailable()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(REASON is not None, reason=str(REASON))]

CARD_TAG = "reef-scheduler-card"
CARD_PATH = f"/{DOMAIN}/frontend/{CARD_TAG}.js"
DASHBOARD = "reef-day"
# A window from two hours ago: the next day's runs are in it whenever the test runs.
CARD = {"type": f"custom:{CARD_TAG}", "start": "now", "hours": 24}
BLUE = "light.reef_blue"
# Blue's profile is flat at this level from an hour ago to two hours ahead (see schedules).
BLUE_NOW = 40
SKIMMER = "switch.skimmer"
WAVEMAKER = "switch.wavemaker"
DOSER = {"name": "Alk doser", "pump": "switch.return_pump", "daily_max_ml": 60}
ROWS = ["alkalinity", "reef_light", "skimmer_cycle", "waves"]
# A curve's path that draws: a move, then at least one line.
DRAWN_LINE = re.compile(r"^M[\d.]+ [\d.]+ L")


def schedules(now: datetime) -> list[dict[str, Any]]:
    """Return the schedules of the day, Blue's profile flat around `now` (local)."""
    clock = lambda hours: (now + timedelta(hours=hours)).strftime("%H:%M")  # noqa: E731
    blue = [(-5, 0), (-1, BLUE_NOW), (2, BLUE_NOW), (6, 0)]
    return [
        {
            "id": "reef_light",
            "name": "Reef light",
            "type": "light_profile",
            "profile": {
                "channels": [
                    {
                        "name": "Blue",
                        "lights": [BLUE],
                        "points": [{"time": clock(h), "level": level} for h, level in blue],
                    },
                    {
                        "name": "White",
                        "lights": ["light.reef_white"],
                        "points": [
                            {"time": "08:00", "level": 0},
                            {"time": "10:00", "level": 60},
                            {"time": "18:00", "level": 60},
                            {"time": "20:00", "level": 0},
                        ],
                    },
                ],
                "moon": {"lights": ["light.reef_uv"], "max_level": 5},
            },
        },
        {
            "id": "waves",
            "name": "Waves",
            "type": "wave",
            "wave": {"pumps": [WAVEMAKER], "mode": "pulse", "on": 600, "off": 300},
        },
        {
            "id": "alkalinity",
            "name": "Alkalinity",
            "type": "dosing",
            "dosing": {
                "doser": DOSER["pump"],
                "daily_ml": 24,
                "doses": 6,
                "start": "00:00",
                "end": "20:00",
            },
        },
        {
            "id": "skimmer_cycle",
            "name": "Skimmer cycle",
            "type": "interval",
            "every": 3600,
            "action": {"type": "on", "duration": 600, "target": {"entity_id": [SKIMMER]}},
        },
    ]


async def test_card(instance: Instance, browser: Browser, screenshots: Path) -> None:
    from playwright.async_api import expect

    client = instance.client
    await instance.subentry_flow("doser", DOSER, {"seconds": 1}, {"ml": 0.5})
    now = datetime.now(ZoneInfo(instance.timezone))
    for schedule in schedules(now):
        await client.call(DOMAIN, "create_schedule", {"schedule": schedule}, response=True)
    (resources,) = await client.ws({"type": "lovelace/resources"})
    ours = [r for r in resources if r["url"].split("?")[0] == CARD_PATH]
    assert [r["type"] for r in ours] == ["module"], resources
    (day,) = await client.ws({"type": f"{DOMAIN}/day"})
    enabled = {row["id"]: row["enabled_entity"] for row in day["schedules"]}
    page_path = await instance.add_dashboard(
        DASHBOARD, "Reef", {"title": "Reef", "path": "day", "type": "panel", "cards": [CARD]}
    )

    context = await open_context(browser, DESKTOP, instance.base, instance.token, instance.timezone)
    try:
        page = await context.new_page()
        shots = Shots(page, screenshots / "card" / DESKTOP.folder)
        try:
            await page.goto(instance.base + page_path)
            card = await shows_the_day(page)
            await shots.take("card")
            await card.screenshot(path=shots.folder / "card-only.png", animations="disabled")

            await card.get_by_role("button", name="Run now: Skimmer cycle").click()
            await instance.wait_for_state(SKIMMER, lambda s: s["state"] == "on")
            # Its run: under way while the call is, a success once the skimmer is on.
            skimmer = card.locator('[data-schedule="skimmer_cycle"]')
            done = skimmer.locator('[data-result="success"], [data-result="running"]')
            await expect(done).to_have_count(1)

            toggle = card.get_by_role("switch", name="Enabled: Skimmer cycle")
            await expect(toggle).to_have_attribute("aria-checked", "true")
            await toggle.click()
            await instance.wait_for_state(enabled["skimmer_cycle"], lambda s: s["state"] == "off")
            await expect(toggle).to_have_attribute("aria-checked", "false")
            # A disabled schedule has nothing to come; enabled again, its hours come back.
            await expect(skimmer.locator('[data-result="upcoming"]')).to_have_count(0)
            await toggle.click()
            await instance.wait_for_state(enabled["skimmer_cycle"], lambda s: s["state"] == "on")
            await expect(skimmer.locator('[data-result="upcoming"]').nth(20)).to_be_attached()

            await client.call("light", "turn_on", {"entity_id": BLUE, "brightness": 255})
            drift = card.locator(f'[data-schedule="reef_light"] [data-drift="{BLUE}"]')
            await expect(drift).to_contain_text(
                f"Drift: Reef Blue 100 % now, {BLUE_NOW} % prescribed"
            )
            await shots.take("card-drift")
            await drift.get_by_role("button", name="Re-apply Reef Blue").click()
            await instance.wait_for_state(
                BLUE, lambda s: s["attributes"].get("brightness") == round(BLUE_NOW * 2.55)
            )
            await expect(drift).to_have_count(0)

            await client.call(DOMAIN, "feed_mode", {"minutes": 10, "devices": [WAVEMAKER]})
            await expect(card.locator("[data-care]")).to_contain_text("Feed mode")
            waves = card.locator('[data-schedule="waves"]')
            await expect(waves.locator(".care-feed")).to_have_count(1)
            await shots.take("card-feed")
        except BaseException:
            await shots.take("FAILED", whole=False)
            raise
    finally:
        await context.close()

    for viewport, dark, name in ((DESKTOP, True, "card-dark"), (SMALL_PHONE, False, "card")):
        await screenshot(browser, instance, viewport, page_path, screenshots, name, dark=dark)
    await edit_the_card(browser, instance, page_path, screenshots)


async def shows_the_day(page: Page) -> Locator:
    """Wait for the card's own text; check its rows, markers and a curve; return the card."""
    from playwright.async_api import expect

    card = page.locator(CARD_TAG)
    await expect(card.get_by_text("Reef day")).to_be_visible()
    rows = card.locator("[data-schedule]")
    await expect(rows).to_have_count(len(ROWS))
    assert await rows.evaluate_all("rows => rows.map(r => r.dataset.schedule)") == ROWS
    doses = card.locator('[data-schedule="alkalinity"]')
    # Six doses a day, every four hours: at least four are still to come in the window.
    await expect(doses.locator('[data-result="upcoming"]').nth(3)).to_be_attached()
    await expect(doses.locator(".ml").first).to_have_text("4 ml")
    skimmer = card.locator('[data-schedule="skimmer_cycle"]')
    await expect(skimmer.locator('[data-result="upcoming"]').nth(20)).to_be_attached()
    blue = card.locator(f'[data-schedule="reef_light"] path[data-entity="{BLUE}"]')
    await expect(blue).to_have_attribute("d", DRAWN_LINE)
    await expect(card.locator('[data-schedule="waves"] .band-wave').first).to_be_attached()
    await expect(card.locator(".lane .now").first).to_be_visible()
    return card


async def screenshot(
    browser: Browser,
    instance: Instance,
    viewport: Viewport,
    page_path: str,
    screenshots: Path,
    name: str,
    *,
    dark: bool,
) -> None:
    """Open the dashboard at a viewport (and colour scheme) and screenshot it once it shows."""
    context = await open_context(
        browser, viewport, instance.base, instance.token, instance.timezone, dark=dark
    )
    try:
        page = await context.new_page()
        folder = screenshots / "card" / (viewport.folder + ("-dark" if dark else ""))
        shots = Shots(page, folder)
        await page.goto(instance.base + page_path)
        await shows_the_day(page)
        await shots.take(name)
    finally:
        await context.close()


async def edit_the_card(
    browser: Browser, instance: Instance, page_path: str, screenshots: Path
) -> None:
    """Edit the card in the dashboard's editor: a title and one schedule; save; it shows them."""
    from playwright.async_api import expect

    context = await open_context(browser, DESKTOP, instance.base, instance.token, instance.timezone)
    try:
        page = await context.new_page()
        shots = Shots(page, screenshots / "card" / "editor")
        try:
            await page.goto(instance.base + page_path)
            await shows_the_day(page)
            await page.get_by_label("Edit dashboard").click()
            await page.get_by_role("button", name=EDIT, exact=True).first.click()
            title = page.get_by_role("textbox", name=label("Title"))
            await title.fill("Doses")
            await page.get_by_role("checkbox", name="Alkalinity").check()
            # The editor's preview follows at once; the dashboard's card only once saved.
            preview = page.locator(CARD_TAG).filter(has=page.get_by_text("Doses", exact=True))
            await expect(preview.locator("[data-schedule]")).to_have_count(1)
            await shots.take("card-editor")
            await page.get_by_role("button", name=SAVE, exact=True).click()
            await expect(title).to_be_hidden()
        except BaseException:
            await shots.take("FAILED", whole=False)
            raise
    finally:
        await context.close()
    (config,) = await instance.client.ws({"type": "lovelace/config", "url_path": DASHBOARD})
    assert config["views"][0]["cards"] == [CARD | {"title": "Doses", "schedules": ["alkalinity"]}]
