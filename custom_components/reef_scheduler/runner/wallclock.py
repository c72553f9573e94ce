"""One timer at an absolute wall-clock instant that also says when the wall clock was set.

On Linux (Python 3.13 and later) the kernel keeps it: a ``CLOCK_REALTIME`` timerfd armed with
``TFD_TIMER_ABSTIME`` expires when the wall clock reaches the instant, whatever the clock did
meanwhile, and with ``TFD_TIMER_CANCEL_ON_SET`` its read fails with ECANCELED as soon as the
clock is set (stepped either way, or resumed from suspend). The loop wakes for nothing else.

Elsewhere (or when forced: a frozen test clock moves loop timers, not the kernel's) a loop
timer stands in. asyncio's timers run on the monotonic clock, which a wall-clock step leaves
alone (core issue #111484), so a guard wakes every ``GUARD_SECONDS``: it re-arms the loop timer
from the wall clock and reports a step when wall and loop time moved apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import errno
import os
import time

from ..const import LOGGER

# Tests on a frozen clock set this to False: only loop timers follow freezegun.
USE_TIMERFD = hasattr(os, "timerfd_create")
GUARD_SECONDS = 5.0
STEP_TOLERANCE = timedelta(seconds=2)
# NTP slews the wall clock by at most 500 ppm (the kernel's MAXFREQ).
MAX_SLEW = 500e-6
# The latest instant a timerfd takes (year 2262); the kernel treats it as "never", so the timer
# then only watches for clock sets (as systemd watches for time changes).
_NEVER_NS = 2**63 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def clock_step(last: tuple[datetime, float], now: tuple[datetime, float]) -> timedelta | None:
    """Return how far the wall clock was set between two (wall, loop time) readings, or None.

    The allowance grows with the loop time between the readings. With the kernel timer the
    last reading can be days old (nothing woke the loop meanwhile). On Linux that costs
    nothing: the loop's clock (CLOCK_MONOTONIC) is slewed by NTP together with CLOCK_REALTIME,
    so their difference changes only when the clock is set. Elsewhere the loop's clock may not
    be slewed while the wall clock is, by up to 500 ppm: 43 s in a day, which a fixed 2 s
    would call a step. Grown by 500 ppm, a step of an hour still shows after 83 days without
    a wake-up; a step within the allowance counts as none (runs due in it start as ordinary,
    slightly late timer runs).
    """
    elapsed = now[1] - last[1]
    step = (now[0] - last[0]) - timedelta(seconds=elapsed)
    allowance = STEP_TOLERANCE + timedelta(seconds=abs(elapsed) * MAX_SLEW)
    return step if abs(step) > allowance else None


def _open_timerfd() -> int | None:
    """Return a non-blocking CLOCK_REALTIME timerfd, or None where the kernel refuses one."""
    try:
        return os.timerfd_create(time.CLOCK_REALTIME, flags=os.TFD_NONBLOCK | os.TFD_CLOEXEC)
    except OSError as err:
        LOGGER.debug("No kernel timer (%s): a loop timer and a clock guard stand in", err)
        return None


class WallClockTimer:
    """Call back at a wall-clock instant or when the clock is set; the owner then arms again."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_due: Callable[[], None],
        on_clock_step: Callable[[], None],
    ) -> None:
        """Watch for clock sets from now on (nothing is due until `arm`)."""
        self._loop = loop
        self._on_due = on_due
        self._on_clock_step = on_clock_step
        self._when: datetime | None = None
        self._set = False  # whether _when is what the timer is set to
        self._closed = False
        self._fd = _open_timerfd() if USE_TIMERFD else None
        self._handle: asyncio.TimerHandle | None = None
        self._guard: asyncio.TimerHandle | None = None
        self._reading = (datetime.now(UTC), loop.time())
        if self._fd is None:
            self._guard = loop.call_later(GUARD_SECONDS, self._on_guard)
        else:
            loop.add_reader(self._fd, self._on_readable)
        self.arm(None)

    @property
    def kernel(self) -> bool:
        """Return True when the kernel's timerfd keeps the time (no guard wakes the loop)."""
        return self._fd is not None

    def arm(self, when: datetime | None) -> None:
        """Replace the due instant (None: nothing due; clock sets are still reported)."""
        if self._closed or (self._set and when == self._when):
            return
        self._when, self._set = when, True
        if self._fd is not None:
            ns = _NEVER_NS if when is None else (when - _EPOCH) // _MICROSECOND * 1000
            os.timerfd_settime_ns(
                self._fd,
                flags=os.TFD_TIMER_ABSTIME | os.TFD_TIMER_CANCEL_ON_SET,
                initial=min(ns, _NEVER_NS),
            )
            return
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if when is not None:
            delay = (when - datetime.now(UTC)).total_seconds()
            self._handle = self._loop.call_at(
                self._loop.time() + max(delay, 0.0), self._on_loop_timer
            )

    def close(self) -> None:
        """Release the timerfd or the loop timers; nothing is called any more."""
        self._closed = True
        if self._fd is not None:
            self._loop.remove_reader(self._fd)
            os.close(self._fd)
            self._fd = None
        for handle in (self._handle, self._guard):
            if handle is not None:
                handle.cancel()
        self._handle = self._guard = None

    def _use_up(self) -> None:
        """Forget the setting (the owner arms again after being called)."""
        self._set = False
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _due(self) -> None:
        """Tell the owner the instant has come."""
        self._use_up()
        self._on_due()

    def _stepped(self) -> None:
        """Tell the owner the clock was set."""
        self._use_up()
        self._on_clock_step()

    def _on_readable(self) -> None:
        """Read the timerfd: an expiry, a clock set (ECANCELED) or nothing (EAGAIN)."""
        assert self._fd is not None  # the reader is removed before the fd is closed
        try:
            os.read(self._fd, 8)  # the expiry count: one shot, so always 1
        except OSError as err:
            if err.errno == errno.EAGAIN:  # re-armed after the loop saw it readable
                return
            if err.errno != errno.ECANCELED:
                raise
            self._stepped()
            return
        self._due()

    def _on_loop_timer(self) -> None:
        """Fall-back timer: the instant has come by the loop's clock."""
        self._handle = None
        self._check_due()

    def _check_due(self) -> None:
        """Fall back: fire when the wall clock has got there, else arm again from the wall clock."""
        if self._when is not None and datetime.now(UTC) < self._when:
            self._set = False
            self.arm(self._when)
        else:
            self._due()

    def _on_guard(self) -> None:
        """Fall-back guard: report a clock step, else re-arm the loop timer from the wall clock."""
        self._guard = self._loop.call_later(GUARD_SECONDS, self._on_guard)
        last, self._reading = self._reading, (datetime.now(UTC), self._loop.time())
        if clock_step(last, self._reading) is not None:
            self._stepped()
        elif self._set and self._when is not None:
            self._check_due()
