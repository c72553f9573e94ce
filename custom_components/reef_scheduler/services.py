"""Reef Scheduler actions (services), registered once in async_setup.

Actions on schedules take them as a target (their devices or Enabled switches, as the UI's
action editor offers them) and/or by id (service_targets.py); those on one schedule refuse
several, except run_now, skip_next and delete_schedule, which act on each. Responses name
schedules by id and name. Management services act through the ScheduleBackend of the loaded
entry that owns the schedule (the local runner, or a Bella's Reef server entry whose runtime
data provides ``.backend``); run-time services (skip, pause, history, next runs, preview) need
the local runner. Every failure is raised before anything changes: bad input is a translated
ServiceValidationError, a failure while applying it a translated HomeAssistantError. A
definition created or re-timed must also run at least once before the engine's horizon (a
one-off in the past is refused), and so must one previewed. The schemas translate their own
refusals (ServiceSchema). Time zones named in a definition are looked up in the executor before
the engine reads them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from datetime import date, datetime, timedelta
import functools
from typing import Any

from homeassistant.const import (
    ATTR_AREA_ID,
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    ATTR_FLOOR_ID,
    ATTR_LABEL_ID,
)
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .care_services import CARE_SERVICES
from .const import DOMAIN
from .dosing_services import DOSING_SERVICES
from .engine.ledger import MAX_PAGE_SIZE
from .engine.light_model import LightProfile
from .engine.model import Schedule
from .engine.shorten import MAX_ITEM, shorten
from .engine.spec_fields import MAX_INSTANT, MIN_INSTANT
from .engine.timeline import get_zone, load_zones
from .engine.validate import (
    TIMING_KEYS,
    ScheduleInvalid,
    check_new_id,
    check_runs,
    schedule_to_dict,
    validate_schedule,
    with_profile,
)
from .engine.validate_dosing import DOSING_TYPE
from .engine.validate_profile import PROFILE_TYPE, STORM_MINUTES
from .engine.validate_wave import WAVE_TYPE
from .light_services import (
    ACCLIMATION_CHANGES,
    ProfileChange,
    expanded,
    preview_levels,
    storm_change,
)
from .local.backend import LocalBackend
from .runner.moon import moon_windows
from .service_spec import ServiceSpec
from .service_targets import (
    ATTR_SCHEDULE_ID,
    Chosen,
    backend_for_entry,
    chosen_schedules,
    local_backend,
    local_of,
    one_schedule,
    refused,
    some_schedules,
)
from .wave_preview import wave_levels

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_NAME = "name"
ATTR_SCHEDULES = "schedules"
ATTR_SCHEDULE = "schedule"
ATTR_TAGS = "tags"
ATTR_DURATION = "duration"
ATTR_UNTIL = "until"
ATTR_COUNT = "count"
ATTR_START_SLOT = "start_slot"
ATTR_LIMIT = "limit"
ATTR_NEWEST_FIRST = "newest_first"
ATTR_DATE = "date"
ATTR_MINUTES = "minutes"

SERVICE_CREATE = "create_schedule"
SERVICE_UPDATE = "update_schedule"
SERVICE_DELETE = "delete_schedule"
SERVICE_RUN_NOW = "run_now"
SERVICE_SKIP_NEXT = "skip_next"
SERVICE_PAUSE = "pause"
SERVICE_RESUME = "resume"
SERVICE_GET_HISTORY = "get_history"
SERVICE_GET_NEXT_RUNS = "get_next_runs"
SERVICE_PREVIEW = "preview"
SERVICE_STORM = "storm"
SERVICE_REAPPLY = "reapply"

MAX_COUNT = 100
MAX_PAUSE = timedelta(days=365)
# The error text lists the problems found; a spec with thousands of them lists the first few.
_ERRORS_SHOWN = 10


class _Expected(vol.Invalid):
    """A field's value refused, with the translation that says what the field takes."""

    def __init__(self, key: str, placeholders: Mapping[str, str]) -> None:
        super().__init__(key)
        self.key = key
        self.placeholders = dict(placeholders)


