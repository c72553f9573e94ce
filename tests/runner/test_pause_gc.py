"""The collector hold around due runs: deferred collections, and a hold that gives way."""

from __future__ import annotations

from collections.abc import Iterator
import gc

import pytest

from custom_components.reef_scheduler.runner.pause_gc import MAX_HOLD_S, REST_S, GcHold


@pytest.fixture(autouse=True)
def collector() -> Iterator[None]:
    """Start with the collector on, and leave it on."""
    assert gc.isenabled()
    yield
    gc.enable()


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_hold_defers_collections_until_released() -> None:
    hold = GcHold(Ticks())
    hold.hold()
    assert (hold.held, gc.isenabled()) == (True, False)
    hold.hold()  # kept
    hold.release()
    assert (hold.held, gc.isenabled()) == (False, True)
    hold.release()  # nothing held: nothing changes
    assert gc.isenabled()


def test_a_long_hold_gives_way_then_rests() -> None:
    ticks = Ticks()
    hold = GcHold(ticks)
    hold.hold()
    ticks.now += MAX_HOLD_S - 0.1
    hold.hold()
    assert not gc.isenabled()
    ticks.now += 0.1
    hold.hold()  # runs due back to back: collections get their turn
    assert (hold.held, gc.isenabled()) == (False, True)
    ticks.now += REST_S - 0.01
    hold.hold()
    assert gc.isenabled()
    ticks.now += 0.01
    hold.hold()
    assert not gc.isenabled()
    hold.release()


def test_a_collector_paused_by_someone_else_is_left_to_them() -> None:
    hold = GcHold(Ticks())
    gc.disable()
    hold.hold()
    assert not hold.held
    hold.release()
    assert not gc.isenabled()
