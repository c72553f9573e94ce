"""Async client of the Bella's Reef core and scheduler services."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import json
import logging
from types import TracebackType
from typing import Self, Unpack

import aiohttp
from yarl import URL

from .breaker import CircuitBreaker
from .const import (
    ALREADY_DISABLED,
    ALREADY_ENABLED,
    CREATE_LOOKUP_SKEW,
    CURRENT_USER_PATH,
    DEFAULT_REQUEST_TIMEOUT,
    DEVICE_ACTION_CLEANUP_PATH,
    DEVICE_ACTION_STATS_PATH,
    DEVICE_ACTIONS_PATH,
    HEALTH_PATH,
    INACTIVE_USER,
    LOGIN_PATH,
    MAX_PAGE_SIZE,
    SCHEDULE_STATS_PATH,
    SCHEDULES_PATH,
    USER_AGENT,
    device_action_path,
    schedule_path,
)
from .exceptions import (
    BellasReefAuthenticationError,
    BellasReefConnectionError,
    BellasReefError,
    BellasReefNotFoundError,
    BellasReefParseError,
    BellasReefResponseError,
    BellasReefTimeoutError,
    BellasReefUnsupportedError,
    BellasReefValidationError,
    FieldError,
)
from .models import (
    ActionStatus,
    CleanupResult,
    DeviceAction,
    DeviceActionCreate,
    DeviceActionStats,
    DeviceActionUpdate,
    Health,
    JsonObject,
    JsonValue,
    RemoteSchedule,
    ScheduleCreate,
    ScheduleStats,
    ScheduleType,
    ScheduleUpdate,
    ScheduleUpdateFields,
    User,
    parse_list,
    parse_token,
)

_LOGGER = logging.getLogger(__name__)

_UNSUPPORTED_LIST = (
    "Bella's Reef cannot list device actions: its list route fails as soon as one row "
    "matches (quirk Q5)"
)
_UNSUPPORTED_GET = "Bella's Reef cannot read a device action: its get route fails (quirk Q5)"
_UNSUPPORTED_STATS = "Bella's Reef device action stats always fail on the server (quirk Q6)"

type _Params = Mapping[str, str | int]


class _Service(StrEnum):
    """Which of the two services a route lives on."""

    CORE = "core"
    SCHEDULER = "scheduler"


@dataclass(frozen=True, slots=True)
class _Raw:
    """One HTTP answer, fully read."""

    status: int
    reason: str
    content_type: str
    body: bytes

    @property
    def is_plain_500(self) -> bool:
        """Tell whether this is FastAPI's unhandled-error answer (also Q12's auth failure)."""
        return self.status == 500 and self.content_type != "application/json"


def _no_content(data: JsonValue) -> None:
    """Accept any (usually empty) body of a 204 answer."""


def _items[T](parse_item: Callable[[JsonValue], T]) -> Callable[[JsonValue], list[T]]:
    """Lift an item parser to a parser of a JSON array."""
    return lambda data: [parse_item(item) for item in parse_list(data)]


def _field_error(item: JsonValue) -> FieldError:
    """Read one entry of a FastAPI validation ``detail`` list, tolerating odd shapes."""
    if not isinstance(item, dict):
        return FieldError(loc=(), msg=str(item))
    loc = item.get("loc")
    msg = item.get("msg")
    kind = item.get("type")
    return FieldError(
        loc=tuple(p for p in loc if isinstance(p, str | int)) if isinstance(loc, list) else (),
        msg=msg if isinstance(msg, str) else str(item),
        type=kind if isinstance(kind, str) else "",
    )


def _error_detail(raw: _Raw) -> tuple[str, tuple[FieldError, ...]]:
    """Extract the server's detail: a string, a FastAPI error list, or plain text."""
    text = raw.body.decode("utf-8", "replace").strip()
    try:
        payload: JsonValue = json.loads(text)
    except ValueError:
        return text[:300] or raw.reason, ()
    detail = payload.get("detail") if isinstance(payload, dict) else None
    if isinstance(detail, str):
        return detail, ()
    if isinstance(detail, list):
        errors = tuple(_field_error(item) for item in detail)
        return "; ".join(str(error) for error in errors), errors
    return text[:300], ()


