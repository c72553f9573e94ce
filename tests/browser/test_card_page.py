"""The Lovelace card in Chromium against a fixed day (card_page's stand-in hass, no Home Assistant).

What a real instance cannot show on demand: DST days (23 and 25 hour slots, runs placed by
elapsed time), every run result, an open ramp's gap, care bands, drift; and exactly what the card
sends for each option and button.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.reef_scheduler.const import DOMAIN

from .card_page import (
    CARD_TAG,
    FALL_BACK,
    SPRING_FORWARD,
    ZONE,
    local,
    open_card,
    reef_day,
    sent,
)
from .hass_ui import DESKTOP, SMALL_PHONE, unavailable

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator, Page

REASON = unavailable()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(REASON is not None, reason=str(REASON))]

DASH = "\u2013"  # the card's ranges of time use an en dash
SCHEDULE_IDS = ["alkalinity", "reef_light", "skimmer_cycle", "sunrise", "waves"]


def card(page: Page) -> Locator:
    """Return the card (Playwright's locators see into its shadow root)."""
    return page.locator(CARD_TAG)


async def left(marker: Locator) -> float:
    """Return where a mark sits across its lane, in percent of the window."""
    value: str = await marker.evaluate("el => el.style.left")
    return float(value.removesuffix("%"))


async def test_spring_forward_day_draws_23_hours(browser: Browser) -> None:
    from playwright.async_api import expect

    page = await open_card(browser, DESKTOP, {}, reef_day(SPRING_FORWARD))
    await expect(card(page).get_by_text("Reef day")).to_be_visible()
    await expect(card(page).locator("[data-hours]")).to_have_text("23 h")
    await expect(card(page).get_by_text(ZONE)).to_be_visible()
    await expect(card(page).get_by_text("Sun, 29 Mar 2026")).to_be_visible()
    labels = await card(page).locator(".hour").all_text_contents()
    assert labels == [f"{hour:02d}" for hour in range(24) if hour != 2]
    # 08:00 CEST is 7 elapsed hours into the day: placed by time, not by the wall clock.
    dose = card(page).locator('[data-schedule="alkalinity"] [data-result]').first
    assert await left(dose) == pytest.approx(7 / 23 * 100, abs=0.01)


async def test_fall_back_day_draws_25_hours(browser: Browser) -> None:
    from playwright.async_api import expect

    day = reef_day(FALL_BACK, now=local(FALL_BACK, 14, 5))
    page = await open_card(browser, DESKTOP, {}, day)
    await expect(card(page).locator("[data-hours]")).to_have_text("25 h")
    labels = await card(page).locator(".hour").all_text_contents()
    assert labels == ["00", "01", "02", *(f"{hour:02d}" for hour in range(2, 24))]
    dose = card(page).locator('[data-schedule="alkalinity"] [data-result]').first
    assert await left(dose) == pytest.approx(9 / 25 * 100, abs=0.01)


async def test_rows_runs_bands_curves_and_care(browser: Browser) -> None:
    from playwright.async_api import expect

    page = await open_card(browser, DESKTOP, {"title": "My reef"}, reef_day(SPRING_FORWARD))
    shown = card(page)
    await expect(shown.get_by_text("My reef")).to_be_visible()
    rows = shown.locator("[data-schedule]")
    await expect(rows).to_have_count(len(SCHEDULE_IDS))
    assert await rows.evaluate_all("rows => rows.map(r => r.dataset.schedule)") == SCHEDULE_IDS
    skimmer = shown.locator('[data-schedule="skimmer_cycle"]')
    markers = skimmer.locator("[data-result]")
    assert await markers.evaluate_all("ms => ms.map(m => m.dataset.result)") == [
        "success",
        "success",
        "failed",
        "skipped",
        "interrupted",
        "running",
        "upcoming",
    ]
    failed = skimmer.locator('[data-result="failed"]')
    await expect(failed).to_have_attribute(
        "title", f"08:00{DASH}08:15 · failed · switch.skimmer is unavailable"
    )
    await expect(skimmer.locator(".band-hold")).to_have_count(4)
    await expect(skimmer.locator(".care-feed")).to_have_count(1)
    await expect(skimmer.locator(".care-feed")).to_have_attribute(
        "title", f"Feed mode 12:30{DASH}12:47"
    )
    light = shown.locator('[data-schedule="reef_light"]')
    await expect(light.locator("path[data-entity]")).to_have_count(2)
    blue = light.locator('path[data-entity="light.reef_blue"]')
    white = light.locator('path[data-entity="light.reef_white"]')
    assert (await blue.get_attribute("d") or "").startswith("M0 100 L")
    # The open ramp's unknown level (null) breaks White's line into two.
    assert (await white.get_attribute("d") or "").count("M") == 2
    await expect(light.locator(".band-ramp")).to_have_count(2)
    await expect(light.get_by_text("Reef White")).to_be_visible()  # the lines' key
    waves = shown.locator('[data-schedule="waves"]')
    await expect(waves.locator("path")).to_have_count(0)
    await expect(waves.locator(".band-wave")).to_have_count(1)
    await expect(waves.get_by_text("Paused until 15:00")).to_be_visible()
    doses = shown.locator('[data-schedule="alkalinity"]')
    await expect(doses.locator(".ml")).to_have_text(["6 ml"] * 4)
    await expect(doses.locator("path")).to_have_count(0)
    await expect(doses.locator('[data-result="success"]').first).to_have_attribute(
        "title", "08:00 · success · 6 ml"
    )
    sunrise = shown.locator('[data-schedule="sunrise"]')
    await expect(sunrise.get_by_role("switch", name="Enabled: Sunrise")).to_have_attribute(
        "aria-checked", "false"
    )
    await expect(shown.locator("[data-care]")).to_contain_text("Feed mode")
    await expect(shown.locator(".lane .now").first).to_be_visible()


async def test_buttons_call_the_services_and_drift_goes_with_the_next_day(
    browser: Browser,
) -> None:
    from playwright.async_api import expect

    day = reef_day(SPRING_FORWARD)
    page = await open_card(browser, DESKTOP, {}, day)
    shown = card(page)
    drift = shown.locator('[data-schedule="reef_light"] [data-drift]')
    await expect(drift).to_have_text("! Drift: Reef Blue 100 % now, 40 % prescribed Re-apply")
    await expect(shown.locator("[data-drift]")).to_have_count(2)  # Reef light and Sunrise
    await drift.get_by_role("button", name="Re-apply Reef Blue").click()
    await shown.get_by_role("switch", name="Enabled: Sunrise").click()
    await shown.get_by_role("button", name="Run now: Skimmer cycle").click()
    await shown.get_by_role("button", name="Skip next: Alkalinity").click()
    await page.wait_for_function("window.sent.calls.length >= 4")
    assert (await sent(page))["calls"] == [
        [DOMAIN, "reapply", {"entity_id": ["light.reef_blue"]}],
        ["switch", "toggle", {"entity_id": "switch.sunrise_enabled"}],
        [DOMAIN, "run_now", {"schedule_id": "skimmer_cycle"}],
        [DOMAIN, "skip_next", {"schedule_id": "alkalinity"}],
    ]
    for target in day["targets"]:
        target["drift"] = False
    await page.evaluate("day => window.push(day)", day)
    await expect(shown.locator("[data-drift]")).to_have_count(0)


async def test_a_refused_call_is_shown(browser: Browser) -> None:
    from playwright.async_api import expect

    page = await open_card(browser, DESKTOP, {}, reef_day(SPRING_FORWARD))
    await page.evaluate(
        """() => { document.querySelector("reef-scheduler-card").hass.callService =
          async () => { throw { code: "invalid", message: "Nothing prescribes" }; };
        }"""
    )
    await card(page).get_by_role("button", name="Run now: Waves").click()
    await expect(card(page).get_by_role("alert")).to_contain_text("Nothing prescribes")
    await card(page).get_by_role("button", name="Dismiss").click()
    await expect(card(page).get_by_role("alert")).to_have_count(0)


async def test_rows_per_target(browser: Browser) -> None:
    from playwright.async_api import expect

    config = {"rows": "targets", "entities": ["light.reef_blue", "switch.skimmer"]}
    page = await open_card(browser, DESKTOP, config, reef_day(SPRING_FORWARD))
    shown = card(page)
    rows = shown.locator(".target-row")
    await expect(rows).to_have_count(2)
    assert await rows.evaluate_all("rows => rows.map(r => r.dataset.entity)") == [
        "light.reef_blue",
        "switch.skimmer",
    ]
    blue = shown.locator('.target-row[data-entity="light.reef_blue"]')
    await expect(blue.locator('path[data-entity="light.reef_blue"]')).to_have_count(1)
    await expect(blue.locator("[data-drift]")).to_have_text(
        "! Drift: 100 % now, 40 % prescribed Re-apply"
    )
    # The runs of both schedules that reach it, named in their tooltips.
    await expect(blue.locator('[data-result="upcoming"]')).to_have_attribute(
        "title", f"Sunrise · 07:00{DASH}08:00 · upcoming"
    )
    skimmer = shown.locator('.target-row[data-entity="switch.skimmer"]')
    await expect(skimmer.get_by_text("Feed mode")).to_be_visible()  # held now
    await expect(skimmer.locator("[data-result]")).to_have_count(7)


async def test_what_the_card_subscribes_to(browser: Browser) -> None:
    day = reef_day(SPRING_FORWARD)
    now = datetime.fromisoformat(day["now"])
    page = await open_card(browser, DESKTOP, {}, day)
    await page.wait_for_function("window.sent.subscriptions.length === 1")
    subscribe = f"{DOMAIN}/day/subscribe"
    configs: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"schedules": ["waves"], "hours": 30}, {"start": local(SPRING_FORWARD, 0)}),
        ({"schedules": ["waves"], "start": "now"}, {"start": now - timedelta(hours=2)}),
        ({"rows": "targets", "entities": ["light.reef_blue"]}, {}),
    ]
    for number, (config, _) in enumerate(configs, start=2):
        await page.evaluate(
            "config => document.querySelector('reef-scheduler-card').setConfig(config)", config
        )
        await page.wait_for_function(f"window.sent.subscriptions.length === {number}")
    # A title alone changes nothing the card asks for.
    await page.evaluate(
        "() => document.querySelector('reef-scheduler-card').setConfig("
        "{rows: 'targets', entities: ['light.reef_blue'], title: 'x'})"
    )
    await page.evaluate("() => document.querySelector('reef-scheduler-card').remove()")
    got = await sent(page)
    # Start instants as the card writes them (JavaScript's ISO form), compared as instants.
    for message in got["subscriptions"]:
        if "start" in message:
            message["start"] = datetime.fromisoformat(message["start"])
    assert got["subscriptions"] == [
        {"type": subscribe},
        {"type": subscribe, "schedules": ["waves"], "hours": 30, **configs[0][1]},
        {"type": subscribe, "schedules": ["waves"], "hours": 24, **configs[1][1]},
        {"type": subscribe, "entities": ["light.reef_blue"]},
    ]
    assert got["unsubscribed"] == 4


