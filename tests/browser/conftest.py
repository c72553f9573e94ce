"""Fixtures of the browser tests: a real Home Assistant and Debian's headless Chromium.

Screenshots go to build/screenshots (REEF_SCREENSHOTS changes that), with Home Assistant's log
beside them (pytest soon deletes old temporary folders).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .hass_ui import CHROMIUM, CHROMIUM_ARGS
from .instance import Instance, started

if TYPE_CHECKING:
    from playwright.async_api import Browser

REPO = Path(__file__).resolve().parents[2]
EXPECT_WITHIN_MS = 20_000


@pytest.fixture
def screenshots() -> Path:
    """Return the folder the screenshots go to (REEF_SCREENSHOTS, else build/screenshots)."""
    return Path(os.environ.get("REEF_SCREENSHOTS", REPO / "build" / "screenshots"))


@pytest.fixture
async def instance(
    tmp_path: Path, screenshots: Path, socket_enabled: None
) -> AsyncIterator[Instance]:
    """Return a running Home Assistant with the local entry and the demo reef devices."""
    async with started(tmp_path, logs_to=screenshots) as running:
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Return Debian's headless Chromium, driven by Playwright (no browser of its own)."""
    from playwright.async_api import async_playwright, expect

    # Bounds, not waits: a loaded machine may need more than Playwright's 5 s for a page.
    expect.set_options(timeout=EXPECT_WITHIN_MS)
    async with async_playwright() as driver:
        chromium = await driver.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()
