"""Shared test setup: import the integration early so custom_components resolves to ours.

Also the fake Bella's Reef fixtures, used by the client tests (tests/api) and the server
entry tests (tests/ha/remote).
"""

from collections.abc import AsyncIterator
import os

from hypothesis import settings
import pytest

import custom_components.reef_scheduler  # noqa: F401
from tests.api.server import PASSWORD, USERNAME, FakeBellasReef, FakeEndpoints, running

# No per-example deadline: a loaded CI machine must not turn slow examples into failures.
# CI runs derandomized so a submission's result does not depend on the draw.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def fake() -> FakeBellasReef:
    """A fake with one user (USERNAME, id 1) and devices 1..4."""
    reef = FakeBellasReef()
    reef.add_user(USERNAME, PASSWORD)
    for device_id in range(1, 5):
        reef.add_device(device_id)
    return reef


@pytest.fixture
async def endpoints(fake: FakeBellasReef, socket_enabled: None) -> AsyncIterator[FakeEndpoints]:
    """Both fake services listening on random loopback ports."""
    async with running(fake) as urls:
        yield urls
