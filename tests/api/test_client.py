"""Tests of BellasReefClient against the fake Bella's Reef (no Home Assistant)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest

from custom_components.reef_scheduler.api import (
    ActionStatus,
    ActionType,
    BellasReefAuthenticationError,
    BellasReefCircuitOpenError,
    BellasReefClient,
    BellasReefConnectionError,
    BellasReefError,
    BellasReefNotFoundError,
    BellasReefParseError,
    BellasReefRequestError,
    BellasReefResponseError,
    BellasReefTimeoutError,
    BellasReefUnsupportedError,
    BellasReefValidationError,
    CircuitBreaker,
    CircuitState,
    DeviceActionCreate,
    DeviceActionUpdate,
    RemoteSchedule,
    ScheduleCreate,
    ScheduleType,
    ScheduleUpdate,
)

from .server import PASSWORD, USERNAME, FakeBellasReef, FakeEndpoints, Row

SCHEDULES = "/api/v1/schedules/"
AT = datetime(2026, 12, 24, 17, 0, tzinfo=UTC)


def wave(name: str = "Wave pulse", **fields: Any) -> ScheduleCreate:
    """An interval schedule body."""
    values: dict[str, Any] = {
        "schedule_type": ScheduleType.INTERVAL,
        "action_type": ActionType.SET_PWM,
        "device_ids": (3,),
        "interval_seconds": 60,
        "action_params": {"target": 40},
    }
    return ScheduleCreate(name=name, **{**values, **fields})


def make_client(endpoints: FakeEndpoints, **kwargs: Any) -> BellasReefClient:
    """A client for the fake; the caller closes it."""
    password = kwargs.pop("password", PASSWORD)
    return BellasReefClient(
        endpoints.core_url, endpoints.scheduler_url, USERNAME, password, **kwargs
    )


@pytest.fixture
async def fast_client(endpoints: FakeEndpoints) -> AsyncIterator[BellasReefClient]:
    """A client with a short timeout for delay tests."""
    async with make_client(endpoints, request_timeout=0.2) as reef:
        yield reef


# -- health, login, transport --------------------------------------------------------------


async def test_health_uses_both_roots_without_auth(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    core = await client.core_health()
    scheduler = await client.scheduler_health()
    assert core.is_healthy
    assert core.service == "Bella's Reef API"
    assert core.timestamp is not None
    assert core.timestamp.tzinfo is UTC  # naive on the wire
    assert scheduler.service == "Bella's Reef Scheduler Service"
    assert [(r.service, r.path, r.has_auth) for r in fake.requests] == [
        ("core", "/health", False),
        ("scheduler", "/health", False),
    ]


async def test_login_is_form_encoded_to_core_and_token_is_reused(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    await client.login()
    user = await client.get_current_user()
    await client.list_schedules()
    assert user.username == USERNAME
    assert fake.login_count == 1
    login = fake.requests[0]
    assert (login.service, login.content_type) == ("core", "application/x-www-form-urlencoded")
    assert all(r.user_agent == "ReefScheduler/0.1.0" for r in fake.requests)
    assert [r.has_auth for r in fake.requests] == [False, True, True]


async def test_first_call_logs_in_lazily(client: BellasReefClient, fake: FakeBellasReef) -> None:
    await client.get_current_user()
    await client.get_current_user()
    assert fake.login_count == 1


async def test_own_session_is_closed(endpoints: FakeEndpoints) -> None:
    reef = make_client(endpoints)
    await reef.core_health()
    session = reef._session
    assert session is not None
    await reef.close()
    assert session.closed
    await reef.close()  # idempotent


async def test_injected_session_is_left_open(endpoints: FakeEndpoints) -> None:
    async with aiohttp.ClientSession() as session:
        async with make_client(endpoints, session=session) as reef:
            await reef.core_health()
        assert not session.closed


def test_constructor_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="request_timeout"):
        BellasReefClient("http://a", "http://b", "u", "p", request_timeout=0)
    with pytest.raises(ValueError, match="page_size"):
        BellasReefClient("http://a", "http://b", "u", "p", page_size=1001)


async def test_secrets_never_in_repr_or_errors(
    endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    secret_url = endpoints.core_url.replace("http://", "http://admin:url-secret@")
    async with BellasReefClient(secret_url, endpoints.scheduler_url, USERNAME, PASSWORD) as reef:
        await reef.list_schedules()
        fake.expire_tokens()
        fake.users[USERNAME]["password"] = "changed-on-server"
        with pytest.raises(BellasReefAuthenticationError) as err:
            await reef.list_schedules()
        token = reef._token
        texts = [repr(reef), str(reef), str(err.value), repr(err.value)]
    assert "127.0.0.1" in repr(reef)
    for text in texts:
        for secret in (PASSWORD, "url-secret", USERNAME, *fake._tokens, token or "none"):
            assert secret not in text, (secret, text)


# -- schedules -----------------------------------------------------------------------------


async def test_schedule_crud_round_trip(client: BellasReefClient, fake: FakeBellasReef) -> None:
    berlin = timezone(timedelta(hours=1))
    created = await client.create_schedule(
        ScheduleCreate(
            name="Lights on once",
            schedule_type=ScheduleType.ONE_OFF,
            action_type=ActionType.ON,
            device_ids=(2,),
            start_time=datetime(2026, 12, 24, 18, 0, tzinfo=berlin),
        )
    )
    assert isinstance(created, RemoteSchedule)
    assert created.start_time == AT
    assert fake.schedules[created.id]["start_time"] == AT
    assert await client.get_schedule(created.id) == created

    updated = await client.update_schedule(created.id, name="Renamed", end_time=AT)
    assert (updated.name, updated.end_time) == ("Renamed", AT)
    assert updated.updated_at is not None
    cleared = await client.update_schedule(created.id, ScheduleUpdate(end_time=None))
    assert cleared.end_time is None
    assert cleared.name == "Renamed"  # partial: untouched fields stay

    await client.delete_schedule(created.id)
    assert fake.schedules == {}
    with pytest.raises(BellasReefNotFoundError) as err:
        await client.get_schedule(created.id)
    assert (err.value.status, err.value.detail) == (404, "Schedule not found")


async def test_update_that_would_break_the_row_sends_nothing(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    created = await client.create_schedule(wave())
    sent = len(fake.requests)
    with pytest.raises(BellasReefRequestError, match="interval_seconds cannot be cleared"):
        await client.update_schedule(created.id, interval_seconds=None)
    with pytest.raises(BellasReefRequestError, match="cron_expression is required"):
        await client.update_schedule(created.id, schedule_type=ScheduleType.CRON)
    assert len(fake.requests) == sent
    assert (await client.list_schedules())[0].interval_seconds == 60


async def test_update_takes_one_form_only(client: BellasReefClient) -> None:
    with pytest.raises(TypeError, match="not both"):
        await client.update_schedule(1, ScheduleUpdate(name="a"), name="b")


async def test_create_of_each_type_is_201(client: BellasReefClient, fake: FakeBellasReef) -> None:
    await client.create_schedule(wave())
    await client.create_schedule(
        wave(
            "Sunrise",
            schedule_type=ScheduleType.CRON,
            interval_seconds=None,
            cron_expression="30 7 * * *",
        )
    )
    await client.create_schedule(
        wave("Daily", schedule_type=ScheduleType.STATIC, interval_seconds=None, start_time=AT)
    )
    assert [r["schedule_type"] for r in fake.schedules.values()] == ["interval", "cron", "static"]


async def test_unknown_device_is_a_validation_error(client: BellasReefClient) -> None:
    with pytest.raises(BellasReefValidationError) as err:
        await client.create_schedule(wave(device_ids=(99,)))
    assert (err.value.status, err.value.detail) == (400, "Device with ID 99 not found")
    assert err.value.errors == ()


async def test_fastapi_422_keeps_field_errors(client: BellasReefClient) -> None:
    with pytest.raises(BellasReefValidationError) as err:
        await client.create_schedule(wave(timezone=None))
    assert err.value.status == 422
    assert err.value.errors[0].loc == ("body", "timezone")
    assert err.value.detail == "body.timezone: Input should be a valid str"


async def test_enable_disable_are_idempotent(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    schedule = await client.create_schedule(wave())
    assert (await client.disable_schedule(schedule.id)).is_enabled is False
    again = await client.disable_schedule(schedule.id)  # server: 400 already disabled (Q11)
    assert again.is_enabled is False
    assert fake.count("GET", f"/api/v1/schedules/{schedule.id}") == 1
    assert (await client.enable_schedule(schedule.id)).is_enabled is True
    assert (await client.enable_schedule(schedule.id)).is_enabled is True
    with pytest.raises(BellasReefNotFoundError):
        await client.enable_schedule(999)
    fake.fail_next(status=400, body='{"detail": "other"}', content_type="application/json")
    with pytest.raises(BellasReefValidationError, match="other"):
        await client.enable_schedule(schedule.id)


async def test_list_pages_through_2500_rows(client: BellasReefClient, fake: FakeBellasReef) -> None:
    for index in range(2500):
        fake.add_schedule(name=f"s{index}")
    schedules = await client.list_schedules()
    ids = [s.id for s in schedules]
    assert len(ids) == 2500
    assert len(set(ids)) == 2500
    pages = [r.query for r in fake.requests if r.path == SCHEDULES]
    assert [(p["skip"], p["limit"]) for p in pages] == [
        ("0", "1000"),
        ("1000", "1000"),
        ("2000", "1000"),
    ]


async def test_list_deduplicates_when_order_shifts(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    for index in range(1500):
        fake.add_schedule(name=f"s{index}")
    calls = 0

    def unstable(rows: list[Row]) -> list[Row]:
        # No ORDER BY (Q17): the second page is read from a rotated order.
        nonlocal calls
        calls += 1
        return rows if calls == 1 else rows[300:] + rows[:300]

    fake.list_order = unstable
    ids = [s.id for s in await client.list_schedules()]
    assert len(ids) == len(set(ids))
    assert calls == 2


async def test_list_stops_when_server_ignores_skip(
    endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    for index in range(3):
        fake.add_schedule(name=f"s{index}")
    fake.list_order = lambda rows: rows[:2] * 10  # every offset sees the same two rows
    async with make_client(endpoints, page_size=2) as reef:
        schedules = await reef.list_schedules()
    assert [s.name for s in schedules] == ["s0", "s1"]
    assert fake.count("GET", SCHEDULES) == 2


async def test_list_filters(client: BellasReefClient, fake: FakeBellasReef) -> None:
    fake.add_schedule(name="both", device_ids=[2, 3])
    fake.add_schedule(name="three", device_ids=[3], is_enabled=False)
    fake.add_schedule(name="two", device_ids=[2])
    fake.add_schedule(name="cron", schedule_type="cron", cron_expression="* * * * *")
    # The server would only return "three" (Q4); the client filters itself.
    assert [s.name for s in await client.list_schedules(device_id=3)] == ["both", "three"]
    assert "device_id" not in fake.requests[-1].query
    assert [s.name for s in await client.list_schedules(is_enabled=False)] == ["three"]
    assert fake.requests[-1].query["is_enabled"] == "false"
    assert [s.name for s in await client.list_schedules(is_enabled=True, device_id=2)] == [
        "both",
        "two",
    ]
    assert [s.name for s in await client.list_schedules(schedule_type=ScheduleType.CRON)] == [
        "cron"
    ]


async def test_schedule_stats(client: BellasReefClient, fake: FakeBellasReef) -> None:
    fake.add_schedule(name="a")
    fake.add_schedule(name="b", is_enabled=False, schedule_type="cron", cron_expression="0 8 * * *")
    stats = await client.schedule_stats()
    assert (stats.total_schedules, stats.enabled_schedules) == (2, 1)
    assert stats.schedules_by_type == {"interval": 1, "cron": 1}
    assert [n.name for n in stats.next_runs] == ["a"]


async def test_bad_row_breaks_listing_q3(client: BellasReefClient, fake: FakeBellasReef) -> None:
    good = fake.add_schedule(name="good")
    bad = fake.add_schedule(name="bad", interval_seconds=None)
    with pytest.raises(BellasReefResponseError) as err:
        await client.list_schedules()
    assert type(err.value) is BellasReefResponseError
    assert err.value.status == 500
    # A fresh token got the same 500, so it is not Q12: a second call does not log in again.
    with pytest.raises(BellasReefResponseError):
        await client.list_schedules()
    assert fake.login_count == 2
    with pytest.raises(BellasReefResponseError):
        await client.get_schedule(bad["id"])
    await client.delete_schedule(bad["id"])  # still works and clears it
    assert [s.id for s in await client.list_schedules()] == [good["id"]]


# -- safe create (Q2) ----------------------------------------------------------------------


async def test_safe_create_returns_row_written_despite_500(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    fake.fail_after_commit_next(method="POST", path=SCHEDULES)
    schedule = await client.create_schedule(wave())
    assert list(fake.schedules) == [schedule.id]
    assert schedule.name == "Wave pulse"
    assert fake.count("POST", SCHEDULES) == 1  # found by the lookup: no retry


async def test_safe_create_retries_once_when_nothing_was_written(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    fake.add_schedule(name="Wave pulse", created_at=datetime.now(UTC) - timedelta(hours=1))
    fake.fail_next(method="POST", path=SCHEDULES)
    schedule = await client.create_schedule(wave())
    assert len(fake.schedules) == 2  # the old same-named row was not taken for ours
    assert fake.count("POST", SCHEDULES) == 2
    assert schedule.id == max(fake.schedules)


async def test_safe_create_gives_up_after_second_5xx(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    fake.fail_next(2, status=503, method="POST", path=SCHEDULES)
    with pytest.raises(BellasReefResponseError) as err:
        await client.create_schedule(wave())
    assert err.value.status == 503
    assert fake.schedules == {}
    assert fake.count("POST", SCHEDULES) == 2


async def test_safe_create_never_retries_unverifiable(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    await client.get_current_user()
    fake.fail_after_commit_next(method="POST", path=SCHEDULES)
    fake.fail_next(method="GET", path=SCHEDULES)
    with pytest.raises(BellasReefResponseError) as err:
        await client.create_schedule(wave())
    assert err.value.method == "POST"
    assert isinstance(err.value.__cause__, BellasReefResponseError)
    assert len(fake.schedules) == 1
    assert fake.count("POST", SCHEDULES) == 1


async def test_safe_create_after_timeout(
    fast_client: BellasReefClient, fake: FakeBellasReef
) -> None:
    fake.inject(after_commit=True, delay=1.0, method="POST", path=SCHEDULES)
    schedule = await fast_client.create_schedule(wave())
    assert list(fake.schedules) == [schedule.id]
    # Written before the hang: found. Not written yet: raised, never retried blindly.
    fake.delay_next(1.0, method="POST", path=SCHEDULES)
    with pytest.raises(BellasReefTimeoutError):
        await fast_client.create_schedule(wave("Second"))
    assert fake.count("POST", SCHEDULES) == 2


async def test_client_error_on_create_is_not_retried(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    fake.fail_next(status=403, method="POST", path=SCHEDULES)
    with pytest.raises(BellasReefResponseError) as err:
        await client.create_schedule(wave())
    assert err.value.status == 403
    assert fake.count("POST", SCHEDULES) == 1


# -- device actions ------------------------------------------------------------------------


async def test_device_action_lifecycle(client: BellasReefClient, fake: FakeBellasReef) -> None:
    schedule = await client.create_schedule(wave())
    action = await client.create_device_action(
        DeviceActionCreate(
            device_id=2,
            action_type=ActionType.SET_PWM,
            scheduled_time=AT,
            parameters={"target": 55},
            schedule_id=schedule.id,
        )
    )
    assert (action.status, action.scheduled_time) == (ActionStatus.PENDING, AT)
    updated = await client.update_device_action(
        action.id, DeviceActionUpdate(parameters={"target": 60})
    )
    assert updated.parameters == {"target": 60}
    executed = await client.execute_device_action(action.id)
    assert executed.status is ActionStatus.SUCCESS
    assert executed.result == {"manual_execution": True, "executed_by": USERNAME}
    with pytest.raises(BellasReefValidationError, match="not pending"):
        await client.execute_device_action(action.id)
    await client.delete_device_action(action.id)
    with pytest.raises(BellasReefNotFoundError):
        await client.delete_device_action(action.id)
    with pytest.raises(BellasReefValidationError, match="Device not found"):
        await client.create_device_action(
            DeviceActionCreate(device_id=99, action_type=ActionType.ON, scheduled_time=AT)
        )


async def test_device_action_reads_are_unsupported_q5_q6(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    assert await client.list_device_actions() == []  # fine while nothing matches
    action = await client.create_device_action(
        DeviceActionCreate(device_id=2, action_type=ActionType.ON, scheduled_time=AT)
    )
    assert await client.list_device_actions(status=ActionStatus.FAILED) == []
    with pytest.raises(BellasReefUnsupportedError, match="Q5") as err:
        await client.list_device_actions(device_id=2, schedule_id=None)
    assert isinstance(err.value, BellasReefResponseError)
    assert err.value.status == 500
    with pytest.raises(BellasReefUnsupportedError, match="Q5"):
        await client.get_device_action(action.id)
    with pytest.raises(BellasReefNotFoundError):
        await client.get_device_action(999)
    with pytest.raises(BellasReefUnsupportedError, match="Q6"):
        await client.device_action_stats()
    assert fake.count("GET", "/api/v1/schedules/device-actions/") == 3
    assert await client.list_device_actions(schedule_id=5) == []


async def test_cleanup_device_actions(client: BellasReefClient, fake: FakeBellasReef) -> None:
    now = datetime.now(UTC)
    fake.add_device_action(device_id=2, scheduled_time=now - timedelta(days=40))
    fake.add_device_action(device_id=2, scheduled_time=now)
    result = await client.cleanup_device_actions(30)
    assert (result.deleted_count, result.days) == (1, 30)
    assert len(fake.device_actions) == 1
    with pytest.raises(ValueError, match="days"):
        await client.cleanup_device_actions(0)


async def test_delete_schedule_removes_its_actions(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    schedule = await client.create_schedule(wave())
    await client.create_device_action(
        DeviceActionCreate(
            device_id=3, action_type=ActionType.ON, scheduled_time=AT, schedule_id=schedule.id
        )
    )
    await client.delete_schedule(schedule.id)
    assert fake.device_actions == {}


# -- authentication ------------------------------------------------------------------------


async def test_expired_token_logs_in_once_and_retries(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    await client.list_schedules()
    fake.expire_tokens()
    assert await client.list_schedules() == []
    assert fake.login_count == 2


async def test_concurrent_401s_share_one_login(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    await client.list_schedules()
    fake.expire_tokens()
    await asyncio.gather(*(client.list_schedules() for _ in range(5)))
    assert fake.login_count == 2


async def test_wrong_password_fails_without_retry_loop(
    endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    async with make_client(endpoints, password="wrong-password") as reef:
        with pytest.raises(BellasReefAuthenticationError) as err:
            await reef.list_schedules()
    assert (err.value.status, err.value.detail) == (401, "Incorrect username or password")
    assert fake.login_count == 1
    assert not any(r.service == "scheduler" for r in fake.requests)


async def test_inactive_user_is_an_auth_error(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    fake.users[USERNAME]["is_active"] = False
    with pytest.raises(BellasReefAuthenticationError) as err:
        await client.login()
    assert (err.value.status, err.value.detail) == (400, "Inactive user")


async def test_token_of_deactivated_user_is_an_auth_error(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    await client.login()
    fake.users[USERNAME]["is_active"] = False
    with pytest.raises(BellasReefAuthenticationError):
        await client.get_current_user()


async def test_persistent_401_raises_after_one_relogin(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    fake.fail_next(2, status=401, service="scheduler")
    with pytest.raises(BellasReefAuthenticationError) as err:
        await client.list_schedules()
    assert err.value.status == 401
    assert fake.login_count == 2


async def test_missing_token_500_logs_in_again_q12(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    fake.drop_auth_next(service="scheduler")
    assert await client.list_schedules() == []
    assert fake.login_count == 2


async def test_plain_500_on_a_write_is_not_resent(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    fake.drop_auth_next(service="scheduler")
    with pytest.raises(BellasReefResponseError) as err:
        await client.create_device_action(
            DeviceActionCreate(device_id=2, action_type=ActionType.ON, scheduled_time=AT)
        )
    assert err.value.status == 500
    assert fake.login_count == 1
    assert fake.count("POST", "/api/v1/schedules/device-actions/") == 1


async def test_plain_500_after_token_was_accepted_is_a_server_error(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    await client.list_schedules()
    fake.drop_auth_next(service="scheduler")
    with pytest.raises(BellasReefResponseError) as err:
        await client.list_schedules()
    assert err.value.status == 500
    assert fake.login_count == 1


# -- transport failures --------------------------------------------------------------------


async def test_timeout(fast_client: BellasReefClient, fake: FakeBellasReef) -> None:
    fake.delay_next(1.0, path="/health")
    with pytest.raises(BellasReefTimeoutError, match="timed out after 0.2 s") as err:
        await fast_client.scheduler_health()
    assert isinstance(err.value, BellasReefConnectionError)


async def test_connection_refused(client: BellasReefClient, endpoints: FakeEndpoints) -> None:
    await endpoints.scheduler_server.close()
    with pytest.raises(BellasReefConnectionError, match="ClientConnectorError") as err:
        await client.scheduler_health()
    assert not isinstance(err.value, BellasReefTimeoutError)


async def test_malformed_json_is_a_parse_error(
    client: BellasReefClient, fake: FakeBellasReef
) -> None:
    fake.malformed_next(path="/health")
    with pytest.raises(BellasReefParseError) as err:
        await client.core_health()
    assert err.value.status == 200


async def test_wrong_shape_is_a_parse_error(client: BellasReefClient, fake: FakeBellasReef) -> None:
    fake.fail_next(status=200, body="[]", content_type="application/json", path="/health")
    with pytest.raises(BellasReefParseError, match="expected an object"):
        await client.core_health()
    fake.fail_next(status=200, body="", content_type="application/json", path="/health")
    with pytest.raises(BellasReefParseError, match="got null"):
        await client.core_health()


@pytest.mark.parametrize(
    ("status", "body", "content_type", "error", "detail"),
    [
        (307, "", "text/plain", BellasReefResponseError, "unexpected redirect"),
        (503, "", "text/plain", BellasReefResponseError, "Service Unavailable"),
        (
            502,
            '{"error": "bad gateway"}',
            "application/json",
            BellasReefResponseError,
            '{"error": "bad gateway"}',
        ),
        (
            422,
            '{"detail": ["odd", {"loc": "x", "msg": 5, "type": 1}]}',
            "application/json",
            BellasReefValidationError,
            "odd; {'loc': 'x', 'msg': 5, 'type': 1}",
        ),
    ],
)
async def test_error_answers_are_mapped(
    client: BellasReefClient,
    fake: FakeBellasReef,
    status: int,
    body: str,
    content_type: str,
    error: type[BellasReefError],
    detail: str,
) -> None:
    fake.fail_next(status=status, body=body, content_type=content_type, path="/health")
    with pytest.raises(error) as err:
        await client.scheduler_health()
    assert isinstance(err.value, BellasReefResponseError)
    assert (err.value.status, err.value.detail) == (status, detail)
    assert str(err.value) == f"GET /health -> {status}: {detail}"


# -- circuit breaker -----------------------------------------------------------------------


async def test_breaker_opens_fails_fast_and_recovers(
    endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    now = [0.0]
    events: list[str] = []
    breaker = CircuitBreaker(
        failure_threshold=2,
        cooldown=30,
        clock=lambda: now[0],
        on_open=lambda: events.append("lost"),
        on_close=lambda: events.append("back"),
    )
    async with make_client(endpoints, scheduler_breaker=breaker, request_timeout=0.1) as reef:
        fake.delay_next(1.0, times=2, path="/health")
        for _ in range(2):
            with pytest.raises(BellasReefTimeoutError):
                await reef.scheduler_health()
        assert breaker.state is CircuitState.OPEN
        with pytest.raises(BellasReefCircuitOpenError):
            await reef.scheduler_health()
        with pytest.raises(BellasReefCircuitOpenError):
            await reef.list_schedules()
        # Nothing reached the scheduler; core (its own breaker) still logged in.
        assert [r.service for r in fake.requests[2:]] == ["core"]
        now[0] = 30.0
        assert breaker.state is CircuitState.HALF_OPEN
        assert (await reef.scheduler_health()).is_healthy
        assert breaker.state is CircuitState.CLOSED
        # HTTP errors are answers: they never open the circuit.
        fake.fail_next(3, path="/health")
        for _ in range(3):
            with pytest.raises(BellasReefResponseError):
                await reef.scheduler_health()
        assert breaker.state is CircuitState.CLOSED
    assert events == ["lost", "back"]
    assert reef.breakers["scheduler"] is breaker


async def test_core_down_does_not_refuse_scheduler_calls(
    endpoints: FakeEndpoints, fake: FakeBellasReef
) -> None:
    async with make_client(endpoints, request_timeout=0.1) as reef:
        await reef.login()
        port = endpoints.core_server.port
        await endpoints.core_server.close()
        for _ in range(3):
            with pytest.raises(BellasReefConnectionError):
                await reef.core_health()
        assert reef.breakers["core"].state is CircuitState.OPEN
        with pytest.raises(BellasReefCircuitOpenError):
            await reef.get_current_user()
        # The scheduler has its own breaker and a valid token: its calls go through.
        assert await reef.list_schedules() == []
        assert reef.breakers["scheduler"].state is CircuitState.CLOSED
        assert port
