"""A real Home Assistant from the dev config, onboarded headlessly, for the browser tests.

It runs as its own process (this interpreter, `python -m homeassistant`) on a free loopback
port in a fresh folder, with the demo reef devices and the local Reef Scheduler entry, built
from scripts/dev_instance.py's pieces; it is stopped on the way out, whatever happens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
import contextlib
from dataclasses import dataclass
import os
from pathlib import Path
import shutil
import sys
from typing import Any

import aiohttp

from custom_components.reef_scheduler.const import DOMAIN

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from dev_instance import HassClient, HassProcess, free_port, prepare_config

# A cold start installs what onboarding's integrations need; later starts take seconds.
START_WITHIN_S = 300
READY_WITHIN_S = 60
DEMO_DEVICES = {"light.reef_blue", "switch.wavemaker", "switch.skimmer"}


@dataclass(frozen=True)
class Instance:
    """A running, onboarded Home Assistant with the local Reef Scheduler entry loaded."""

    client: HassClient
    base: str
    token: str
    timezone: str
    process: HassProcess

    async def wait_for_state(self, entity_id: str, state: Callable[[dict[str, Any]], bool]) -> None:
        """Wait until an entity's state (its REST answer) satisfies `state`."""
        path = f"/api/states/{entity_id}"
        await self.client.wait_until(self.process, READY_WITHIN_S, path, state)

    async def subentry_flow(
        self, subentry_type: str, *answers: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Walk a subentry flow of the local entry over REST, one answer per form; return the end.

        A progress step (a calibration run) is waited out: the flow is asked again until it
        shows its next form.
        """
        (entry,) = await self.client.entries(DOMAIN)
        flows = "/api/config/config_entries/subentries/flow"
        step = await self.client.post(flows, {"handler": [entry["entry_id"], subentry_type]})
        for answer in answers:
            step = await self.client.post(f"{flows}/{step['flow_id']}", answer)
            while step["type"] == "progress":
                await self.client.wait_until(
                    self.process, READY_WITHIN_S, f"{flows}/{step['flow_id']}", _past_progress
                )
                step = await self.client.get(f"{flows}/{step['flow_id']}")
            if step["type"] == "form" and step.get("errors"):
                raise AssertionError(f"{subentry_type} flow refused {answer}: {step['errors']}")
        result: dict[str, Any] = step
        return result

    async def add_dashboard(self, url_path: str, title: str, view: Mapping[str, Any]) -> str:
        """Add a storage-mode dashboard with one view; return the view's page path."""
        await self.client.ws(
            {"type": "lovelace/dashboards/create", "url_path": url_path, "title": title},
            {"type": "lovelace/config/save", "url_path": url_path, "config": {"views": [view]}},
        )
        return f"/{url_path}/{view.get('path', 0)}"


@contextlib.asynccontextmanager
async def started(folder: Path, logs_to: Path) -> AsyncIterator[Instance]:
    """Start Home Assistant in `folder`; on the way out stop it and copy its log to `logs_to`."""
    port = free_port()
    config_dir = folder / "config"
    prepare_config(config_dir, port=port)
    # Not measured by pytest-cov: its subprocess hook would add statement data that the
    # suite's branch data cannot be combined with, and coverage would depend on a browser.
    env = {key: value for key, value in os.environ.items() if not key.startswith("COV_CORE_")}
    hass = HassProcess(config_dir, folder, env=env)
    base = f"http://127.0.0.1:{port}"
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
            entries = f"/api/config/config_entries/entry?domain={DOMAIN}"
            await client.wait_until(hass, READY_WITHIN_S, entries, _loaded)
            await client.wait_until(hass, READY_WITHIN_S, "/api/states", _demo_devices_up)
            # Onboarding's own integrations leave a "New devices discovered" notification.
            await client.call(
                "persistent_notification", "dismiss", {"notification_id": "config_entry_discovery"}
            )
            zone = (await client.get("/api/config"))["time_zone"]
            yield Instance(client, base, token, zone, hass)
    finally:
        hass.stop(timeout=20)
        logs_to.mkdir(parents=True, exist_ok=True)
        for log in folder.glob("hass.*.log"):
            shutil.copyfile(log, logs_to / log.name)


def _loaded(entries: list[dict[str, Any]]) -> bool:
    """Return whether the local entry (the only one) is loaded."""
    return [entry["state"] for entry in entries] == ["loaded"]


def _past_progress(step: dict[str, Any]) -> bool:
    """Return whether a flow has moved on from its progress step."""
    return step.get("type") != "progress"


def _demo_devices_up(states: list[dict[str, Any]]) -> bool:
    """Return whether the demo reef devices the tests use report a state."""
    up = {state["entity_id"] for state in states if state["state"] != "unavailable"}
    return DEMO_DEVICES.issubset(up)
