"""Pausing the cyclic garbage collector while a start-up builds many objects in one go."""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import gc


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during one burst of work on the loop.

    Loading 10 000 schedules, or adding their entities, allocates hundreds of thousands of
    small objects; each burst would otherwise trigger full collections that walk all of Home
    Assistant's heap. A pass of runs is short and must not stop between two runs' first calls.
    The loop runs nothing else meanwhile, and the collection the burst calls for follows it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
