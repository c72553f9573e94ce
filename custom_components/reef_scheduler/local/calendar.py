"""The local entry's calendars: lights, equipment and other schedules, each in its own.

Each calendar shows the recorded runs (from the run history: result, trigger, real start and
end, error) and the runs to come (from the timeline) of the schedules of its category, named
after the schedule and what it does. A day of a schedule with many runs is one band with the
count of each result (engine/agenda.py). Its state tells the effect under way (a ramp or a hold
started here), else the next run of its schedules.

Costs: the events of a window take, per schedule of the calendar, its runs in the window's
days and its history's records there (paged); nothing per schedule grows with the number of
schedules. The next run is found by walking the runner's queue in due order until a schedule
of the calendar comes up; its state is written when schedules come and go (at most once a
second), when a run with an effect starts, and at its event's start and end.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.debounce import Debouncer
from homeassistant.util import dt as dt_util

from ..const import LOGGER
from ..engine.agenda import (
    Band,
    Category,
    Occurrence,
    drawn,
    effect_length,
    local_midnights,
    plan,
    upcoming,
)
from ..engine.describe import DESCRIBE, duration
from ..engine.ledger import RunRecord
from ..engine.model import Schedule
from ..runner.describe import Texts, category
from .backend import LocalBackend
from .runs import schedule_runs

CALENDAR = "calendar"  # the translation group of the calendars' texts
# Runs of one day counted at most; a schedule running more often says "more than" this.
DAY_LIMIT = 1440
# Schedules added or removed in a row (an import of many) rewrite the state once a second.
REFRESH_COOLDOWN = 1.0


class Said(NamedTuple):
    """A schedule's description rendered once for all of its events."""

    timing: str
    action: str
    line: str


def _said(texts: Texts, schedule: Schedule) -> Said:
    """Render what a schedule does."""
    description = texts.description(schedule)
    timing = texts.render(description.timing)
    action = texts.render(description.action)
    # The line from the two texts: rendering it would name every target a second time.
    return Said(timing, action, texts.word(DESCRIBE, "line", timing=timing, action=action))


def _time(instant: datetime) -> str:
    """Return an instant's local time of day with seconds."""
    return dt_util.as_local(instant).strftime("%H:%M:%S")


def outcome(texts: Texts, record: RunRecord) -> str:
    """Return how a recorded run went: result, trigger, real start and end, and its error."""
    values = {
        "result": texts.word(CALENDAR, record.status.value),
        "trigger": texts.word(CALENDAR, f"trigger_{record.trigger.value}"),
    }
    if record.started is not None and record.finished is not None:
        text = texts.word(
            CALENDAR,
            "ran",
            started=_time(record.started),
            finished=_time(record.finished),
            duration=duration(record.finished - record.started),
            **values,
        )
    elif record.started is not None:
        text = texts.word(CALENDAR, "running", started=_time(record.started), **values)
    else:
        text = texts.word(CALENDAR, "noted", **values)
    # A failed or interrupted run's error; a skipped run's reason.
    return f"{text}\n{record.error}" if record.error else text


