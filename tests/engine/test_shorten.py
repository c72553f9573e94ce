"""Long ids, names and lists cut to what a dialog or a log line shows."""

from __future__ import annotations

from hypothesis import given, strategies as st

from custom_components.reef_scheduler.engine.shorten import (
    MAX_ITEM,
    MAX_ITEMS,
    MAX_TEXT,
    shorten,
    shorten_list,
    shorten_name,
)


def test_short_texts_stay_as_they_are() -> None:
    assert shorten("sunrise") == "sunrise"
    assert shorten("x" * MAX_TEXT) == "x" * MAX_TEXT
    assert shorten(42) == "42"


def test_a_long_id_is_cut_with_an_ellipsis() -> None:
    cut = shorten("a" * 10_000)
    assert cut == "a" * (MAX_TEXT - 1) + "…"
    assert len(cut) == MAX_TEXT
    assert shorten("abcdef", 4) == "abc…"


def test_a_long_list_names_its_first_items_and_counts_the_rest() -> None:
    ids = [f"light.l{index}" for index in range(100)]
    assert shorten_list(ids) == "light.l0, light.l1, light.l2, light.l3, light.l4, … and 95 more"
    assert (
        shorten_list(ids, 2, more="… und {count} weitere") == "light.l0, light.l1, … und 98 weitere"
    )
    assert shorten_list(ids[:MAX_ITEMS]) == ", ".join(ids[:MAX_ITEMS])
    assert shorten_list([]) == ""


def test_each_item_of_a_list_is_cut_too() -> None:
    assert shorten_list(["b" * 300, "light.a"]) == "b" * (MAX_ITEM - 1) + "…, light.a"


@given(
    items=st.lists(st.text(max_size=500), max_size=300),
    shown=st.integers(min_value=0, max_value=10),
)
def test_a_list_is_bounded_whatever_it_holds(items: list[str], shown: int) -> None:
    text = shorten_list(items, shown)
    assert len(text) <= shown * (MAX_ITEM + 2) + len("… and 300 more")
    if len(items) > shown:
        assert text.endswith(f"… and {len(items) - shown} more")


def test_a_schedule_is_named_by_its_name_or_else_by_its_id() -> None:
    assert shorten_name("Sunrise", "sunrise") == "Sunrise"
    assert shorten_name("n" * 100, "a") == "n" * 100  # the longest valid name stays whole
    assert shorten_name(None, "a" * 10_000) == "a" * (MAX_TEXT - 1) + "…"
    assert shorten_name("a" * 10_000, "a" * 10_000) == "a" * (MAX_TEXT - 1) + "…"
