"""Where the engine's errors show on a schedule step's form: on their field, else named.

An error path ("times.2", "profile.channels.1.points.0.time") belongs to the field of its head
once the step's prefix is taken off; a field no step asks for (a time zone, a window) is named
in the error on the last step's form.
"""

from __future__ import annotations

from collections.abc import Collection

from ..engine.model import FieldError
from ..engine.validate import TIMING_KEYS
from ..engine.validate_profile import PROFILE_KEY

# Timing keys no form asks for: they stay while the kind stays.
KEPT_TIMING_KEYS = frozenset({"anchor", "anchor_date"})
# The spec keys some step asks for; an error on any other one names the field it is about.
FORM_KEYS = frozenset({"name", "type", "action", "enabled", "catch_up", "retry", PROFILE_KEY}) | (
    TIMING_KEYS - KEPT_TIMING_KEYS
)


def field_of(path: str, shown: Collection[str], prefixes: tuple[str, ...]) -> str | None:
    """Return the form field an engine error path belongs to ("times.2" → "times")."""
    for prefix in prefixes:
        if path.startswith(prefix):
            path = path.removeprefix(prefix)
            break
    head = path.partition(".")[0]
    return head if head in shown else None


def placed(
    errors: tuple[FieldError, ...],
    shown: Collection[str],
    prefixes: tuple[str, ...],
    *,
    final: bool,
) -> tuple[dict[str, str], dict[str, str]]:
    """Return a step's form errors and their placeholders (on the last step every one counts).

    A field no step asks for (a time zone, a window) is named in the error on the form.
    """
    found: dict[str, str] = {}
    placeholders: dict[str, str] = {}
    for error in errors:
        field, code = field_of(error.field, shown, prefixes), error.code
        if field is None:
            if not final:
                continue
            field = "base"
            if error.field.partition(".")[0] not in FORM_KEYS:
                code = "not_in_form"
                placeholders.setdefault("field", error.field)
        if field not in found:
            found[field] = code
            for key, value in error.placeholders.items():
                placeholders.setdefault(key, value)
    return found, placeholders
