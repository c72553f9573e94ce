"""Run here: the local engine runs a Bella's Reef server's schedules and reports each run back.

The server's worker never executes anything (contract §4), so with this option every server
schedule whose devices are mapped to Home Assistant entities gets its own ScheduleRunner
(own store files per entry), kept in sync with the coordinator's data. Each run is reported to
the server as a device action per device: created with scheduled_time = the due instant, then
executed (success) or updated to failed, so the server's history stays true. Reports that
cannot reach the server wait in the run-here store (bounded in count and age; what a limit drops
is logged and raises a repair issue) and are sent after the next successful refresh, also after
a restart. Delivery is idempotent per step: the action id is kept once the server created the
action, and an action the server already executed counts as executed.

While the server cannot be reached (also at start, from the stored copy of its schedules) the
runner keeps running what it has; it follows the server again at the next successful poll.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
import uuid

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from ..api import (
    ActionStatus,
    ActionType as RemoteActionType,
    BellasReefAuthenticationError,
    BellasReefClient,
    BellasReefConnectionError,
    BellasReefError,
    BellasReefValidationError,
    DeviceActionCreate,
    DeviceActionUpdate,
    JsonObject,
    RemoteSchedule,
)
from ..const import DOMAIN, LOGGER, issue_id
from ..engine.ledger import RunStatus
from ..engine.model import Schedule, ScheduleInvalid
from ..engine.prescribed import Prescription
from ..engine.shorten import MAX_NAME, shorten, shorten_list, shorten_name
from ..runner.actions import ActionExecutor
from ..runner.runner import RunRequest, RunResult, ScheduleRunner
from ..runner.store import ReefStore
from ..runner.sun import sun_calculator
from ..runner.texts import field_errors
from .const import MAX_PENDING_REPORTS, PENDING_REPORT_MAX_AGE
from .convert import Unconvertible, remote_to_spec, server_params
from .coordinator import BellasReefCoordinator
from .store import ReportStore, ServerCopy, store_suffix

ISSUE_REPORTS_DROPPED = "run_reports_dropped"
ISSUE_SCHEDULE_INVALID = "remote_schedule_invalid"
# The server's answer to executing an action that is no longer pending (already executed).
_NOT_PENDING = "Action is not pending"


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
    key: str = field(default_factory=lambda: uuid.uuid4().hex)

    def as_dict(self) -> dict[str, Any]:
        """Return the stored form."""
        data = asdict(self)
        for name in ("scheduled", "finished", "queued"):
            data[name] = data[name].isoformat()
        data["action_type"] = self.action_type.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> _Report:
        """Read the stored form (KeyError, TypeError or ValueError when damaged)."""
        values = dict(data)
        for name in ("scheduled", "finished", "queued"):
            values[name] = datetime.fromisoformat(values[name])
        values["action_type"] = RemoteActionType(values["action_type"])
        return cls(**values)


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
            issue_scope=entry.entry_id,
        )
        self._remote: dict[str, RemoteSchedule] = {}
        self.skipped: dict[str, str] = {}
        self.pending: list[_Report] = []
        self._reports = ReportStore(hass, entry.entry_id)
        # Whether the reports file holds a queue (an empty one needs no write).
        self._reports_on_disk = False
        self.dropped = 0
        self._lock = asyncio.Lock()
        self._flush_lock = asyncio.Lock()
        self._listeners: list[Callable[[], None]] = []

    def _background(self, coro: Any, name: str) -> asyncio.Task[Any]:
        """Run work as an entry background task (cancelled on unload)."""
        return self._entry.async_create_background_task(self.hass, coro, name)

    async def async_start(self) -> None:
        """Load the stored schedules and reports (restart recovery), then sync with the server."""
        await self._async_load_reports()
        await self.runner.async_start()
        # Until a poll succeeds, runs are reported for the schedules as last known.
        known = {str(sid): remote for sid, remote in (self._coordinator.data or {}).items()}
        self._remote = {sid: known[sid] for sid in self.runner.schedules if sid in known}
        self.runner.async_start_reconciling()
        await self.async_sync()

    async def async_stop(self) -> None:
        """Stop the runner and keep the unsent reports for the next start."""
        await self.runner.async_stop()
        if self.pending or self._reports_on_disk:
            await self._reports.async_save(self._reports_snapshot())

    async def _async_load_reports(self) -> None:
        """Read the reports a previous run could not send."""
        stored, self.dropped = await self._reports.async_load()
        for item in stored:
            try:
                self.pending.append(_Report.from_dict(item))
            except (KeyError, TypeError, ValueError) as err:
                LOGGER.warning("A stored run report is unreadable and is dropped: %s", err)
        self._reports_on_disk = bool(stored)
        if self.pending:
            LOGGER.info("%s run reports wait for Bella's Reef", len(self.pending))

    def _reports_snapshot(self) -> dict[str, Any]:
        """Return the reports file's content (taken at write time)."""
        self._reports_on_disk = bool(self.pending)
        return {"reports": [report.as_dict() for report in self.pending], "dropped": self.dropped}

    @callback
    def _save_reports(self) -> None:
        """Write the queue soon, unless it is empty and so is the file."""
        if self.pending or self._reports_on_disk:
            self._reports.save(self._reports_snapshot)

    @callback
    def async_schedule_sync(self) -> None:
        """Coordinator listener: sync in the background."""
        self._background(self.async_sync(), "reef_scheduler run-here sync")

    async def async_sync(self) -> None:
        """Add, update and remove runner schedules to match the server's."""
        if not self._coordinator.last_update_success:
            # Nothing to follow; the queue's limits still apply (the server may take some).
            await self._async_flush()
            return
        async with self._lock:
            wanted: dict[str, tuple[dict[str, Any], Schedule]] = {}
            remotes = {str(sid): remote for sid, remote in self._coordinator.data.items()}
            for sid, remote in remotes.items():
                try:
                    wanted[sid] = remote_to_spec(remote, self._mapping)
                except Unconvertible as err:
                    self._skip(remote, err)
            runner = self.runner
            for sid in [*runner.schedules, *runner.invalid]:
                if sid not in wanted:
                    await runner.async_remove(sid)
            for sid, (spec, schedule) in list(wanted.items()):
                current = runner.schedules.get(sid)
                try:
                    if current is None:
                        await runner.async_add(spec, stored=True)
                    elif current != schedule:
                        await runner.async_update(sid, spec, stored=True)
                except ScheduleInvalid as err:
                    # One schedule the runner refuses must not stop the others from syncing.
                    del wanted[sid]
                    self._skip(remotes[sid], Unconvertible(str(err), err.errors))
            # Converted now, or gone from the server.
            for sid in set(self.skipped) & wanted.keys() | set(self.skipped) - remotes.keys():
                self._unskip(sid)
            self._remote = {sid: remotes[sid] for sid in wanted}
        for listener in list(self._listeners):
            listener()
        await self._async_flush()

    def _issue_id(self, sid: str) -> str:
        """Return the repair issue id of an invalid server schedule of this entry."""
        return issue_id(ISSUE_SCHEDULE_INVALID, f"{self._entry.entry_id}_{sid}")

    @callback
    def _skip(self, remote: RemoteSchedule, err: Unconvertible) -> None:
        """Note a server schedule run-here does not run; an invalid one raises an issue."""
        sid = str(remote.id)
        if self.skipped.get(sid) == str(err):
            return
        self.skipped[sid] = str(err)
        if not err.errors:
            LOGGER.info("Run here skips server schedule %s: %s", shorten(remote.name), err)
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(sid))
            return
        LOGGER.warning(
            "Run here cannot run server schedule %s (%s): %s",
            shorten(remote.name),
            sid,
            shorten_list(f"{error.field}: {error.code}" for error in err.errors),
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id(sid),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_SCHEDULE_INVALID,
            translation_placeholders={
                "name": shorten_name(remote.name, sid),
                "schedule_id": sid,
                "title": shorten(self._entry.title, MAX_NAME),
                "errors": field_errors(self.hass, err.errors),
            },
        )

    @callback
    def _unskip(self, sid: str) -> None:
        """Forget a skip: the schedule converts again or left the server."""
        if self.skipped.pop(sid, None) is not None:
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(sid))

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
        over = len(self.pending) - MAX_PENDING_REPORTS
        if over > 0:
            del self.pending[:over]
            self._dropped(over, f"more than {MAX_PENDING_REPORTS} waiting")
        self._background(self._async_flush(), "reef_scheduler run report")

    @callback
    def _dropped(self, count: int, limit: str) -> None:
        """Log and raise the issue of reports a limit dropped (the count adds up until fixed)."""
        ident = issue_id(ISSUE_REPORTS_DROPPED, self._entry.entry_id)
        if ir.async_get(self.hass).async_get_issue(DOMAIN, ident) is None:
            self.dropped = 0
        self.dropped += count
        LOGGER.warning(
            "Dropped %s reports of runs made here that Bella's Reef could not take (%s)",
            count,
            limit,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            ident,
            # Fixing it is acknowledging it: the runs happened here, only their reports are lost.
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_REPORTS_DROPPED,
            translation_placeholders={
                "count": str(self.dropped),
                "title": shorten(self._entry.title, MAX_NAME),
            },
        )
        self._save_reports()

    async def _async_flush(self) -> None:
        """Send queued reports in order, one flush at a time."""
        async with self._flush_lock:
            await self._async_flush_locked()
        self._save_reports()

    async def _async_flush_locked(self) -> None:
        """Send queued reports in order; stop at the first one the server cannot take now."""
        cutoff = dt_util.utcnow() - PENDING_REPORT_MAX_AGE
        kept = [report for report in self.pending if report.queued >= cutoff]
        if len(kept) < len(self.pending):
            over = len(self.pending) - len(kept)
            self.pending = kept
            self._dropped(over, f"older than {PENDING_REPORT_MAX_AGE}")
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
        """Create the device action (once), then mark it executed or failed.

        Each step is done once: the action id is kept (and written at once, if the queue is on
        disk) as soon as the server created the action, so a report sent again after a restart
        or reload updates that action instead of counting the run twice.
        """
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
            if self._reports_on_disk:
                # Written before the next step: a restart now must not create it again.
                await self._reports.async_save(self._reports_snapshot())
        if report.success and not report.executed:
            try:
                await client.execute_device_action(report.action_id)
            except BellasReefValidationError as err:
                if not err.detail.startswith(_NOT_PENDING):
                    raise
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


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's run-here files (call from async_remove_entry)."""
    await ReefStore(hass, key_suffix=store_suffix(entry_id)).async_remove()
    await ServerCopy(hass, entry_id).async_remove()
    await ReportStore(hass, entry_id).async_remove()
