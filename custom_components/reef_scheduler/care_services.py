"""Feed mode and maintenance actions: feed_mode, feed_mode_cancel, maintenance, maintenance_end.

They act on the local entry. Every refusal is a translated ServiceValidationError raised before
anything changes; the period is on disk when the action returns, and the response tells it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .engine.care_model import CareKind, CarePeriod, DeviceHold
from .local.care_actions import (
    async_feed_mode,
    async_feed_mode_cancel,
    async_maintenance,
    async_maintenance_end,
)
from .local.care_options import (
    CARE_DOMAINS,
    MAX_DELAY_MINUTES,
    MAX_DEVICES,
    MAX_FEED_MINUTES,
    MAX_MAINTENANCE_MINUTES,
    CareOptions,
)
from .local.data import LocalConfigEntry
from .runner.care import CareOwner
from .runner.care_store import period_to_dict
from .service_spec import ServiceSpec
from .service_targets import local_backend, refused

SERVICE_FEED_MODE = "feed_mode"
SERVICE_FEED_MODE_CANCEL = "feed_mode_cancel"
SERVICE_MAINTENANCE = "maintenance"
SERVICE_MAINTENANCE_END = "maintenance_end"
MAX_RANGE = timedelta(days=30)

_FEED_FIELDS = ("minutes", "devices")
_MAINTENANCE_FIELDS = ("minutes", "start", "end", "devices", "schedule_id", "tags")
# Home Assistant checks nothing itself: each field is read below with a translated refusal.
_ANY = vol.Schema(dict)


def care_of(hass: HomeAssistant) -> tuple[CareOwner, CareOptions]:
    """Return the local entry's care owner and its options."""
    backend = local_backend(hass)
    entry: LocalConfigEntry | None = hass.config_entries.async_get_entry(backend.entry_id)
    assert entry is not None  # its backend is loaded
    return entry.runtime_data.care, CareOptions.from_mapping(entry.options)


def _known(data: Mapping[str, Any], fields: tuple[str, ...]) -> None:
    """Refuse a field the action does not take."""
    for key in data:
        if key not in fields:
            raise refused("unknown_key", field=str(key))


def _read[T](
    data: Mapping[str, Any], key: str, read: Callable[[Any], T], code: str, **ph: str
) -> T:
    """Return a field read by ``read``, refusing a bad value with the translation ``code``."""
    try:
        return read(data[key])
    except (vol.Invalid, ValueError, TypeError, OverflowError, KeyError) as err:
        raise refused(code, field=key, **ph) from err


def _whole(low: int, high: int) -> Callable[[Any], int]:
    """Return a reader of a whole number from low to high."""

    def read(value: Any) -> int:
        if isinstance(value, bool):
            raise TypeError(value)
        number = float(value)
        if not number.is_integer() or not low <= number <= high:
            raise ValueError(value)
        return int(number)

    return read


def _number(low: float, high: float) -> Callable[[Any], float]:
    """Return a reader of a number from low to high."""

    def read(value: Any) -> float:
        if isinstance(value, bool):
            raise TypeError(value)
        number = float(value)
        if not low <= number <= high:
            raise ValueError(value)
        return number

    return read


def _minutes(data: Mapping[str, Any], high: int) -> int | None:
    """Return the minutes given (None: the options' default)."""
    if "minutes" not in data:
        return None
    return _read(data, "minutes", _whole(1, high), "out_of_range", min="1", max=str(high))


def _level(value: Any) -> float:
    """Return a held level: off, on or a percentage."""
    if isinstance(value, str) and value.lower() in ("off", "on"):
        return 0.0 if value.lower() == "off" else 100.0
    return _number(0, 100)(value)


def _devices(data: Mapping[str, Any], *, levels: bool) -> list[DeviceHold] | None:
    """Return the devices given (None: the options' devices).

    A device is an entity id (off, restored at once) or a mapping with ``entity_id``,
    ``restore_after`` (minutes) and, for maintenance, ``level`` (off, on or a percentage).
    """
    if "devices" not in data:
        return None
    items = cv.ensure_list(data["devices"])
    if not items or len(items) > MAX_DEVICES:
        raise refused("care_devices", field="devices", max=str(MAX_DEVICES))
    devices: dict[str, DeviceHold] = {}
    for index, item in enumerate(items):
        field = f"devices.{index}"
        raw: Mapping[str, Any] = item if isinstance(item, Mapping) else {"entity_id": item}
        allowed = ("entity_id", "restore_after", *(("level",) if levels else ()))
        for key in raw:
            if key not in allowed:
                raise refused("unknown_key", field=f"{field}.{key}")
        entity_id = _read(raw, "entity_id", cv.entity_id, "invalid_entity_id")
        if entity_id.split(".", 1)[0] not in CARE_DOMAINS:
            raise refused("care_domain", field=field, value=entity_id)
        delay = 0
        if "restore_after" in raw:
            delay = _read(
                raw,
                "restore_after",
                _whole(0, MAX_DELAY_MINUTES),
                "out_of_range",
                min="0",
                max=str(MAX_DELAY_MINUTES),
            )
        level = _read(raw, "level", _level, "care_level") if "level" in raw else 0.0
        devices[entity_id] = DeviceHold(entity_id, level, timedelta(minutes=delay))
    return list(devices.values())