async def test_the_card_subscribes_again_when_its_window_moves_on(browser: Browser) -> None:
    late = local(SPRING_FORWARD, 23, 59)
    page = await open_card(browser, DESKTOP, {}, reef_day(SPRING_FORWARD, now=late), clock="on")
    count = "() => window.sent.subscriptions.length"
    await page.clock.run_for(1000)  # the day arrives
    assert await page.evaluate(count) == 1
    # Past midnight: the next local day.
    await page.clock.run_for(2 * 60_000)
    assert await page.evaluate(count) == 2
    await page.evaluate(
        "() => document.querySelector('reef-scheduler-card').setConfig({start: 'now'})"
    )
    await page.clock.run_for(1000)
    assert await page.evaluate(count) == 3
    # A window from now slides on every hour.
    await page.clock.run_for(60 * 60_000)
    got = await sent(page)
    assert len(got["subscriptions"]) == 4
    assert got["unsubscribed"] == 3
    starts = [datetime.fromisoformat(m["start"]) for m in got["subscriptions"][2:]]
    # (a few ms more: the renewal is timed from the day's arrival)
    assert timedelta(hours=1) <= starts[1] - starts[0] < timedelta(hours=1, seconds=1)


async def test_a_refused_subscription_is_shown(browser: Browser) -> None:
    from playwright.async_api import expect

    page = await open_card(browser, DESKTOP, {}, reef_day(SPRING_FORWARD))
    await page.evaluate(
        """() => {
          const card = document.createElement("reef-scheduler-card");
          card.setConfig({ title: "Second" });
          const hass = window.fakeHass(window.day);
          hass.connection.subscribeMessage = () =>
            Promise.reject({ code: "unknown_command", message: "Unknown command." });
          card.hass = hass;
          document.body.append(card);
        }"""
    )
    second = card(page).nth(1)
    await expect(second.get_by_role("alert")).to_have_text(
        "Reef Scheduler does not answer: Unknown command."
    )


