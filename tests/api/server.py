"""In-process fake of Bella's Reef core and scheduler, with the quirks of the real one.

Usage::

    fake = FakeBellasReef()
    fake.add_user("bellas", "reefpass123")
    fake.add_device(2)
    async with running(fake) as endpoints:
        client = BellasReefClient(endpoints.core_url, endpoints.scheduler_url, "bellas", ...)

``fake.core_app`` and ``fake.scheduler_app`` are plain aiohttp applications; state lives in
memory on the ``FakeBellasReef`` instance, so tests can seed and inspect it directly.
The quirk numbers (Q2, Q3, ...) refer to ``shared/bellasreef-api.md``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import itertools
import json
import re
import secrets
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

# The user the tests' fake knows (the `fake` fixture in tests/conftest.py).
USERNAME = "bellas"
PASSWORD = "reef-secret-pw"

SCHEDULE_TYPES = ("one_off", "recurring", "interval", "cron", "static")
ACTION_TYPES = ("on", "off", "set_pwm", "set_level", "ramp", "custom")
ACTION_STATUSES = ("pending", "in_progress", "success", "failed")
# Field each schedule type needs, and the validator message the real server gives (Q2).
TYPE_FIELDS = {
    "cron": ("cron_expression", "Cron expression is required for cron schedules"),
    "interval": ("interval_seconds", "Interval seconds is required for interval schedules"),
    "one_off": ("start_time", "Start time is required for one-off schedules"),
}
# Columns that are NOT NULL in the database: nulling them via PUT is an IntegrityError (500).
NOT_NULL = ("name", "schedule_type", "action_type", "timezone", "is_enabled")

type Row = dict[str, Any]
type Handler = Callable[[web.Request, dict[str, str], Row | None], Awaitable[web.Response]]


class _Reply(Exception):
    """Raised by handlers to answer early."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _detail(status: int, detail: Any, **headers: str) -> web.Response:
    return web.json_response({"detail": detail}, status=status, headers=headers or None)


def _plain_500() -> web.Response:
    """FastAPI's answer to an unhandled exception."""
    return web.Response(status=500, text="Internal Server Error", content_type="text/plain")


def _no_content() -> web.Response:
    """The real DELETE answers 204 with a JSON content type and an empty body."""
    return web.Response(status=204, content_type="application/json")


def _error(kind: str, loc: list[str | int], msg: str, value: Any, **ctx: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"type": kind, "loc": loc, "msg": msg, "input": value}
    if ctx:
        error["ctx"] = ctx
    return error


def _invalid(errors: list[dict[str, Any]]) -> _Reply:
    return _Reply(_detail(422, errors))


@dataclass
class Fault:
    """A failure injected into the next matching request(s)."""

    times: int = 1
    status: int | None = None  # answer with this status and body instead of handling
    body: str = "Internal Server Error"
    content_type: str = "text/plain"
    delay: float = 0.0  # wait before answering (after writing, with after_commit)
    drop_auth: bool = False  # handle as if no Authorization header came (Q12)
    after_commit: bool = False  # handle (and write), then answer a plain 500 anyway (Q2)
    service: str | None = None  # "core", "scheduler" or None for both
    method: str | None = None
    path: str | None = None

    def matches(self, service: str, request: web.Request) -> bool:
        return (
            self.service in (None, service)
            and self.method in (None, request.method)
            and self.path in (None, request.path)
        )


@dataclass(frozen=True)
class RecordedRequest:
    """What the fake saw of one request (never the token itself)."""

    service: str
    method: str
    path: str
    query: dict[str, str]
    content_type: str
    user_agent: str
    has_auth: bool


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool = True


