"""Drive Home Assistant's frontend in Chromium the way a person does: by labels, roles and texts.

Nothing here knows Reef Scheduler; the test module says what to fill and what to expect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import json
import os
from pathlib import Path
import re
import sys
from typing import TYPE_CHECKING, Protocol

from homeassistant.const import REQUIRED_PYTHON_VER, __version__ as HA_VERSION

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

CHROMIUM = Path(os.environ.get("REEF_CHROMIUM", "/usr/bin/chromium"))
# A closed network and a shared machine: no sandbox (root in a container), no GPU, nothing that
# calls home or runs in the background.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def unavailable() -> str | None:
    """Return why a browser test cannot run here (None when it can).

    Where REEF_BROWSER_REQUIRED is set (CI), a missing Chromium is an error, not a skip.
    """
    if sys.version_info[:3] < REQUIRED_PYTHON_VER:
        needed = ".".join(map(str, REQUIRED_PYTHON_VER))
        return (
            f"Home Assistant {HA_VERSION} needs Python {needed} to start; "
            f"this is {sys.version.split()[0]}"
        )
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright is not installed here (requirements_test.txt pins it for .venv)"
    if not CHROMIUM.is_file():
        reason = f"no Chromium at {CHROMIUM} (scripts/setup installs Debian's chromium)"
        if os.environ.get("REEF_BROWSER_REQUIRED"):
            raise RuntimeError(reason)
        return reason
    return None


# The frontend's own English texts the tests click (Home Assistant 2025.4).
NEXT, SUBMIT = "Next", "Submit"  # a flow step's button: Next unless the flow marks it last
FINISH = "Finish"  # closes a flow's success step
MENU = "Menu"  # an entry's overflow menu
CHOOSE_ENTITY = "Choose entity"  # a target picker's button and the search box it opens
MY_CALENDARS = "My calendars"  # the calendar panel's list of calendars (a menu on a phone)
EDIT, SAVE = "Edit", "Save"  # a card's button in a dashboard's edit mode; its editor's button
# The largest a screenshot grows to show what scrolls inside the page (see Shots.take).
MAX_SHOT_HEIGHT = 4000


def _escape(text: str) -> str:
    """Return a text as a pattern (Playwright writes patterns as /.../: "/" is escaped too)."""
    return re.escape(text).replace("/", r"\/")


def shown(template: str) -> re.Pattern[str]:
    """Return a pattern of a translated text as shown: each {placeholder} stands for anything.

    The whole text must match; the blanks a template leaves around it do not count.
    """
    parts = re.split(r"\{\w+\}", template)
    return re.compile(r"^\s*" + ".+".join(map(_escape, parts)) + r"\s*$")


def any_of(texts: Iterable[str]) -> re.Pattern[str]:
    """Return a pattern found in a text that contains any of `texts`."""
    return re.compile("|".join(map(_escape, texts)))


def label(text: str) -> re.Pattern[str]:
    """Return a field's accessible name: its label, with "*" when the field is required."""
    return re.compile(rf"^{_escape(text)}\*?$")


@dataclass(frozen=True)
class Viewport:
    """A screen the screenshots are taken at."""

    name: str
    width: int
    height: int
    mobile: bool

    @property
    def folder(self) -> str:
        """Return the folder name of its screenshots, e.g. "phone-390"."""
        return f"{self.name}-{self.width}"


DESKTOP = Viewport("desktop", 1280, 800, mobile=False)
PHONE = Viewport("phone", 390, 844, mobile=True)
SMALL_PHONE = Viewport("phone", 360, 740, mobile=True)


def login_script(base: str, token: str) -> str:
    """Return a page init script that logs the frontend in with a long-lived token."""
    tokens = {
        "hassUrl": base,
        "clientId": f"{base}/",
        "access_token": token,
        "token_type": "Bearer",
        "refresh_token": "",
        "expires_in": 10 * 365 * 86400,
        # Far in the future (ms): the frontend never tries to refresh a long-lived token.
        "expires": 4_102_444_800_000,
    }
    return (
        "try { window.localStorage.setItem('hassTokens', "
        f"JSON.stringify({json.dumps(tokens)})); }} catch (e) {{}}"
    )


async def open_context(
    browser: Browser,
    viewport: Viewport,
    base: str,
    token: str,
    timezone: str,
    *,
    dark: bool = False,
) -> BrowserContext:
    """Return a logged-in browser context of a viewport, in English and the instance's zone.

    `dark` makes the system's colour scheme dark: the frontend's default theme follows it.
    """
    context = await new_context(browser, viewport, timezone, dark=dark)
    await context.add_init_script(login_script(base, token))
    return context


async def new_context(
    browser: Browser, viewport: Viewport, timezone: str, *, dark: bool = False
) -> BrowserContext:
    """Return a browser context of a viewport in English and a zone, light or dark."""
    return await browser.new_context(
        viewport={"width": viewport.width, "height": viewport.height},
        is_mobile=viewport.mobile,
        has_touch=viewport.mobile,
        locale="en-US",
        timezone_id=timezone,
        color_scheme="dark" if dark else "light",
    )


