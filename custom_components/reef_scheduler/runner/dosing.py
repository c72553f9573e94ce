"""Dosing by volume at run time: each dose, its store, its guards and a restart's settling.

A dose runs its doser's pump for ``dose_seconds`` and switches it off. Before the pump goes on
the dose is written to the dosing store as under way (atomic, awaited); once the pump is off
the ml are booked on the local date and the dose cleared. So a kill mid-dose leaves the dose
under way on disk: at the next start it is settled once (``engine.dose.settle``), its run
record (interrupted by the runner's own recovery) notes the ml, the pump is switched off at
once, and nothing repeats it. Every other doser's pump is switched off at a start too: no dose
is under way, so nothing may be pumping.

Guards: no dose takes a doser's local-day total past its daily maximum (a dose still under way
counts with its planned ml). A timer or catch-up run that would is recorded skipped with the
reason; ``run_now`` is refused before anything changes. At or below the doser's low mark the
container raises a repair issue (``doser_low``) until a refill.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import date, datetime
import functools
import random
from typing import Any

from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import CALLBACK_TYPE, Context, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import EventStateChangedData, async_track_state_change_event
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER, issue_id
from ..engine.dose import DoserBook, UnderWay, dose_seconds, dosed_ml, ml_text, settle
from ..engine.dosing_model import Doser
from ..engine.ledger import INTERRUPTED_ERROR, RunStatus
from ..engine.model import FieldError, Schedule, ScheduleInvalid
from ..engine.retry import backoff_delay
from ..engine.shorten import shorten
from .runner import RunRequest, RunResult

DOSING_KEY = f"{DOMAIN}.dosing"
DOSING_VERSION = 1
ISSUE_DOSER_LOW = "doser_low"
# How long a start waits for a switch-off of a pump (the call's own timeout).
_OFF_TIMEOUT = 10.0
_UNREADY = (None, STATE_UNAVAILABLE, STATE_UNKNOWN)
_RNG = random.Random()  # the jitter of switch-off retries

type Dosers = Callable[[], Mapping[str, Doser]]
"""The entry's dosers by pump entity id, as configured now (its doser subentries)."""
type RunNote = Callable[[str, int, str], None]
"""Add a note to a run's record: schedule id, slot, text."""


def check_doser(schedule: Schedule, dosers: Dosers | None) -> None:
    """Raise ScheduleInvalid when a dosing schedule's doser is not configured or too small.

    A daily volume above the doser's daily maximum would have doses skipped every day.
    """
    plan = schedule.action.dosing
    if plan is None:
        return
    doser = None if dosers is None else dosers().get(plan.doser)
    if doser is None:
        error = FieldError("dosing.doser", "unknown_doser", {"value": plan.doser})
        raise ScheduleInvalid((error,))
    if plan.daily_ml > doser.daily_max_ml:
        placeholders = {
            "value": f"{plan.daily_ml:g}",
            "doser": doser.name,
            "max": f"{doser.daily_max_ml:g}",
        }
        raise ScheduleInvalid((FieldError("dosing.daily_ml", "daily_ml_over_max", placeholders),))


