"""Feed mode and maintenance at run time: hold devices, pause their schedules, restore them.

The stored periods (care_store.py) are the only truth; everything here follows from them and
the clock, so a restart continues an active period and restores an expired one at once.

- A held device is driven through the runner's reconcile (``CareHook.takes_over``): to its
  held level while held, so a reconcile for any reason (a start, a target coming back, a clock
  step) never drives it to its prescription meanwhile; at its release to what its schedules
  prescribe at that instant, or, when nothing prescribes it, to its level before the period.
  Each call has the retries of the entry's options, and the reconcile's wait for the target.
- The schedules targeting a held device (and those chosen by id or tag) are paused with the
  runner's own pause until the release; the user's own pause of such a schedule is kept apart
  (in the store) and is what stays when care ends: care never shortens or clears it.
- One timer for the next instant something changes (a period's start, its end, a stage),
  armed again when the runner's wall-clock timer sees the clock set, so a stage is not late by
  a step of the clock. Periods follow the wall clock; one the clock was set back before its
  start ends then (its stages run from then): a pump is never held off a second time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
import functools
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later, async_track_point_in_utc_time
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now

from ..const import LOGGER
from ..engine.care_model import CareKind, CarePeriod
from ..engine.care_periods import (
    began,
    held_levels,
    level_before,
    next_change,
    pause_end,
    set_back,
    with_before as period_with_before,
)
from ..engine.ledger import RunStatus
from ..engine.model import Action, ActionType, OneOffTiming, RetryPolicy, Schedule, Target
from ..engine.prescribed import Prescription, Steady
from .actions import ActionExecutor
from .care_store import CareData, CareStore, care_data_to_dict
from .levels import entity_level
from .reconcile import available
from .runner import RunResult, ScheduleRunner
from .targets import target_entity_ids

_NAMES = {CareKind.FEED: "Feed mode", CareKind.MAINTENANCE: "Maintenance"}
# An available device that refused a restore and all its retries is tried again this much later.
RESTORE_AGAIN = timedelta(minutes=1)


class CareOwner:
    """Owns the local entry's feed mode and maintenance periods at run time."""

    def __init__(
        self,
        hass: HomeAssistant,
        runner: ScheduleRunner,
        executor: ActionExecutor,
        store: CareStore,
        background: Callable[[Any, str], asyncio.Task[Any]],
    ) -> None:
        """Create an idle owner; async_start loads the periods and takes over."""
        self.hass = hass
        self._runner = runner
        self._executor = executor
        self._store = store
        self._background = background
        self.retry = RetryPolicy()
        self._data = CareData()
        self._held: dict[str, float] = {}  # device -> its held level, as last evaluated
        self._restoring: dict[str, float | None] = {}  # released, not yet restored -> before
        self._pause_ends: dict[str, datetime] = {}  # schedule -> care's pause end
        self._timer: CALLBACK_TYPE | None = None
        self._again: dict[str, CALLBACK_TYPE] = {}  # device -> its restore tried again later
        self._tasks: set[asyncio.Task[Any]] = set()
        self._listeners: list[Callable[[], None]] = []
        self._saving: asyncio.Task[None] | None = None
        self._unlisten: CALLBACK_TYPE | None = None

    # ----- lifecycle ----------------------------------------------------------------------

    async def async_start(self) -> None:
        """Load the periods and go on from them (the runner must have loaded its schedules)."""
        self._data = await self._store.async_load()
        self._runner.care = self
        self._unlisten = self._runner.async_listen_collection(self._on_collection)
        # Every device of a begun period counts as held until evaluated: one held now is
        # driven there again, one no longer held is restored (an expired period, at once).
        self._held = {
            d.entity_id: -1.0
            for p in self._data.periods.values()
            if began(p) and p.start <= dt_util.utcnow()
            for d in p.devices
        }
        if self._evaluate(dt_util.utcnow()):
            await self._store.async_save(self._data)

    async def async_stop(self) -> None:
        """Stop the timer and the calls under way; write what is pending."""
        if self._timer is not None:
            self._timer()
            self._timer = None
        self._runner.care = None
        for cancel in self._again.values():
            cancel()
        self._again.clear()
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._saving is not None:
            await self._saving

    # ----- queries ------------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """Return the periods and the user's pauses as stored (diagnostics)."""
        return care_data_to_dict(self._data)

    def period(self, kind: CareKind) -> CarePeriod | None:
        """Return the stored period of a kind (also one not begun or in its stages)."""
        return self._data.periods.get(kind)

    def active(self, kind: CareKind, at: datetime | None = None) -> CarePeriod | None:
        """Return the period of a kind while it runs (from its start to its end)."""
        at = at or dt_util.utcnow()
        period = self._data.periods.get(kind)
        return period if period is not None and period.start <= at < period.end else None

    def now(self) -> datetime:
        """Return the current instant."""
        return dt_util.utcnow()

    def wave_pumps(self) -> list[str]:
        """Return the pumps of every enabled wave schedule (held off during care)."""
        pumps = {
            entity_id
            for schedule in self._runner.schedules.values()
            if schedule.enabled and schedule.action.type is ActionType.WAVE
            for entity_id in schedule.action.target.entity_ids
        }
        return sorted(pumps)

    @callback
    def async_listen(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call listener when a period begins, changes or ends."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # ----- changes ------------------------------------------------------------------------

    async def async_set(self, kind: CareKind, period: CarePeriod | None) -> None:
        """Store a period of a kind (None: none) and act on it; return once it is on disk.

        A period that begins now takes its devices' levels before it here.
        """
        now = dt_util.utcnow()
        periods = dict(self._data.periods)
        if period is None:
            periods.pop(kind, None)
        else:
            if period.start <= now and not began(period):
                period = period_with_before(period, periods, self._levels(period), now)
            periods[kind] = period
        old = self._data.periods
        self._data.periods = periods
        try:
            self._evaluate(now, save=False)
            await self._store.async_save(self._data)
        except Exception:
            self._data.periods = old
            self._evaluate(now, save=False)
            raise

    # ----- the runner's hooks (CareHook) --------------------------------------------------

    def user_pause(self, sid: str, until: datetime | None) -> datetime | None:
        """Keep a user's pause of a schedule care pauses; return the pause to apply."""
        if sid not in self._data.paused:
            return until
        self._data.paused[sid] = until
        self._save_soon()
        end = self._pause_ends[sid]
        return end if until is None or until < end else until

    def drives(self, entity_id: str) -> bool:
        """Return True for a device held or still to be restored."""
        return entity_id in self._held or entity_id in self._restoring

    def takes_over(self, entity_id: str, prescription: Prescription | None) -> bool:
        """Drive a held device to its held level, a released one without prescription back."""
        now = dt_util.utcnow()
        if (entity_id in self._held) != (entity_id in held_levels(self._data.periods, now)):
            self._evaluate(now)  # its stage came before the timer (a pause's end, same instant)
        if (level := self._held.get(entity_id)) is not None:
            self._drive(entity_id, level, restore=False)
            return True
        if entity_id not in self._restoring:
            return False
        before = self._restoring[entity_id]
        if prescription is not None or before is None:
            # Its schedules say what it is now (the runner drives it), or nothing is known.
            del self._restoring[entity_id]
            self._evaluate_soon()
            return prescription is None
        self._drive(entity_id, before, restore=True)
        return True

    # ----- work ---------------------------------------------------------------------------

    def _levels(self, period: CarePeriod) -> dict[str, float | None]:
        """Return each device's level now (None: missing or unavailable)."""
        levels: dict[str, float | None] = {}
        for device in period.devices:
            state = self.hass.states.get(device.entity_id)
            levels[device.entity_id] = entity_level(state) if available(state) else None
        return levels

    @callback
    def _evaluate(self, now: datetime, *, save: bool = True) -> bool:
        """Bring holds, pauses and the timer in line with the periods; True when data changed.

        With ``save`` a change is written in the background (a timer's work).
        """
        data = self._data
        changed = False
        for kind, stored in list(data.periods.items()):
            period = set_back(stored, now) or stored
            if period is not stored:
                data.periods[kind] = period
                changed = True
            if period.start <= now and not began(period):
                data.periods[kind] = period_with_before(
                    period, data.periods, self._levels(period), now
                )
                changed = True
        held = held_levels(data.periods, now)
        wanted = {e for e, level in held.items() if self._held.get(e) != level}
        for entity_id in self._held.keys() - held.keys():
            self._restoring[entity_id] = level_before(data.periods, entity_id)
            wanted.add(entity_id)
        for entity_id in held.keys() & self._restoring.keys():
            del self._restoring[entity_id]
        self._held = held
        changed |= self._apply_pauses(now)
        for kind, period in list(data.periods.items()):
            if (
                period.last_release <= now
                and period.start <= now
                and not any(d.entity_id in self._restoring for d in period.devices)
            ):
                del data.periods[kind]
                changed = True
        if wanted:
            self._runner.reconcile_entities(wanted)
        self._arm(now)
        for listener in list(self._listeners):
            listener()
        if changed and save:
            self._save_soon()
        return changed

    @callback
    def _apply_pauses(self, now: datetime) -> bool:
        """Pause the schedules care holds until their release; hand back those released."""
        ends: dict[str, datetime] = {}
        periods = list(self._data.periods.values())
        if periods:
            for sid, schedule in self._runner.schedules.items():
                entity_ids = self._targets(schedule)
                if (end := pause_end(periods, sid, schedule.tags, entity_ids, now)) is not None:
                    ends[sid] = end
        paused = self._data.paused
        changed = False
        for sid, end in ends.items():
            state = self._runner.states[sid]
            if sid not in paused:
                user = state.paused_until
                paused[sid] = user if user is not None and user > now else None
                changed = True
            self._pause_ends[sid] = end
            user = paused[sid]
            want = end if user is None or user < end else user
            if state.paused_until != want:
                self._runner.async_set_pause(sid, want)
        for sid in [sid for sid in paused if sid not in ends]:
            user = paused.pop(sid)
            self._pause_ends.pop(sid, None)
            changed = True
            if sid in self._runner.states:
                self._runner.async_set_pause(sid, user if user is not None and user > now else None)
        return changed

    def _targets(self, schedule: Schedule) -> Collection[str]:
        """Return the entities a schedule's action reaches (a custom sequence: none)."""
        target = schedule.action.target
        if not target.device_ids and not target.area_ids:
            return target.entity_ids
        return target_entity_ids(self.hass, target)

    @callback
    def _arm(self, now: datetime) -> None:
        """Arm the timer for the next instant the periods change something."""
        if self._timer is not None:
            self._timer()
            self._timer = None
        if (when := next_change(self._data.periods.values(), now)) is not None:
            self._timer = async_track_point_in_utc_time(self.hass, self._on_time, when)

    @callback
    def _on_collection(self, _sid: str, added: bool) -> None:
        """Pause a schedule created while care holds a device it targets."""
        if added and self._data.periods:
            self._evaluate(dt_util.utcnow())

    @callback
    def _on_time(self, _now: datetime) -> None:
        """Something changes now: a period begins, ends, or a device's stage has come."""
        self._timer = None
        self._evaluate(dt_util.utcnow())

    @callback
    def clock_set(self) -> None:
        """Evaluate again after the wall clock was set (the runner's pass is under way)."""
        self._evaluate_soon()

    @callback
    def _evaluate_soon(self) -> None:
        """Evaluate on the next loop iteration (a restore was handed over or done)."""
        self.hass.loop.call_soon(self._evaluate_if_running)

    @callback
    def _evaluate_if_running(self) -> None:
        """Evaluate unless stopped meanwhile."""
        if self._runner.care is self:
            self._evaluate(dt_util.utcnow())

    @callback
    def _save_soon(self) -> None:
        """Write the data in the background (one write at a time; the last one wins)."""
        if self._saving is not None and not self._saving.done():
            self._saving.add_done_callback(lambda _task: self._save_soon())
            return
        self._saving = self._background(self._store.async_save(self._data), "reef care save")

    @callback
    def _drive(self, entity_id: str, level: float, *, restore: bool) -> None:
        """Drive a device to a level in the background, with the options' retries."""
        task = self._background(
            self._async_drive(entity_id, level, restore=restore), f"reef care {entity_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _async_drive(self, entity_id: str, level: float, *, restore: bool) -> None:
        """Set one device's level; a restore done lets its period go."""
        now = dt_util.utcnow()
        kind = CareKind.MAINTENANCE if self._holder(entity_id) else CareKind.FEED
        schedule = Schedule(
            id=f"care_{kind}",
            name=_NAMES[kind],
            timing=OneOffTiming(now),
            action=Action(ActionType.SET_LEVEL, Target(entity_ids=(entity_id,)), level=level),
            retry=self.retry,
        )
        prescription = Prescription(
            entity_id, schedule.id, ActionType.SET_LEVEL, now, now, Steady(level)
        )
        try:
            result = await self._executor.async_apply_state(
                schedule, entity_id, prescription, ulid_now(), lambda _text: None
            )
        except Exception as err:
            result = RunResult(RunStatus.FAILED, error=str(err) or type(err).__name__)
        if result.status is RunStatus.FAILED:
            LOGGER.warning(
                "%s could not set %s to %s %%: %s", schedule.name, entity_id, level, result.error
            )
        if not restore or self._restoring.get(entity_id, -1.0) != level:
            return
        if result.status is RunStatus.FAILED:
            if available(self.hass.states.get(entity_id)):
                # A heater or return pump is never left where care put it: try until it takes.
                self._again[entity_id] = async_call_later(
                    self.hass,
                    RESTORE_AGAIN,
                    functools.partial(self._restore_again, entity_id, level),
                )
            return  # else tried again when it comes back (the reconcile watches it)
        del self._restoring[entity_id]
        self._evaluate_soon()

    @callback
    def _restore_again(self, entity_id: str, level: float, _now: datetime) -> None:
        """Drive a device whose restore failed once more, unless something else took over."""
        self._again.pop(entity_id, None)
        if self._restoring.get(entity_id, -1.0) == level:
            self._drive(entity_id, level, restore=True)

    def _holder(self, entity_id: str) -> bool:
        """Return True when maintenance holds (or held) the device."""
        period = self._data.periods.get(CareKind.MAINTENANCE)
        return period is not None and period.release(entity_id) is not None
