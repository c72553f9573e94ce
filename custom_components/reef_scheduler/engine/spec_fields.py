"""Typed reads from a schedule spec's mappings, collecting FieldErrors under dotted paths.

Shared by validate.py and validate_profile.py. ``stored`` relaxes the documented maxima to the
bounds the date and duration maths needs (see validate.py's module doc).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
import math
import re
from typing import Any
from zoneinfo import ZoneInfo

from .model import FieldError
from .timeline import resolve_local

MAX_ITEMS = 100
# Dates and instants lie in [1970-01-01, 2100-01-01]; a schedule must run before the latter.
MIN_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
MAX_INSTANT = datetime(2100, 1, 1, tzinfo=UTC)
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ENTITY_ID_RE = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
# What a stored spec is held to instead of the maxima: no duration or count overflows timedelta,
# datetime or date maths, and no instant comes near datetime's own range (year 1 to 9999).
SAFE_SECONDS = 100 * 366 * 86_400
SAFE_COUNT = 1_000_000
SAFE_INSTANTS = (datetime(1000, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC))
MISSING: Any = object()
DAY = timedelta(days=1)
_MAX_DATETIME_TEXT = 64


class Fields:
    """Typed reads from one mapping of the spec, recording errors under dotted paths."""

    def __init__(
        self,
        data: Mapping[str, Any],
        prefix: str,
        errors: list[FieldError],
        allowed: Collection[str],
        *,
        stored: bool = False,
    ) -> None:
        """Wrap ``data`` found at ``prefix`` and flag keys outside ``allowed``.

        ``stored``: the spec was stored before, so the documented maxima do not apply to it.
        """
        self.data = data
        self.prefix = prefix
        self.errors = errors
        self.stored = stored
        if not all(key in allowed for key in data):
            for key in data:
                if key not in allowed:
                    self.fail(str(key), "unknown_key", name=str(key))

    def most(self, maximum: float, safe: float) -> float:
        """Return the documented maximum, or for a stored spec the bound its maths needs."""
        return safe if self.stored else maximum

    def path(self, key: str | int) -> str:
        """Return the dotted path of a key of this mapping."""
        return f"{self.prefix}{key}"

    def fail(self, key: str | int, code: str, **placeholders: str) -> None:
        """Record an error on a key of this mapping."""
        self.errors.append(FieldError(self.path(key), code, placeholders))

    def get(self, key: str, *, required: bool = False) -> Any:
        """Return a raw value or MISSING (null counts as absent)."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "required")
            return MISSING
        return value

    def typed[T](self, key: str, kind: type[T], *, required: bool = False) -> T | None:
        """Return a value of ``kind`` (bools are not numbers), else None."""
        value = self.get(key, required=required)
        if value is MISSING:
            return None
        if isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool):
            return value
        self.fail(key, "invalid_type", expected=kind.__name__)
        return None

    def number(
        self,
        key: str,
        low: float,
        high: float,
        *,
        code: str = "out_of_range",
        required: bool = False,
    ) -> float | None:
        """Return a finite number within [low, high], else None."""
        value = self.get(key, required=required)
        if value is MISSING:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool) or not finite(value):
            self.fail(key, "invalid_type", expected="number")
            return None
        if not low <= value <= high:
            self.fail(key, code, min=bound_text(low), max=bound_text(high))
            return None
        return value

    def integer(
        self, key: str, low: int, high: int, *, code: str = "out_of_range", required: bool = False
    ) -> int | None:
        """Return an integer within [low, high], else None."""
        value = self.typed(key, int, required=required)
        if value is not None and not low <= value <= high:
            self.fail(key, code, min=str(low), max=str(high))
            return None
        return value

    def seconds(
        self, key: str, low: float, high: float, *, code: str, required: bool = False
    ) -> timedelta | None:
        """Return a duration given in seconds within [low, high], else None."""
        value = self.number(key, low, high, code=code, required=required)
        return None if value is None else timedelta(seconds=value)

    def choice[E: StrEnum](self, key: str, enum: type[E], code: str) -> E | None:
        """Return a member of a string enum, else None."""
        value = self.get(key, required=True)
        if value is MISSING:
            return None
        try:
            return enum(value)
        except ValueError:
            self.fail(key, code, value=str(value), choices=", ".join(enum))
            return None

    def instant(self, key: str, zone: ZoneInfo, *, required: bool = False) -> datetime | None:
        """Return an aware UTC instant within the date range; naive values are read in ``zone``."""
        value = self.get(key, required=required)
        if value is MISSING:
            return None
        parsed = parse_datetime(value)
        if parsed is None:
            self.fail(key, "invalid_datetime")
            return None
        low, high = self.instants()
        # Compared as written first (one day wider: offsets stay below a day): converting year
        # 1 or 9999 to UTC can overflow.
        if not low - DAY <= parsed.replace(tzinfo=UTC) <= high + DAY:
            self.fail(key, "date_out_of_range")
            return None
        instant = resolve_local(parsed, zone) if parsed.tzinfo is None else parsed
        if instant is None:
            self.fail(key, "invalid_datetime")
            return None
        if not low <= instant <= high:
            self.fail(key, "date_out_of_range")
            return None
        return instant.astimezone(UTC)

    def instants(self) -> tuple[datetime, datetime]:
        """Return the range of instants and dates: MIN_INSTANT..MAX_INSTANT for new input."""
        return SAFE_INSTANTS if self.stored else (MIN_INSTANT, MAX_INSTANT)

    def items(
        self, key: str, limit: int = MAX_ITEMS, code: str = "too_many_items"
    ) -> list[Any] | None:
        """Return a list value of at most ``limit`` items (a lone string is a list of one)."""
        value = self.get(key)
        if value is MISSING:
            return None
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list | tuple):
            self.fail(key, "invalid_type", expected="list")
            return None
        if len(value) > self.most(limit, SAFE_COUNT):
            self.fail(key, code, max=str(limit))
            return None
        return list(value)

    def sub(self, key: str, allowed: Collection[str], *, required: bool = False) -> Fields | None:
        """Return the nested mapping at ``key`` as Fields, else None."""
        value = self.get(key, required=required)
        if value is MISSING:
            return None
        if not isinstance(value, Mapping):
            self.fail(key, "invalid_type", expected="mapping")
            return None
        return Fields(value, self.path(key) + ".", self.errors, allowed, stored=self.stored)

    def entries(
        self,
        key: str,
        allowed: Collection[str],
        limit: int = MAX_ITEMS,
        code: str = "too_many_items",
    ) -> list[Fields] | None:
        """Return each mapping of a list as Fields (an entry that is no mapping is an error)."""
        values = self.items(key, limit, code)
        if values is None:
            return None
        found = []
        for index, value in enumerate(values):
            if isinstance(value, Mapping):
                path = self.path(f"{key}.{index}.")
                found.append(Fields(value, path, self.errors, allowed, stored=self.stored))
            else:
                self.fail(f"{key}.{index}", "invalid_type", expected="mapping")
        return found

    def required_entries(
        self, key: str, allowed: Collection[str], limit: int, code: str
    ) -> list[Fields] | None:
        """Return ``entries`` of a list that must hold at least one (None: none to read)."""
        before = len(self.errors)
        entries = self.entries(key, allowed, limit, code)
        if entries is None:
            self.get(key, required=True)
            return None
        if not entries and len(self.errors) == before:
            self.fail(key, "required")
        return entries

    def weekdays(self, key: str) -> frozenset[int]:
        """Return the weekdays named in a list (empty when absent)."""
        days = set()
        for index, value in enumerate(self.items(key) or ()):
            day = weekday_number(value)
            if day is None:
                self.fail(f"{key}.{index}", "invalid_weekday", value=str(value))
            else:
                days.add(day)
        return frozenset(days)

    def day(self, key: str, *, required: bool = False) -> date | None:
        """Return an ISO calendar date within the date range, else None."""
        value = self.get(key, required=required)
        if value is MISSING:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            day = value
        else:
            try:
                day = date.fromisoformat(value)
            except (TypeError, ValueError):
                self.fail(key, "invalid_date", value=str(value))
                return None
        low, high = self.instants()
        if not low.date() <= day <= high.date():
            self.fail(key, "date_out_of_range")
            return None
        return day

    def forbid(self, *keys: str) -> None:
        """Flag keys that do not apply in this context."""
        for key in keys:
            if self.data.get(key) is not None:
                self.fail(key, "not_allowed")


def finite(value: float) -> bool:
    """Return True for a number a float can hold (JSON allows integers of any size)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def bound_text(value: float) -> str:
    """Format a bound for a placeholder without a useless ".0"."""
    return str(int(value)) if float(value).is_integer() else str(value)


def parse_datetime(value: object) -> datetime | None:
    """Parse an ISO datetime string or pass a datetime through."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or len(value) > _MAX_DATETIME_TEXT:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def weekday_number(value: object) -> int | None:
    """Return 0..6 for a weekday name ("mon".."sun", any case), else None."""
    name = value.lower() if isinstance(value, str) else None
    return WEEKDAY_NAMES.index(name) if name in WEEKDAY_NAMES else None


def weekday_names(days: frozenset[int]) -> list[str]:
    """Return weekday names in week order."""
    return [WEEKDAY_NAMES[day] for day in sorted(days)]


def iso_utc(value: datetime) -> str:
    """Return an instant as an ISO string in UTC."""
    return value.astimezone(UTC).isoformat()
