"""Run here: the local engine runs a Bella's Reef server's schedules and reports each run back.

The server's worker never executes anything (contract §4), so with this option every server
schedule whose devices are mapped to Home Assistant entities gets its own ScheduleRunner
(own store files per entry), kept in sync with the coordinator's data. Each run is reported to
the server as a device action per device: created with scheduled_time = the due instant, then
executed (success) or updated to failed, so the server's history stays true. Reports that
cannot reach the server wait (bounded) and are sent after the next successful refresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .actions import ActionExecutor
from .api import (
    ActionStatus,
    ActionType as RemoteActionType,
    BellasReefAuthenticationError,
    BellasReefClient,
    BellasReefConnectionError,
    BellasReefError,
    DeviceActionCreate,
    DeviceActionUpdate,
    JsonObject,
    JsonValue,
    RemoteSchedule,
    ScheduleType as RemoteScheduleType,
)
from .const import LOGGER
from .engine.ledger import RunStatus
from .engine.model import Schedule, ScheduleInvalid
from .engine.timeline import get_zone
from .engine.validate import validate_schedule
from .remote_backend import fingerprint
from .remote_const import (
    LOCAL_HINT_KEY,
    MAX_PENDING_REPORTS,
    PENDING_REPORT_MAX_AGE,
    RUN_HERE_STORE_SUFFIX,
)
from .runner import RunRequest, RunResult, ScheduleRunner
from .store import ReefStore
from .sun import sun_calculator

if TYPE_CHECKING:
    from .data import ReefSchedulerConfigEntry
    from .remote_coordinator import BellasReefCoordinator

_LEVEL_KEYS = ("target", "level", "intensity", "value")
_MONTH = timedelta(days=30)


class Unconvertible(ValueError):
    """A server schedule that run-here cannot run (the reason is logged once)."""


def _zone(name: str) -> str:
    """Return the server's zone when it is a valid IANA key, else UTC (the server's reading)."""
    try:
        get_zone(name)
    except (ValueError, KeyError):
        return "UTC"
    return name


def _number(params: Mapping[str, JsonValue], *keys: str) -> float | None:
    """Return the first numeric parameter among keys."""
    for key in keys:
        value = params.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _action(remote: RemoteSchedule, entity_ids: Sequence[str]) -> dict[str, Any]:
    """Return the engine action spec of a server schedule."""
    params: Mapping[str, JsonValue] = remote.action_params or {}
    action: dict[str, Any] = {"type": remote.action_type.value}
    action["target"] = {"entity_id": list(entity_ids)}
    match remote.action_type:
        case RemoteActionType.CUSTOM:
            raise Unconvertible("custom actions are never run from a server")
        case RemoteActionType.RAMP:
            action["level"] = _number(params, "end_level", *_LEVEL_KEYS)
            action["start_level"] = _number(params, "start_level")
            action["duration"] = _number(params, "duration")
            if isinstance(curve := params.get("curve"), str):
                action["curve"] = curve
        case RemoteActionType.SET_LEVEL | RemoteActionType.SET_PWM:
            action["level"] = _number(params, *_LEVEL_KEYS)
            action["duration"] = _number(params, "duration")
        case RemoteActionType.ON:
            action["duration"] = _number(params, "duration")
    action["transition"] = _number(params, "transition")
    return {key: value for key, value in action.items() if value is not None}


def _hint(remote: RemoteSchedule) -> Mapping[str, JsonValue] | None:
    """Return the local timing Reef Scheduler stored, if the server's timing is unchanged."""
    params = remote.action_params or {}
    hint = params.get(LOCAL_HINT_KEY)
    if not isinstance(hint, dict):
        return None
    current = fingerprint(remote.schedule_type, remote.cron_expression, remote.start_time)
    timing = hint.get("timing")
    if hint.get("fingerprint") != current or not isinstance(timing, dict):
        return None
    return {**timing, "timezone": hint.get("timezone")}


def _timing(remote: RemoteSchedule, zone: str) -> dict[str, Any]:
    """Return the engine timing keys of a server schedule, read in zone."""
    if (hint := _hint(remote)) is not None:
        return dict(hint)
    start = remote.start_time
    match remote.schedule_type:
        case RemoteScheduleType.ONE_OFF if start is not None:
            return {"type": "one_off", "at": start.isoformat()}
        case RemoteScheduleType.INTERVAL if remote.interval_seconds:
            anchor = start or remote.created_at
            return {
                "type": "interval",
                "every": remote.interval_seconds,
                "anchor": anchor.isoformat(),
            }
        case RemoteScheduleType.CRON if remote.cron_expression:
            return {"type": "cron", "cron": remote.cron_expression}
        case RemoteScheduleType.RECURRING | RemoteScheduleType.STATIC if start is not None:
            return _recurring(remote, start, zone)
    raise Unconvertible(f"a {remote.schedule_type.value} schedule without its timing field")