def _route(method: str, template: str, handler: Handler, *, auth: bool = True) -> _Route:
    """Compile a FastAPI-style path template ({name} matches one segment)."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return _Route(method, re.compile(regex), handler, auth)


# -- request validation in FastAPI's shape --------------------------------------------------


def _query_int(request: web.Request, name: str, default: int | None, lo: int, hi: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        if default is None:
            raise _invalid([_error("missing", ["query", name], "Field required", None)])
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(
            [
                _error(
                    "int_parsing",
                    ["query", name],
                    "Input should be a valid integer, unable to parse string as an integer",
                    raw,
                )
            ]
        ) from None
    if value < lo:
        raise _invalid(
            [
                _error(
                    "greater_than_equal",
                    ["query", name],
                    f"Input should be greater than or equal to {lo}",
                    raw,
                    ge=lo,
                )
            ]
        )
    if value > hi:
        raise _invalid(
            [
                _error(
                    "less_than_equal",
                    ["query", name],
                    f"Input should be less than or equal to {hi}",
                    raw,
                    le=hi,
                )
            ]
        )
    return value


def _path_int(params: dict[str, str], name: str) -> int:
    raw = params[name]
    try:
        return int(raw)
    except ValueError:
        raise _invalid(
            [
                _error(
                    "int_parsing",
                    ["path", name],
                    "Input should be a valid integer, unable to parse string as an integer",
                    raw,
                )
            ]
        ) from None


def _query_bool(request: web.Request, name: str) -> bool | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    if raw.lower() in ("true", "1", "yes", "on"):
        return True
    if raw.lower() in ("false", "0", "no", "off"):
        return False
    raise _invalid(
        [_error("bool_parsing", ["query", name], "Input should be a valid boolean", raw)]
    )


def _parse_dt(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # Naive input is taken as UTC, whatever the schedule's timezone says (Q8).
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _check(name: str, kind: str, value: Any, opts: dict[str, Any]) -> tuple[Any, dict | None]:
    """Validate one body field; return (converted value, error or None)."""
    loc: list[str | int] = ["body", name]
    if value is None:
        if opts.get("nullable", True):
            return None, None
        value_kind = {"str": "string", "int": "int", "bool": "bool"}.get(kind, kind)
        return None, _error(f"{value_kind}_type", loc, f"Input should be a valid {kind}", None)
    if kind == "str":
        if not isinstance(value, str):
            return None, _error("string_type", loc, "Input should be a valid string", value)
        if len(value) < opts.get("min", 0):
            return None, _error(
                "string_too_short", loc, "String should have at least 1 character", value
            )
        if len(value) > opts.get("max", 10**9):
            return None, _error(
                "string_too_long",
                loc,
                f"String should have at most {opts['max']} characters",
                value,
            )
        return value, None
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return None, _error("int_type", loc, "Input should be a valid integer", value)
        if value < opts.get("ge", -(10**18)):
            return None, _error(
                "greater_than_equal",
                loc,
                f"Input should be greater than or equal to {opts['ge']}",
                value,
            )
        return value, None
    if kind == "bool":
        if not isinstance(value, bool):
            return None, _error("bool_type", loc, "Input should be a valid boolean", value)
        return value, None
    if kind == "datetime":
        parsed = _parse_dt(value)
        if parsed is None:
            return None, _error("datetime_parsing", loc, "Input should be a valid datetime", value)
        return parsed, None
    if kind == "int_list":
        if not isinstance(value, list) or not all(
            isinstance(item, int) and not isinstance(item, bool) for item in value
        ):
            return None, _error("list_type", loc, "Input should be a valid list", value)
        return list(value), None
    if kind == "object":
        if not isinstance(value, dict):
            return None, _error("dict_type", loc, "Input should be a valid dictionary", value)
        return value, None
    choices: tuple[str, ...] = opts["choices"]
    if value not in choices:
        listed = ", ".join(f"'{c}'" for c in choices[:-1]) + f" or '{choices[-1]}'"
        return None, _error("enum", loc, f"Input should be {listed}", value)
    return value, None


SCHEDULE_SPEC: dict[str, tuple[str, dict[str, Any]]] = {
    "name": ("str", {"required": True, "nullable": False, "min": 1, "max": 100}),
    "device_ids": ("int_list", {}),
    "schedule_type": ("enum", {"required": True, "nullable": False, "choices": SCHEDULE_TYPES}),
    "cron_expression": ("str", {"max": 100}),
    "interval_seconds": ("int", {"ge": 1}),
    "start_time": ("datetime", {}),
    "end_time": ("datetime", {}),
    "timezone": ("str", {"nullable": False, "default": "UTC"}),
    "is_enabled": ("bool", {"nullable": False, "default": True}),
    "action_type": ("enum", {"required": True, "nullable": False, "choices": ACTION_TYPES}),
    "action_params": ("object", {}),
}
ACTION_SPEC: dict[str, tuple[str, dict[str, Any]]] = {
    "device_id": ("int", {"required": True, "nullable": False}),
    "action_type": ("enum", {"required": True, "nullable": False, "choices": ACTION_TYPES}),
    "parameters": ("object", {}),
    "scheduled_time": ("datetime", {"required": True, "nullable": False}),
    "schedule_id": ("int", {}),
}
ACTION_UPDATE_SPEC: dict[str, tuple[str, dict[str, Any]]] = {
    "action_type": ("enum", {"choices": ACTION_TYPES}),
    "parameters": ("object", {}),
    "status": ("enum", {"choices": ACTION_STATUSES}),
    "scheduled_time": ("datetime", {}),
    "executed_time": ("datetime", {}),
    "result": ("object", {}),
    "error_message": ("str", {}),
}


async def _json_body(request: web.Request) -> dict[str, Any]:
    """Read a JSON object body the way FastAPI does (no JSON content type -> 422)."""
    text = await request.text()
    if request.content_type != "application/json":
        raise _invalid(
            [
                _error(
                    "model_attributes_type",
                    ["body"],
                    "Input should be a valid dictionary or object to extract attributes from",
                    text,
                )
            ]
        )
    try:
        body = json.loads(text)
    except ValueError:
        raise _invalid([_error("json_invalid", ["body", 0], "JSON decode error", {})]) from None
    if not isinstance(body, dict):
        raise _invalid(
            [
                _error(
                    "model_attributes_type",
                    ["body"],
                    "Input should be a valid dictionary or object to extract attributes from",
                    body,
                )
            ]
        )
    return body


def _validate(
    body: dict[str, Any], spec: dict[str, tuple[str, dict[str, Any]]], *, partial: bool
) -> dict[str, Any]:
    """Return the known fields sent (defaults filled unless partial); unknown keys are dropped."""
    out: dict[str, Any] = {}
    errors = []
    for name, (kind, opts) in spec.items():
        if name not in body:
            if partial:
                continue
            if opts.get("required"):
                errors.append(_error("missing", ["body", name], "Field required", body))
                continue
            out[name] = opts.get("default")
            continue
        # In a partial update every field is optional, so null is always accepted by pydantic.
        check_opts = {**opts, "nullable": True} if partial else opts
        value, error = _check(name, kind, body[name], check_opts)
        if error:
            errors.append(error)
        else:
            out[name] = value
    if errors:
        raise _invalid(errors)
    return out


# -- the fake -------------------------------------------------------------------------------


@dataclass
class FakeEndpoints:
    """Base URLs and servers of a running fake."""

    core_url: str
    scheduler_url: str
    core_server: TestServer
    scheduler_server: TestServer


@dataclass
class FakeBellasReef:
    """Both services of Bella's Reef sharing one in-memory database."""

    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    users: dict[str, Row] = field(default_factory=dict)
    devices: dict[int, Row] = field(default_factory=dict)
    schedules: dict[int, Row] = field(default_factory=dict)
    device_actions: dict[int, Row] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    # Q17: the list has no ORDER BY; a test may reorder rows per request with this hook.
    list_order: Callable[[list[Row]], list[Row]] | None = None

    def __post_init__(self) -> None:
        self._tokens: dict[str, str] = {}
        self._ids = {kind: itertools.count(1) for kind in ("user", "schedule", "action")}
        self._release = asyncio.Event()
        self.core_app = self._app(
            "core",
            [
                _route("POST", "/api/auth/login", self._login, auth=False),
                _route("GET", "/api/users/me", self._me),
                _route("GET", "/health", self._core_health, auth=False),
                _route("GET", "/", self._core_root, auth=False),
            ],
        )
        base = "/api/v1/schedules"
        actions = f"{base}/device-actions"
        self.scheduler_app = self._app(
            "scheduler",
            [
                # Declared in FastAPI's order: it decides which quirks show (Q7, slashes).
                _route("GET", f"{base}/", self._list_schedules),
                _route("POST", f"{base}/", self._create_schedule),
                _route("GET", f"{base}/stats", self._schedule_stats),
                _route("GET", f"{actions}/", self._list_actions),
                _route("POST", f"{actions}/", self._create_action),
                _route("GET", f"{actions}/stats", self._action_stats),
                _route("POST", f"{actions}/cleanup", self._cleanup_actions),
                _route("GET", f"{actions}/{{action_id}}", self._get_action),
                _route("PUT", f"{actions}/{{action_id}}", self._update_action),
                _route("DELETE", f"{actions}/{{action_id}}", self._delete_action),
                _route("POST", f"{actions}/{{action_id}}/execute", self._execute_action),
                _route("GET", f"{base}/{{schedule_id}}", self._get_schedule),
                _route("PUT", f"{base}/{{schedule_id}}", self._update_schedule),
                _route("DELETE", f"{base}/{{schedule_id}}", self._delete_schedule),
                _route("POST", f"{base}/{{schedule_id}}/enable", self._enable),
                _route("POST", f"{base}/{{schedule_id}}/disable", self._disable),
                _route("GET", f"{base}/health", self._unreachable_health),
                _route("GET", "/health", self._scheduler_health, auth=False),
                _route("GET", "/", self._scheduler_root, auth=False),
            ],
        )

    # -- seeding and inspection ---------------------------------------------------------

    def add_user(
        self, username: str, password: str, *, is_active: bool = True, is_admin: bool = False
    ) -> Row:
        user = {
            "id": next(self._ids["user"]),
            "username": username,
            "password": password,
            "email": None,
            "phone_number": None,
            "is_active": is_active,
            "is_admin": is_admin,
            "created_at": self.now(),
            "updated_at": None,
        }
        self.users[username] = user
        return user

    def add_device(self, device_id: int, name: str | None = None, **extra: Any) -> Row:
        device = {"id": device_id, "name": name or f"Device {device_id}", **extra}
        self.devices[device_id] = device
        return device

    def add_schedule(self, **fields: Any) -> Row:
        """Store a row directly, unvalidated: this is how tests seed bad rows (Q3)."""
        row: Row = {name: opts.get("default") for name, (_, opts) in SCHEDULE_SPEC.items()}
        row.update(name="Seeded", schedule_type="interval", interval_seconds=60, action_type="on")
        row.update(fields)
        return self._insert_schedule(row)

    def add_device_action(self, **fields: Any) -> Row:
        row: Row = {"parameters": None, "schedule_id": None, "action_type": "on"}
        row.update(fields)
        return self._insert_action(row)

    def issue_token(self, username: str) -> str:
        token = f"fake.{secrets.token_urlsafe(16)}"
        self._tokens[token] = username
        return token

    def expire_tokens(self) -> None:
        """Make every token issued so far invalid (as if its exp had passed)."""
        self._tokens.clear()

    @property
    def login_count(self) -> int:
        return self.count("POST", "/api/auth/login")

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.path == path)

    # -- failure injection --------------------------------------------------------------

    def inject(self, **fault: Any) -> Fault:
        injected = Fault(**fault)
        self.faults.append(injected)
        return injected

    def fail_next(self, times: int = 1, *, status: int = 500, **match: Any) -> Fault:
        return self.inject(times=times, status=status, **match)

    def delay_next(self, seconds: float, times: int = 1, **match: Any) -> Fault:
        return self.inject(times=times, delay=seconds, **match)

    def malformed_next(self, times: int = 1, **match: Any) -> Fault:
        """Answer 200 with a truncated JSON body."""
        body = '{"id": 1, "name": '
        return self.inject(
            times=times, status=200, body=body, content_type="application/json", **match
        )

    def drop_auth_next(self, times: int = 1, **match: Any) -> Fault:
        return self.inject(times=times, drop_auth=True, **match)

    def fail_after_commit_next(self, times: int = 1, **match: Any) -> Fault:
        return self.inject(times=times, after_commit=True, **match)

    def release_delays(self) -> None:
        """End every pending injected delay at once (used at shutdown)."""
        self._release.set()

    # -- plumbing -----------------------------------------------------------------------

    def _app(self, service: str, routes: list[_Route]) -> web.Application:
        async def dispatch(request: web.Request) -> web.StreamResponse:
            return await self._dispatch(service, routes, request)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", dispatch)
        return app

    async def _pause(self, seconds: float) -> None:
        if seconds:
            with suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self._release.wait()

    def _take_fault(self, service: str, request: web.Request) -> Fault | None:
        for fault in self.faults:
            if fault.matches(service, request):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    async def _dispatch(
        self, service: str, routes: list[_Route], request: web.Request
    ) -> web.Response:
        self.requests.append(
            RecordedRequest(
                service=service,
                method=request.method,
                path=request.path,
                query=dict(request.query),
                content_type=request.content_type,
                user_agent=request.headers.get("User-Agent", ""),
                has_auth="Authorization" in request.headers,
            )
        )
        fault = self._take_fault(service, request) or Fault()
        if not fault.after_commit:
            await self._pause(fault.delay)
        if fault.status is not None:
            return web.Response(
                status=fault.status, text=fault.body, content_type=fault.content_type
            )
        try:
            response = await self._route(routes, request, fault)
        except _Reply as reply:
            response = reply.response
        if not fault.after_commit:
            return response
        await self._pause(fault.delay)
        return _plain_500()

    async def _route(
        self, routes: list[_Route], request: web.Request, fault: Fault
    ) -> web.Response:
        """Match like Starlette: first full match; else 405 on a path match; else slash redirect."""
        path_matched = False
        for route in routes:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            path_matched = True
            if route.method == request.method:
                user = self._authenticate(request, fault) if route.auth else None
                return await route.handler(request, match.groupdict(), user)
        if path_matched:
            return _detail(405, "Method Not Allowed")
        path = request.path
        other = path[:-1] if path.endswith("/") else f"{path}/"
        if path != "/" and any(route.pattern.fullmatch(other) for route in routes):
            location = f"http://{request.host}{other}"
            if request.query_string:
                location += f"?{request.query_string}"
            return web.Response(status=307, headers={"Location": location})
        return _detail(404, "Not Found")

    def _authenticate(self, request: web.Request, fault: Fault) -> Row:
        header = None if fault.drop_auth else request.headers.get("Authorization")
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            # The server hands None to the JWT decoder and crashes (Q12).
            raise _Reply(_plain_500())
        user = self.users.get(self._tokens.get(token, ""))
        if user is None:
            raise _Reply(
                _detail(401, "Could not validate credentials", **{"WWW-Authenticate": "Bearer"})
            )
        if not user["is_active"]:
            raise _Reply(_detail(400, "Inactive user"))
        return user

    # -- core ---------------------------------------------------------------------------

    async def _login(self, request: web.Request, _: dict[str, str], __: Row | None) -> web.Response:
        form = (
            await request.post()
            if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
            else {}
        )
        errors = [
            _error("missing", ["body", name], "Field required", None)
            for name in ("username", "password")
            if name not in form
        ]
        if "grant_type" in form and form["grant_type"] != "password":
            errors.append(
                _error(
                    "string_pattern_mismatch",
                    ["body", "grant_type"],
                    "String should match pattern '^password$'",
                    form["grant_type"],
                )
            )
        if errors:
            raise _invalid(errors)
        user = self.users.get(str(form["username"]))
        if user is None or user["password"] != form["password"]:
            return _detail(401, "Incorrect username or password", **{"WWW-Authenticate": "Bearer"})
        if not user["is_active"]:
            return _detail(400, "Inactive user")
        return web.json_response(
            {"access_token": self.issue_token(user["username"]), "token_type": "bearer"}
        )

    async def _me(self, _: web.Request, __: dict[str, str], user: Row | None) -> web.Response:
        assert user is not None
        public = {k: v for k, v in user.items() if k != "password"}
        public["created_at"] = _iso(user["created_at"])
        public["updated_at"] = _iso(user["updated_at"])
        return web.json_response(public)

    async def _core_health(self, *_: Any) -> web.Response:
        # Core's timestamp is naive UTC without "Z" (contract §2).
        stamp = self.now().astimezone(UTC).replace(tzinfo=None).isoformat()
        return web.json_response(
            {
                "status": "healthy",
                "timestamp": stamp,
                "service": "Bella's Reef API",
                "version": "1.0.0",
            }
        )

    async def _core_root(self, *_: Any) -> web.Response:
        return web.json_response({"service": "Bella's Reef API", "health": "/api/health"})

    # -- scheduler: schedules -----------------------------------------------------------

    def _insert_schedule(self, row: Row) -> Row:
        row.update(
            id=next(self._ids["schedule"]),
            next_run=row.get("next_run"),
            last_run=row.get("last_run"),
            last_run_status=row.get("last_run_status"),
            created_at=row.get("created_at") or self.now(),
            updated_at=row.get("updated_at"),
        )
        self.schedules[row["id"]] = row
        return row

    def _find_schedule(self, params: dict[str, str]) -> Row:
        row = self.schedules.get(_path_int(params, "schedule_id"))
        if row is None:
            raise _Reply(_detail(404, "Schedule not found"))
        return row

    @staticmethod
    def schedule_is_valid(row: Row) -> bool:
        """Whether the response model accepts the row (it re-runs the type validators, Q2/Q3)."""
        needed = TYPE_FIELDS.get(row["schedule_type"])
        return needed is None or row.get(needed[0]) not in (None, "")

    def _schedule_json(self, row: Row) -> dict[str, Any]:
        if not self.schedule_is_valid(row):
            raise _Reply(_plain_500())
        dates = ("start_time", "end_time", "next_run", "last_run", "created_at", "updated_at")
        return {k: _iso(v) if k in dates else v for k, v in row.items()}

    def _check_devices(self, device_ids: list[int] | None) -> None:
        for device_id in device_ids or []:
            if device_id not in self.devices:
                raise _Reply(_detail(400, f"Device with ID {device_id} not found"))

    async def _list_schedules(self, request: web.Request, *_: Any) -> web.Response:
        skip = _query_int(request, "skip", 0, 0, 10**9)
        limit = _query_int(request, "limit", 100, 1, 1000)
        kind = request.query.get("schedule_type")
        enabled = _query_bool(request, "is_enabled")
        device_id = request.query.get("device_id")
        rows = list(self.schedules.values())
        if kind is not None:
            rows = [r for r in rows if r["schedule_type"] == kind]
        if enabled is not None:
            rows = [r for r in rows if r["is_enabled"] is enabled]
        if device_id is not None:
            # Q4: a substring match on the JSON text: only a list of exactly [id] matches.
            needle = f"[{_query_int(request, 'device_id', None, -(10**9), 10**9)}]"
            rows = [r for r in rows if needle in json.dumps(r["device_ids"])]
        if self.list_order is not None:
            rows = self.list_order(rows)
        # One bad row in the page fails the whole answer (Q3).
        return web.json_response([self._schedule_json(r) for r in rows[skip : skip + limit]])

    async def _create_schedule(self, request: web.Request, *_: Any) -> web.Response:
        body = await _json_body(request)
        data = _validate(body, SCHEDULE_SPEC, partial=False)
        needed = TYPE_FIELDS.get(data["schedule_type"])
        # The validator only runs for keys that were sent (Q2).
        if needed and needed[0] in body and data[needed[0]] in (None, ""):
            raise _invalid(
                [
                    _error(
                        "value_error",
                        ["body", needed[0]],
                        f"Value error, {needed[1]}",
                        body[needed[0]],
                        error={},
                    )
                ]
            )
        self._check_devices(data["device_ids"])
        row = self._insert_schedule(data)
        return web.json_response(self._schedule_json(row), status=201)

    async def _schedule_stats(self, *_: Any) -> web.Response:
        rows = list(self.schedules.values())
        by_type: dict[str, int] = {}
        for row in rows:
            by_type[row["schedule_type"]] = by_type.get(row["schedule_type"], 0) + 1
        enabled = [r for r in rows if r["is_enabled"]]
        return web.json_response(
            {
                "total_schedules": len(rows),
                "enabled_schedules": len(enabled),
                "schedules_by_type": by_type,
                "next_runs": [
                    {
                        "id": r["id"],
                        "name": r["name"],
                        "next_run": _iso(r["next_run"]),
                        "schedule_type": r["schedule_type"],
                    }
                    for r in enabled
                ],
            }
        )

    async def _get_schedule(self, _: web.Request, params: dict[str, str], __: Any) -> web.Response:
        return web.json_response(self._schedule_json(self._find_schedule(params)))

    async def _update_schedule(
        self, request: web.Request, params: dict[str, str], _: Any
    ) -> web.Response:
        row = self._find_schedule(params)
        data = _validate(await _json_body(request), SCHEDULE_SPEC, partial=True)
        if any(data.get(name, "") is None for name in NOT_NULL):
            raise _Reply(_plain_500())  # IntegrityError; nothing is written
        if "device_ids" in data:
            self._check_devices(data["device_ids"])
        row.update(data, updated_at=self.now())
        # The row is written even when the answer then fails validation (Q3).
        return web.json_response(self._schedule_json(row))

    async def _delete_schedule(
        self, _: web.Request, params: dict[str, str], __: Any
    ) -> web.Response:
        row = self._find_schedule(params)
        del self.schedules[row["id"]]
        owned = [k for k, a in self.device_actions.items() if a["schedule_id"] == row["id"]]
        for action_id in owned:
            del self.device_actions[action_id]
        return _no_content()

    async def _set_enabled(self, params: dict[str, str], enabled: bool) -> web.Response:
        row = self._find_schedule(params)
        if row["is_enabled"] is enabled:
            state = "enabled" if enabled else "disabled"
            return _detail(400, f"Schedule is already {state}")  # Q11
        row.update(is_enabled=enabled, updated_at=self.now())
        return web.json_response(self._schedule_json(row))

    async def _enable(self, _: web.Request, params: dict[str, str], __: Any) -> web.Response:
        return await self._set_enabled(params, True)

    async def _disable(self, _: web.Request, params: dict[str, str], __: Any) -> web.Response:
        return await self._set_enabled(params, False)

    async def _unreachable_health(self, *_: Any) -> web.Response:
        raise AssertionError("shadowed by /{schedule_id} (Q7)")  # pragma: no cover

    async def _scheduler_health(self, *_: Any) -> web.Response:
        return web.json_response(
            {"status": "healthy", "service": "Bella's Reef Scheduler Service", "version": "1.0.0"}
        )

    async def _scheduler_root(self, *_: Any) -> web.Response:
        return web.json_response(
            {
                "service": "Bella's Reef Scheduler Service",
                "endpoints": {"schedules": "/api/v1/schedules"},
            }
        )

    # -- scheduler: device actions ------------------------------------------------------

    def _insert_action(self, row: Row) -> Row:
        row.update(
            id=next(self._ids["action"]),
            status=row.get("status", "pending"),
            executed_time=row.get("executed_time"),
            result=row.get("result"),
            error_message=row.get("error_message"),
            created_at=row.get("created_at") or self.now(),
            updated_at=row.get("updated_at"),
        )
        self.device_actions[row["id"]] = row
        return row

    def _find_action(self, params: dict[str, str]) -> Row:
        row = self.device_actions.get(_path_int(params, "action_id"))
        if row is None:
            raise _Reply(_detail(404, "Device action not found"))
        return row

    @staticmethod
    def _action_json(row: Row) -> dict[str, Any]:
        dates = ("scheduled_time", "executed_time", "created_at", "updated_at")
        return {k: _iso(v) if k in dates else v for k, v in row.items()}

    async def _list_actions(self, request: web.Request, *_: Any) -> web.Response:
        skip = _query_int(request, "skip", 0, 0, 10**9)
        limit = _query_int(request, "limit", 100, 1, 1000)
        rows = sorted(self.device_actions.values(), key=lambda r: r["scheduled_time"], reverse=True)
        for name in ("device_id", "schedule_id"):
            if name in request.query:
                wanted = _query_int(request, name, None, -(10**9), 10**9)
                rows = [r for r in rows if r[name] == wanted]
        if "status" in request.query:
            rows = [r for r in rows if r["status"] == request.query["status"]]
        if rows[skip : skip + limit]:
            raise _Reply(_plain_500())  # reads the missing attribute executed_at (Q5)
        return web.json_response([])

    async def _create_action(self, request: web.Request, *_: Any) -> web.Response:
        data = _validate(await _json_body(request), ACTION_SPEC, partial=False)
        if data["device_id"] not in self.devices:
            raise _Reply(_detail(400, "Device not found"))
        if data["schedule_id"] is not None and data["schedule_id"] not in self.schedules:
            raise _Reply(_detail(400, "Schedule not found"))
        row = self._insert_action(data)
        return web.json_response(self._action_json(row), status=201)

    async def _action_stats(self, *_: Any) -> web.Response:
        return _plain_500()  # builds status_counts, the model wants actions_by_status (Q6)

    async def _cleanup_actions(self, request: web.Request, *_: Any) -> web.Response:
        days = _query_int(request, "days", 30, 1, 365)
        cutoff = self.now() - timedelta(days=days)
        # Pending actions go too, despite the docstring (contract §3 row 16).
        old = [k for k, r in self.device_actions.items() if r["scheduled_time"] < cutoff]
        for action_id in old:
            del self.device_actions[action_id]
        return web.json_response({"deleted_count": len(old), "days": days})

    async def _get_action(self, _: web.Request, params: dict[str, str], __: Any) -> web.Response:
        self._find_action(params)
        return _plain_500()  # Q5

    async def _update_action(
        self, request: web.Request, params: dict[str, str], _: Any
    ) -> web.Response:
        row = self._find_action(params)
        data = _validate(await _json_body(request), ACTION_UPDATE_SPEC, partial=True)
        row.update(data, updated_at=self.now())
        return web.json_response(self._action_json(row))

    async def _delete_action(self, _: web.Request, params: dict[str, str], __: Any) -> web.Response:
        row = self._find_action(params)
        del self.device_actions[row["id"]]
        return _no_content()

    async def _execute_action(
        self, _: web.Request, params: dict[str, str], user: Row | None
    ) -> web.Response:
        assert user is not None
        row = self._find_action(params)
        if row["status"] != "pending":
            return _detail(400, f"Action is not pending (current status: {row['status']})")
        # Touches no device; executed_time stays null (contract §3 row 15).
        row.update(
            status="success",
            result={"manual_execution": True, "executed_by": user["username"]},
            updated_at=self.now(),
        )
        return web.json_response(self._action_json(row))


@asynccontextmanager
async def running(fake: FakeBellasReef) -> AsyncIterator[FakeEndpoints]:
    """Serve both apps on 127.0.0.1 (random ports) for the duration of the block."""
    core = TestServer(fake.core_app, host="127.0.0.1")
    scheduler = TestServer(fake.scheduler_app, host="127.0.0.1")
    await core.start_server()
    try:
        await scheduler.start_server()
        try:
            yield FakeEndpoints(
                core_url=str(core.make_url("")),
                scheduler_url=str(scheduler.make_url("")),
                core_server=core,
                scheduler_server=scheduler,
            )
        finally:
            fake.release_delays()
            await scheduler.close()
    finally:
        await core.close()
