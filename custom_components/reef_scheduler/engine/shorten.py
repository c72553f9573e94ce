"""Texts cut to a size a dialog or a log line can show: long ids and long lists.

Stored data may hold a schedule id or name of thousands of characters and a target list of a
hundred entities; repair issues, errors and log lines show them through these two functions.
"""

from __future__ import annotations

from collections.abc import Iterable

# An id or name is cut after this many characters (its start usually tells which it is).
MAX_TEXT = 40
# An item of a list (an entity id, a name) is cut after this many characters.
MAX_ITEM = 64
# A schedule's name: as long as the validator allows (a server's or a stored one may be longer).
MAX_NAME = 100
# An error message (from a device, a server) is cut after this many characters.
MAX_MESSAGE = 300
# A list shows this many items, then how many more there are.
MAX_ITEMS = 5
ELLIPSIS = "…"
# What follows the items a list shows (logs are English; issues pass their translation).
MORE = ELLIPSIS + " and {count} more"


def shorten(text: object, limit: int = MAX_TEXT) -> str:
    """Return the text cut to ``limit`` characters, an ellipsis standing for the rest."""
    shown = str(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + ELLIPSIS


def shorten_name(name: str | None, schedule_id: str) -> str:
    """Return how a message names a schedule: its name, or its id where it has none.

    A name is cut only past the longest name allowed; an id standing in for it, like an id.
    """
    if name and name != schedule_id:
        return shorten(name, MAX_NAME)
    return shorten(schedule_id)


def shorten_list(
    items: Iterable[object], shown: int = MAX_ITEMS, *, more: str = MORE, limit: int = MAX_ITEM
) -> str:
    """Return the first ``shown`` items (each shortened), then how many more there are.

    ``more`` is the text put after them with the count filled in, e.g. "… and 98 more".
    """
    listed = list(items)
    parts = [shorten(item, limit) for item in listed[:shown]]
    if len(listed) > shown:
        parts.append(more.format(count=len(listed) - shown))
    return ", ".join(parts)