def _expect(key: str, validator: Callable[[Any], Any], **placeholders: str) -> Callable[[Any], Any]:
    """Return ``validator`` refusing anything with the translation ``key`` (and placeholders)."""

    def check(value: Any) -> Any:
        try:
            return validator(value)
        except (vol.Invalid, ValueError, TypeError, OverflowError) as err:
            raise _Expected(key, placeholders) from err

    return check


def _integer(value: Any) -> int:
    """Coerce to an int like vol.Coerce(int), also refusing infinity (YAML's .inf)."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError) as err:
        raise vol.Invalid("expected an integer") from err


def _bounded(low: int, high: int) -> Callable[[Any], Any]:
    """Return a check of a whole number from ``low`` to ``high``."""
    return _expect(
        "out_of_range", vol.All(_integer, vol.Range(min=low, max=high)), min=str(low), max=str(high)
    )


def _period(value: Any) -> timedelta:
    """Return a positive duration; one too long for Python is the longest (refused later)."""
    try:
        period: timedelta = cv.positive_time_period(value)
    except OverflowError:
        return timedelta.max
    return period


class ServiceSchema(vol.Schema):
    """An action's schema whose refusals are translated ServiceValidationErrors.

    Home Assistant checks the data with it before the handler runs, and reports a plain
    vol.Invalid in English; this one names the field and the problem in the user's language.
    """

    def __call__(self, data: Any) -> Any:
        """Validate the call data (raises ServiceValidationError)."""
        if isinstance(data, Mapping):
            known = {str(marker) for marker in self.schema}
            if unknown := sorted(str(key) for key in data if str(key) not in known):
                raise _refused_field("unknown_key", unknown[0])
        try:
            return super().__call__(data)  # type: ignore[no-untyped-call]
        except vol.Invalid as err:
            errors = err.errors if isinstance(err, vol.MultipleInvalid) else [err]
            first = errors[0]
            field = str(first.path[0]) if first.path else "data"
            if isinstance(first, _Expected):
                raise _refused_field(first.key, field, first.placeholders) from err
            key = "required" if isinstance(first, vol.RequiredFieldInvalid) else "invalid_type"
            raise _refused_field(key, field) from err


def _refused_field(
    key: str, field: str, placeholders: Mapping[str, str] | None = None
) -> ServiceValidationError:
    """Return a translated error about one field of an action's data."""
    return refused(key, **{**(placeholders or {}), "field": field})


_TEXT = _expect("expected_text", cv.string)
_TEXTS = _expect("expected_texts", vol.All(cv.ensure_list, [cv.string]))
# Entity ids may also come as one comma-separated text, as Home Assistant's own actions take.
_ENTITY_IDS = _expect("expected_texts", vol.All(cv.ensure_list_csv, [cv.string]))
_SPEC = _expect("expected_mapping", vol.All(dict))
# The schedules an action acts on: by id, and the target the UI's action editor fills in.
_CHOICE: dict[vol.Marker, Any] = {
    vol.Optional(ATTR_SCHEDULE_ID): _TEXTS,
    vol.Optional(ATTR_DEVICE_ID): _TEXTS,
    vol.Optional(ATTR_ENTITY_ID): _ENTITY_IDS,
    # Refused by service_targets with their own message: they cannot name a schedule.
    vol.Optional(ATTR_AREA_ID): _TEXTS,
    vol.Optional(ATTR_FLOOR_ID): _TEXTS,
    vol.Optional(ATTR_LABEL_ID): _TEXTS,
}
_SELECTION: dict[vol.Marker, Any] = {**_CHOICE, vol.Optional(ATTR_TAGS): _TEXTS}

