"""The entities of a doser: ml dosed today, container remaining, next dose (a device each).

Each doser subentry gets one device with its sensors; they are pushed by the dosing store and
the runner (a dose, a refill, a dosing schedule's runs and edits) and wake once at local
midnight (ml dosed today starts again): no polling. Dosing schedules themselves keep their one
Enabled switch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import UnitOfVolume
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, integration_page
from ..engine.dosing_model import Doser
from ..engine.ledger import RunRecord
from ..engine.model import Schedule
from ..runner.dosing import DosingController
from ..runner.runner import ScheduleRunner
from .backend import MANUFACTURER
from .data import LocalConfigEntry
from .dosers import SUBENTRY_TYPE_DOSER, doser_from_data

KEY_DOSED_TODAY = "dosed_today"
KEY_REMAINING = "container_remaining"
KEY_NEXT_DOSE = "next_dose"

DOSED_TODAY = SensorEntityDescription(
    key=KEY_DOSED_TODAY,
    translation_key=KEY_DOSED_TODAY,
    device_class=SensorDeviceClass.VOLUME,
    native_unit_of_measurement=UnitOfVolume.MILLILITERS,
    state_class=SensorStateClass.TOTAL_INCREASING,
    suggested_display_precision=1,
)
REMAINING = SensorEntityDescription(
    key=KEY_REMAINING,
    translation_key=KEY_REMAINING,
    device_class=SensorDeviceClass.VOLUME_STORAGE,
    native_unit_of_measurement=UnitOfVolume.MILLILITERS,
    state_class=SensorStateClass.MEASUREMENT,
    suggested_display_precision=0,
)
NEXT_DOSE = SensorEntityDescription(
    key=KEY_NEXT_DOSE, translation_key=KEY_NEXT_DOSE, device_class=SensorDeviceClass.TIMESTAMP
)


def doser_identifier(entry_id: str, pump: str) -> tuple[str, str]:
    """Return the device registry identifier of a doser of the entry."""
    return (DOMAIN, f"{entry_id}_doser_{pump}")


def doser_sensors(entry: LocalConfigEntry, doser: Doser) -> list[SensorEntity]:
    """Return a doser's sensors (container remaining only when its container is tracked)."""
    sensors: list[SensorEntity] = [
        DosedTodaySensor(entry, doser, DOSED_TODAY),
        NextDoseSensor(entry, doser, NEXT_DOSE),
    ]
    if doser.container_ml is not None:
        sensors.append(RemainingSensor(entry, doser, REMAINING))
    return sensors


@callback
def async_setup_doser_sensors(
    entry: LocalConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add each doser's sensors, now and for every doser added later."""
    added: set[str] = set()

    @callback
    def add_new() -> None:
        for subentry in entry.subentries.values():
            if subentry.subentry_type != SUBENTRY_TYPE_DOSER or subentry.subentry_id in added:
                continue
            added.add(subentry.subentry_id)
            doser = doser_from_data(subentry.data)
            async_add_entities(doser_sensors(entry, doser), config_subentry_id=subentry.subentry_id)

    async def entry_updated(_hass: HomeAssistant, _entry: ConfigEntry) -> None:
        add_new()

    add_new()
    entry.async_on_unload(entry.add_update_listener(entry_updated))


class DoserSensor(SensorEntity):
    """A sensor of one doser, on the doser's device, pushed by the dosing store."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self, entry: LocalConfigEntry, doser: Doser, description: SensorEntityDescription
    ) -> None:
        """Describe a doser's sensor."""
        self.entity_description = description
        self.pump = doser.pump
        self.dosing: DosingController = entry.runtime_data.dosing
        self.runner: ScheduleRunner = entry.runtime_data.runner
        self._attr_unique_id = f"{entry.entry_id}_doser_{doser.pump}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={doser_identifier(entry.entry_id, doser.pump)},
            name=doser.name,
            manufacturer=MANUFACTURER,
            model="Doser",
            serial_number=doser.pump,
            configuration_url=integration_page(entry.entry_id),
            entry_type=DeviceEntryType.SERVICE,
        )

    @property
    def available(self) -> bool:
        """Return True while the doser is configured."""
        return self.pump in self.dosing.dosers()

    async def async_added_to_hass(self) -> None:
        """Follow the dosing store."""
        await super().async_added_to_hass()
        self.async_on_remove(self.dosing.async_listen(self._handle_change))

    @callback
    def _handle_change(self) -> None:
        """Write the new state."""
        self.async_write_ha_state()


