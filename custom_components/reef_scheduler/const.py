"""Constants for Reef Scheduler."""

import logging
from typing import Final

DOMAIN: Final = "reef_scheduler"
LOGGER: Final = logging.getLogger(__package__)

TITLE_LOCAL: Final = "Reef Scheduler"
# The entries' minor version: each step removes entities of earlier versions (entities.py):
# 2 the per-schedule sensors and event entity, 3 the Run now button, 4 the single calendar.
ENTRY_MINOR_VERSION: Final = 4
CONF_ENTRY_KIND: Final = "kind"
ENTRY_KIND_LOCAL: Final = "local"
ENTRY_KIND_BELLAS_REEF: Final = "bellas_reef"
SUBENTRY_TYPE_SCHEDULE: Final = "schedule"
# The key of a schedule's one enabled entity, the Enabled switch (both entry kinds).
KEY_ENABLED: Final = "enabled"


def integration_page(entry_id: str) -> str:
    """Return the integration page with an entry highlighted (a device's configuration URL).

    The page lists the entry's schedules, each with its Configure button; the frontend reads
    ``#config_entry=`` to scroll to the entry and highlight it.
    """
    return f"homeassistant://config/integrations/integration/{DOMAIN}#config_entry={entry_id}"


def issue_id(kind: str, schedule_id: str) -> str:
    """Return the repair issue id of one kind of problem of one schedule."""
    return f"{kind}_{schedule_id}"


def device_identifier(entry_id: str, schedule_id: str | int | None = None) -> tuple[str, str]:
    """Return the device registry identifier of an entry's device or of one of its schedules."""
    return (DOMAIN, entry_id if schedule_id is None else f"{entry_id}_{schedule_id}")


def schedule_unique_id(entry_id: str, schedule_id: str | int, key: str) -> str:
    """Return the unique id of one of a schedule's entities."""
    return f"{entry_id}_{schedule_id}_{key}"


def schedule_of_device(entry_id: str, identifier: tuple[str, str]) -> str | None:
    """Return the schedule whose device has this identifier in the entry (else None)."""
    domain, value = identifier
    prefix = f"{entry_id}_"
    if domain != DOMAIN or not value.startswith(prefix) or value == prefix:
        return None
    return value.removeprefix(prefix)


def schedule_of_unique_id(entry_id: str, unique_id: str, key: str) -> str | None:
    """Return the schedule whose entity of this key has the unique id in the entry (else None)."""
    prefix, suffix = f"{entry_id}_", f"_{key}"
    if len(unique_id) <= len(prefix) + len(suffix) or not (
        unique_id.startswith(prefix) and unique_id.endswith(suffix)
    ):
        return None
    return unique_id[len(prefix) : -len(suffix)]
