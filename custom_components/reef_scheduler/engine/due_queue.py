"""The earliest-due queue behind the runner's single loop timer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
import heapq


class DueQueue:
    """Map schedule ids to their next due instant; peek and pop the earliest in O(log n).

    A schedule has at most one live entry. Replaced and removed entries stay in the heap as
    stale tuples (lazy deletion) and are compacted once they outnumber the live ones.
    """

    __slots__ = ("_due", "_heap")

    def __init__(self) -> None:
        """Create an empty queue."""
        self._heap: list[tuple[datetime, str]] = []
        self._due: dict[str, datetime] = {}

    def __len__(self) -> int:
        """Return the number of schedules waiting."""
        return len(self._due)

    def __contains__(self, schedule_id: object) -> bool:
        """Return True when the schedule has a due instant."""
        return schedule_id in self._due

    def get(self, schedule_id: str) -> datetime | None:
        """Return the schedule's due instant, if any."""
        return self._due.get(schedule_id)

    def set(self, schedule_id: str, due: datetime | None) -> None:
        """Set (or with None, clear) the schedule's due instant."""
        if due is None:
            self.discard(schedule_id)
            return
        if self._due.get(schedule_id) == due:
            return
        self._due[schedule_id] = due
        heapq.heappush(self._heap, (due, schedule_id))
        self._compact_if_stale()

    def bulk_load(self, entries: dict[str, datetime]) -> None:
        """Replace the whole content in O(n) (start-up)."""
        self._due = dict(entries)
        self._heap = [(due, sid) for sid, due in self._due.items()]
        heapq.heapify(self._heap)

    def discard(self, schedule_id: str) -> None:
        """Forget the schedule's due instant."""
        if self._due.pop(schedule_id, None) is not None:
            self._compact_if_stale()

    def peek(self) -> tuple[datetime, str] | None:
        """Return the earliest (due, schedule id) without removing it."""
        self._drop_stale_top()
        return self._heap[0] if self._heap else None

    def top(self) -> tuple[datetime, list[str]] | None:
        """Return the earliest due instant with every schedule due then.

        Entries equal to the heap's minimum form a subtree under its root, so this visits
        only them and their children: O(k) for k schedules due then, not O(n).
        """
        top = self.peek()
        if top is None:
            return None
        heap, due = self._heap, top[0]
        found: dict[str, None] = {}  # ordered set: a schedule may have two live equal entries
        stack = [0]
        while stack:
            index = stack.pop()
            if index < len(heap) and heap[index][0] == due:
                if self._due.get(heap[index][1]) == due:
                    found[heap[index][1]] = None
                stack += (2 * index + 1, 2 * index + 2)
        return due, list(found)

    def ordered(self) -> Iterator[tuple[datetime, str]]:
        """Yield the live (due, schedule id) entries in due order, lazily.

        A best-first walk of the heap: the first k entries cost O(k log k), whatever the
        queue's size. The queue must not change while the iterator is in use.
        """
        heap = self._heap
        frontier = [(heap[0], 0)] if heap else []
        seen: set[str] = set()  # a schedule may have two live equal entries
        while frontier:
            entry, index = heapq.heappop(frontier)
            if self._due.get(entry[1]) == entry[0] and entry[1] not in seen:
                seen.add(entry[1])
                yield entry
            for child in (2 * index + 1, 2 * index + 2):
                if child < len(heap):
                    heapq.heappush(frontier, (heap[child], child))

    def pop_one(self, now: datetime) -> tuple[str, datetime] | None:
        """Remove and return the earliest (schedule id, due) if due <= now, else None."""
        if (top := self.peek()) is None or top[0] > now:
            return None
        heapq.heappop(self._heap)
        del self._due[top[1]]
        return top[1], top[0]

    def _drop_stale_top(self) -> None:
        """Pop heap entries that no longer match the live due instant."""
        heap = self._heap
        while heap and self._due.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)

    def _compact_if_stale(self) -> None:
        """Rebuild the heap when stale entries dominate, bounding memory."""
        if len(self._heap) > 2 * len(self._due) + 64:
            self.bulk_load(self._due)
