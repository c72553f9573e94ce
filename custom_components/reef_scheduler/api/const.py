"""Constants of the Bella's Reef client: routes, limits and defaults."""

from __future__ import annotations

from typing import Final

VERSION: Final = "0.1.0"
USER_AGENT: Final = f"ReefScheduler/{VERSION}"

DEFAULT_REQUEST_TIMEOUT: Final = 10.0
# The server rejects limit > 1000 with 422 (contract §3, row 1).
MAX_PAGE_SIZE: Final = 1000
# Clocks of the HA host and the server may disagree; safe create accepts rows this much older.
CREATE_LOOKUP_SKEW: Final = 120.0

DEFAULT_FAILURE_THRESHOLD: Final = 3
DEFAULT_COOLDOWN: Final = 30.0

# Core service (no version prefix).
LOGIN_PATH: Final = "/api/auth/login"
CURRENT_USER_PATH: Final = "/api/users/me"
# Root health on both services; /api/v1/schedules/health is shadowed (Q7).
HEALTH_PATH: Final = "/health"

# Scheduler service: collections WITH a trailing slash, items WITHOUT (contract §3).
SCHEDULES_PATH: Final = "/api/v1/schedules/"
SCHEDULE_STATS_PATH: Final = "/api/v1/schedules/stats"
DEVICE_ACTIONS_PATH: Final = "/api/v1/schedules/device-actions/"
DEVICE_ACTION_STATS_PATH: Final = "/api/v1/schedules/device-actions/stats"
DEVICE_ACTION_CLEANUP_PATH: Final = "/api/v1/schedules/device-actions/cleanup"

ALREADY_ENABLED: Final = "Schedule is already enabled"
ALREADY_DISABLED: Final = "Schedule is already disabled"
INACTIVE_USER: Final = "Inactive user"


def schedule_path(schedule_id: int, action: str = "") -> str:
    """Return the item route of a schedule, optionally with a sub-action."""
    return f"/api/v1/schedules/{schedule_id}" + (f"/{action}" if action else "")


def device_action_path(action_id: int, action: str = "") -> str:
    """Return the item route of a device action, optionally with a sub-action."""
    return f"/api/v1/schedules/device-actions/{action_id}" + (f"/{action}" if action else "")