# The most any element on screen (shadow roots too) scrolls vertically, in pixels: within an
# open dialog if there is one (the page behind it does not count), else on the whole page.
_OVERFLOW_JS = """() => {
  const walk = (root, seen) => {
    for (const el of root.querySelectorAll("*")) {
      seen(el);
      if (el.shadowRoot) walk(el.shadowRoot, seen);
    }
  };
  let dialog = null;
  walk(document, (el) => {
    const role = el.getAttribute("role");
    if ((role === "dialog" || role === "alertdialog") && el.clientHeight > 0) dialog = el;
  });
  const root = dialog ? dialog.getRootNode() : document;
  const scope = root === document ? [document] : [root, root.host];
  let most = 0;
  for (const part of scope) {
    walk(part, (el) => {
      if (el.clientHeight > 0 && /auto|scroll/.test(getComputedStyle(el).overflowY)) {
        const box = el.getBoundingClientRect();
        if (box.right > 0 && box.left < window.innerWidth) {
          most = Math.max(most, el.scrollHeight - el.clientHeight);
        }
      }
    });
  }
  return most;
}"""
_NEXT_FRAME_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


class Shots:
    """Screenshots of one page into one folder, named by what they show."""

    def __init__(self, page: Page, folder: Path) -> None:
        """Save into `folder` (created; the screenshots of an earlier run are removed)."""
        self.page = page
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()
        self.taken: list[Path] = []

    async def take(self, name: str, *, whole: bool = True) -> Path:
        """Save the page as `<name>.png` and return its path.

        Home Assistant scrolls inside its pages and dialogs, not the document: unless `whole`
        is False the window grows taller (same width) until nothing scrolls, so one image shows
        a whole dialog or page.
        """
        page = self.page
        size = page.viewport_size
        assert size is not None
        height = size["height"]
        for _ in range(3 if whole else 0):
            await page.evaluate(_NEXT_FRAME_JS)
            overflow: int = await page.evaluate(_OVERFLOW_JS)
            if overflow <= 0 or height >= MAX_SHOT_HEIGHT:
                break
            height = min(height + overflow, MAX_SHOT_HEIGHT)
            await page.set_viewport_size({"width": size["width"], "height": height})
        path = self.folder / f"{name}.png"
        await page.screenshot(path=path, animations="disabled", caret="hide")
        await page.set_viewport_size(size)
        self.taken.append(path)
        return path


# ----- form fields ---------------------------------------------------------------------------


class Field(Protocol):
    """A value for one field of a form, found by the field's label."""

    async def fill(self, page: Page, text: str) -> None:
        """Enter the value into the field labelled `text`."""


@dataclass(frozen=True)
class Text:
    """A text box (the first one, for a list of texts)."""

    value: str

    async def fill(self, page: Page, text: str) -> None:
        """Replace the box's text."""
        await page.get_by_role("textbox", name=label(text)).first.fill(self.value)


@dataclass(frozen=True)
class Number:
    """A number box."""

    value: float

    async def fill(self, page: Page, text: str) -> None:
        """Replace the box's number."""
        await page.get_by_role("spinbutton", name=label(text)).fill(f"{self.value:g}")


@dataclass(frozen=True)
class Choice:
    """A drop-down, chosen by the option's visible text."""

    option: str

    async def fill(self, page: Page, text: str) -> None:
        """Open the drop-down and pick the option."""
        await page.get_by_role("combobox", name=label(text)).click()
        await page.get_by_role("option", name=self.option, exact=True).click()


@dataclass(frozen=True)
class Entity:
    """An entity added to a target picker, found by its friendly name."""

    name: str

    async def fill(self, page: Page, text: str) -> None:
        """Open the picker's entity search, type the name and pick the entity."""
        await page.get_by_role("button", name=CHOOSE_ENTITY, exact=True).click()
        await page.get_by_role("combobox", name=CHOOSE_ENTITY).fill(self.name)
        await page.get_by_role("option", name=any_of([self.name])).first.click()
        await page.get_by_role("button", name=self.name, exact=True).wait_for()


@dataclass(frozen=True)
class Lights:
    """An entity added to an entity picker (a light channel's lights), by its friendly name."""

    name: str

    async def fill(self, page: Page, text: str) -> None:
        """Type the name into the picker's empty box (the last one) and pick the entity.

        An entity already picked (kept after a refused answer) is left as it is.
        """
        from playwright.async_api import expect

        boxes = page.get_by_role("combobox", name=label("Entity"))
        await boxes.first.wait_for()
        count = await boxes.count()
        for index in range(count):
            if await boxes.nth(index).input_value() == self.name:
                return
        await boxes.last.fill(self.name)
        await page.get_by_role("option", name=any_of([self.name])).first.click()
        # Picked, not only typed: the picker then offers one more empty box.
        await expect(boxes).to_have_count(count + 1)


@dataclass(frozen=True)
class Section:
    """A collapsed section of a form: opened by its heading, then its fields filled."""

    fields: Mapping[str, Field]

    async def fill(self, page: Page, text: str) -> None:
        """Open the section named `text` (its fields are filled by the caller)."""
        await page.get_by_role("button", name=text, exact=True).click()