CREATE_SCHEMA = ServiceSchema(
    {vol.Optional(ATTR_CONFIG_ENTRY_ID): _TEXT, vol.Required(ATTR_SCHEDULE): _SPEC}
)
UPDATE_SCHEMA = ServiceSchema({**_CHOICE, vol.Required(ATTR_SCHEDULE): _SPEC})
ONE_SCHEMA = ServiceSchema(_CHOICE)
PAUSE_SCHEMA = ServiceSchema(
    {
        **_SELECTION,
        vol.Optional(ATTR_DURATION): _expect("expected_duration", _period),
        vol.Optional(ATTR_UNTIL): _expect("expected_datetime", cv.datetime),
    }
)
RESUME_SCHEMA = ServiceSchema(_SELECTION)
HISTORY_SCHEMA = ServiceSchema(
    {
        **_CHOICE,
        vol.Optional(ATTR_START_SLOT): _expect(
            "expected_slot", vol.All(_integer, vol.Range(min=0))
        ),
        vol.Optional(ATTR_LIMIT, default=100): _bounded(1, MAX_PAGE_SIZE),
        vol.Optional(ATTR_NEWEST_FIRST, default=True): _expect("expected_boolean", cv.boolean),
    }
)
NEXT_RUNS_SCHEMA = ServiceSchema(
    {**_CHOICE, vol.Optional(ATTR_COUNT, default=5): _bounded(1, MAX_COUNT)}
)
PREVIEW_SCHEMA = ServiceSchema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): _TEXT,
        vol.Required(ATTR_SCHEDULE): _SPEC,
        vol.Optional(ATTR_COUNT, default=5): _bounded(1, MAX_COUNT),
        vol.Optional(ATTR_DATE): _expect("expected_date", cv.date),
    }
)
REAPPLY_SCHEMA = ServiceSchema({vol.Required(ATTR_ENTITY_ID): _ENTITY_IDS})
STORM_SCHEMA = ServiceSchema(
    {**_CHOICE, vol.Optional(ATTR_MINUTES, default=20): _bounded(0, int(STORM_MINUTES[1]))}
)


def invalid_error(err: ScheduleInvalid) -> ServiceValidationError:
    """Return the translated error of a rejected spec (its first problem names the field)."""
    first = err.errors[0] if err.errors else None
    errors = [f"{error.field}: {error.code}" for error in err.errors]
    if len(errors) > _ERRORS_SHOWN:
        errors[_ERRORS_SHOWN:] = [f"… {len(errors) - _ERRORS_SHOWN} more"]
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=first.code if first else "invalid_type",
        translation_placeholders={
            **(first.placeholders if first else {}),
            "field": (first.field if first else "") or "schedule",
            "errors": ", ".join(errors),
        },
    )


async def _async_load_zones(hass: HomeAssistant, spec: Mapping[str, Any]) -> None:
    """Look up the spec's time zone in the executor: reading tzdata blocks."""
    if isinstance(spec.get("timezone"), str):
        await hass.async_add_executor_job(load_zones, [spec["timezone"]])


async def _async_check(
    hass: HomeAssistant, spec: Mapping[str, Any], before: Schedule | None = None
) -> None:
    """Refuse a definition that is invalid or would never run (raises ScheduleInvalid)."""
    await _async_load_zones(hass, spec)
    now = dt_util.utcnow()
    zone = hass.config.time_zone
    schedule = validate_schedule(
        {"id": "new", "created": now.isoformat(), **spec}, default_timezone=zone
    )
    check_runs(schedule, now, tz=get_zone(schedule.timezone or zone), before=before)


async def _apply[T](action: Callable[[], Awaitable[T]]) -> T:
    """Run a backend call, translating its failures."""
    try:
        return await action()
    except ScheduleInvalid as err:
        raise invalid_error(err) from err
    except HomeAssistantError:
        raise
    except Exception as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="action_failed",
            translation_placeholders={"error": str(err) or type(err).__name__},
        ) from err


# ----- handlers ---------------------------------------------------------------------------------


def _named(chosen: Iterable[Chosen]) -> ServiceResponse:
    """Return the response of an action on schedules: each by id and name."""
    schedules: list[Any] = [one.as_dict() for one in chosen]
    return {ATTR_SCHEDULES: schedules}


async def _async_create(call: ServiceCall) -> ServiceResponse:
    """Create a schedule."""
    backend = backend_for_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
    spec: Mapping[str, Any] = call.data[ATTR_SCHEDULE]

    async def create() -> str:
        check_new_id(spec.get("id"))
        await _async_load_zones(call.hass, spec)
        definition = expanded(call.hass, spec)
        await _async_check(call.hass, definition)
        return await backend.async_create(definition)

    schedule_id = await _apply(create)
    return {ATTR_SCHEDULE_ID: schedule_id, ATTR_NAME: backend.schedule_name(schedule_id)}


