"""The local schedules as Home Assistant sees them: backend, subentries, devices, run events.

The runner's store is the source of truth for definitions. Every schedule has one config
subentry (unique id = schedule id, title = name), so the integration page lists them all; it
holds ``{"schedule_id": id, "definition": <the definition as stored>}``. That copy rebuilds a
schedule the store lost (a damaged or missing file) at the next start; a stored schedule
without a subentry (valid or not) gets one again. Nothing is removed at start: a subentry whose
definition is nowhere stays and is reported. A schedule gets its entities when both exist
(whichever appears second adds them), so the order in which the runner and the subentry learn
about a new schedule does not matter. Deleting a subentry deletes its schedule (no reload);
deleting a schedule deletes its subentry and its device.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import Platform
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.json import json_dumps
from homeassistant.helpers.start import async_at_started
from homeassistant.util.json import JSON_DECODE_EXCEPTIONS, json_loads

from ..const import (
    DOMAIN,
    KEY_ENABLED,
    LOGGER,
    SUBENTRY_TYPE_SCHEDULE,
    device_identifier,
    integration_page,
    schedule_unique_id,
)
from ..engine.ledger import RunRecord, error_of
from ..engine.model import FieldError, Schedule, ScheduleInvalid
from ..engine.shorten import shorten, shorten_list
from ..runner.describe import describe
from ..runner.pause_gc import gc_paused
from ..runner.runner import LoadReport, ScheduleRunner
from .issues import (
    async_check_schedule,
    async_clear_schedule,
    async_report_damaged,
    async_report_invalid,
    async_report_lost,
)

CONF_SCHEDULE_ID = "schedule_id"
CONF_DEFINITION = "definition"
EVENT_RUN = f"{DOMAIN}_run"
EVENT_RUN_FINISHED = f"{DOMAIN}_run_finished"
EVENT_RECONCILE = f"{DOMAIN}_reconcile"
MANUFACTURER = "Reef Scheduler"

type PlatformAdder = Callable[[Schedule, str, Schedule | None], None]
"""Add a schedule's entities to a platform (with the definition before an edit: the changes)."""