async def test_phone_width_puts_names_above_their_timelines(
    browser: Browser, screenshots: Path
) -> None:
    from playwright.async_api import expect

    page = await open_card(browser, SMALL_PHONE, {}, reef_day(SPRING_FORWARD))
    rows = card(page).locator("[data-schedule]")
    await expect(rows).to_have_count(len(SCHEDULE_IDS))
    await expect(card(page).locator(".card.narrow")).to_have_count(1)
    for index in range(len(SCHEDULE_IDS)):
        name = await rows.nth(index).locator(".name").bounding_box()
        lane = await rows.nth(index).locator(".lane").bounding_box()
        assert name is not None
        assert lane is not None
        assert name["y"] + name["height"] <= lane["y"] + 1
        assert lane["width"] > 300
    # Nothing wider than the screen: the controls wrap.
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= SMALL_PHONE.width
    hours = await card(page).locator(".hour").all_text_contents()
    assert hours == ["00", "03", "06", "09", "12", "15", "18", "21"]
    folder = screenshots / "card-page"
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=folder / "phone-360.png", full_page=True)


async def test_keyboard_reaches_controls_marks_and_curves(browser: Browser) -> None:
    from playwright.async_api import expect

    page = await open_card(browser, DESKTOP, {}, reef_day(SPRING_FORWARD))
    shown = card(page)
    run_now = shown.get_by_role("button", name="Run now: Alkalinity")
    await run_now.focus()
    await page.keyboard.press("Tab")
    await expect(shown.get_by_role("button", name="Skip next: Alkalinity")).to_be_focused()
    await page.keyboard.press("Tab")
    first_dose = shown.locator('[data-schedule="alkalinity"] [data-result]').first
    await expect(first_dose).to_be_focused()
    tip = shown.get_by_role("tooltip")
    await expect(tip).to_have_text("08:00 · success · 6 ml")
    curve = shown.locator('[data-schedule="reef_light"] path[data-entity="light.reef_blue"]')
    await curve.focus()
    # At the card's now (14:05), then a quarter of an hour later by the arrow key.
    await expect(tip).to_have_text("14:05 · Reef Blue: 80 % · Reef White: 60 %")
    await page.keyboard.press("ArrowRight")
    await expect(tip).to_have_text("14:20 · Reef Blue: 80 % · Reef White: 60 %")
    # White's line keeps the lane's instant; then the row's run (the profile's whole day).
    await page.keyboard.press("Tab")
    await expect(
        card(page).locator('[data-schedule="reef_light"] path[data-entity="light.reef_white"]')
    ).to_be_focused()
    await expect(tip).to_have_text("14:20 · Reef Blue: 80 % · Reef White: 60 %")
    await page.keyboard.press("Tab")
    await expect(tip).to_have_text(f"00:00{DASH}00:00 · running")


