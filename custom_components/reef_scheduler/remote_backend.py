"""ScheduleBackend over a Bella's Reef server: local specs mapped to the server's schedules.

A spec is validated by the same validator as local schedules (engine/validate.py), so an
invalid zone or cron never reaches the server, then mapped to the server's ScheduleCreate:

- one_off -> one_off with start_time in UTC;
- interval -> interval (whole seconds), start_time = anchor (or window start);
- cron -> cron with the HOURS CONVERTED TO UTC, because the server ignores the zone (Q8). The
  conversion uses the zone's offset now: after a DST change the server's own reading is one
  hour off local time. The local cron and zone are kept in action_params (LOCAL_HINT_KEY), so
  run-here still follows local wall-clock time;
- recurring daily (every day) or weekly (one weekday), once a day -> recurring with
  action_params.recurring_pattern.frequency and start_time = the first run;
- anything else (sun, monthly, several times a day, toggle, custom, device/area targets) is a
  ServiceValidationError "not supported by the server".

Targets are Home Assistant entities mapped to server device ids in the entry's options.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
import dataclasses
from datetime import datetime, timedelta
import re
from typing import TYPE_CHECKING, Any
import uuid

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util

from .api import (
    ActionType as RemoteActionType,
    BellasReefAuthenticationError,
    BellasReefClient,
    BellasReefConnectionError,
    BellasReefError,
    BellasReefNotFoundError,
    BellasReefValidationError,
    DeviceActionCreate,
    JsonObject,
    JsonValue,
    RemoteSchedule,
    ScheduleCreate,
    ScheduleType as RemoteScheduleType,
    ScheduleUpdate,
)
from .const import DOMAIN
from .engine.model import (
    Action,
    ActionType,
    CronTiming,
    Frequency,
    IntervalTiming,
    OneOffTiming,
    RecurringTiming,
    Schedule,
)
from .engine.timeline import get_zone, next_run
from .engine.validate import schedule_to_dict, validate_schedule
from .remote_const import CONF_DEVICE_MAP, LOCAL_HINT_KEY

if TYPE_CHECKING:
    from .data import ReefSchedulerConfigEntry
    from .remote_coordinator import BellasReefCoordinator
    from .run_here import RunHere

_ACTIONS: Mapping[ActionType, RemoteActionType] = {
    ActionType.ON: RemoteActionType.ON,
    ActionType.OFF: RemoteActionType.OFF,
    ActionType.SET_LEVEL: RemoteActionType.SET_LEVEL,
    ActionType.SET_PWM: RemoteActionType.SET_PWM,
    ActionType.RAMP: RemoteActionType.RAMP,
}
_CRON_ITEM = re.compile(r"^(\*|\d+(?:-\d+)?)(?:/(\d+))?$")
_DAY = 24 * 60


class NotSupportedByServer(ServiceValidationError):
    """The schedule is valid locally but the server cannot store it."""

    def __init__(self, what: str) -> None:
        """Name what the server cannot do."""
        super().__init__(
            f"Not supported by the Bella's Reef server: {what}",
            translation_domain=DOMAIN,
            translation_key="remote_not_supported",
            translation_placeholders={"what": what},
        )


def device_map(entry: ReefSchedulerConfigEntry) -> dict[int, tuple[str, ...]]:
    """Return the options' mapping of server device id -> Home Assistant entity ids."""
    raw: Mapping[str, Sequence[str]] = entry.options.get(CONF_DEVICE_MAP, {})
    return {int(device): tuple(entities) for device, entities in raw.items() if entities}


# --- cron to UTC ------------------------------------------------------------------------------


def _cron_values(field: str, low: int, high: int) -> set[int]:
    """Expand a numeric cron field (lists, ranges, steps); NotSupportedByServer otherwise."""
    values: set[int] = set()
    for item in field.split(","):
        match = _CRON_ITEM.match(item)
        if match is None:
            raise NotSupportedByServer(f"cron field '{field}'")
        span, step = match.group(1), int(match.group(2) or 1)
        if span == "*":
            first, last = low, high
        else:
            head, _, tail = span.partition("-")
            first = int(head)
            last = int(tail) if tail else (high if match.group(2) else first)
        values.update(range(first, last + 1, max(step, 1)))
    return values


