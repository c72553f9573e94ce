"""Fixtures: a client logged in against the fake Bella's Reef.

The fake itself (`fake`, `endpoints`) comes from tests/conftest.py, shared with tests/ha/remote.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from custom_components.reef_scheduler.api import BellasReefClient

from .server import PASSWORD, USERNAME, FakeEndpoints


@pytest.fixture
async def client(endpoints: FakeEndpoints) -> AsyncIterator[BellasReefClient]:
    """A client with its own session, closed after the test."""
    async with BellasReefClient(
        endpoints.core_url, endpoints.scheduler_url, USERNAME, PASSWORD, request_timeout=2.0
    ) as reef:
        yield reef