async def _async_update(call: ServiceCall) -> ServiceResponse:
    """Change one schedule: the keys given replace the stored ones (local schedules)."""
    chosen = one_schedule(call.hass, call.data, SERVICE_UPDATE)
    backend, schedule_id = chosen.backend, chosen.schedule_id
    changes: Mapping[str, Any] = call.data[ATTR_SCHEDULE]
    spec = dict(changes)
    current: Schedule | None = None
    if isinstance(backend, LocalBackend):
        if (current := backend.runner.schedules.get(schedule_id)) is not None:
            stored = schedule_to_dict(current)
        else:
            stored = backend.runner.invalid[schedule_id].fields
        if spec.get("type", stored.get("type")) != stored.get("type"):
            # A light profile, wave or dosing has no action: it comes from its plan.
            planned = spec["type"] in (PROFILE_TYPE, WAVE_TYPE, DOSING_TYPE)
            dropped = TIMING_KEYS | ({"action"} if planned else set())
            stored = {key: value for key, value in stored.items() if key not in dropped}
        # A null value removes a key (an end date, for example).
        spec = {key: value for key, value in (stored | spec).items() if value is not None}
    spec.pop("id", None)

    async def update() -> None:
        await _async_load_zones(call.hass, spec)
        definition = expanded(call.hass, spec)
        if isinstance(backend, LocalBackend):
            await _async_check(call.hass, definition, current)
        # A server entry's changes are not the whole spec: its backend checks them.
        await backend.async_update(schedule_id, definition)

    await _apply(update)
    return _named([Chosen(backend, schedule_id, backend.schedule_name(schedule_id))])


async def _async_delete(call: ServiceCall) -> ServiceResponse:
    """Delete each schedule named."""
    chosen = some_schedules(call.hass, call.data)
    for one in chosen:
        await _apply(functools.partial(one.backend.async_delete, one.schedule_id))
    return _named(chosen)


async def _async_run_now(call: ServiceCall) -> ServiceResponse:
    """Run the action of each schedule named now."""
    chosen = some_schedules(call.hass, call.data)
    for one in chosen:  # every schedule is checked before any runs
        if isinstance(one.backend, LocalBackend):
            local_of(one)
    for one in chosen:
        await _apply(functools.partial(one.backend.async_run_now, one.schedule_id))
    return _named(chosen)


async def _async_skip_next(call: ServiceCall) -> ServiceResponse:
    """Skip the next run of each schedule named."""
    chosen = some_schedules(call.hass, call.data)
    runners = [(local_of(one).runner, one.schedule_id) for one in chosen]
    for runner, schedule_id in runners:
        runner.async_skip_next(schedule_id)
    return _named(chosen)


def _select(call: ServiceCall) -> tuple[LocalBackend, list[Chosen]]:
    """Return the local schedules chosen by target, id and/or tag."""
    chosen = chosen_schedules(call.hass, call.data)
    tags: set[str] = set(call.data.get(ATTR_TAGS, []))
    if not chosen and not tags:
        raise refused("no_selection", field=ATTR_SCHEDULE_ID)
    backends = [local_of(one) for one in chosen]
    backend = backends[0] if backends else local_backend(call.hass)
    named = {one.schedule_id for one in chosen}
    if tags:
        chosen += [
            Chosen(backend, sid, schedule.name)
            for sid, schedule in backend.runner.schedules.items()
            if schedule.tags & tags and sid not in named
        ]
    if not chosen:
        raise refused("no_schedule_tagged", field=ATTR_TAGS, tags=", ".join(sorted(tags)))
    return backend, chosen