def _texts(data: Mapping[str, Any], key: str) -> list[str] | None:
    """Return a list of texts given (None: not given)."""
    if key not in data:
        return None
    texts: list[str] = _read(data, key, vol.All(cv.ensure_list, [cv.string]), "expected_texts")
    return texts


def _instant(data: Mapping[str, Any], key: str) -> datetime | None:
    """Return an instant given (local time when without offset), None when not given."""
    if key not in data:
        return None
    return _read(data, key, lambda value: dt_util.as_utc(cv.datetime(value)), "expected_datetime")


def _response(period: CarePeriod | None) -> ServiceResponse:
    """Return the period as the response (None: none)."""
    return {"period": None if period is None else period_to_dict(period)}


async def _async_feed_mode(call: ServiceCall) -> ServiceResponse:
    """Start or extend feed mode."""
    _known(call.data, _FEED_FIELDS)
    minutes = _minutes(call.data, MAX_FEED_MINUTES)
    devices = _devices(call.data, levels=False)
    care, options = care_of(call.hass)
    if not (devices or options.feed_devices or care.wave_pumps()):
        raise refused("care_no_devices", field="devices")
    return _response(await async_feed_mode(care, options, minutes, devices))


async def _async_feed_mode_cancel(call: ServiceCall) -> ServiceResponse:
    """End feed mode now."""
    _known(call.data, ())
    care, _options = care_of(call.hass)
    await async_feed_mode_cancel(care)
    return _response(care.period(CareKind.FEED))


async def _async_maintenance(call: ServiceCall) -> ServiceResponse:
    """Start maintenance for some minutes or over a date range."""
    data = call.data
    _known(data, _MAINTENANCE_FIELDS)
    minutes = _minutes(data, MAX_MAINTENANCE_MINUTES)
    start, end = _instant(data, "start"), _instant(data, "end")
    now = dt_util.utcnow()
    if minutes is not None and (start is not None or end is not None):
        raise refused("care_minutes_or_range", field="minutes")
    if start is not None and end is None:
        raise refused("required", field="end")
    if end is not None:
        if start is not None and end <= start:
            raise refused("end_before_start", field="end")
        if end <= now:
            raise refused("in_past", field="end")
        if end - max(start or now, now) > MAX_RANGE:
            raise refused("care_range_too_long", field="end", days=str(MAX_RANGE.days))
    devices = _devices(data, levels=True)
    schedule_ids = _texts(data, "schedule_id") or []
    tags = _texts(data, "tags")
    care, options = care_of(call.hass)
    known = local_backend(call.hass).runner.schedules
    for sid in schedule_ids:
        if sid not in known:
            raise refused("unknown_schedule", schedule_id=sid)
    return _response(
        await async_maintenance(
            care,
            options,
            start=start,
            end=end,
            minutes=minutes,
            devices=devices,
            schedule_ids=schedule_ids,
            tags=tags,
        )
    )


async def _async_maintenance_end(call: ServiceCall) -> ServiceResponse:
    """End maintenance now."""
    _known(call.data, ())
    care, _options = care_of(call.hass)
    await async_maintenance_end(care)
    return _response(care.period(CareKind.MAINTENANCE))


CARE_SERVICES: tuple[ServiceSpec, ...] = (
    (SERVICE_FEED_MODE, _async_feed_mode, _ANY, SupportsResponse.OPTIONAL),
    (SERVICE_FEED_MODE_CANCEL, _async_feed_mode_cancel, _ANY, SupportsResponse.OPTIONAL),
    (SERVICE_MAINTENANCE, _async_maintenance, _ANY, SupportsResponse.OPTIONAL),
    (SERVICE_MAINTENANCE_END, _async_maintenance_end, _ANY, SupportsResponse.OPTIONAL),
)