def _join(values: set[int]) -> str:
    """Render a set of values as a cron list."""
    return ",".join(str(value) for value in sorted(values))


def cron_to_utc(expression: str, zone_name: str, at: datetime) -> str:
    """Return a 5-field cron read in zone_name as the UTC cron the server runs (offset at ``at``).

    Raises NotSupportedByServer when the result is not one cron expression (an offset with
    minutes and minutes that cross an hour differently, or a shifted day with day filters).
    """
    fields = expression.split()
    if len(fields) != 5:
        raise NotSupportedByServer("cron with seconds")
    minute, hour, dom, month, dow = fields
    offset = at.astimezone(get_zone(zone_name)).utcoffset() or timedelta(0)
    shift = int(offset.total_seconds() // 60)
    if shift == 0:
        return " ".join(fields)
    minutes = None if shift % 60 == 0 else _cron_values(minute, 0, 59)
    hours = _cron_values(hour, 0, 23)
    if minutes is None:
        if len(hours) == 24:
            return " ".join(fields)
        minutes_list: list[int | None] = [None]
    else:
        minutes_list = list(minutes)
    by_minute: dict[int | None, set[int]] = {}
    day_shifts: set[int] = set()
    for h in hours:
        for m in minutes_list:
            local = h * 60 + (m or 0) - shift
            day_shifts.add(local // _DAY)
            utc = local % _DAY
            key = None if m is None else utc % 60
            by_minute.setdefault(key, set()).add(utc // 60)
    hour_sets = {frozenset(value) for value in by_minute.values()}
    if len(hour_sets) != 1:
        raise NotSupportedByServer("cron minutes in a zone with a fractional UTC offset")
    new_hours = set(next(iter(hour_sets)))
    new_minute = minute if None in by_minute else _join({m for m in by_minute if m is not None})
    new_hour = "*" if len(new_hours) == 24 else _join(new_hours)
    if day_shifts != {0} and len(new_hours) != 24 and (dom, month, dow) != ("*", "*", "*"):
        if dom != "*" or month != "*" or len(day_shifts) != 1:
            raise NotSupportedByServer("cron whose UTC time falls on another day")
        if dow != "*":
            moved = next(iter(day_shifts))
            dow = _join({(day + moved) % 7 for day in _cron_values(dow, 0, 7)})
    return " ".join((new_minute, new_hour, dom, month, dow))


# --- spec -> server ---------------------------------------------------------------------------


def _seconds(value: timedelta) -> int:
    """Return a duration as whole seconds (the server's interval unit)."""
    seconds = value.total_seconds()
    if not seconds.is_integer():
        raise NotSupportedByServer("fractional seconds")
    return int(seconds)


def _action_params(action: Action) -> JsonObject:
    """Return the server's action_params of an action."""
    params: JsonObject = {}
    if action.type is ActionType.RAMP:
        params["end_level"] = action.level
        if action.start_level is not None:
            params["start_level"] = action.start_level
        params["curve"] = action.curve.value
    elif action.level is not None:
        params["target"] = action.level
    if action.duration is not None:
        params["duration"] = _seconds(action.duration)
    if action.transition is not None:
        params["transition"] = action.transition
    return params


def _device_ids(schedule: Schedule, mapping: Mapping[int, Sequence[str]]) -> tuple[int, ...]:
    """Map the target entities back to server device ids."""
    target = schedule.action.target
    if target.device_ids or target.area_ids:
        raise NotSupportedByServer("device or area targets (use entities mapped to devices)")
    reverse = {entity: device for device, entities in mapping.items() for entity in entities}
    unmapped = [entity for entity in target.entity_ids if entity not in reverse]
    if unmapped:
        raise NotSupportedByServer(f"{', '.join(unmapped)} is not mapped to a server device")
    return tuple(sorted({reverse[entity] for entity in target.entity_ids}))


def _timing_hint(schedule: Schedule, zone: str, fingerprint: str) -> JsonObject:
    """Return the local timing kept in action_params for run-here."""
    spec = schedule_to_dict(dataclasses.replace(schedule, preset=None, preset_params=None))
    keys = ("type", "cron", "frequency", "times", "weekdays", "every")
    timing: JsonObject = {key: spec[key] for key in keys if key in spec}
    return {"timing": timing, "timezone": zone, "fingerprint": fingerprint}


def fingerprint(schedule_type: RemoteScheduleType, cron: str | None, start: datetime | None) -> str:
    """Return what a hint was made for: it is stale once the server's timing changed."""
    instant = "" if start is None else dt_util.as_utc(start).isoformat()
    return f"{schedule_type.value}|{cron or ''}|{instant}"


def to_server(
    schedule: Schedule, zone: str, mapping: Mapping[int, Sequence[str]], now: datetime
) -> ScheduleCreate:
    """Map a validated schedule to the server's ScheduleCreate (NotSupportedByServer if not)."""
    action_type = _ACTIONS.get(schedule.action.type)
    if action_type is None:
        raise NotSupportedByServer(f"the {schedule.action.type.value} action")
    params = _action_params(schedule.action)
    timing = schedule.timing
    start: datetime | None = None
    cron: str | None = None
    interval: int | None = None
    remote_zone = zone
    match timing:
        case OneOffTiming(at=at):
            kind, start = RemoteScheduleType.ONE_OFF, at
        case IntervalTiming(every=every, anchor=anchor):
            kind, interval, start = RemoteScheduleType.INTERVAL, _seconds(every), anchor
            start = start or schedule.start
        case CronTiming(expression=expression):
            kind, cron, start = RemoteScheduleType.CRON, cron_to_utc(expression, zone, now), None
            remote_zone = "UTC"
        case RecurringTiming() if _fits_server_recurring(timing):
            kind = RemoteScheduleType.RECURRING
            start = next_run(schedule, max(now, schedule.start or now), tz=get_zone(zone))
            if start is None:
                raise NotSupportedByServer("a recurring schedule that never runs again")
            params["recurring_pattern"] = {"frequency": timing.frequency.value}
        case _:
            raise NotSupportedByServer(f"this {schedule.type.value} timing")
    if kind in (RemoteScheduleType.CRON, RemoteScheduleType.RECURRING):
        params[LOCAL_HINT_KEY] = _timing_hint(schedule, zone, fingerprint(kind, cron, start))
    return ScheduleCreate(
        name=schedule.name,
        schedule_type=kind,
        action_type=action_type,
        device_ids=_device_ids(schedule, mapping),
        cron_expression=cron,
        interval_seconds=interval,
        start_time=start,
        end_time=schedule.end,
        timezone=remote_zone,
        is_enabled=schedule.enabled,
        action_params=params or None,
    )


def _fits_server_recurring(timing: RecurringTiming) -> bool:
    """Tell whether the server's 'every day / every week from start_time' says the same."""
    if len(timing.times) != 1 or timing.every != 1:
        return False
    if timing.frequency is Frequency.DAILY:
        return len(timing.weekdays) in (0, 7)
    return timing.frequency is Frequency.WEEKLY and len(timing.weekdays) == 1


def _update_of(create: ScheduleCreate) -> ScheduleUpdate:
    """Return a PUT body setting every field (type-specific ones explicitly, Q3)."""
    values = {field.name: getattr(create, field.name) for field in dataclasses.fields(create)}
    return ScheduleUpdate(**values)


# --- the backend ------------------------------------------------------------------------------


class RemoteBackend:
    """Create, change, delete, enable, disable and run schedules of one Bella's Reef server."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ReefSchedulerConfigEntry,
        client: BellasReefClient,
        coordinator: BellasReefCoordinator,
        run_here: RunHere | None,
    ) -> None:
        """Bind the backend to its entry's client, coordinator and optional run-here."""
        self.hass = hass
        self._entry = entry
        self._client = client
        self._coordinator = coordinator
        self._run_here = run_here

    @property
    def entry_id(self) -> str:
        """Return the config entry that owns the schedules."""
        return self._entry.entry_id

    def has_schedule(self, schedule_id: str) -> bool:
        """Return True when the server holds the schedule."""
        return schedule_id.isdigit() and int(schedule_id) in (self._coordinator.data or {})

    def _remote(self, schedule_id: str) -> RemoteSchedule:
        """Return a known server schedule, or a validation error."""
        if not self.has_schedule(schedule_id):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="remote_schedule_not_found",
                translation_placeholders={"schedule_id": schedule_id},
            )
        return self._coordinator.data[int(schedule_id)]

    def _to_server(self, spec: Mapping[str, Any]) -> ScheduleCreate:
        """Validate a spec like a local one, then map it (ScheduleInvalid / not supported)."""
        data = dict(spec)
        data.setdefault("id", uuid.uuid4().hex)
        zone = self.hass.config.time_zone
        schedule = validate_schedule(data, default_timezone=zone)
        return to_server(
            schedule, schedule.timezone or zone, device_map(self._entry), dt_util.utcnow()
        )

    async def _call[T](self, call: Awaitable[T]) -> T:
        """Await a client call, mapping its errors to Home Assistant's."""
        try:
            return await call
        except BellasReefAuthenticationError as err:
            self._entry.async_start_reauth(self.hass)
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="remote_auth_failed"
            ) from err
        except BellasReefNotFoundError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="remote_schedule_not_found",
                translation_placeholders={"schedule_id": err.path.rsplit("/", 1)[-1]},
            ) from err
        except BellasReefValidationError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="remote_rejected",
                translation_placeholders={"detail": err.detail},
            ) from err
        except BellasReefConnectionError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="remote_unreachable"
            ) from err
        except BellasReefError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="remote_error",
                translation_placeholders={"error": str(err)},
            ) from err

    def _store(self, remote: RemoteSchedule | None, removed: int | None = None) -> None:
        """Put a server answer into the coordinator's data (entities and run-here follow)."""
        data = dict(self._coordinator.data or {})
        if remote is not None:
            data[remote.id] = remote
        if removed is not None:
            data.pop(removed, None)
        self._coordinator.async_set_updated_data(data)

    async def async_create(self, spec: Mapping[str, Any]) -> str:
        """Create a schedule on the server; return its id."""
        body = self._to_server(spec)
        remote = await self._call(self._client.create_schedule(body))
        self._store(remote)
        return str(remote.id)

    async def async_update(self, schedule_id: str, spec: Mapping[str, Any]) -> None:
        """Replace a server schedule's definition."""
        self._remote(schedule_id)
        body = _update_of(self._to_server(spec))
        remote = await self._call(self._client.update_schedule(int(schedule_id), body))
        self._store(remote)

    async def async_delete(self, schedule_id: str) -> None:
        """Delete a server schedule."""
        self._remote(schedule_id)
        await self._call(self._client.delete_schedule(int(schedule_id)))
        self._store(None, removed=int(schedule_id))

    async def async_set_enabled(self, schedule_id: str, enabled: bool) -> None:
        """Enable or disable a server schedule."""
        self._remote(schedule_id)
        client = self._client
        method = client.enable_schedule if enabled else client.disable_schedule
        self._store(await self._call(method(int(schedule_id))))

    async def async_run_now(self, schedule_id: str) -> None:
        """Run here when run-here has the schedule, else record executed actions on the server."""
        remote = self._remote(schedule_id)
        if self._run_here is not None and self._run_here.async_run_now(schedule_id):
            return
        if not remote.device_ids:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="remote_no_devices",
                translation_placeholders={"schedule_id": schedule_id},
            )
        now = dt_util.utcnow()
        for device_id in remote.device_ids:
            action = await self._call(
                self._client.create_device_action(
                    DeviceActionCreate(
                        device_id=device_id,
                        action_type=remote.action_type,
                        scheduled_time=now,
                        parameters=_params(remote.action_params),
                        schedule_id=remote.id,
                    )
                )
            )
            await self._call(self._client.execute_device_action(action.id))


def _params(params: JsonObject | None) -> JsonObject | None:
    """Return a schedule's action_params as a device action's parameters (without our hint)."""
    if params is None:
        return None
    out: dict[str, JsonValue] = {k: v for k, v in params.items() if k != LOCAL_HINT_KEY}
    return out or None