def _pause_end(duration: timedelta | None, until: datetime | None) -> datetime:
    """Return when a pause ends: in the future, at most MAX_PAUSE from now."""
    if (duration is None) == (until is None):
        raise _refused_field("pause_end", ATTR_DURATION)
    now = dt_util.utcnow()
    field = ATTR_DURATION if duration is not None else ATTR_UNTIL
    if duration is not None:
        if duration > MAX_PAUSE:
            raise _refused_field("pause_too_long", field)
        end = now + duration
    else:
        assert until is not None
        try:
            end = dt_util.as_utc(until)
        except OverflowError:  # year 1 or 9999 moved past the calendar's edge by the zone
            raise _refused_field(
                "pause_in_past" if until.year < now.year else "pause_too_long", field
            ) from None
    if end <= now:
        raise _refused_field("pause_in_past", field)
    if end - now > MAX_PAUSE:
        raise _refused_field("pause_too_long", field)
    return end


async def _async_pause(call: ServiceCall) -> ServiceResponse:
    """Pause schedules for a duration or until an instant."""
    end = _pause_end(call.data.get(ATTR_DURATION), call.data.get(ATTR_UNTIL))
    backend, chosen = _select(call)
    for one in chosen:
        backend.runner.async_pause(one.schedule_id, end)
    return _named(chosen)


async def _async_resume(call: ServiceCall) -> ServiceResponse:
    """End a pause now."""
    backend, chosen = _select(call)
    for one in chosen:
        backend.runner.async_resume(one.schedule_id)
    return _named(chosen)


async def _async_get_history(call: ServiceCall) -> ServiceResponse:
    """Return a page of one schedule's run records."""
    chosen = one_schedule(call.hass, call.data, SERVICE_GET_HISTORY)
    records, more = local_of(chosen).runner.ledger_page(
        chosen.schedule_id,
        call.data.get(ATTR_START_SLOT),
        call.data[ATTR_LIMIT],
        newest_first=call.data[ATTR_NEWEST_FIRST],
    )
    page: list[Any] = [record.as_dict() for record in records]
    return {**chosen.as_dict(), "records": page, "more": more}


async def _async_get_next_runs(call: ServiceCall) -> ServiceResponse:
    """Return one schedule's next run instants."""
    chosen = one_schedule(call.hass, call.data, SERVICE_GET_NEXT_RUNS)
    schedule_id = chosen.schedule_id
    runner = local_of(chosen).runner
    state = runner.states[schedule_id]
    schedule = runner.schedules[schedule_id]
    runs: list[datetime] = []
    if schedule.enabled and state.next_due is not None:
        first = state.next_due
        runs = [first, *runner.next_runs(schedule, call.data[ATTR_COUNT] - 1, after=first)]
    return {**chosen.as_dict(), "runs": [run.isoformat() for run in runs]}


async def _async_preview(call: ServiceCall) -> ServiceResponse:
    """Return the next run instants of a spec without saving it."""
    backend = backend_for_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
    if not isinstance(backend, LocalBackend):
        backend = local_backend(call.hass)
    runner = backend.runner
    spec = {"id": "preview", **call.data[ATTR_SCHEDULE]}
    await _async_load_zones(call.hass, spec)

    async def validate() -> Schedule:
        schedule = await runner.async_validate(expanded(call.hass, spec))
        # Refused like create_schedule: a one-off in the past is "in the past", not [].
        check_runs(schedule, dt_util.utcnow(), tz=runner.zone(schedule))
        return schedule

    day: date | None = call.data.get(ATTR_DATE)
    if day is not None and not MIN_INSTANT.date() <= day < MAX_INSTANT.date():
        raise _refused_field("date_out_of_range", ATTR_DATE)
    schedule = await _apply(validate)
    runs = runner.next_runs(schedule, call.data[ATTR_COUNT])
    response: dict[str, Any] = {"runs": [run.isoformat() for run in runs]}
    if schedule.action.profile is not None:
        zone = runner.zone(schedule)
        day = day or dt_util.now(zone).date()
        moon = moon_windows(call.hass)(zone)
        levels, cut = await call.hass.async_add_executor_job(
            preview_levels, schedule, day, zone, moon
        )
    elif schedule.action.wave is not None:
        zone = runner.zone(schedule)
        day = day or dt_util.now(zone).date()
        levels, cut = await call.hass.async_add_executor_job(wave_levels, schedule, day, zone)
    else:
        return response
    response["levels"] = levels
    if cut:
        response["truncated"] = cut
    return response