class ReefCalendar(CalendarEntity):
    """The runs of one category of schedules: past ones with their result, and those to come."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    # The next run changes with every run: the calendar itself keeps the runs.
    _unrecorded_attributes = frozenset({"message", "all_day", "start_time", "end_time", "location"})

    def __init__(self, backend: LocalBackend, kind: Category) -> None:
        """Create the entry's calendar of one category."""
        self.backend = backend
        self.category = kind
        self._attr_translation_key = kind.value
        self._attr_unique_id = f"{backend.entry_id}_calendar_{kind.value}"
        self._event: CalendarEvent | None = None
        # The effect under way (a ramp or a hold) of a run started while loaded.
        self._current: CalendarEvent | None = None
        self._refresh = Debouncer(
            backend.hass,
            LOGGER,
            cooldown=REFRESH_COOLDOWN,
            immediate=True,
            function=self.async_write_ha_state,
        )

    async def async_added_to_hass(self) -> None:
        """Follow schedules coming and going and runs with an effect."""
        await super().async_added_to_hass()
        runner = self.backend.runner
        self.async_on_remove(runner.async_listen_collection(self._on_collection_change))
        self.async_on_remove(runner.async_listen_runs(self._on_run))

    async def async_will_remove_from_hass(self) -> None:
        """Stop the pending refresh."""
        self._refresh.async_shutdown()
        await super().async_will_remove_from_hass()

    @callback
    def _on_collection_change(self, _sid: str, _added: bool) -> None:
        """Write the state again (the next run may have changed)."""
        self._refresh.async_schedule_call()

    @callback
    def _on_run(self, schedule: Schedule, record: RunRecord) -> None:
        """Show the effect of a run of this calendar that lasts (a ramp or a hold) as it starts."""
        length = effect_length(schedule.action)
        if record.status.is_finished or not length or record.started is None:
            return
        if category(self.hass, schedule) is not self.category:
            return
        current = self._current
        zone = self.backend.runner.zone(schedule)
        shown = drawn(
            schedule.action, Occurrence(record.started, record.started + length, record), zone
        )
        if current is not None and current.end_datetime_local >= shown.end:
            return
        texts = Texts(self.hass)
        self._current = self._single(texts, schedule, _said(texts, schedule), shown)
        self._refresh.async_schedule_call()

    @callback
    def async_write_ha_state(self) -> None:
        """Find the event to show once, then write it (its start and end rewrite it)."""
        self._event = self._find_event()
        super().async_write_ha_state()

    @property
    def event(self) -> CalendarEvent | None:
        """Return the effect under way, else the next run of the calendar's schedules."""
        return self._event

    def _find_event(self) -> CalendarEvent | None:
        """Return the effect under way, else the next run (paused schedules have none)."""
        current = self._current
        if current is not None and current.end_datetime_local > dt_util.now():
            return current
        self._current = None
        runner = self.backend.runner
        for due, sid in runner.upcoming():
            schedule = runner.schedules.get(sid)
            if schedule is not None and category(self.hass, schedule) is self.category:
                texts = Texts(self.hass)
                zone = runner.zone(schedule)
                occurrence = drawn(
                    schedule.action, upcoming(due, effect_length(schedule.action)), zone
                )
                return self._single(texts, schedule, _said(texts, schedule), occurrence)
        return None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the runs and day bands of the calendar's schedules that overlap a window."""
        texts = Texts(hass)
        now = dt_util.utcnow()
        days: dict[tuple[ZoneInfo, timedelta], list[datetime]] = {}
        events: list[CalendarEvent] = []
        for schedule in self.backend.runner.schedules.values():
            if category(hass, schedule) is not self.category:
                continue
            zone, length = texts.zone(schedule), effect_length(schedule.action)
            if (midnights := days.get((zone, length))) is None:
                # A run that began up to its effect's length before the window still shows.
                midnights = days[zone, length] = local_midnights(
                    start_date - length, end_date, zone
                )
            capped: dict[date, datetime] = {}
            runs = [
                drawn(schedule.action, run, zone)
                for run in self._occurrences(schedule, midnights, length, now, capped)
            ]
            items = plan(runs, zone, start_date, end_date, capped=capped)
            if items:
                said = _said(texts, schedule)
                events += (self._shown(texts, schedule, said, item) for item in items)
        events.sort(key=lambda event: (event.start, event.summary))
        return events

    def _occurrences(
        self,
        schedule: Schedule,
        midnights: list[datetime],
        length: timedelta,
        now: datetime,
        capped: dict[date, datetime],
    ) -> Iterator[Occurrence]:
        """Yield a schedule's recorded runs and runs to come over whole days of its zone.

        Days whose runs to come exceed DAY_LIMIT are noted in ``capped`` with their end.
        """
        runner = self.backend.runner
        cut: list[tuple[datetime, datetime]] = []
        yield from schedule_runs(runner, schedule, midnights, length, now, limit=DAY_LIMIT, cut=cut)
        zone = runner.zone(schedule)
        capped.update((day_start.astimezone(zone).date(), day_end) for day_start, day_end in cut)

    def _shown(
        self, texts: Texts, schedule: Schedule, said: Said, item: Occurrence | Band
    ) -> CalendarEvent:
        """Return the event of a run or of a day's band."""
        if isinstance(item, Occurrence):
            return self._single(texts, schedule, said, item)
        tally = [texts.word(CALENDAR, f"count_{key}", count=str(n)) for key, n in item.tally]
        summary = texts.word(
            CALENDAR,
            "band_more" if item.more else "band",
            name=schedule.name,
            timing=said.timing,
            count=str(item.runs),
        )
        return CalendarEvent(
            start=dt_util.as_local(item.start),
            end=dt_util.as_local(item.end),
            summary=summary,
            description=f"{said.line}\n{texts.listing(tally)}",
            uid=f"{schedule.id}-{item.day.isoformat()}",
        )

    @staticmethod
    def _single(texts: Texts, schedule: Schedule, said: Said, item: Occurrence) -> CalendarEvent:
        """Return the event of one run: what it does and, once recorded, how it went."""
        record = item.record
        description = said.line if record is None else f"{said.line}\n{outcome(texts, record)}"
        uid = (
            f"{schedule.id}-{item.start.isoformat()}"
            if record is None
            else f"{schedule.id}-{record.slot}"
        )
        return CalendarEvent(
            start=dt_util.as_local(item.start),
            end=dt_util.as_local(item.end),
            summary=texts.word(CALENDAR, "event", name=schedule.name, action=said.action),
            description=description,
            uid=uid,
        )
