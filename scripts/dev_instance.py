"""Shared by the scripts that drive a real Home Assistant: config folders, processes, onboarding.

Used by smoke_develop.py (against a running scripts/develop), restart_soak.py (which starts
and kills its own instances in a temporary folder) and bench/probe.py (which measures them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
import contextlib
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import aiohttp
from seed_dev_entry import seed
import yaml

REPO = Path(__file__).resolve().parent.parent
DEV_CONFIG = REPO / "config" / "configuration.yaml"
# Integrations linked into a config's custom_components, as scripts/develop does.
CUSTOM_COMPONENTS = {
    "reef_scheduler": REPO / "custom_components" / "reef_scheduler",
    "reef_demo": REPO / "demo" / "reef_demo",
}
OWNER = {"name": "Reef Dev", "username": "reef", "password": "reef-dev-password", "language": "en"}
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)


class HassError(RuntimeError):
    """Home Assistant could not be started, onboarded or reached."""


def free_port() -> int:
    """Return a TCP port on the loopback that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prepare_config(
    config_dir: Path,
    *,
    port: int,
    reef_demo: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    components: Mapping[str, Path] | None = None,
) -> None:
    """Fill a fresh config folder from the dev config: port, demo options, links, the entry.

    `extra` replaces or adds top-level sections of the configuration; `components` links more
    integrations into custom_components. The entry is seeded only where no config entries are.
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load(DEV_CONFIG.read_text())
    config["http"] = {**config.get("http", {}), "server_host": "127.0.0.1", "server_port": port}
    if reef_demo is not None:
        config["reef_demo"] = dict(reef_demo)
    config.update(extra or {})
    (config_dir / "configuration.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    links = config_dir / "custom_components"
    links.mkdir(exist_ok=True)
    for name, source in {**CUSTOM_COMPONENTS, **(components or {})}.items():
        link = links / name
        if not link.is_symlink():
            link.symlink_to(source, target_is_directory=True)
    seed(config_dir)


class HassProcess:
    """One Home Assistant process on a config folder; each start logs to its own file."""

    def __init__(
        self,
        config_dir: Path,
        log_dir: Path,
        python: str = sys.executable,
        python_args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Prepare to run `python [python_args] -m homeassistant --config config_dir`.

        `env` replaces the environment the process inherits.
        """
        self.config_dir = config_dir
        self.log_dir = log_dir
        self.python = python
        self.python_args = tuple(python_args)
        self.env = None if env is None else dict(env)
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> float:
        """Start Home Assistant in its own process group; return the wall-clock instant."""
        if self.running:
            raise HassError("Home Assistant is already running")
        self.starts += 1
        log = (self.log_dir / f"hass.{self.starts:03d}.log").open("wb")
        started = time.time()
        try:
            self.proc = subprocess.Popen(
                [
                    self.python,
                    *self.python_args,
                    "-m",
                    "homeassistant",
                    "--config",
                    str(self.config_dir),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                # Not the repository: `python -m` puts the working folder first on sys.path,
                # and its custom_components package would hide the config's (reef_demo).
                cwd=self.config_dir,
                start_new_session=True,
            )
        finally:
            log.close()
        return started

    @property
    def pid(self) -> int | None:
        """Return the process id while one was started (and not yet stopped)."""
        return None if self.proc is None else self.proc.pid

    @property
    def running(self) -> bool:
        """Return True while the process lives."""
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> float:
        """Kill -9 the process group (a power cut); return the wall-clock instant."""
        if self.proc is None:
            return time.time()
        killed = time.time()
        self._signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None
        return killed

    def stop(self, timeout: float = 30.0) -> None:
        """Stop cleanly (SIGTERM), then kill what is left after `timeout` seconds."""
        if self.proc is None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def _signal(self, sig: signal.Signals) -> None:
        """Signal the process group this object started (its id is the process's id)."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)


class HassClient:
    """REST and websocket calls to one instance."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        """Talk to the instance at `base` (http://127.0.0.1:port); call set_token to log in."""
        self.session = session
        self.base = base
        self.headers: dict[str, str] = {}

    @property
    def client_id(self) -> str:
        """Return the OAuth client id the onboarding uses."""
        return f"{self.base}/"

    def set_token(self, token: str) -> None:
        """Use a bearer token for every later call."""
        self.headers = {"Authorization": f"Bearer {token}"}

    async def onboard(self) -> str:
        """Create the owner (fresh instance only), finish onboarding, return an access token."""
        user = {**OWNER, "client_id": self.client_id}
        async with self.session.post(f"{self.base}/api/onboarding/users", json=user) as resp:
            if resp.status != 200:
                raise HassError(
                    f"onboarding not possible ({resp.status}): instance already onboarded?"
                )
            code = (await resp.json())["auth_code"]
        form = {"grant_type": "authorization_code", "code": code, "client_id": self.client_id}
        async with self.session.post(f"{self.base}/auth/token", data=form) as resp:
            access: str = (await resp.json())["access_token"]
        self.set_token(access)
        for step, body in (
            ("core_config", {}),
            ("analytics", {}),
            ("integration", {"client_id": self.client_id, "redirect_uri": self.client_id}),
        ):
            async with self.session.post(
                f"{self.base}/api/onboarding/{step}", json=body, headers=self.headers
            ):
                pass
        return access

    async def long_lived_token(self, name: str = "reef scripts") -> str:
        """Return a long-lived access token (made over the websocket with the current token)."""
        (result,) = await self.ws(
            {"type": "auth/long_lived_access_token", "client_name": name, "lifespan": 365}
        )
        token: str = result
        return token

    async def ws(self, *commands: Mapping[str, Any]) -> list[Any]:
        """Send websocket commands one after the other; return their results (raises on error)."""
        url = "ws" + self.base.removeprefix("http") + "/api/websocket"
        token = self.headers["Authorization"].removeprefix("Bearer ")
        results = []
        async with self.session.ws_connect(url) as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": token})
            if (reply := await ws.receive_json())["type"] != "auth_ok":
                raise HassError(f"websocket log-in refused: {reply}")
            for number, command in enumerate(commands, start=1):
                await ws.send_json({**command, "id": number})
                reply = await ws.receive_json()
                if not reply.get("success"):
                    raise HassError(f"{command['type']}: {reply}")
                results.append(reply["result"])
        return results

    async def get(self, path: str) -> Any:
        """GET a REST path and return its JSON (raises on an HTTP error)."""
        async with self.session.get(
            f"{self.base}{path}", headers=self.headers, timeout=REQUEST_TIMEOUT
        ) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def post(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST JSON to a REST path and return its JSON (raises on an HTTP error)."""
        async with self.session.post(
            f"{self.base}{path}", json=dict(body), headers=self.headers, timeout=REQUEST_TIMEOUT
        ) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def call(
        self, domain: str, service: str, data: Mapping[str, Any], *, response: bool = False
    ) -> Any:
        """Call a service; with `response` return its service_response."""
        url = f"{self.base}/api/services/{domain}/{service}"
        if response:
            url += "?return_response"
        async with self.session.post(
            url, json=dict(data), headers=self.headers, timeout=REQUEST_TIMEOUT
        ) as resp:
            if resp.status != 200:
                raise HassError(f"{domain}.{service}: {resp.status} {await resp.text()}")
            body = await resp.json()
        return body.get("service_response") if response else body

    async def states(self) -> dict[str, dict[str, Any]]:
        """Return every state by entity id."""
        return {state["entity_id"]: state for state in await self.get("/api/states")}

    async def entries(self, domain: str | None = None) -> list[dict[str, Any]]:
        """Return the config entries (of one domain)."""
        query = f"?domain={domain}" if domain else ""
        entries: list[dict[str, Any]] = await self.get(f"/api/config/config_entries/entry{query}")
        return entries

    async def delete_entries_except(self, keep: set[str]) -> list[str]:
        """Delete config entries of other domains (onboarding adds some that need a network)."""
        deleted = []
        for entry in await self.entries():
            if entry["domain"] not in keep:
                async with self.session.delete(
                    f"{self.base}/api/config/config_entries/entry/{entry['entry_id']}",
                    headers=self.headers,
                ):
                    deleted.append(entry["domain"])
        return deleted

    async def wait_onboarding(self, proc: HassProcess, within: float) -> None:
        """Wait until a fresh instance answers its (unauthenticated) onboarding API."""
        await self.wait_until(proc, within, "/api/onboarding", lambda _body: True)

    async def wait_running(self, proc: HassProcess, within: float) -> float:
        """Wait until the instance reports state RUNNING; return when that was first seen."""
        return await self.wait_until(proc, within, "/api/config", lambda b: b["state"] == "RUNNING")

    async def wait_until(self, proc: HassProcess, within: float, path: str, done: Any) -> float:
        """Poll `path` every 0.1 s until `done(json)`; fail if the process dies or time runs out."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if not proc.running:
                raise HassError(f"Home Assistant exited while waiting for {path}")
            try:
                async with self.session.get(
                    f"{self.base}{path}",
                    headers=self.headers,
                    timeout=aiohttp.ClientTimeout(total=2),
                ) as resp:
                    if resp.status == 200 and done(await resp.json()):
                        return time.time()
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.1)
        raise HassError(f"no answer from {self.base}{path} within {within:.0f} s")