class DosingController:
    """The local entry's doses: the dosing store, the guards, the pumps at a start."""

    def __init__(self, hass: HomeAssistant, dosers: Dosers) -> None:
        """Create the controller of the local entry's dosers (call async_load first)."""
        self.hass = hass
        self.dosers = dosers
        self._store: Store[dict[str, Any]] = Store(
            hass, DOSING_VERSION, DOSING_KEY, atomic_writes=True
        )
        self._books: dict[str, DoserBook] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._listeners: list[Callable[[], None]] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._note: RunNote = lambda _sid, _slot, _text: None  # set by async_start

    # ----- start / stop -------------------------------------------------------------------

    async def async_load(self) -> None:
        """Read the dosing store (a damaged doser's book starts afresh, logged)."""
        stored = await self._store.async_load() or {}
        for pump, data in dict(stored.get("dosers", {})).items():
            try:
                self._books[pump] = DoserBook.from_dict(data)
            except (ValueError, TypeError, KeyError, AttributeError) as err:
                LOGGER.warning("Dosing record of %s unreadable, starts afresh: %s", pump, err)
        for pump in self.dosers():
            self._update_low_issue(pump)

    @callback
    def async_start(self, note: RunNote) -> None:
        """Once Home Assistant has started, settle each doser's pump (see the module doc)."""
        self._note = note

        @callback
        def started(_hass: HomeAssistant) -> None:
            for pump in self.dosers():
                self._when_available(pump, functools.partial(self._start_settling, pump))

        self._unsubs.append(async_at_started(self.hass, started))

    @callback
    def async_stop(self) -> None:
        """Stop waiting for pumps (unload)."""
        while self._unsubs:
            self._unsubs.pop()()

    @callback
    def _when_available(self, pump: str, work: Callable[[], None]) -> None:
        """Do ``work`` once the pump has a state (now, or when it first gets one)."""
        if (state := self.hass.states.get(pump)) is not None and state.state not in _UNREADY:
            work()
            return

        @callback
        def changed(event: Event[EventStateChangedData]) -> None:
            new = event.data["new_state"]
            if new is None or new.state in _UNREADY or unsub not in self._unsubs:
                return
            self._unsubs.remove(unsub)
            unsub()
            work()

        unsub = async_track_state_change_event(self.hass, [pump], changed)
        self._unsubs.append(unsub)

    @callback
    def _start_settling(self, pump: str) -> None:
        """Settle a doser at a start, in the background."""
        self.hass.async_create_task(self._async_settle(pump), f"reef doser settle {pump}")

    async def _async_settle(self, pump: str) -> None:
        """Settle a dose left under way, then switch the pump off (its lock held)."""
        async with self.lock(pump):
            if self._settle_under_way(pump):
                await self._async_save()
            try:
                await self._async_call(pump, SERVICE_TURN_OFF, Context(), _OFF_TIMEOUT)
            except (HomeAssistantError, TimeoutError) as err:
                LOGGER.error("Doser pump %s could not be switched off: %s", pump, err)

    @callback
    def _settle_under_way(self, pump: str) -> bool:
        """Book a dose a stop or kill left under way and note its run; return True if any."""
        doser = self.dosers().get(pump)
        state = self.hass.states.get(pump)
        book = self.book(pump)
        if doser is None or (under_way := book.under_way) is None:
            return False
        on = state is not None and state.state == STATE_ON
        settled = settle(under_way, doser, dt_util.utcnow(), pump_on=on)
        book.add(self._day(under_way.started), settled.ml)
        book.under_way = None
        bound = "at most " if settled.at_most else ""
        how = " (the pump was found on and switched off)" if settled.pump_was_on else ""
        text = f"{INTERRUPTED_ERROR}: {bound}{ml_text(settled.ml)} dosed{how}"
        LOGGER.warning("%s: a dose was cut short by a stop; %s", doser.name, text)
        self._note(under_way.schedule, under_way.slot, text)
        self._changed(pump)
        return True

    def lock(self, pump: str) -> asyncio.Lock:
        """Return a doser's lock: one dose, settling or calibration run of a doser at a time."""
        return self._locks.setdefault(pump, asyncio.Lock())

    # ----- the book -----------------------------------------------------------------------

    def book(self, pump: str) -> DoserBook:
        """Return a doser's book (a new one holds a full container)."""
        if (book := self._books.get(pump)) is None:
            doser = self.dosers().get(pump)
            remaining = None if doser is None else doser.container_ml
            book = self._books[pump] = DoserBook(remaining_ml=remaining)
        return book

    def dosed_today(self, pump: str) -> float:
        """Return the ml settled on today's local date."""
        return self.book(pump).dosed_on(self._day(dt_util.utcnow()))

    def remaining(self, pump: str) -> float | None:
        """Return the ml left in a doser's container (None: not tracked)."""
        doser = self.dosers().get(pump)
        if doser is None or doser.container_ml is None:
            return None
        remaining = self.book(pump).remaining_ml
        return doser.container_ml if remaining is None else remaining

    def _day(self, instant: datetime) -> date:
        """Return the local date of an instant (Home Assistant's zone)."""
        return dt_util.as_local(instant).date()

    async def _async_save(self) -> None:
        """Write every doser's book (atomic; awaited before the pump changes)."""
        await self._store.async_save(self.as_dict())

    def as_dict(self) -> dict[str, Any]:
        """Return every doser's book as stored (diagnostics)."""
        return {"dosers": {pump: book.as_dict() for pump, book in self._books.items()}}

    @callback
    def async_listen(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call listener when any doser's book changes (a dose, a refill, a settling)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def _changed(self, pump: str) -> None:
        """Tell the listeners, and raise or clear the doser's low issue."""
        self._update_low_issue(pump)
        for listener in list(self._listeners):
            listener()

    @callback
    def _update_low_issue(self, pump: str) -> None:
        """Raise the low-container issue at or below the doser's mark; clear it above."""
        doser = self.dosers().get(pump)
        remaining = self.remaining(pump)
        ident = issue_id(ISSUE_DOSER_LOW, pump)
        if doser is None or doser.low_ml is None or remaining is None or remaining > doser.low_ml:
            ir.async_delete_issue(self.hass, DOMAIN, ident)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            ident,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_DOSER_LOW,
            translation_placeholders={
                "doser": shorten(doser.name),
                "remaining": f"{remaining:g}",
                "low": f"{doser.low_ml:g}",
            },
        )

    # ----- guards and refills -------------------------------------------------------------

    def check_run_now(self, schedule: Schedule) -> None:
        """Refuse a run now of a dose that would pass its doser's daily maximum."""
        plan = schedule.action.dosing
        if plan is None:
            return
        doser = self.dosers().get(plan.doser)
        if doser is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="doser_missing",
                translation_placeholders={"doser": plan.doser},
            )
        ml = dosed_ml(dose_seconds(plan, doser), doser)
        book = self.book(doser.pump)
        day = self._day(dt_util.utcnow())
        if not book.fits(doser, ml, day):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="dose_past_daily_max",
                translation_placeholders={
                    "doser": shorten(doser.name),
                    "ml": f"{ml:g}",
                    "dosed": f"{book.counted_on(day):g}",
                    "max": f"{doser.daily_max_ml:g}",
                },
            )

    async def async_refill(self, pump: str, ml: float | None) -> float:
        """Set a doser's container to ``ml`` (default: its size); return the ml it holds."""
        doser = self.dosers()[pump]
        book = self.book(pump)
        book.remaining_ml = doser.container_ml if ml is None else ml
        await self._async_save()
        self._changed(pump)
        return book.remaining_ml or 0.0

    # ----- a dose -------------------------------------------------------------------------

    async def async_dose(self, request: RunRequest, context: Context) -> RunResult:
        """Run one dose of a dosing schedule: pump on for its seconds, then off."""
        plan = request.schedule.action.dosing
        assert plan is not None
        doser = self.dosers().get(plan.doser)
        if doser is None:
            return RunResult(RunStatus.FAILED, attempts=0, error=f"No doser uses {plan.doser}")
        async with self.lock(doser.pump):  # the guard sees the dose before
            return await self._async_dose(request, doser, context)

    async def _async_dose(self, request: RunRequest, doser: Doser, context: Context) -> RunResult:
        """Check the guards, then run the pump (the doser's lock is held)."""
        plan = request.schedule.action.dosing
        assert plan is not None
        seconds = dose_seconds(plan, doser)
        ml = dosed_ml(seconds, doser)
        book = self.book(doser.pump)
        now = dt_util.utcnow()
        if seconds <= 0:
            return _skipped(f"{ml_text(plan.dose_ml)} is less than 0.1 s of {doser.name}")
        if self._settle_under_way(doser.pump):  # a catch-up came before the start's settling
            await self._async_save()
        if not book.fits(doser, ml, self._day(now)):
            dosed = book.counted_on(self._day(now))
            return _skipped(
                f"{ml_text(ml)} more would take {doser.name} past its daily maximum of "
                f"{ml_text(doser.daily_max_ml)} ({ml_text(dosed)} dosed today)"
            )
        state = self.hass.states.get(doser.pump)
        if state is None or state.state == STATE_UNAVAILABLE:
            error = f"{doser.pump} is unavailable"
            return RunResult(RunStatus.FAILED, error=error, failed_targets=(doser.pump,))
        book.under_way = UnderWay(request.schedule.id, request.slot, now, seconds, ml)
        await self._async_save()
        timeout = request.schedule.retry.timeout
        try:
            await self._async_call(doser.pump, SERVICE_TURN_ON, context, timeout)
        except (HomeAssistantError, TimeoutError) as err:
            # Nothing was dosed as far as anyone can tell: the pump goes off, nothing is booked.
            book.under_way = None
            await self._async_off_after_failure(doser.pump, context, timeout)
            await self._async_save()
            error = f"{doser.pump}: {err or type(err).__name__}"
            return RunResult(RunStatus.FAILED, error=error, failed_targets=(doser.pump,))
        try:
            async with request.waiting():  # the run's slot is free while the pump runs
                await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            # A stop or unload: the pump goes off now; the next start books what it gave.
            await asyncio.shield(self._async_stopped(doser.pump, book, context, timeout))
            raise
        return await self._async_end(request, doser, context)

    async def _async_stopped(
        self, pump: str, book: DoserBook, context: Context, limit: float
    ) -> None:
        """Switch the pump off after a stop mid-dose and note when (kept for the next start)."""
        await self._async_off_after_failure(pump, context, limit)
        if book.under_way is not None:
            book.under_way.ended = dt_util.utcnow()
        await self._async_save()

    async def _async_off_after_failure(self, pump: str, context: Context, limit: float) -> None:
        """Switch a pump off, once, logging a failure (the caller has failed already)."""
        try:
            await self._async_call(pump, SERVICE_TURN_OFF, context, limit)
        except (HomeAssistantError, TimeoutError) as err:
            LOGGER.error("Doser pump %s could not be switched off: %s", pump, err)

    async def _async_end(self, request: RunRequest, doser: Doser, context: Context) -> RunResult:
        """Switch the pump off (with the schedule's retries), then book what it gave."""
        book = self.book(doser.pump)
        under_way = book.under_way
        assert under_way is not None
        policy = request.schedule.retry
        error: str | None = None
        attempt = 0
        for attempt in range(policy.retries + 1):
            if attempt:
                await asyncio.sleep(
                    backoff_delay(attempt - 1, base=policy.base, cap=policy.cap, rng=_RNG)
                )
            try:
                await self._async_call(doser.pump, SERVICE_TURN_OFF, context, policy.timeout)
            except (HomeAssistantError, TimeoutError) as err:
                error = str(err) or type(err).__name__
                continue
            error = None
            break
        ran = under_way.seconds
        if error is not None:  # it may still run: book what it gave until now at least
            ran = max((dt_util.utcnow() - under_way.started).total_seconds(), ran)
        ml = under_way.ml if error is None else dosed_ml(ran, doser)
        book.add(self._day(under_way.started), ml)
        book.under_way = None
        await self._async_save()
        self._changed(doser.pump)
        if error is not None:
            text = f"{ml_text(ml)} dosed; {doser.pump} could not be switched off: {error}"
            return RunResult(
                RunStatus.FAILED, attempts=attempt + 1, error=text, failed_targets=(doser.pump,)
            )
        return RunResult(RunStatus.SUCCESS, error=f"{ml_text(ml)} dosed ({under_way.seconds:g} s)")

    async def _async_call(self, pump: str, service: str, context: Context, limit: float) -> None:
        """Switch a pump on or off, waiting at most ``limit`` seconds."""
        domain = pump.split(".", 1)[0]
        async with asyncio.timeout(limit):
            await self.hass.services.async_call(
                domain, service, {ATTR_ENTITY_ID: pump}, blocking=True, context=context
            )


def _skipped(reason: str) -> RunResult:
    """Return the result of a dose a guard did not let happen."""
    return RunResult(RunStatus.SKIPPED, attempts=0, error=f"Skipped: {reason}")
