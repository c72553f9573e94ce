"""The Lovelace card alone in Chromium, fed a fixed day by a stand-in `hass` (no Home Assistant).

The page is served by Playwright's router from memory and the card's own file, so nothing
listens on a port. The stand-in records what the card sends: its subscriptions, the services it
calls and its unsubscriptions (window.sent); `push(day)` delivers a new day to the card.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from custom_components.reef_scheduler.const import DOMAIN

from .hass_ui import new_context

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

    from .hass_ui import Viewport

CARD_FILE = (
    Path(__file__).resolve().parents[2]
    / f"custom_components/{DOMAIN}/frontend/reef-scheduler-card.js"
)
ORIGIN = "http://card.test"
ZONE = "Europe/Berlin"
SPRING_FORWARD = date(2026, 3, 29)  # 23 hours in Berlin
FALL_BACK = date(2026, 10, 25)  # 25 hours in Berlin
CARD_TAG = "reef-scheduler-card"

# Home Assistant's default theme's variables, light and dark (what the card may use).
_THEME = """
:root { --primary-text-color: #212121; --secondary-text-color: #727272;
  --card-background-color: #fff; --divider-color: rgba(0,0,0,.12); --primary-color: #03a9f4;
  --error-color: #db4437; --success-color: #43a047; --warning-color: #ffa600;
  --disabled-text-color: #bdbdbd; background: #fafafa; font-family: Roboto, sans-serif; }
@media (prefers-color-scheme: dark) {
  :root { --primary-text-color: #e1e1e1; --secondary-text-color: #9b9b9b;
    --card-background-color: #1c1c1c; --divider-color: rgba(225,225,225,.12);
    --disabled-text-color: #6f6f6f; background: #111; }
}
body { margin: 0; padding: 8px; }
ha-card { display: block; background: var(--card-background-color); border-radius: 12px; }
"""

_FAKE_HASS = """
window.sent = { subscriptions: [], calls: [], unsubscribed: 0 };
let listener = null;
window.push = (day) => listener && listener({ day });
window.fakeHass = (day) => ({
  config: { time_zone: day.time_zone },
  locale: { time_format: "24" },
  states: {},
  connection: {
    subscribeMessage(callback, message) {
      window.sent.subscriptions.push(message);
      listener = callback;
      setTimeout(() => callback({ day: window.day }), 0);
      return Promise.resolve(async () => { window.sent.unsubscribed += 1; });
    },
  },
  callWS: async () => window.day,
  callService: async (domain, service, data) => {
    window.sent.calls.push([domain, service, data]);
  },
});
"""

_PAGE = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_THEME}</style><script>{_FAKE_HASS}</script>
<script type="module" src="/reef-scheduler-card.js"></script></head><body></body></html>"""


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """Return a wall-clock time of a day in Berlin as an instant (the first of a repeated one)."""
    return datetime.combine(day, time(hour, minute), ZoneInfo(ZONE))


def iso(instant: datetime) -> str:
    """Return an instant as the websocket writes it: UTC ISO 8601 with its offset."""
    return instant.astimezone(ZoneInfo("UTC")).isoformat()


def run(
    start: datetime,
    result: str,
    *,
    seconds: float = 1,
    ml: float | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """Return one run of a schedule's row."""
    end = start + timedelta(seconds=seconds)
    return {"start": iso(start), "end": iso(end), "result": result, "ml": ml, "error": error}


def reef_day(day: date, *, now: datetime | None = None) -> dict[str, Any]:
    """Return the day contract's answer for one local day: a profile, waves, a dose, care."""
    start = local(day, 0)
    end = local(day + timedelta(days=1), 0)
    at = lambda hour, minute=0: local(day, hour, minute)  # noqa: E731
    blue = [[iso(start), 0.0], [iso(at(8)), 0.0], [iso(at(10)), 80.0]]
    blue += [[iso(at(18)), 80.0], [iso(at(20)), 0.0], [iso(end), 0.0]]
    # An open ramp's unknown level breaks the line (null), then it goes on.
    white = [[iso(start), 5.0], [iso(at(7)), 5.0], [iso(at(7)), None], [iso(at(9)), 60.0]]
    white += [[iso(at(17)), 60.0], [iso(at(19)), 5.0], [iso(end), 5.0]]
    skimmer = [run(at(hour), "success", seconds=900) for hour in (4, 6)]
    skimmer += [
        run(at(8), "failed", seconds=900, error="switch.skimmer is unavailable"),
        run(at(10), "skipped", error="paused"),
        run(at(12), "interrupted", seconds=300, error="Home Assistant stopped"),
        run(at(14), "running", seconds=900),
        run(at(16), "upcoming", seconds=900),
    ]
    schedule = {
        "paused_until": None,
        "enabled": True,
        "bands": [],
        "more": False,
    }
    return {
        "start": iso(start),
        "end": iso(end),
        "now": iso(now or at(14, 5)),
        "time_zone": ZONE,
        "schedules": [
            schedule
            | {
                "id": "alkalinity",
                "name": "Alkalinity",
                "type": "dosing",
                "action": "dose",
                "enabled_entity": "switch.alkalinity_enabled",
                "targets": ["switch.alk_doser"],
                "runs": [
                    run(at(hour), "success" if hour < 14 else "upcoming", seconds=12, ml=6.0)
                    for hour in (8, 12, 16, 20)
                ],
            },
            schedule
            | {
                "id": "reef_light",
                "name": "Reef light",
                "type": "light_profile",
                "action": "profile",
                "enabled_entity": "switch.reef_light_enabled",
                "targets": ["light.reef_blue", "light.reef_white"],
                "runs": [run(start, "running", seconds=(end - start).total_seconds())],
                "bands": [
                    {"start": iso(at(8)), "end": iso(at(10)), "kind": "ramp"},
                    {"start": iso(at(18)), "end": iso(at(20)), "kind": "ramp"},
                ],
            },
            schedule
            | {
                "id": "skimmer_cycle",
                "name": "Skimmer cycle",
                "type": "interval",
                "action": "on",
                "enabled_entity": "switch.skimmer_cycle_enabled",
                "targets": ["switch.skimmer"],
                "runs": skimmer,
                "bands": [
                    {"start": r["start"], "end": r["end"], "kind": "hold"}
                    for r in skimmer
                    if r["result"] in ("success", "running", "upcoming")
                ],
            },
            schedule
            | {
                "id": "sunrise",
                "name": "Sunrise",
                "type": "recurring",
                "action": "ramp",
                "enabled": False,
                "enabled_entity": "switch.sunrise_enabled",
                "targets": ["light.reef_blue"],
                "runs": [run(at(7), "upcoming", seconds=3600)],
            },
            schedule
            | {
                "id": "waves",
                "name": "Waves",
                "type": "wave",
                "action": "wave",
                "paused_until": iso(at(15)),
                "enabled_entity": "switch.waves_enabled",
                "targets": ["switch.wave_left", "switch.wave_right"],
                "runs": [run(start, "running", seconds=(end - start).total_seconds())],
                "bands": [{"start": iso(start), "end": iso(end), "kind": "wave"}],
            },
        ],
        "targets": [
            target("switch.alk_doser", "Alk doser", ["alkalinity"], None, 0.0, 0.0),
            target("light.reef_blue", "Reef Blue", ["reef_light", "sunrise"], blue, 100.0, 40.0)
            | {"drift": True},
            target("light.reef_white", "Reef White", ["reef_light"], white, 60.0, 60.0),
            target("switch.skimmer", "Skimmer", ["skimmer_cycle"], None, 0.0, 0.0)
            | {"held": "feed"},
            target("switch.wave_left", "Wave left", ["waves"], None, 100.0, None),
            target("switch.wave_right", "Wave right", ["waves"], None, 0.0, None),
        ],
        "care": [
            {
                "kind": "feed",
                "start": iso(at(12, 30)),
                "end": iso(at(12, 45)),
                "devices": [
                    {"entity_id": "switch.skimmer", "release": iso(at(12, 47))},
                    {"entity_id": "switch.wave_left", "release": iso(at(12, 46))},
                ],
            }
        ],
    }


def target(
    entity_id: str,
    name: str,
    schedules: list[str],
    curve: list[list[Any]] | None,
    level: float | None,
    prescribed: float | None,
) -> dict[str, Any]:
    """Return one target of the day (not held, not drifting)."""
    return {
        "entity_id": entity_id,
        "name": name,
        "schedules": schedules,
        "curve": curve,
        "level": level,
        "prescribed": prescribed,
        "held": None,
        "drift": False,
    }


async def open_card(
    browser: Browser,
    viewport: Viewport,
    config: dict[str, Any],
    day: dict[str, Any],
    *,
    dark: bool = False,
    clock: str = "fixed",
) -> Page:
    """Return a page showing the card with `config`, fed `day`, its clock at the day's now.

    The clock stands still there ("fixed"), or runs from there and can be moved on with
    page.clock.run_for ("installed").
    """
    context = await new_context(browser, viewport, ZONE, dark=dark)
    page = await context.new_page()

    async def serve(route: Any) -> None:
        if route.request.url.endswith("/reef-scheduler-card.js"):
            await route.fulfill(body=CARD_FILE.read_text("utf-8"), content_type="text/javascript")
        else:
            await route.fulfill(body=_PAGE, content_type="text/html")

    await page.route(f"{ORIGIN}/**", serve)
    now = datetime.fromisoformat(day["now"])
    if clock == "fixed":
        await page.clock.set_fixed_time(now)
    else:
        await page.clock.install(time=now)
    await page.goto(f"{ORIGIN}/")
    await page.evaluate(
        """([tag, config, day]) => customElements.whenDefined(tag).then(() => {
          window.day = day;
          const card = document.createElement(tag);
          card.setConfig(config);
          card.hass = window.fakeHass(day);
          document.body.append(card);
        })""",
        [CARD_TAG, config, day],
    )
    return page


async def sent(page: Page) -> dict[str, Any]:
    """Return what the card sent to the stand-in: subscriptions, service calls, unsubscriptions."""
    result: dict[str, Any] = await page.evaluate("() => JSON.parse(JSON.stringify(window.sent))")
    return result
