"""Repair issues of the local entry: targets missing, invalid or lost schedules, a damaged file.

Each names its schedule by name (a stored one without a readable name by its id), with ids and
lists cut to what a dialog shows (runner/texts.py renders the translated parts).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir

from ..const import DOMAIN, issue_id
from ..engine.model import ActionType, FieldError, Schedule
from ..engine.shorten import MAX_MESSAGE, shorten, shorten_name
from ..runner.store import Damage
from ..runner.targets import target_entity_ids
from ..runner.texts import field_errors, listing

ISSUE_TARGETS_MISSING = "targets_missing"
ISSUE_INVALID_SCHEDULE = "invalid_schedule"
ISSUE_SCHEDULES_LOST = "schedules_lost"
ISSUE_STORE_DAMAGED = "store_damaged"


@callback
def async_check_schedule(hass: HomeAssistant, schedule: Schedule) -> bool:
    """Raise or clear the "all targets missing" issue of a schedule; return True if raised."""
    ident = issue_id(ISSUE_TARGETS_MISSING, schedule.id)
    target = schedule.action.target
    registry = er.async_get(hass)
    missing = (
        schedule.action.type is not ActionType.CUSTOM
        and not target.is_empty
        and not any(
            hass.states.get(entity_id) is not None or registry.async_get(entity_id) is not None
            for entity_id in target_entity_ids(hass, target)
        )
    )
    if not missing:
        ir.async_delete_issue(hass, DOMAIN, ident)
        return False
    ir.async_create_issue(
        hass,
        DOMAIN,
        ident,
        is_fixable=True,
        data={"schedule_id": schedule.id},
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_TARGETS_MISSING,
        translation_placeholders={
            "name": shorten_name(schedule.name, schedule.id),
            "targets": listing(hass, target.ids),
        },
    )
    return True


@callback
def async_report_invalid(
    hass: HomeAssistant, schedule_id: str, errors: Iterable[FieldError], name: str | None = None
) -> None:
    """Raise the issue of a stored schedule that no longer validates (named, if it has one)."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(ISSUE_INVALID_SCHEDULE, schedule_id),
        is_fixable=True,
        data={"schedule_id": schedule_id},
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_INVALID_SCHEDULE,
        translation_placeholders={
            "name": shorten_name(name, schedule_id),
            "schedule_id": shorten(schedule_id),
            "errors": field_errors(hass, errors),
        },
    )


@callback
def async_clear_schedule(hass: HomeAssistant, schedule_id: str) -> None:
    """Delete every issue of a schedule (it was deleted or replaced)."""
    for kind in (ISSUE_TARGETS_MISSING, ISSUE_INVALID_SCHEDULE):
        ir.async_delete_issue(hass, DOMAIN, issue_id(kind, schedule_id))


@callback
def async_report_lost(hass: HomeAssistant, names: Collection[str]) -> None:
    """Raise (or, with no names, clear) the issue of schedules whose definitions are lost."""
    if not names:
        ir.async_delete_issue(hass, DOMAIN, ISSUE_SCHEDULES_LOST)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        ISSUE_SCHEDULES_LOST,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_SCHEDULES_LOST,
        translation_placeholders={"count": str(len(names)), "names": listing(hass, sorted(names))},
    )


@callback
def async_report_damaged(hass: HomeAssistant, damage: Damage, *, rebuilt: int) -> None:
    """Raise the issue of a stored file that could not be read (it was moved aside)."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(ISSUE_STORE_DAMAGED, damage.key),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_STORE_DAMAGED,
        translation_placeholders={
            "file": f".storage/{damage.key}",
            "error": shorten(damage.error, MAX_MESSAGE),
            "kept_as": damage.moved_to or "-",
            "rebuilt": str(rebuilt),
        },
    )
