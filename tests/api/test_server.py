"""Tests of the fake server itself: raw HTTP against the contract's documented behaviour."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import suppress
import json
from typing import Any

import aiohttp
import pytest

from .server import PASSWORD, USERNAME, FakeBellasReef, FakeEndpoints

BASE = "/api/v1/schedules"
CRON: dict[str, Any] = {
    "name": "Daily sunrise",
    "device_ids": [2, 3],
    "schedule_type": "cron",
    "cron_expression": "30 7 * * *",
    "action_type": "ramp",
}


class Raw:
    """A bare HTTP client on both fake services, with a token once logged in."""

    def __init__(self, session: aiohttp.ClientSession, endpoints: FakeEndpoints) -> None:
        self.session = session
        self.core = endpoints.core_url
        self.scheduler = endpoints.scheduler_url
        self.token = ""

    async def login(self, **form: str) -> tuple[int, Any]:
        data = form or {"username": USERNAME, "password": PASSWORD}
        async with self.session.post(f"{self.core}/api/auth/login", data=data) as resp:
            body = await resp.json()
        if resp.status == 200:
            self.token = body["access_token"]
        return resp.status, body

    async def call(
        self,
        method: str,
        path: str,
        *,
        core: bool = False,
        auth: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> tuple[int, str, Any]:
        """Return (status, Location or content type, decoded body); auth="" sends none."""
        headers = dict(headers or {})
        if auth != "":
            headers["Authorization"] = auth if auth is not None else f"Bearer {self.token}"
        url = (self.core if core else self.scheduler) + path
        async with self.session.request(
            method, url, headers=headers, allow_redirects=False, **kwargs
        ) as resp:
            text = await resp.text()
            body: Any = text
            if resp.content_type == "application/json" and text:
                with suppress(ValueError):
                    body = json.loads(text)
            location = resp.headers.get("Location", "")
            return resp.status, location or resp.content_type, body


@pytest.fixture
async def raw(endpoints: FakeEndpoints) -> AsyncIterator[Raw]:
    async with aiohttp.ClientSession() as session:
        http = Raw(session, endpoints)
        await http.login()
        yield http


async def test_login_rules(raw: Raw, fake: FakeBellasReef) -> None:
    async with raw.session.post(
        f"{raw.core}/api/auth/login", json={"username": USERNAME, "password": PASSWORD}
    ) as resp:
        body = await resp.json()
    assert resp.status == 422
    assert [e["loc"] for e in body["detail"]] == [["body", "username"], ["body", "password"]]
    assert await raw.login(username=USERNAME, password="nope") == (
        401,
        {"detail": "Incorrect username or password"},
    )
    status, body = await raw.login(username=USERNAME, password=PASSWORD, grant_type="x")
    assert status == 422
    assert body["detail"][0]["type"] == "string_pattern_mismatch"
    fake.add_user("sleepy", "password123", is_active=False)
    assert await raw.login(username="sleepy", password="password123") == (
        400,
        {"detail": "Inactive user"},
    )


async def test_auth_failures_q12(raw: Raw, fake: FakeBellasReef) -> None:
    assert await raw.call("GET", f"{BASE}/", auth="") == (
        500,
        "text/plain",
        "Internal Server Error",
    )
    assert (await raw.call("GET", f"{BASE}/", auth=f"Token {raw.token}"))[0] == 500
    assert (await raw.call("GET", f"{BASE}/", auth=f"bearer {raw.token}"))[0] == 200
    assert (await raw.call("GET", "/api/users/me", core=True, auth=""))[0] == 500
    fake.expire_tokens()
    assert await raw.call("GET", f"{BASE}/") == (
        401,
        "application/json",
        {"detail": "Could not validate credentials"},
    )
    assert (await raw.call("GET", "/health", auth=""))[0] == 200  # root health needs none


async def test_slashes_and_shadowed_routes(raw: Raw) -> None:
    status, location, _ = await raw.call("GET", f"{BASE}?limit=5")
    assert (status, location) == (307, f"{raw.scheduler}{BASE}/?limit=5")
    status, location, _ = await raw.call("DELETE", f"{BASE}/4/")
    assert (status, location) == (307, f"{raw.scheduler}{BASE}/4")
    for shadowed in ("device-actions", "health"):
        status, _, body = await raw.call("GET", f"{BASE}/{shadowed}")
        assert status == 422
        assert body["detail"][0]["type"] == "int_parsing"
        assert body["detail"][0]["input"] == shadowed
    assert (await raw.call("PATCH", f"{BASE}/1"))[0] == 405
    assert (await raw.call("GET", "/nowhere"))[0] == 404
    _, _, info = await raw.call("GET", "/")
    assert info["endpoints"] == {"schedules": BASE}
    assert (await raw.call("GET", "/", core=True))[2]["health"] == "/api/health"


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("limit=0", "greater_than_equal"),
        ("limit=1001", "less_than_equal"),
        ("skip=x", "int_parsing"),
        ("is_enabled=maybe", "bool_parsing"),
    ],
)
async def test_list_query_validation(raw: Raw, query: str, error: str) -> None:
    status, _, body = await raw.call("GET", f"{BASE}/?{query}")
    assert status == 422
    assert body["detail"][0]["type"] == error


async def test_create_validation_and_q2(raw: Raw, fake: FakeBellasReef) -> None:
    status, _, body = await raw.call("POST", f"{BASE}/", json={**CRON, "cron_expression": None})
    assert status == 422
    assert body["detail"][0]["msg"] == "Value error, Cron expression is required for cron schedules"
    status, _, body = await raw.call("POST", f"{BASE}/", json={**CRON, "schedule_type": "daily"})
    assert (status, body["detail"][0]["type"]) == (422, "enum")
    status, _, body = await raw.call("POST", f"{BASE}/", json={**CRON, "device_ids": [99]})
    assert (status, body) == (400, {"detail": "Device with ID 99 not found"})
    status, _, body = await raw.call("POST", f"{BASE}/", data="name=x")
    assert (status, body["detail"][0]["type"]) == (422, "model_attributes_type")
    status, _, body = await raw.call(
        "POST", f"{BASE}/", data="{", headers={"Content-Type": "application/json"}
    )
    assert (status, body["detail"][0]["type"]) == (422, "json_invalid")
    status, _, body = await raw.call("POST", f"{BASE}/", json=[1])
    assert status == 422
    status, _, body = await raw.call("POST", f"{BASE}/", json={"name": ""})
    assert {e["loc"][1] for e in body["detail"]} == {"name", "schedule_type", "action_type"}
    assert fake.schedules == {}
    # Q2: the key omitted instead of sent: stored, then 500.
    body = {k: v for k, v in CRON.items() if k != "cron_expression"}
    assert (await raw.call("POST", f"{BASE}/", json=body))[:2] == (500, "text/plain")
    assert len(fake.schedules) == 1
    # Q3: that row now breaks the list and its own GET; DELETE still works.
    assert (await raw.call("GET", f"{BASE}/"))[0] == 500
    assert (await raw.call("GET", f"{BASE}/1"))[0] == 500
    assert (await raw.call("DELETE", f"{BASE}/1"))[:2] == (204, "application/json")
    assert (await raw.call("GET", f"{BASE}/"))[2] == []


async def test_update_rules(raw: Raw, fake: FakeBellasReef) -> None:
    _, _, created = await raw.call("POST", f"{BASE}/", json=CRON)
    item = f"{BASE}/{created['id']}"
    assert (await raw.call("PUT", item, json={"name": None}))[0] == 500
    assert fake.schedules[created["id"]]["name"] == "Daily sunrise"  # nothing written
    status, _, body = await raw.call("PUT", item, json={"device_ids": [42]})
    assert status == 400
    status, _, body = await raw.call("PUT", item, json={"interval_seconds": "x"})
    assert (status, body["detail"][0]["type"]) == (422, "int_type")
    # Q3 via PUT: written, then 500 on read-back.
    assert (await raw.call("PUT", item, json={"cron_expression": None}))[0] == 500
    assert fake.schedules[created["id"]]["cron_expression"] is None
    status, _, body = await raw.call("PUT", item, json={"cron_expression": "0 8 * * *"})
    assert (status, body["cron_expression"]) == (200, "0 8 * * *")
    assert (await raw.call("PUT", f"{BASE}/999", json={}))[0] == 404


async def test_device_filter_is_exact_list_q4(raw: Raw, fake: FakeBellasReef) -> None:
    fake.add_schedule(name="pair", device_ids=[2, 3])
    fake.add_schedule(name="single", device_ids=[3])
    _, _, rows = await raw.call("GET", f"{BASE}/?device_id=3")
    assert [r["name"] for r in rows] == ["single"]
    _, _, rows = await raw.call("GET", f"{BASE}/?schedule_type=daily")
    assert rows == []


async def test_device_action_quirks_q5_q6(raw: Raw, fake: FakeBellasReef) -> None:
    actions = f"{BASE}/device-actions"
    assert (await raw.call("GET", f"{actions}/stats"))[0] == 500
    assert (await raw.call("GET", f"{actions}/"))[2] == []
    body = {"device_id": 2, "action_type": "on", "scheduled_time": "2026-11-22T12:05:44Z"}
    status, _, created = await raw.call("POST", f"{actions}/", json=body)
    assert (status, created["status"], created["executed_time"]) == (201, "pending", None)
    assert (await raw.call("GET", f"{actions}/"))[0] == 500
    assert (await raw.call("GET", f"{actions}/?status=failed"))[2] == []
    assert (await raw.call("GET", f"{actions}/{created['id']}"))[0] == 500
    assert (await raw.call("GET", f"{actions}/999"))[0] == 404
    status, _, error = await raw.call("POST", f"{actions}/", json={**body, "schedule_id": 5})
    assert (status, error) == (400, {"detail": "Schedule not found"})
    status, _, error = await raw.call("POST", f"{actions}/", json={**body, "scheduled_time": None})
    assert status == 422
    status, _, error = await raw.call("POST", f"{actions}/cleanup?days=366")
    assert status == 422
    assert (await raw.call("POST", f"{actions}/999/execute"))[0] == 404


async def test_fault_injection_matches_service_and_path(raw: Raw, fake: FakeBellasReef) -> None:
    fault = fake.fail_next(status=502, service="core", path="/health")
    assert (await raw.call("GET", "/health"))[0] == 200  # scheduler: not matched
    assert (await raw.call("GET", "/health", core=True))[0] == 502
    assert fault not in fake.faults
    fake.malformed_next(2)
    assert (await raw.call("GET", "/health"))[2] == '{"id": 1, "name": '
    assert len(fake.faults) == 1
