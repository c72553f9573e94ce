"""Real kernel clocks for the wall-clock timer's tests: count timerfds, set the clock in place."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path
import sys
import time

import pytest

ADJ_SETOFFSET = 0x0100
ADJ_NANO = 0x2000


class _Timeval(ctypes.Structure):
    _fields_ = (("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long))


class _Timex(ctypes.Structure):
    """Linux's struct timex (only `modes` and `time` matter to ADJ_SETOFFSET)."""

    _fields_ = (
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("constant", ctypes.c_long),
        ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long),
        ("time", _Timeval),
        ("tick", ctypes.c_long),
        ("ppsfreq", ctypes.c_long),
        ("jitter", ctypes.c_long),
        ("shift", ctypes.c_int),
        ("stabil", ctypes.c_long),
        ("jitcnt", ctypes.c_long),
        ("calcnt", ctypes.c_long),
        ("errcnt", ctypes.c_long),
        ("stbcnt", ctypes.c_long),
        ("tai", ctypes.c_int),
        ("_reserved", ctypes.c_int * 11),
    )


def timerfds() -> int:
    """Return how many timerfds this process holds open."""
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            count += os.readlink(fd) == "anon_inode:[timerfd]"
        except OSError:  # the listing's own fd, closed meanwhile
            continue
    return count


def _inject_offset(libc: ctypes.CDLL, seconds: int, nanoseconds: int) -> int:
    """Add an offset to CLOCK_REALTIME at once (ADJ_SETOFFSET); return errno (0: done)."""
    timex = _Timex(modes=ADJ_SETOFFSET | ADJ_NANO)
    timex.time.tv_sec, timex.time.tv_usec = seconds, nanoseconds  # tv_usec holds ns (ADJ_NANO)
    if libc.clock_adjtime(time.CLOCK_REALTIME, ctypes.byref(timex)) < 0:
        return ctypes.get_errno()
    return 0


def set_clock_in_place() -> None:
    """Set the wall clock without moving it: every CANCEL_ON_SET timerfd sees ECANCELED.

    Setting a zero offset is allowed but cancels nothing: the kernel only cancels when the
    offset between CLOCK_MONOTONIC and CLOCK_REALTIME changed (checked on Linux 6.18). So the
    clock is set 1 ns forward, then 1 ns back: two clock sets, no net change. Needs
    CAP_SYS_TIME; skips the test where the kernel refuses.
    """
    if not sys.platform.startswith("linux") or ctypes.sizeof(_Timex) != 208:
        pytest.skip("setting the clock in place needs 64-bit Linux (struct timex)")
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.clock_adjtime.argtypes = (ctypes.c_int, ctypes.POINTER(_Timex))
    if err := _inject_offset(libc, 0, 1):
        pytest.skip(f"the kernel refuses to set the clock here: {os.strerror(err)}")
    assert _inject_offset(libc, -1, 999_999_999) == 0  # -1 ns: tv_nsec must not be negative
