"""Fixtures: the fake Bella's Reef served on 127.0.0.1 and a client logged in against it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from custom_components.reef_scheduler.api import BellasReefClient

from .server import FakeBellasReef, FakeEndpoints, running

USERNAME = "bellas"
PASSWORD = "reef-secret-pw"


@pytest.fixture
def fake() -> FakeBellasReef:
    """A fake with one user and devices 1..4."""
    reef = FakeBellasReef()
    reef.add_user(USERNAME, PASSWORD)
    for device_id in range(1, 5):
        reef.add_device(device_id)
    return reef


@pytest.fixture
async def endpoints(fake: FakeBellasReef, socket_enabled: None) -> AsyncIterator[FakeEndpoints]:
    """Both fake services listening on random local ports."""
    async with running(fake) as urls:
        yield urls


@pytest.fixture
async def client(endpoints: FakeEndpoints) -> AsyncIterator[BellasReefClient]:
    """A client with its own session, closed after the test."""
    async with BellasReefClient(
        endpoints.core_url, endpoints.scheduler_url, USERNAME, PASSWORD, request_timeout=2.0
    ) as reef:
        yield reef