class LocalBackend:
    """ScheduleBackend over the runner, plus the subentry, device and entity bookkeeping."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, runner: ScheduleRunner) -> None:
        """Create the backend of the loaded local entry."""
        self.hass = hass
        self.entry = entry
        self.runner = runner
        self._subentries: dict[str, str] = {}  # schedule id -> subentry id
        self._ready: set[str] = set()  # schedules whose entities were handed to the platforms
        self._platforms: list[PlatformAdder] = []
        # Subentries whose schedule is neither stored nor copied (id -> title): reported.
        self._lost: dict[str, str] = {}
        # The subentries mapping last looked through: Home Assistant replaces it when one is
        # added or removed, and changes a subentry in place (a copy written needs no look).
        self._seen: Mapping[str, ConfigSubentry] | None = None
        # One string for every schedule's device.
        self._page = integration_page(entry.entry_id)
        # Name key -> schedule ids, built at the first name check (names are unique).
        self._names: dict[str, set[str]] | None = None

    # ----- ScheduleBackend ----------------------------------------------------------------

    @property
    def entry_id(self) -> str:
        """Return the local entry's id."""
        return self.entry.entry_id

    def has_schedule(self, schedule_id: str) -> bool:
        """Return True for a stored schedule (valid or not)."""
        return schedule_id in self.runner.schedules or schedule_id in self.runner.invalid

    def schedule_name(self, schedule_id: str) -> str:
        """Return a stored schedule's name (its id if it has no readable name)."""
        if (schedule := self.runner.schedules.get(schedule_id)) is not None:
            return schedule.name
        name = self.runner.invalid[schedule_id].fields.get("name")
        return name if isinstance(name, str) and name else schedule_id

    def name_taken(self, name: object, schedule_id: str | None = None) -> bool:
        """Return True when another schedule of the entry has this name (trimmed, any case).

        A schedule keeping its own name is never refused: names were not unique before.
        """
        if not isinstance(name, str):
            return False
        wanted = name_key(name)
        if (
            schedule_id is not None
            and self.has_schedule(schedule_id)
            and name_key(self.schedule_name(schedule_id)) == wanted
        ):
            return False
        holders = self._names_index().get(wanted, set())
        # Holders renamed or deleted since they were indexed are dropped here.
        holders.intersection_update(
            sid
            for sid in list(holders)
            if self.has_schedule(sid) and name_key(self.schedule_name(sid)) == wanted
        )
        return bool(holders)

    def _names_index(self) -> dict[str, set[str]]:
        """Return the schedules by name key (built once, then kept: a check is not O(n))."""
        if self._names is None:
            self._names = {}
            for sid in (*self.runner.schedules, *self.runner.invalid):
                self._index_name(sid)
            self.runner.async_listen_collection(self._on_collection_change)
        return self._names

    def _index_name(self, schedule_id: str) -> None:
        """Index a stored schedule under its current name."""
        if self._names is not None and self.has_schedule(schedule_id):
            key = name_key(self.schedule_name(schedule_id))
            self._names.setdefault(key, set()).add(schedule_id)

    @callback
    def _on_collection_change(self, schedule_id: str, added: bool) -> None:
        """Index an added schedule (a removed one drops out at its next lookup)."""
        if added:
            self._index_name(schedule_id)

    def _check_name(self, spec: Mapping[str, Any], schedule_id: str | None = None) -> None:
        """Refuse a name another schedule of the entry has (raises ScheduleInvalid)."""
        name = spec.get("name")
        if self.name_taken(name, schedule_id):
            raise ScheduleInvalid([FieldError("name", "name_taken", {"name": str(name)})])

    async def async_create(self, spec: Mapping[str, Any], *, subentry: bool = True) -> str:
        """Create a schedule and (unless a subentry flow creates it) its subentry."""
        # An id that is taken is the runner's to refuse, whatever the name.
        sid = spec.get("id")
        self._check_name(spec, sid if isinstance(sid, str) else None)
        schedule = await self.runner.async_add(spec)
        if subentry:
            self._add_subentry(schedule)
        return schedule.id

    async def async_update(self, schedule_id: str, spec: Mapping[str, Any]) -> None:
        """Replace a schedule's definition; rename its subentry and device."""
        self._check_name(spec, schedule_id)
        before = self.runner.schedules.get(schedule_id)
        if schedule_id in self.runner.invalid:
            # The runner cannot update what never validated: replace it under the same id.
            schedule = await self.runner.async_validate({**dict(spec), "id": schedule_id})
            await self.runner.async_remove(schedule_id)
            schedule = await self.runner.async_add({**dict(spec), "id": schedule_id})
        else:
            schedule = await self.runner.async_update(schedule_id, spec)
        self._index_name(schedule_id)
        self._sync_subentry(schedule)
        if before is not None and schedule_id in self._ready:
            for adder in self._platforms:
                adder(schedule, self._subentries[schedule_id], before)
        async_check_schedule(self.hass, schedule)

    async def async_delete(self, schedule_id: str) -> None:
        """Delete a schedule, then its subentry (the update listener then has nothing to do)."""
        await self.runner.async_remove(schedule_id)
        subentry_id = self._subentries.pop(schedule_id, None)
        if subentry_id is not None and subentry_id in self.entry.subentries:
            self.hass.config_entries.async_remove_subentry(self.entry, subentry_id)

    async def async_set_enabled(self, schedule_id: str, enabled: bool) -> None:
        """Enable or disable a schedule."""
        self._sync_subentry(await self.runner.async_set_enabled(schedule_id, enabled))

    async def async_run_now(self, schedule_id: str) -> None:
        """Run a schedule's action now."""
        self.runner.async_run_now(schedule_id)

    # ----- lifecycle ----------------------------------------------------------------------

    async def async_start(self, report: LoadReport) -> None:
        """Match subentries with the store and start listening (before the platforms).

        A stored schedule without a subentry gets one; a subentry whose schedule is nowhere
        stays and is reported; copies missing or out of step are written (no listener runs:
        they are added below).
        """
        runner = self.runner
        for subentry in schedule_subentries(self.entry):
            sid = subentry.data.get(CONF_SCHEDULE_ID)
            if not isinstance(sid, str):
                continue
            self._subentries[sid] = subentry.subentry_id
            if not self.has_schedule(sid):
                self._lost[sid] = subentry.title
            elif sid not in report.stale and sid in runner.schedules:
                # In step: the store writes that very text again (one string for both).
                runner.adopt_stored_text(sid, subentry.data[CONF_DEFINITION])
        # The copies are the definitions as on disk (those of the report: none is in step).
        copies = report.stale
        new = {sid for sid in (*runner.schedules, *runner.invalid) if sid not in self._subentries}
        self._add_subentries({sid: copy_text(copies[sid]) for sid in sorted(new)})
        self._write_copies({sid: copy_text(c) for sid, c in copies.items() if sid not in new})
        for sid, invalid in runner.invalid.items():
            async_report_invalid(self.hass, sid, invalid.errors, self.schedule_name(sid))
        for damage in report.damaged:
            async_report_damaged(self.hass, damage, rebuilt=len(report.rebuilt))
        if self._lost:
            LOGGER.error(
                "The definitions of %d schedules are lost (not stored, no copy kept): %s",
                len(self._lost),
                shorten_list(sorted(self._lost)),
            )
        async_report_lost(self.hass, self._lost.values())
        self._ready = {sid for sid in self._subentries if sid in runner.schedules}
        self._seen = self.entry.subentries
        self.entry.async_on_unload(runner.async_listen_runs(self._on_run))
        self.entry.async_on_unload(self.entry.add_update_listener(self._async_entry_updated))
        self.entry.async_on_unload(runner.async_listen_collection(self._on_collection))
        self.entry.async_on_unload(runner.async_listen_reconcile(self._on_reconcile))
        self.entry.async_on_unload(async_at_started(self.hass, self._async_check_all))

    async def _async_check_all(self, _hass: HomeAssistant) -> None:
        """Look for schedules whose targets are all missing, once Home Assistant runs."""
        for schedule in self.runner.schedules.values():
            async_check_schedule(self.hass, schedule)

    # ----- entities -----------------------------------------------------------------------

    @callback
    def async_add_platform(self, adder: PlatformAdder) -> None:
        """Register a platform's entity factory and give it every ready schedule."""
        self._platforms.append(adder)
        # Home Assistant adds them right away (eager tasks): at start, thousands in one go.
        with gc_paused():
            for sid in sorted(self._ready):
                adder(self.runner.schedules[sid], self._subentries[sid], None)

    def subentry_id(self, schedule_id: str) -> str | None:
        """Return the subentry of a schedule."""
        return self._subentries.get(schedule_id)

    @callback
    def _make_ready(self, sid: str) -> None:
        """Hand a schedule that has both a definition and a subentry to the platforms."""
        if sid in self._ready or sid not in self.runner.schedules or sid not in self._subentries:
            return
        self._ready.add(sid)
        schedule = self.runner.schedules[sid]
        for adder in self._platforms:
            adder(schedule, self._subentries[sid], None)
        async_check_schedule(self.hass, schedule)

    @callback
    def _on_collection(self, sid: str, added: bool) -> None:
        """Follow the runner's schedule collection."""
        if added:
            self._make_ready(sid)
            return
        self._ready.discard(sid)
        async_clear_schedule(self.hass, sid)
        device_registry = dr.async_get(self.hass)
        device = device_registry.async_get_device({device_identifier(self.entry_id, sid)})
        if device is not None:
            device_registry.async_remove_device(device.id)

    @callback
    def _add_subentry(self, schedule: Schedule) -> None:
        """Give a new schedule its subentry, then its entities."""
        self._add_subentries({schedule.id: self.runner.stored_text(schedule.id)})
        self._make_ready(schedule.id)

    def subentry_data(self, sid: str, text: str | None = None) -> dict[str, Any]:
        """Return what a schedule's subentry holds: its id and its definition's JSON text."""
        return {CONF_SCHEDULE_ID: sid, CONF_DEFINITION: text or self.runner.stored_text(sid)}

    @callback
    def _add_subentries(self, texts: Mapping[str, str]) -> None:
        """Give stored schedules their subentries (adopting those left with the same unique id)."""
        left = {s.unique_id: s for s in self.entry.subentries.values()}
        for sid, text in texts.items():
            if (subentry := left.get(sid)) is not None:
                self._subentries[sid] = subentry.subentry_id
                if self._lost.pop(sid, None) is not None:
                    async_report_lost(self.hass, self._lost.values())
                self._write_copies({sid: text})
                continue
            subentry = ConfigSubentry(
                data=MappingProxyType(self.subentry_data(sid, text)),
                subentry_type=SUBENTRY_TYPE_SCHEDULE,
                title=self.schedule_name(sid),
                unique_id=sid,
            )
            self._subentries[sid] = subentry.subentry_id
            self.hass.config_entries.async_add_subentry(self.entry, subentry)

    @callback
    def _write_copies(self, texts: Mapping[str, str]) -> None:
        """Write definitions into their subentries (Home Assistant saves them all at once)."""
        for sid, text in texts.items():
            subentry = self.entry.subentries[self._subentries[sid]]
            data = {**subentry.data, CONF_SCHEDULE_ID: sid, CONF_DEFINITION: text}
            self.hass.config_entries.async_update_subentry(self.entry, subentry, data=data)

    async def _async_entry_updated(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Delete the schedule of a subentry the user deleted; add entities of new ones."""
        if entry.subentries is self._seen:
            return  # a subentry changed in place (a title or a copy): nothing added or removed
        self._seen = entry.subentries
        current = {
            subentry.data.get(CONF_SCHEDULE_ID): subentry.subentry_id
            for subentry in entry.subentries.values()
            if subentry.subentry_type == SUBENTRY_TYPE_SCHEDULE
        }
        gone = [sid for sid in self._subentries if sid not in current]
        for sid, subentry_id in current.items():
            if isinstance(sid, str) and self._subentries.get(sid) != subentry_id:
                self._subentries[sid] = subentry_id
                self._make_ready(sid)
        if any(sid in self._lost for sid in gone):
            for sid in gone:
                self._lost.pop(sid, None)
            async_report_lost(self.hass, self._lost.values())
        for sid in gone:
            del self._subentries[sid]
            if self.has_schedule(sid):
                LOGGER.debug("Subentry of schedule %s deleted: deleting the schedule", shorten(sid))
                await self.runner.async_remove(sid)

    def device_info(self, schedule: Schedule) -> DeviceInfo:
        """Return a schedule's device: what it does, its id, where to edit it."""
        return DeviceInfo(
            identifiers={device_identifier(self.entry_id, schedule.id)},
            name=schedule.name,
            manufacturer=MANUFACTURER,
            model=describe(self.hass, schedule),
            serial_number=schedule.id,
            configuration_url=self._page,
            entry_type=DeviceEntryType.SERVICE,
        )

    @callback
    def _sync_subentry(self, schedule: Schedule) -> None:
        """Keep the subentry's title and copy, and the device's name and line, as the schedule."""
        subentry_id = self._subentries.get(schedule.id)
        if subentry_id is not None and (subentry := self.entry.subentries.get(subentry_id)):
            self.hass.config_entries.async_update_subentry(
                self.entry, subentry, title=schedule.name, data=self.subentry_data(schedule.id)
            )
        device_registry = dr.async_get(self.hass)
        device = device_registry.async_get_device({device_identifier(self.entry_id, schedule.id)})
        if device is not None:
            model = describe(self.hass, schedule)
            if (device.name, device.model) != (schedule.name, model):
                device_registry.async_update_device(device.id, name=schedule.name, model=model)

    # ----- run events (logbook, automations) ----------------------------------------------

    @callback
    def _on_run(self, schedule: Schedule, record: RunRecord) -> None:
        """Fire the run event when a run starts, the run finished event when it ends.

        Both are fired in the run's context. The run event is the first event of that context,
        so the logbook names the schedule as the origin of every state change the run causes.
        """
        context = None if record.context_id is None else Context(id=record.context_id)
        data: dict[str, Any] = {
            "schedule_id": schedule.id,
            "name": schedule.name,
            "slot": record.slot,
            "trigger": record.trigger.value,
        }
        if not record.status.is_finished:
            if context is not None:
                self.hass.bus.async_fire(EVENT_RUN, data, context=context)
            return
        switch = er.async_get(self.hass).async_get_entity_id(
            Platform.SWITCH, DOMAIN, schedule_unique_id(self.entry_id, schedule.id, KEY_ENABLED)
        )
        data |= {
            "entity_id": switch,
            "result": record.status.value,
            "error": error_of(record.status, record.error),
            "due": None if record.due is None else record.due.isoformat(),
        }
        self.hass.bus.async_fire(EVENT_RUN_FINISHED, data, context=context)

    @callback
    def _on_reconcile(self, sid: str, entity_id: str, context_id: str) -> None:
        """Fire the reconcile event in the context of a reconcile that is no run's effect.

        It is the origin of that context, so the logbook names the schedule whose state the
        target was driven to.
        """
        self.hass.bus.async_fire(
            EVENT_RECONCILE,
            {"schedule_id": sid, "name": self.runner.schedules[sid].name, "entity_id": entity_id},
            context=Context(id=context_id),
        )


def schedule_subentries(entry: ConfigEntry) -> Iterable[ConfigSubentry]:
    """Return the schedule subentries of an entry."""
    return (s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_TYPE_SCHEDULE)


def name_key(name: str) -> str:
    """Return what makes two schedule names the same: trimmed, case-folded."""
    return name.strip().casefold()


def copy_text(definition: Any) -> str:
    """Return the copy a subentry keeps of a definition: its JSON text.

    Text, not the object: Home Assistant keeps every subentry's data in memory, and one string
    costs a third of the dictionaries and lists it stands for (about 1 KB per schedule less).
    """
    return json_dumps(definition)


def stored_copies(entry: ConfigEntry) -> dict[str, Any]:
    """Return the definitions the schedule subentries keep (schedule id -> definition).

    A copy that cannot be read counts as none (it is written again from the store).
    """
    copies: dict[str, Any] = {}
    for subentry in schedule_subentries(entry):
        sid = subentry.data.get(CONF_SCHEDULE_ID)
        text = subentry.data.get(CONF_DEFINITION)
        if not isinstance(sid, str) or not isinstance(text, str):
            continue
        try:
            copies[sid] = json_loads(text)
        except JSON_DECODE_EXCEPTIONS:
            LOGGER.warning("The copy of schedule %s kept in its entry cannot be read", shorten(sid))
    return copies
