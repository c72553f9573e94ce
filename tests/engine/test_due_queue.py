"""Tests for the earliest-due queue."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, strategies as st

from custom_components.reef_scheduler.engine.due_queue import DueQueue

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def pop_due(queue: DueQueue, now: datetime) -> list[tuple[str, datetime]]:
    """Pop every entry due by now, one at a time as the runner does."""
    popped = []
    while (entry := queue.pop_one(now)) is not None:
        popped.append(entry)
    return popped


def test_pop_one_returns_earliest_first_and_only_due() -> None:
    queue = DueQueue()
    queue.set("b", at(20))
    queue.set("a", at(10))
    queue.set("c", at(30))
    assert queue.peek() == (at(10), "a")
    assert pop_due(queue, at(20)) == [("a", at(10)), ("b", at(20))]
    assert len(queue) == 1
    assert "c" in queue
    assert "a" not in queue
    assert pop_due(queue, at(29)) == []


def test_replace_and_discard_leave_no_ghost_runs() -> None:
    queue = DueQueue()
    queue.set("a", at(10))
    queue.set("a", at(50))
    queue.set("a", at(50))
    queue.set("b", at(5))
    queue.discard("b")
    queue.set("c", None)
    assert queue.get("a") == at(50)
    assert pop_due(queue, at(40)) == []
    assert pop_due(queue, at(60)) == [("a", at(50))]
    assert queue.peek() is None
    queue.discard("missing")


def test_bulk_load_then_updates() -> None:
    queue = DueQueue()
    queue.bulk_load({"x": at(3), "y": at(1)})
    queue.set("z", at(2))
    assert [sid for sid, _ in pop_due(queue, at(10))] == ["y", "z", "x"]


def test_top_lists_every_schedule_due_first_once() -> None:
    queue = DueQueue()
    assert queue.top() is None
    for sid in "abcdefgh":
        queue.set(sid, at(5 if sid in "aceg" else 7))
    queue.set("c", at(9))
    queue.set("c", at(5))  # a second live entry at the same instant
    queue.discard("e")
    due, sids = queue.top()  # type: ignore[misc]
    assert (due, sorted(sids)) == (at(5), ["a", "c", "g"])


def test_heap_is_compacted_when_stale_entries_pile_up() -> None:
    queue = DueQueue()
    for i in range(1000):
        queue.set("a", at(i))
    assert len(queue._heap) <= 2 * len(queue) + 65
    assert pop_due(queue, at(10_000)) == [("a", at(999))]


@given(
    st.lists(
        st.tuples(st.sampled_from("abcdef"), st.none() | st.integers(0, 100)),
        max_size=60,
    ),
    st.integers(0, 100),
)
def test_matches_a_plain_dict_model(ops: list[tuple[str, int | None]], now: int) -> None:
    queue = DueQueue()
    model: dict[str, datetime] = {}
    for sid, seconds in ops:
        due = None if seconds is None else at(seconds // 10)  # few instants: ties are common
        queue.set(sid, due)
        if due is None:
            model.pop(sid, None)
        else:
            model[sid] = due
    top = queue.top()
    if not model:
        assert top is None
    else:
        earliest = min(model.values())
        assert top is not None
        assert (top[0], sorted(top[1])) == (
            earliest,
            sorted(sid for sid, due in model.items() if due == earliest),
        )
    now //= 10
    expected = sorted(((due, sid) for sid, due in model.items() if due <= at(now)))
    assert pop_due(queue, at(now)) == [(sid, due) for due, sid in expected]
    assert len(queue) == len(model) - len(expected)


@given(
    st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 50) | st.none()), max_size=60)
)
def test_ordered_yields_the_live_entries_in_due_order(
    changes: list[tuple[str, int | None]],
) -> None:
    queue = DueQueue()
    live: dict[str, datetime] = {}
    for sid, seconds in changes:
        queue.set(sid, None if seconds is None else at(seconds))
        if seconds is None:
            live.pop(sid, None)
        else:
            live[sid] = at(seconds)
    assert list(queue.ordered()) == sorted((due, sid) for sid, due in live.items())


def test_ordered_is_lazy() -> None:
    queue = DueQueue()
    queue.bulk_load({f"s{i}": at(i) for i in range(1000)})
    walk = queue.ordered()
    assert [next(walk) for _ in range(3)] == [(at(0), "s0"), (at(1), "s1"), (at(2), "s2")]
    assert list(DueQueue().ordered()) == []
