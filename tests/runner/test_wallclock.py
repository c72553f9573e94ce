"""The wall-clock timer in real time: the kernel's timerfd, and the loop timer standing in.

Waits are short and real (tens of milliseconds); nothing asserts how late a call comes, only
that it comes, once, and never before its wall-clock instant.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
import errno
import os
from unittest.mock import patch

import pytest

from custom_components.reef_scheduler.runner import wallclock
from custom_components.reef_scheduler.runner.wallclock import WallClockTimer, clock_step
from tests.kernel_clock import set_clock_in_place, timerfds

KERNEL = pytest.mark.skipif(not wallclock.USE_TIMERFD, reason="no timerfd on this platform")
# A guard against a hang, not a timing assertion.
HANG = 10.0


class Owner:
    """Plays the runner: notes what the timer reports and arms again after a clock set."""

    def __init__(self) -> None:
        """Own a new timer on the running loop."""
        self.fired: list[datetime] = []
        self.steps = 0
        self.wanted: datetime | None = None
        self.fired_once = asyncio.Event()
        self.stepped = asyncio.Event()
        self.timer = WallClockTimer(asyncio.get_running_loop(), self._on_due, self._on_step)

    def arm(self, when: datetime | None) -> None:
        """Ask for a call at `when` (None: none)."""
        self.wanted = when
        self.timer.arm(when)

    def _on_due(self) -> None:
        self.fired.append(datetime.now(UTC))
        self.arm(None)
        self.fired_once.set()

    def _on_step(self) -> None:
        self.steps += 1
        self.timer.arm(self.wanted)
        self.stepped.set()


@pytest.fixture(params=[pytest.param(True, marks=KERNEL, id="timerfd"), False], ids=str)
async def owner(request: pytest.FixtureRequest) -> AsyncIterator[Owner]:
    """Return an owner of a kernel timer or of the fall-back loop timer (closed afterwards)."""
    with patch.object(wallclock, "USE_TIMERFD", request.param):
        owner = Owner()
    assert owner.timer.kernel is request.param
    yield owner
    owner.timer.close()


def soon(milliseconds: int) -> datetime:
    """Return the wall-clock instant some milliseconds from now."""
    return datetime.now(UTC) + timedelta(milliseconds=milliseconds)


async def wait(event: asyncio.Event) -> None:
    """Wait for an event (a hang fails the test)."""
    await asyncio.wait_for(event.wait(), HANG)


async def test_it_fires_once_at_the_wall_clock_instant(owner: Owner) -> None:
    when = soon(50)
    owner.arm(when)
    await wait(owner.fired_once)
    assert len(owner.fired) == 1
    assert owner.fired[0] >= when


async def test_arming_again_replaces_the_instant(owner: Owner) -> None:
    later = soon(100)
    owner.arm(soon(30))
    owner.arm(later)
    await wait(owner.fired_once)
    assert len(owner.fired) == 1
    assert owner.fired[0] >= later


async def test_an_instant_already_past_fires_at_once(owner: Owner) -> None:
    owner.arm(soon(-1000))
    await wait(owner.fired_once)
    assert len(owner.fired) == 1


async def test_arming_nothing_cancels_the_call(owner: Owner) -> None:
    owner.arm(soon(30))
    owner.arm(None)
    witness = Owner()  # fires after the cancelled instant
    witness.arm(soon(100))
    await wait(witness.fired_once)
    witness.timer.close()
    assert owner.fired == []


async def test_a_closed_timer_never_calls_and_ignores_arming(owner: Owner) -> None:
    witness = Owner()
    owner.arm(soon(30))
    owner.timer.close()
    owner.arm(soon(40))
    witness.arm(soon(100))
    await wait(witness.fired_once)
    witness.timer.close()
    assert owner.fired == []


async def test_an_instant_beyond_the_kernels_range_is_taken(owner: Owner) -> None:
    owner.arm(datetime(2500, 1, 1, tzinfo=UTC))  # past what a timerfd takes (2262)
    owner.arm(soon(30))
    await wait(owner.fired_once)
    assert len(owner.fired) == 1


@KERNEL
async def test_one_timerfd_per_timer_released_on_close() -> None:
    before = timerfds()
    owner = Owner()
    assert timerfds() == before + 1
    for milliseconds in range(100):
        owner.arm(soon(1000 + milliseconds))
    assert timerfds() == before + 1
    owner.timer.close()
    assert timerfds() == before


@KERNEL
async def test_a_clock_set_is_reported_at_once_and_the_timer_armed_again_fires() -> None:
    owner = Owner()
    when = soon(500)
    owner.arm(when)
    set_clock_in_place()
    await wait(owner.stepped)
    assert owner.steps >= 1
    assert owner.fired == []  # reported at the set, not at the instant
    await wait(owner.fired_once)
    owner.timer.close()
    assert len(owner.fired) == 1
    assert owner.fired[0] >= when


@KERNEL
async def test_a_clock_set_is_reported_with_nothing_armed() -> None:
    owner = Owner()
    set_clock_in_place()
    await wait(owner.stepped)
    owner.timer.close()
    assert owner.fired == []


@KERNEL
async def test_a_spurious_wake_up_calls_nothing() -> None:
    owner = Owner()
    owner.arm(soon(60_000))
    owner.timer._on_readable()  # readable no more (re-armed meanwhile): EAGAIN
    owner.timer.close()
    assert (owner.fired, owner.steps) == ([], 0)


@KERNEL
async def test_ecanceled_is_a_clock_step_and_other_read_errors_are_raised() -> None:
    # Without the kernel: for where setting the clock is not permitted.
    owner = Owner()
    owner.arm(soon(60_000))
    with patch.object(os, "read", side_effect=OSError(errno.ECANCELED, "cancelled")):
        owner.timer._on_readable()
    assert (owner.fired, owner.steps) == ([], 1)
    with (
        patch.object(os, "read", side_effect=OSError(errno.EBADF, "bad")),
        pytest.raises(OSError, match="bad"),
    ):
        owner.timer._on_readable()
    owner.timer.close()


@KERNEL
async def test_where_the_kernel_refuses_a_timerfd_the_loop_timer_stands_in() -> None:
    with patch.object(os, "timerfd_create", side_effect=OSError(errno.EMFILE, "too many")):
        owner = Owner()
    assert not owner.timer.kernel
    owner.arm(soon(30))
    await wait(owner.fired_once)
    owner.timer.close()
    assert len(owner.fired) == 1


T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("wall", "loop", "expected"),
    [
        (timedelta(seconds=5), 5.0, None),  # no step
        (timedelta(seconds=7), 5.0, None),  # 2 s: within the tolerance
        (timedelta(seconds=8), 5.0, timedelta(seconds=3)),
        (timedelta(seconds=2), 5.0, timedelta(seconds=-3)),
        (timedelta(hours=1, seconds=5), 5.0, timedelta(hours=1)),
        # A day apart: 500 ppm of drift (43.2 s) is no step, an hour still is.
        (timedelta(days=1, seconds=45), 86400.0, None),
        (timedelta(days=1, hours=-1), 86400.0, timedelta(hours=-1)),
    ],
)
def test_clock_step_allows_for_slewing_over_the_time_between_readings(
    wall: timedelta, loop: float, expected: timedelta | None
) -> None:
    assert clock_step((T, 100.0), (T + wall, 100.0 + loop)) == expected
