"""calendar platform of Reef Scheduler."""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .engine.ledger import RunRecord
from .engine.model import Schedule
from .local.backend import LocalBackend
from .local.data import LocalConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LocalConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the local entry's calendar (server entries do not forward this platform)."""
    async_add_entities([ReefScheduleCalendar(entry.runtime_data.backend)])


MIN_EVENT_LENGTH = timedelta(minutes=1)
PAGE = 200


def _length(schedule: Schedule) -> timedelta:
    """Return how long a run is shown: a ramp's or hold's duration, else one minute."""
    duration = schedule.action.duration
    return max(duration, MIN_EVENT_LENGTH) if duration is not None else MIN_EVENT_LENGTH


def _describe(schedule: Schedule) -> str:
    """Return the action and its targets in one line."""
    targets = ", ".join(schedule.action.target.ids)
    return f"{schedule.action.type.value}: {targets}" if targets else schedule.action.type.value


class ReefScheduleCalendar(CalendarEntity):
    """Every past run (from the ledger) and upcoming run (from the timeline) of every schedule."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_translation_key = "schedules"

    def __init__(self, backend: LocalBackend) -> None:
        """Create the entry's calendar."""
        self.backend = backend
        self._attr_unique_id = f"{backend.entry_id}_calendar"

    async def async_added_to_hass(self) -> None:
        """Refresh when schedules come and go (rare); run times refresh at event boundaries."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.backend.runner.async_listen_collection(self._on_collection_change)
        )

    @callback
    def _on_collection_change(self, _sid: str, _added: bool) -> None:
        """Write the state again."""
        self.async_write_ha_state()

    @property
    def event(self) -> CalendarEvent | None:
        """Return the next upcoming run."""
        runner = self.backend.runner
        # The runner's queue knows the earliest due run in O(1); only a pause at the head of
        # the queue (a wake-up that is not a run) needs the full scan below.
        wake = runner.next_wake()
        if wake is None:
            return None
        if runner.states[wake[1]].paused_until is None:
            return self._upcoming(runner.schedules[wake[1]], wake[0])
        best: tuple[datetime, str] | None = None
        for sid, state in runner.states.items():
            due = state.next_due
            if due is not None and state.paused_until is None and (best is None or due < best[0]):
                best = (due, sid)
        if best is None:
            return None
        return self._upcoming(runner.schedules[best[1]], best[0])

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the runs that overlap a window."""
        runner = self.backend.runner
        now = dt_util.utcnow()
        events: list[CalendarEvent] = []
        for sid, schedule in runner.schedules.items():
            length = _length(schedule)
            if start_date - length < now:
                events.extend(self._past(schedule, start_date - length, end_date))
            state = runner.states[sid]
            if not schedule.enabled or state.next_due is None:
                continue
            begin = max(start_date - length, state.next_due, state.paused_until or now)
            events.extend(
                self._upcoming(schedule, run)
                for run in runner.runs_between(schedule, begin, end_date)
            )
        events.sort(key=lambda event: (event.start, event.summary))
        return events

    def _upcoming(self, schedule: Schedule, run: datetime) -> CalendarEvent:
        """Return the event of a run to come."""
        return CalendarEvent(
            start=dt_util.as_local(run),
            end=dt_util.as_local(run + _length(schedule)),
            summary=schedule.name,
            description=_describe(schedule),
            uid=f"{schedule.id}-{run.isoformat()}",
        )

    def _past(self, schedule: Schedule, start: datetime, end: datetime) -> list[CalendarEvent]:
        """Return the recorded runs of a schedule that began in [start, end)."""
        runner = self.backend.runner
        events: list[CalendarEvent] = []
        cursor: int | None = None
        while True:
            records, more = runner.ledger_page(schedule.id, cursor, PAGE, newest_first=True)
            for record in records:
                instant = record.started or record.due or record.finished
                if instant is None or instant >= end:
                    continue
                if instant < start:
                    return events
                events.append(self._recorded(schedule, record, instant))
            if not more:
                return events
            cursor = records[-1].slot - 1

    def _recorded(self, schedule: Schedule, record: RunRecord, instant: datetime) -> CalendarEvent:
        """Return the event of a recorded run."""
        finished = record.finished or instant
        end = max(finished, instant + MIN_EVENT_LENGTH)
        description = f"{_describe(schedule)} ({record.status.value}, {record.trigger.value})"
        if record.error:
            description += f": {record.error}"
        return CalendarEvent(
            start=dt_util.as_local(instant),
            end=dt_util.as_local(end),
            summary=schedule.name,
            description=description,
            uid=f"{schedule.id}-{record.slot}",
        )