class DosedTodaySensor(DoserSensor):
    """The ml the doser gave on today's local date (0 again from local midnight on)."""

    _midnight: CALLBACK_TYPE | None = None

    @property
    def native_value(self) -> float:
        """Return the ml dosed today."""
        return self.dosing.dosed_today(self.pump)

    async def async_added_to_hass(self) -> None:
        """Follow the dosing store and wake at each local midnight."""
        await super().async_added_to_hass()
        self._arm_midnight()
        self.async_on_remove(self._cancel_midnight)

    @callback
    def _arm_midnight(self) -> None:
        """Wake at the next local midnight."""
        today = dt_util.start_of_local_day()
        self._midnight = async_track_point_in_utc_time(
            self.hass, self._at_midnight, dt_util.start_of_local_day(today + timedelta(days=1))
        )

    @callback
    def _at_midnight(self, _now: datetime) -> None:
        """Start the day at 0 ml."""
        self._arm_midnight()
        self.async_write_ha_state()

    @callback
    def _cancel_midnight(self) -> None:
        """Stop waking at midnight (removed)."""
        if self._midnight is not None:
            self._midnight()
            self._midnight = None


class RemainingSensor(DoserSensor):
    """The ml left in the doser's container (counted down by each dose, set by a refill)."""

    @property
    def native_value(self) -> float | None:
        """Return the ml left."""
        return self.dosing.remaining(self.pump)


class NextDoseSensor(DoserSensor):
    """When the doser's next dose is due (the earliest of its enabled dosing schedules)."""

    def __init__(
        self, entry: LocalConfigEntry, doser: Doser, description: SensorEntityDescription
    ) -> None:
        """Describe the next dose sensor."""
        super().__init__(entry, doser, description)
        self._entry = entry
        self._followed: dict[str, CALLBACK_TYPE] = {}

    @property
    def native_value(self) -> datetime | None:
        """Return the next dose's instant (None: no dose ahead)."""
        dues = [due for sid in self._schedules() if (due := self._next_due(sid)) is not None]
        return min(dues, default=None)

    def _schedules(self) -> list[str]:
        """Return the ids of the enabled dosing schedules of this doser."""
        return [
            sid
            for sid, schedule in self.runner.schedules.items()
            if schedule.enabled
            and schedule.action.dosing is not None
            and schedule.action.dosing.doser == self.pump
        ]

    def _next_due(self, sid: str) -> datetime | None:
        """Return a schedule's next run, after its pause when it is paused."""
        state = self.runner.states.get(sid)
        if state is None or state.paused_until is None:
            return None if state is None else state.next_due
        after = state.paused_until - timedelta(microseconds=1)
        runs = self.runner.next_runs(self.runner.schedules[sid], 1, after)
        return runs[0] if runs else None

    async def async_added_to_hass(self) -> None:
        """Follow the dosing schedules: runs, edits, pauses, additions and removals."""
        await super().async_added_to_hass()
        runner = self.runner
        self.async_on_remove(runner.async_listen_collection(lambda _sid, _added: self._refresh()))
        self.async_on_remove(runner.async_listen_runs(self._on_run))
        self.async_on_remove(self._entry.add_update_listener(self._async_entry_updated))
        self.async_on_remove(self._unfollow)
        self._follow()

    @callback
    def _on_run(self, schedule: Schedule, _record: RunRecord) -> None:
        """Refresh after a run of a dosing schedule of this doser."""
        if schedule.id in self._followed:
            self._refresh()

    async def _async_entry_updated(self, _hass: HomeAssistant, _entry: ConfigEntry) -> None:
        """Refresh after an edit (a schedule's copy is kept in its subentry)."""
        self._refresh()

    @callback
    def _refresh(self) -> None:
        """Follow the current dosing schedules of this doser and write the state."""
        self._follow()
        self.async_write_ha_state()

    @callback
    def _follow(self) -> None:
        """Listen to exactly this doser's dosing schedules (pauses change the next dose)."""
        wanted = set(self._schedules())
        for sid in set(self._followed) - wanted:
            self._followed.pop(sid)()
        for sid in wanted - set(self._followed):
            listener: Callable[[], None] = self._refresh
            self._followed[sid] = self.runner.async_listen(sid, listener)

    @callback
    def _unfollow(self) -> None:
        """Stop listening to the schedules (removed)."""
        while self._followed:
            self._followed.popitem()[1]()
