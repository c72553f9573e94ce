"""A real Home Assistant from the dev config, onboarded headlessly, and a headless Chromium.

Home Assistant runs as its own process (this interpreter, `python -m homeassistant`) on a free
loopback port, in the test's temporary folder, with the demo reef devices; it is stopped at the
end whatever happens. Screenshots go to build/screenshots (REEF_SCREENSHOTS changes that).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
import os
from pathlib import Path
import shutil
import sys
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from custom_components.reef_scheduler.const import DOMAIN

from .hass_ui import CHROMIUM, CHROMIUM_ARGS

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from dev_instance import HassClient, HassProcess, free_port, prepare_config

if TYPE_CHECKING:
    from playwright.async_api import Browser

REPO = Path(__file__).resolve().parents[2]
# A cold start installs what onboarding's integrations need; later starts take seconds.
START_WITHIN_S = 300
READY_WITHIN_S = 60


@pytest.fixture
def screenshots() -> Path:
    """Return the folder the screenshots go to (REEF_SCREENSHOTS, else build/screenshots)."""
    return Path(os.environ.get("REEF_SCREENSHOTS", REPO / "build" / "screenshots"))


@dataclass(frozen=True)
class Instance:
    """A running, onboarded Home Assistant with the local Reef Scheduler entry loaded."""

    client: HassClient
    base: str
    token: str
    timezone: str
    log_dir: Path


@pytest.fixture
async def instance(
    tmp_path: Path, screenshots: Path, socket_enabled: None
) -> AsyncIterator[Instance]:
    """Start Home Assistant from the dev config in a fresh folder; stop it after the test.

    Its log is copied beside the screenshots (pytest soon deletes old temporary folders).
    """
    port = free_port()
    config_dir = tmp_path / "config"
    prepare_config(config_dir, port=port)
    hass = HassProcess(config_dir, tmp_path)
    base = f"http://127.0.0.1:{port}"
    sys.stderr.write(f"Home Assistant on {base}, its log in {tmp_path}\n")
    try:
        async with aiohttp.ClientSession() as session:
            client = HassClient(session, base)
            hass.start()
            await client.wait_onboarding(hass, within=START_WITHIN_S)
            await client.onboard()
            token = await client.long_lived_token("reef screenshots")
            client.set_token(token)
            await client.wait_running(hass, within=START_WITHIN_S)
            await client.delete_entries_except({DOMAIN})
            await client.wait_until(
                hass, READY_WITHIN_S, f"/api/config/config_entries/entry?domain={DOMAIN}", _loaded
            )
            await client.wait_until(hass, READY_WITHIN_S, "/api/states", _demo_devices_up)
            # Onboarding's own integrations leave a "New devices discovered" notification.
            await client.call(
                "persistent_notification", "dismiss", {"notification_id": "config_entry_discovery"}
            )
            zone = (await client.get("/api/config"))["time_zone"]
            yield Instance(client, base, token, zone, tmp_path)
    finally:
        hass.stop(timeout=20)
        screenshots.mkdir(parents=True, exist_ok=True)
        for log in tmp_path.glob("hass.*.log"):
            shutil.copyfile(log, screenshots / log.name)


def _loaded(entries: list[dict[str, Any]]) -> bool:
    """Return whether the local entry is loaded."""
    return [entry["state"] for entry in entries] == ["loaded"]


def _demo_devices_up(states: list[dict[str, Any]]) -> bool:
    """Return whether the demo reef devices report a state."""
    up = {state["entity_id"] for state in states if state["state"] != "unavailable"}
    return {"light.reef_blue", "switch.wavemaker", "switch.skimmer"} <= up


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Return Debian's headless Chromium, driven by Playwright (no browser of its own)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        chromium = await driver.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()