def _recurring(remote: RemoteSchedule, start: datetime, zone: str) -> dict[str, Any]:
    """Return a daily/weekly wall-clock timing (or a 30-day grid for 'monthly')."""
    pattern = (remote.action_params or {}).get("recurring_pattern")
    frequency = pattern.get("frequency") if isinstance(pattern, dict) else None
    if remote.schedule_type is RemoteScheduleType.STATIC:
        frequency = "daily"
    if frequency == "monthly":
        # The server's "monthly" is 30 days from start_time, not a calendar month.
        return {"type": "interval", "every": _MONTH.total_seconds(), "anchor": start.isoformat()}
    local = start.astimezone(get_zone(zone))
    timing: dict[str, Any] = {
        "type": "recurring",
        "frequency": "weekly" if frequency == "weekly" else "daily",
        "times": [local.strftime("%H:%M:%S")],
    }
    if frequency == "weekly":
        timing["weekdays"] = [("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()]]
    return timing


def remote_to_spec(
    remote: RemoteSchedule, mapping: Mapping[int, Sequence[str]]
) -> tuple[dict[str, Any], Schedule]:
    """Return the engine spec and schedule run-here uses for a server schedule (Unconvertible)."""
    entity_ids = sorted({e for device in remote.device_ids for e in mapping.get(device, ())})
    if not entity_ids:
        raise Unconvertible("none of its devices is mapped to a Home Assistant entity")
    zone = _zone(remote.timezone)
    timing = _timing(remote, zone)
    spec: dict[str, Any] = {
        "id": str(remote.id),
        "name": remote.name,
        "enabled": remote.is_enabled,
        "timezone": timing.pop("timezone", None) or zone,
        "created": remote.created_at.isoformat(),
        "action": _action(remote, entity_ids),
        **timing,
    }
    if remote.end_time is not None:
        spec["end"] = remote.end_time.isoformat()
    if remote.start_time is not None and spec["type"] in ("cron", "recurring"):
        spec["start"] = remote.start_time.isoformat()
    try:
        schedule = validate_schedule(spec, default_timezone="UTC")
    except ScheduleInvalid as err:
        raise Unconvertible(str(err)) from err
    return spec, schedule


@dataclass(slots=True)
class _Report:
    """One run to report for one device (action_id once created on the server)."""

    schedule_id: int
    device_id: int
    action_type: RemoteActionType
    parameters: JsonObject | None
    scheduled: datetime
    finished: datetime
    success: bool
    error: str | None
    result: JsonObject
    action_id: int | None = None
    executed: bool = False
    queued: datetime = field(default_factory=dt_util.utcnow)


class ReportingExecutor:
    """RunExecutor wrapper: runs the action here, then reports it to the server."""

    def __init__(self, inner: ActionExecutor, run_here: RunHere) -> None:
        """Wrap the local executor."""
        self._inner = inner
        self._run_here = run_here

    async def async_execute(self, request: RunRequest) -> RunResult:
        """Execute locally (on time), then queue the report to the server."""
        result = await self._inner.async_execute(request)
        self._run_here.report(request, result)
        return result

    async def async_validate(self, schedule: Schedule) -> None:
        """Delegate to the local executor."""
        await self._inner.async_validate(schedule)

    async def async_stop(self) -> None:
        """Stop the local executor's ramps and holds."""
        await self._inner.async_stop()


class RunHere:
    """The run-here runner of one server entry, in sync with the coordinator."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ReefSchedulerConfigEntry,
        client: BellasReefClient,
        coordinator: BellasReefCoordinator,
        mapping: Mapping[int, Sequence[str]],
    ) -> None:
        """Create the runner (idle until async_start)."""
        self.hass = hass
        self._entry = entry
        self._client = client
        self._coordinator = coordinator
        self._mapping = mapping
        self.runner = ScheduleRunner(
            hass,
            ReefStore(hass, key_suffix=store_suffix(entry.entry_id)),
            ReportingExecutor(ActionExecutor(hass), self),
            sun=sun_calculator(hass),
            background=self._background,
        )
        self._remote: dict[str, RemoteSchedule] = {}
        self.skipped: dict[str, str] = {}
        self.pending: list[_Report] = []
        self._lock = asyncio.Lock()
        self._flush_lock = asyncio.Lock()
        self._listeners: list[Callable[[], None]] = []

    def _background(self, coro: Any, name: str) -> asyncio.Task[Any]:
        """Run work as an entry background task (cancelled on unload)."""
        return self._entry.async_create_background_task(self.hass, coro, name)

    async def async_start(self) -> None:
        """Load the stored schedules (restart recovery) and sync with the server's."""
        await self.runner.async_start()
        await self.async_sync()

    async def async_stop(self) -> None:
        """Stop the runner (pending reports are dropped with a debug line)."""
        await self.runner.async_stop()
        if self.pending:
            LOGGER.debug("Dropping %s unsent run reports at unload", len(self.pending))

    @callback
    def async_schedule_sync(self) -> None:
        """Coordinator listener: sync in the background."""
        self._background(self.async_sync(), "reef_scheduler run-here sync")

    async def async_sync(self) -> None:
        """Add, update and remove runner schedules to match the server's."""
        if not self._coordinator.last_update_success:
            return
        async with self._lock:
            wanted: dict[str, tuple[dict[str, Any], Schedule]] = {}
            remotes = {str(sid): remote for sid, remote in self._coordinator.data.items()}
            for sid, remote in remotes.items():
                try:
                    wanted[sid] = remote_to_spec(remote, self._mapping)
                except Unconvertible as err:
                    if self.skipped.get(sid) != str(err):
                        LOGGER.info("Run here skips server schedule %s: %s", remote.name, err)
                    self.skipped[sid] = str(err)
                    continue
                self.skipped.pop(sid, None)
            runner = self.runner
            for sid in [*runner.schedules, *runner.invalid]:
                if sid not in wanted:
                    await runner.async_remove(sid)
            for sid, (spec, schedule) in wanted.items():
                current = runner.schedules.get(sid)
                if current is None:
                    await runner.async_add(spec)
                elif current != schedule:
                    await runner.async_update(sid, spec)
            self._remote = {sid: remotes[sid] for sid in wanted}
        for listener in list(self._listeners):
            listener()
        await self._async_flush()

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call listener after each sync (entities refresh their run state)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def async_run_now(self, schedule_id: str) -> bool:
        """Run a schedule here now if run-here has it; return whether it did."""
        if schedule_id not in self.runner.schedules:
            return False
        self.runner.async_run_now(schedule_id)
        return True

    # ----- reporting ----------------------------------------------------------------------

    @callback
    def report(self, request: RunRequest, result: RunResult) -> None:
        """Queue a finished run's report to the server and send it in the background."""
        remote = self._remote.get(request.schedule.id)
        if remote is None:
            return
        now = dt_util.utcnow()
        parameters = {
            k: v for k, v in (remote.action_params or {}).items() if k != LOCAL_HINT_KEY
        } or None
        outcome: JsonObject = {
            "executed_by": "home_assistant",
            "trigger": request.trigger.value,
            "attempts": result.attempts,
            "context_id": request.context_id,
        }
        for device_id in remote.device_ids:
            self.pending.append(
                _Report(
                    schedule_id=remote.id,
                    device_id=device_id,
                    action_type=remote.action_type,
                    parameters=parameters,
                    scheduled=request.due or now,
                    finished=now,
                    success=result.status is RunStatus.SUCCESS,
                    error=result.error,
                    result=dict(outcome),
                )
            )
        del self.pending[:-MAX_PENDING_REPORTS]
        self._background(self._async_flush(), "reef_scheduler run report")

    async def _async_flush(self) -> None:
        """Send queued reports in order, one flush at a time."""
        async with self._flush_lock:
            await self._async_flush_locked()

    async def _async_flush_locked(self) -> None:
        """Send queued reports in order; stop at the first one the server cannot take now."""
        cutoff = dt_util.utcnow() - PENDING_REPORT_MAX_AGE
        self.pending = [report for report in self.pending if report.queued >= cutoff]
        while self.pending:
            report = self.pending[0]
            try:
                await self._async_send(report)
            except (BellasReefConnectionError, BellasReefAuthenticationError) as err:
                LOGGER.debug("Run report kept for later: %s", err)
                return
            except BellasReefError as err:
                LOGGER.warning(
                    "Bella's Reef refused the report of a run of schedule %s: %s",
                    report.schedule_id,
                    err,
                )
            if self.pending and self.pending[0] is report:
                self.pending.pop(0)

    async def _async_send(self, report: _Report) -> None:
        """Create the device action (once), then mark it executed or failed."""
        client = self._client
        if report.action_id is None:
            action = await client.create_device_action(
                DeviceActionCreate(
                    device_id=report.device_id,
                    action_type=report.action_type,
                    scheduled_time=report.scheduled,
                    parameters=report.parameters,
                    schedule_id=report.schedule_id,
                )
            )
            report.action_id = action.id
        if report.success and not report.executed:
            await client.execute_device_action(report.action_id)
            report.executed = True
        if report.success:
            update = DeviceActionUpdate(executed_time=report.finished, result=report.result)
        else:
            update = DeviceActionUpdate(
                status=ActionStatus.FAILED,
                executed_time=report.finished,
                error_message=(report.error or "failed")[:500],
                result=report.result,
            )
        await client.update_device_action(report.action_id, update)


def store_suffix(entry_id: str) -> str:
    """Return the storage key suffix of an entry's run-here runner."""
    return f"{RUN_HERE_STORE_SUFFIX}{entry_id}"


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's run-here files (call from async_remove_entry)."""
    await ReefStore(hass, key_suffix=store_suffix(entry_id)).async_remove()