def _raise_for_status(raw: _Raw, method: str, path: str, unsupported: str | None) -> None:
    """Map an error status to the matching exception."""
    if raw.status < 400:
        if raw.status >= 300:
            # Redirects are not followed: a 307 means a wrong trailing slash (contract §3).
            raise BellasReefResponseError(
                raw.status, "unexpected redirect", method=method, path=path
            )
        return
    detail, errors = _error_detail(raw)
    if unsupported is not None and raw.status == 500:
        raise BellasReefUnsupportedError(500, unsupported, method=method, path=path)
    if raw.status == 401 or (raw.status == 400 and detail == INACTIVE_USER):
        raise BellasReefAuthenticationError(raw.status, detail, method=method, path=path)
    if raw.status == 404:
        raise BellasReefNotFoundError(404, detail, method=method, path=path)
    if raw.status in (400, 422):
        raise BellasReefValidationError(raw.status, detail, errors=errors, method=method, path=path)
    raise BellasReefResponseError(raw.status, detail, method=method, path=path)


def _base_url(url: str) -> str:
    """Normalise a base URL: drop credentials (the client sends a bearer token) and the slash."""
    return str(URL(url).with_user(None)).rstrip("/")


class BellasReefClient:
    """Typed client of Bella's Reef: auth on core, schedules and device actions on scheduler."""

    def __init__(
        self,
        core_url: str,
        scheduler_url: str,
        username: str,
        password: str,
        *,
        session: aiohttp.ClientSession | None = None,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        verify_ssl: bool = True,
        core_breaker: CircuitBreaker | None = None,
        scheduler_breaker: CircuitBreaker | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        """Store the configuration; nothing touches the network until the first call."""
        if request_timeout <= 0:
            raise ValueError("request_timeout must be positive")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        self._bases = {
            _Service.CORE: _base_url(core_url),
            _Service.SCHEDULER: _base_url(scheduler_url),
        }
        self._username = username
        self._password = password
        self._session = session
        self._own_session = session is None
        self._timeout = request_timeout
        self._verify_ssl = verify_ssl
        self._page_size = page_size
        # One breaker per service: core being down must not refuse scheduler calls.
        self.breakers: Mapping[str, CircuitBreaker] = {
            _Service.CORE: core_breaker or CircuitBreaker(),
            _Service.SCHEDULER: scheduler_breaker or CircuitBreaker(),
        }
        self._token: str | None = None
        # True once the current token got an answer other than Q12's plain 500.
        self._token_verified = False
        self._login_lock = asyncio.Lock()

    def __repr__(self) -> str:
        """Show the endpoints only: never the username, password or token."""
        return (
            f"BellasReefClient(core_url={self._bases[_Service.CORE]!r}, "
            f"scheduler_url={self._bases[_Service.SCHEDULER]!r})"
        )

    async def __aenter__(self) -> Self:
        """Enter the context; the session is created lazily."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the session if the client created it."""
        await self.close()

    async def close(self) -> None:
        """Close the session, but only one the client created itself."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    # -- auth and health ---------------------------------------------------------------

    async def login(self) -> None:
        """Log in on core with the OAuth2 password form and keep the token in memory."""
        async with self._login_lock:
            await self._login()

    async def get_current_user(self) -> User:
        """Return the logged-in user."""
        return await self._request("GET", _Service.CORE, CURRENT_USER_PATH, User.from_json)

    async def core_health(self) -> Health:
        """Return core's root health (no auth)."""
        return await self._request("GET", _Service.CORE, HEALTH_PATH, Health.from_json, auth=False)

    async def scheduler_health(self) -> Health:
        """Return the scheduler's root health; its /api/v1 health is unreachable (Q7)."""
        return await self._request(
            "GET", _Service.SCHEDULER, HEALTH_PATH, Health.from_json, auth=False
        )

    # -- schedules ---------------------------------------------------------------------

    async def list_schedules(
        self,
        *,
        schedule_type: ScheduleType | None = None,
        is_enabled: bool | None = None,
        device_id: int | None = None,
    ) -> list[RemoteSchedule]:
        """Return every schedule matching the filters, across all pages."""
        params: dict[str, str | int] = {}
        if schedule_type is not None:
            params["schedule_type"] = schedule_type.value
        if is_enabled is not None:
            params["is_enabled"] = "true" if is_enabled else "false"
        schedules = await self._paged(SCHEDULES_PATH, params, RemoteSchedule.from_json)
        if device_id is None:
            return schedules
        # The server's device_id filter only matches a list of exactly [id] (Q4).
        return [schedule for schedule in schedules if device_id in schedule.device_ids]

    async def get_schedule(self, schedule_id: int) -> RemoteSchedule:
        """Return one schedule."""
        return await self._request(
            "GET", _Service.SCHEDULER, schedule_path(schedule_id), RemoteSchedule.from_json
        )

    async def create_schedule(self, schedule: ScheduleCreate) -> RemoteSchedule:
        """Create a schedule without ever creating it twice (a 5xx may still have written, Q2)."""
        outcome = await self._create_once(schedule)
        if isinstance(outcome, RemoteSchedule):
            return outcome
        _LOGGER.debug("Schedule create failed before writing (%s); retrying once", outcome)
        outcome = await self._create_once(schedule)
        if isinstance(outcome, RemoteSchedule):
            return outcome
        raise outcome

    async def update_schedule(
        self,
        schedule_id: int,
        update: ScheduleUpdate | None = None,
        /,
        **fields: Unpack[ScheduleUpdateFields],
    ) -> RemoteSchedule:
        """Change the given fields of a schedule (a ScheduleUpdate or keyword fields)."""
        if update is None:
            update = ScheduleUpdate(**fields)
        elif fields:
            raise TypeError("pass a ScheduleUpdate or keyword fields, not both")
        return await self._request(
            "PUT",
            _Service.SCHEDULER,
            schedule_path(schedule_id),
            RemoteSchedule.from_json,
            body=update.to_json(),
        )

    async def delete_schedule(self, schedule_id: int) -> None:
        """Delete a schedule (the server also deletes its device actions)."""
        await self._request("DELETE", _Service.SCHEDULER, schedule_path(schedule_id), _no_content)

    async def enable_schedule(self, schedule_id: int) -> RemoteSchedule:
        """Enable a schedule; already enabled is success (Q11)."""
        return await self._set_enabled(schedule_id, "enable", ALREADY_ENABLED)

    async def disable_schedule(self, schedule_id: int) -> RemoteSchedule:
        """Disable a schedule; already disabled is success (Q11)."""
        return await self._set_enabled(schedule_id, "disable", ALREADY_DISABLED)

    async def schedule_stats(self) -> ScheduleStats:
        """Return the schedule statistics."""
        return await self._request(
            "GET", _Service.SCHEDULER, SCHEDULE_STATS_PATH, ScheduleStats.from_json
        )

    # -- device actions ----------------------------------------------------------------

    async def create_device_action(self, action: DeviceActionCreate) -> DeviceAction:
        """Record a device action (e.g. a run made here, reported back)."""
        return await self._request(
            "POST",
            _Service.SCHEDULER,
            DEVICE_ACTIONS_PATH,
            DeviceAction.from_json,
            body=action.to_json(),
            idempotent=False,
        )

    async def update_device_action(
        self, action_id: int, update: DeviceActionUpdate
    ) -> DeviceAction:
        """Change the given fields of a device action."""
        return await self._request(
            "PUT",
            _Service.SCHEDULER,
            device_action_path(action_id),
            DeviceAction.from_json,
            body=update.to_json(),
        )

    async def delete_device_action(self, action_id: int) -> None:
        """Delete a device action."""
        await self._request(
            "DELETE", _Service.SCHEDULER, device_action_path(action_id), _no_content
        )

    async def execute_device_action(self, action_id: int) -> DeviceAction:
        """Mark a pending action executed; the server touches no device (§4)."""
        return await self._request(
            "POST",
            _Service.SCHEDULER,
            device_action_path(action_id, "execute"),
            DeviceAction.from_json,
        )

    async def cleanup_device_actions(self, days: int = 30) -> CleanupResult:
        """Delete every action scheduled more than ``days`` ago, pending ones included."""
        if not 1 <= days <= 365:
            raise ValueError("days must be between 1 and 365")
        return await self._request(
            "POST",
            _Service.SCHEDULER,
            DEVICE_ACTION_CLEANUP_PATH,
            CleanupResult.from_json,
            params={"days": days},
        )

    async def list_device_actions(
        self,
        *,
        status: ActionStatus | None = None,
        device_id: int | None = None,
        schedule_id: int | None = None,
    ) -> list[DeviceAction]:
        """List device actions; raises BellasReefUnsupportedError once any row matches (Q5)."""
        params: dict[str, str | int] = {}
        if status is not None:
            params["status"] = status.value
        if device_id is not None:
            params["device_id"] = device_id
        if schedule_id is not None:
            params["schedule_id"] = schedule_id
        return await self._paged(
            DEVICE_ACTIONS_PATH, params, DeviceAction.from_json, unsupported=_UNSUPPORTED_LIST
        )

    async def get_device_action(self, action_id: int) -> DeviceAction:
        """Read a device action; raises BellasReefUnsupportedError for existing ids (Q5)."""
        return await self._request(
            "GET",
            _Service.SCHEDULER,
            device_action_path(action_id),
            DeviceAction.from_json,
            unsupported=_UNSUPPORTED_GET,
        )

    async def device_action_stats(self) -> DeviceActionStats:
        """Read device action stats; raises BellasReefUnsupportedError as shipped (Q6)."""
        return await self._request(
            "GET",
            _Service.SCHEDULER,
            DEVICE_ACTION_STATS_PATH,
            DeviceActionStats.from_json,
            unsupported=_UNSUPPORTED_STATS,
        )

    # -- internals ---------------------------------------------------------------------

    async def _login(self) -> str:
        """Fetch a new token; the caller holds the login lock."""
        self._token = None
        token = await self._request(
            "POST",
            _Service.CORE,
            LOGIN_PATH,
            parse_token,
            form={"username": self._username, "password": self._password},
            auth=False,
        )
        self._token = token
        self._token_verified = False
        return token

    async def _token_for_request(self, stale: str | None) -> str:
        """Return the token to send, logging in when there is none or it is ``stale``."""
        async with self._login_lock:
            # Another request may already have replaced the stale token while we waited.
            if self._token is None or self._token == stale:
                return await self._login()
            return self._token

    async def _set_enabled(self, schedule_id: int, action: str, already: str) -> RemoteSchedule:
        """Enable or disable, turning the server's 'already' 400 into success."""
        try:
            return await self._request(
                "POST",
                _Service.SCHEDULER,
                schedule_path(schedule_id, action),
                RemoteSchedule.from_json,
            )
        except BellasReefValidationError as err:
            if err.detail != already:
                raise
        return await self.get_schedule(schedule_id)

    async def _create_once(self, schedule: ScheduleCreate) -> RemoteSchedule | BellasReefError:
        """POST once; after a failure that may have written, return that row or the error."""
        started = datetime.now(UTC)
        try:
            return await self._request(
                "POST",
                _Service.SCHEDULER,
                SCHEDULES_PATH,
                RemoteSchedule.from_json,
                body=schedule.to_json(),
                idempotent=False,
            )
        except BellasReefResponseError as err:
            if err.status < 500:
                raise
            error: BellasReefError = err
        except BellasReefTimeoutError as err:
            error = err
        try:
            candidates = await self.list_schedules(schedule_type=schedule.schedule_type)
        except BellasReefError as lookup_error:
            # Unverifiable: retrying could create a duplicate, so report the original failure.
            raise error from lookup_error
        cutoff = started - timedelta(seconds=CREATE_LOOKUP_SKEW)
        written = [s for s in candidates if s.created_at >= cutoff and schedule.matches(s)]
        if written:
            found = max(written, key=lambda s: s.id)
            _LOGGER.debug("Schedule create answered %s but wrote id %s", error, found.id)
            return found
        # After a 5xx the server has finished, so "not listed" is conclusive and a retry is
        # safe; after a timeout it may still be writing, so only the caller may decide.
        if isinstance(error, BellasReefTimeoutError):
            raise error
        return error

    async def _paged[T: (RemoteSchedule, DeviceAction)](
        self,
        path: str,
        params: _Params,
        parse_item: Callable[[JsonValue], T],
        *,
        unsupported: str | None = None,
    ) -> list[T]:
        """Read a collection page by page until a short page, de-duplicating by id (Q17)."""
        rows: dict[int, T] = {}
        skip = 0
        while True:
            page = await self._request(
                "GET",
                _Service.SCHEDULER,
                path,
                _items(parse_item),
                params={**params, "skip": skip, "limit": self._page_size},
                unsupported=unsupported,
            )
            before = len(rows)
            rows.update((row.id, row) for row in page)
            # A full page with nothing new means the server ignores skip: stop, not loop.
            if len(page) < self._page_size or len(rows) == before:
                return list(rows.values())
            skip += len(page)

    async def _request[T](
        self,
        method: str,
        service: _Service,
        path: str,
        parse: Callable[[JsonValue], T],
        *,
        params: _Params | None = None,
        body: JsonObject | None = None,
        form: dict[str, str] | None = None,
        auth: bool = True,
        idempotent: bool = True,
        unsupported: str | None = None,
    ) -> T:
        """Send one request (re-logging in once if needed) and decode the answer with parse."""
        url = URL(self._bases[service] + path, encoded=True)
        retried = False
        while True:
            headers = {"User-Agent": USER_AGENT}
            token = None
            if auth:
                token = self._token or await self._token_for_request(None)
                headers["Authorization"] = f"Bearer {token}"
            raw = await self._send(service, method, url, path, headers, params, body, form)
            if not auth or not self._should_login_again(
                raw, idempotent=idempotent, retried=retried
            ):
                break
            _LOGGER.debug("%s %s -> %s; logging in again", method, path, raw.status)
            await self._token_for_request(token)
            retried = True
        _raise_for_status(raw, method, path, unsupported)
        try:
            payload: JsonValue = json.loads(raw.body) if raw.body.strip() else None
            return parse(payload)
        except ValueError as err:
            raise BellasReefParseError(
                raw.status, f"unexpected answer: {err}", method=method, path=path
            ) from err

    def _should_login_again(self, raw: _Raw, *, idempotent: bool, retried: bool) -> bool:
        """Decide on a re-login: after a 401, or Q12's plain 500 on a never-accepted token."""
        if raw.status != 401 and not raw.is_plain_500:
            self._token_verified = True
            return False
        if retried:
            # A fresh token got the same plain 500: it is the server's fault, not the token's.
            self._token_verified = self._token_verified or raw.is_plain_500
            return False
        # A plain 500 is retried only where a second send cannot duplicate a write.
        return raw.status == 401 or (idempotent and not self._token_verified)

    async def _send(
        self,
        service: _Service,
        method: str,
        url: URL,
        path: str,
        headers: dict[str, str],
        params: _Params | None,
        body: JsonObject | None,
        form: dict[str, str] | None,
    ) -> _Raw:
        """Do one HTTP exchange through the service's breaker, bounded by the request timeout."""
        breaker = self.breakers[service]
        breaker.before_call()
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with (
                asyncio.timeout(self._timeout),
                self._session.request(
                    method,
                    url,
                    headers=headers,
                    params=params,
                    json=body,
                    data=form,
                    ssl=self._verify_ssl,
                    allow_redirects=False,
                ) as response,
            ):
                raw = _Raw(
                    status=response.status,
                    reason=response.reason or "",
                    content_type=response.content_type,
                    body=await response.read(),
                )
        except TimeoutError as err:
            breaker.record_failure()
            raise BellasReefTimeoutError(
                f"{method} {path} timed out after {self._timeout} s"
            ) from err
        except aiohttp.ClientError as err:
            breaker.record_failure()
            # The message names the error type only: aiohttp's text may echo the full URL.
            raise BellasReefConnectionError(
                f"{method} {path} failed: {type(err).__name__}"
            ) from err
        breaker.record_success()
        _LOGGER.debug("%s %s -> %s", method, path, raw.status)
        return raw