async def test_hovering_a_curve_tells_time_and_levels(browser: Browser) -> None:
    from playwright.async_api import expect

    page = await open_card(browser, DESKTOP, {}, reef_day(SPRING_FORWARD))
    lane = card(page).locator('[data-schedule="reef_light"] .lane')
    box = await lane.bounding_box()
    assert box is not None
    tip = card(page).get_by_role("tooltip")
    # 12:00 CEST is 11 elapsed hours into the 23-hour day; at 08:00 (7 h) White's open ramp
    # has no known level.
    for elapsed, texts in ((11, ["Reef Blue: 80 %", "Reef White: 60 %"]), (7, ["Reef White: —"])):
        await page.mouse.move(box["x"] + box["width"] * elapsed / 23, box["y"] + box["height"] / 2)
        for text in texts:
            await expect(tip).to_contain_text(text)


async def test_editor_without_ha_form_edits_the_config(browser: Browser) -> None:
    from playwright.async_api import expect

    page = await open_card(browser, DESKTOP, {}, reef_day(SPRING_FORWARD))
    await page.evaluate(
        """() => {
          const editor = document.querySelector("reef-scheduler-card").constructor
            .getConfigElement();
          editor.setConfig({ title: "Reef day", schedules: ["waves"] });
          editor.hass = window.fakeHass(window.day);
          editor.addEventListener("config-changed", (ev) => { window.edited = ev.detail.config; });
          document.body.append(editor);
        }"""
    )
    editor = page.locator("reef-scheduler-card-editor")
    await expect(editor.get_by_role("checkbox", name="Alkalinity")).to_be_visible()
    await expect(editor.get_by_role("checkbox", name="Waves")).to_be_checked()
    await editor.get_by_role("checkbox", name="Alkalinity").check()
    await editor.get_by_label("Rows").select_option("targets")
    await editor.get_by_label("Hours shown").fill("30")
    await editor.get_by_label("Hours shown").press("Tab")
    await editor.get_by_label("Targets").fill("light.reef_blue, switch.skimmer")
    await editor.get_by_label("Targets").press("Tab")
    assert await page.evaluate("() => window.edited") == {
        "title": "Reef day",
        "rows": "targets",
        "hours": 30,
        "schedules": ["alkalinity", "waves"],
        "entities": ["light.reef_blue", "switch.skimmer"],
    }
