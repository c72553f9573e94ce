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
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from ..api import (
    ActionStatus,
    ActionType as RemoteActionType,
    BellasReefAuthenticationError,
    BellasReefClient,
    BellasReefConnectionError,
    BellasReefError,
    DeviceActionCreate,
    DeviceActionUpdate,
    JsonObject,
    RemoteSchedule,
)
from ..const import LOGGER
from ..engine.ledger import RunStatus
from ..engine.model import Schedule
from ..engine.prescribed import Prescription
from ..runner.actions import ActionExecutor
from ..runner.runner import RunRequest, RunResult, ScheduleRunner
from ..runner.store import ReefStore
from ..runner.sun import sun_calculator
from .const import MAX_PENDING_REPORTS, PENDING_REPORT_MAX_AGE, RUN_HERE_STORE_SUFFIX
from .convert import Unconvertible, remote_to_spec, server_params
from .coordinator import BellasReefCoordinator


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

    def prepare(self, schedule: Schedule) -> None:
        """Delegate to the local executor."""
        self._inner.prepare(schedule)

    def forget(self, schedule_id: str) -> None:
        """Delegate to the local executor."""
        self._inner.forget(schedule_id)

    async def async_apply_state(
        self,
        schedule: Schedule,
        entity_id: str,
        prescription: Prescription,
        context_id: str,
        on_note: Callable[[str], None],
    ) -> RunResult:
        """Reconcile here (a reconcile is not a server run: nothing is reported)."""
        return await self._inner.async_apply_state(
            schedule, entity_id, prescription, context_id, on_note
        )

    async def async_stop(self) -> None:
        """Stop the local executor's ramps and holds."""
        await self._inner.async_stop()


class RunHere:
    """The run-here runner of one server entry, in sync with the coordinator."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
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
        self.runner.async_start_reconciling()
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
        parameters = server_params(remote.action_params)
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
