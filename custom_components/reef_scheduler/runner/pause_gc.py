"""Keeping the cyclic garbage collector from stopping the loop when runs are due."""

from __future__ import annotations

from collections.abc import Callable, Iterator
import contextlib
import gc
import time

# A hold that lasted this long (runs due in close succession) gives way to collections ...
MAX_HOLD_S = 2.0
# ... for this long before the next hold.
REST_S = 1.0


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


class GcHold:
    """Keeps collections from starting in the short lead before runs are due.

    A full collection stops every thread of the process, the loop included, for as long as
    it walks Home Assistant's heap (about 0.2 s with 1 000 schedules, set off by any thread,
    most often the recorder's). One that starts just before a due instant makes every run due
    then that late. Collections are only deferred: they happen when the hold ends. Runs due
    in close succession could defer them for good, so a hold gives way after ``MAX_HOLD_S``.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """Hold nothing yet."""
        self._clock = clock
        self._since: float | None = None
        self._rest_until = -float("inf")

    @property
    def held(self) -> bool:
        """Return True while collections are held back."""
        return self._since is not None

    def hold(self) -> None:
        """Hold collections back (kept while already held, unless it has lasted too long)."""
        now = self._clock()
        if self._since is not None:
            if now - self._since >= MAX_HOLD_S:
                self.release()
                self._rest_until = now + REST_S
            return
        # Someone else paused the collector: theirs to resume, not ours.
        if now < self._rest_until or not gc.isenabled():
            return
        gc.disable()
        self._since = now

    def release(self) -> None:
        """Let collections happen again (if held)."""
        if self._since is not None:
            self._since = None
            gc.enable()