async def _async_change_profiles(
    call: ServiceCall, change: ProfileChange, refusal: Callable[[LightProfile], str | None]
) -> ServiceResponse:
    """Store a changed profile in each chosen schedule; all are checked before any changes.

    ``refusal`` returns the translation key of why a profile cannot take the change, if so.
    """
    chosen = some_schedules(call.hass, call.data)
    now = dt_util.utcnow()
    edits: list[tuple[LocalBackend, Schedule, LightProfile]] = []
    for one in chosen:
        backend = local_of(one)
        schedule = backend.runner.schedules[one.schedule_id]
        profile = schedule.action.profile
        if profile is None:
            raise refused("not_a_light_profile", **one.placeholders())
        if (key := refusal(profile)) is not None:
            raise refused(key, **one.placeholders())
        changed = change(profile, now, backend.runner.zone(schedule))
        edits.append((backend, schedule, changed))
    for backend, schedule, changed in edits:
        if changed != schedule.action.profile:
            update = functools.partial(
                backend.async_update, schedule.id, with_profile(schedule, changed)
            )
            await _apply(update)
    return _named(chosen)


def _acclimation_handler(
    service: str,
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    """Return the handler of an acclimation action (pause, resume, reset)."""

    async def handle(call: ServiceCall) -> ServiceResponse:
        return await _async_change_profiles(call, ACCLIMATION_CHANGES[service], _no_acclimation)

    return handle


def _no_acclimation(profile: LightProfile) -> str | None:
    """Refuse a profile without acclimation."""
    return None if profile.acclimation is not None else "no_acclimation"


async def _async_storm(call: ServiceCall) -> ServiceResponse:
    """Start an on-demand storm now for some minutes, or end it (0 minutes)."""
    minutes: int = call.data[ATTR_MINUTES]

    def refusal(profile: LightProfile) -> str | None:
        # A storm needs the weather switch on; ending one never does.
        return "weather_off" if minutes and not profile.weather else None

    return await _async_change_profiles(call, storm_change(minutes), refusal)


async def _async_reapply(call: ServiceCall) -> ServiceResponse:
    """Drive entities to what the schedules prescribe now (the reconcile: care holds win)."""
    runner = local_backend(call.hass).runner
    entity_ids = list(dict.fromkeys(call.data[ATTR_ENTITY_ID]))
    prescribed = runner.prescribed_now(entity_ids)
    for entity_id in entity_ids:
        if entity_id not in prescribed:
            raise refused("not_prescribed", entity_id=shorten(entity_id, MAX_ITEM))
    runner.reconcile_entities(entity_ids)
    return None


_SERVICES: tuple[ServiceSpec, ...] = (
    (SERVICE_CREATE, _async_create, CREATE_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_UPDATE, _async_update, UPDATE_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_DELETE, _async_delete, ONE_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_RUN_NOW, _async_run_now, ONE_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_SKIP_NEXT, _async_skip_next, ONE_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_PAUSE, _async_pause, PAUSE_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_RESUME, _async_resume, RESUME_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_GET_HISTORY, _async_get_history, HISTORY_SCHEMA, SupportsResponse.ONLY),
    (SERVICE_GET_NEXT_RUNS, _async_get_next_runs, NEXT_RUNS_SCHEMA, SupportsResponse.ONLY),
    (SERVICE_PREVIEW, _async_preview, PREVIEW_SCHEMA, SupportsResponse.ONLY),
    *(
        (service, _acclimation_handler(service), ONE_SCHEMA, SupportsResponse.OPTIONAL)
        for service in ACCLIMATION_CHANGES
    ),
    (SERVICE_STORM, _async_storm, STORM_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_REAPPLY, _async_reapply, REAPPLY_SCHEMA, SupportsResponse.NONE),
    *CARE_SERVICES,
    *DOSING_SERVICES,
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's services."""
    for name, handler, schema, supports_response in _SERVICES:
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=supports_response
        )
