"""Typed models of the Bella's Reef scheduler: JSON in, frozen dataclasses out."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Final, Literal, Self, TypedDict

from .exceptions import BellasReefRequestError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

type JsonValue = None | bool | int | float | str | list[JsonValue] | dict[str, JsonValue]
type JsonObject = dict[str, JsonValue]


class SchemaError(ValueError):
    """A JSON document does not have the shape a model expects."""


class ScheduleType(StrEnum):
    """Kinds of schedule the server stores."""

    ONE_OFF = "one_off"
    RECURRING = "recurring"
    INTERVAL = "interval"
    CRON = "cron"
    STATIC = "static"


class ActionType(StrEnum):
    """Actions a schedule or device action carries."""

    ON = "on"
    OFF = "off"
    SET_PWM = "set_pwm"
    SET_LEVEL = "set_level"
    RAMP = "ramp"
    CUSTOM = "custom"


class RunStatus(StrEnum):
    """Outcome of a schedule's last run as the server's worker records it."""

    SUCCESS = "success"
    FAILED = "failed"
    SKIPPED = "skipped"


class ActionStatus(StrEnum):
    """Status of a device action."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    SUCCESS = "success"
    FAILED = "failed"


# The field each type needs; the server only checks it when the key is sent (Q2).
TYPE_SPECIFIC_FIELD: Final[dict[ScheduleType, str]] = {
    ScheduleType.CRON: "cron_expression",
    ScheduleType.INTERVAL: "interval_seconds",
    ScheduleType.ONE_OFF: "start_time",
}


class _Unset(Enum):
    """Marker type of fields a partial update leaves alone."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        """Render as the bare sentinel name."""
        return "UNSET"


UNSET: Final = _Unset.UNSET
type Unset = Literal[_Unset.UNSET]


def parse_datetime(value: str) -> datetime:
    """Parse an ISO-8601 string into an aware UTC datetime; naive values are UTC (Q8)."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """Format an aware datetime as ISO-8601 UTC with a ``Z`` suffix."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware value")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _kind(value: JsonValue) -> str:
    """Name a JSON value's type for error messages."""
    return "null" if value is None else type(value).__name__


class _Fields:
    """Typed accessors over one JSON object; every mismatch raises SchemaError."""

    __slots__ = ("_data", "_what")

    def __init__(self, data: JsonValue, what: str) -> None:
        """Check that the document is an object."""
        if not isinstance(data, dict):
            raise SchemaError(f"{what}: expected an object, got {_kind(data)}")
        self._data = data
        self._what = what

    def _fail(self, key: str, expected: str) -> SchemaError:
        """Build the error for a field of the wrong type."""
        got = _kind(self._data[key]) if key in self._data else "nothing"
        return SchemaError(f"{self._what}.{key}: expected {expected}, got {got}")

    def _required(self, key: str, expected: str) -> JsonValue:
        """Return a field that must be present and not null."""
        value = self._data.get(key)
        if value is None:
            raise self._fail(key, expected)
        return value

    def req_int(self, key: str) -> int:
        """Read a required integer (booleans are refused)."""
        value = self._required(key, "an integer")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(key, "an integer")
        return value

    def opt_int(self, key: str) -> int | None:
        """Read an optional integer."""
        return None if self._data.get(key) is None else self.req_int(key)

    def req_str(self, key: str) -> str:
        """Read a required string."""
        value = self._required(key, "a string")
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return value

    def opt_str(self, key: str) -> str | None:
        """Read an optional string."""
        return None if self._data.get(key) is None else self.req_str(key)

    def req_bool(self, key: str) -> bool:
        """Read a required boolean."""
        value = self._required(key, "a boolean")
        if not isinstance(value, bool):
            raise self._fail(key, "a boolean")
        return value

    def req_datetime(self, key: str) -> datetime:
        """Read a required ISO-8601 timestamp as aware UTC."""
        try:
            return parse_datetime(self.req_str(key))
        except SchemaError:
            raise
        except ValueError as err:
            raise self._fail(key, "an ISO-8601 datetime") from err

    def opt_datetime(self, key: str) -> datetime | None:
        """Read an optional timestamp."""
        return None if self._data.get(key) is None else self.req_datetime(key)

    def req_enum[E: StrEnum](self, key: str, enum: type[E]) -> E:
        """Read a required enum member by value."""
        text = self.req_str(key)
        try:
            return enum(text)
        except ValueError as err:
            raise self._fail(key, f"one of {[member.value for member in enum]}") from err

    def opt_enum[E: StrEnum](self, key: str, enum: type[E]) -> E | None:
        """Read an optional enum member."""
        return None if self._data.get(key) is None else self.req_enum(key, enum)

    def opt_object(self, key: str) -> JsonObject | None:
        """Read an optional JSON object."""
        value = self._data.get(key)
        if value is not None and not isinstance(value, dict):
            raise self._fail(key, "an object")
        return value

    def req_list(self, key: str) -> list[JsonValue]:
        """Read a required JSON array."""
        value = self._required(key, "an array")
        if not isinstance(value, list):
            raise self._fail(key, "an array")
        return value

    def int_tuple(self, key: str) -> tuple[int, ...]:
        """Read an optional array of integers; null reads as empty."""
        if self._data.get(key) is None:
            return ()
        items = self.req_list(key)
        if not all(isinstance(item, int) and not isinstance(item, bool) for item in items):
            raise self._fail(key, "an array of integers")
        return tuple(item for item in items if isinstance(item, int))

    def int_map(self, key: str) -> dict[str, int]:
        """Read an object whose values are integers; null reads as empty."""
        value = self.opt_object(key) or {}
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in value.values()):
            raise self._fail(key, "an object of integers")
        return {k: v for k, v in value.items() if isinstance(v, int)}


def _json_value(value: object) -> JsonValue:
    """Convert a request-model value into its JSON form."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, Enum):
        return _json_value(value.value)
    if isinstance(value, tuple | list):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def _request_json(model: DataclassInstance) -> JsonObject:
    """Serialise a request dataclass, skipping fields left UNSET."""
    out: JsonObject = {}
    for field in fields(model):
        value: object = getattr(model, field.name)
        if value is not UNSET:
            out[field.name] = _json_value(value)
    return out


def _check_aware(model: DataclassInstance) -> None:
    """Refuse naive datetimes: the server would read them as UTC whatever was meant (Q8)."""
    for field in fields(model):
        value: object = getattr(model, field.name)
        if isinstance(value, datetime) and value.utcoffset() is None:
            raise ValueError(f"{field.name} must be timezone-aware")


def _check_common(name: str | None, interval_seconds: int | None) -> None:
    """Apply the server's field rules that need no other field."""
    if name is not None and not 1 <= len(name) <= 100:
        raise ValueError("name must have 1 to 100 characters")
    if interval_seconds is not None and interval_seconds < 1:
        raise ValueError("interval_seconds must be at least 1")


@dataclass(frozen=True, slots=True)
class User:
    """A user of the core service."""

    id: int
    username: str
    email: str | None
    phone_number: str | None
    is_active: bool
    is_admin: bool
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def from_json(cls, data: JsonValue) -> Self:
        """Build from the server's JSON."""
        f = _Fields(data, "user")
        return cls(
            id=f.req_int("id"),
            username=f.req_str("username"),
            email=f.opt_str("email"),
            phone_number=f.opt_str("phone_number"),
            is_active=f.req_bool("is_active"),
            is_admin=f.req_bool("is_admin"),
            created_at=f.req_datetime("created_at"),
            updated_at=f.opt_datetime("updated_at"),
        )


@dataclass(frozen=True, slots=True)
class Health:
    """Answer of a service's root ``/health`` route."""

    status: str
    service: str
    version: str | None
    timestamp: datetime | None

    @property
    def is_healthy(self) -> bool:
        """Tell whether the service calls itself healthy."""
        return self.status == "healthy"

    @classmethod
    def from_json(cls, data: JsonValue) -> Self:
        """Build from the server's JSON."""
        f = _Fields(data, "health")
        return cls(
            status=f.req_str("status"),
            service=f.opt_str("service") or "",
            version=f.opt_str("version"),
            timestamp=f.opt_datetime("timestamp"),
        )


@dataclass(frozen=True, slots=True)
class RemoteSchedule:
    """A schedule as stored by the scheduler service (§3.3)."""

    id: int
    name: str
    device_ids: tuple[int, ...]
    schedule_type: ScheduleType
    cron_expression: str | None
    interval_seconds: int | None
    start_time: datetime | None
    end_time: datetime | None
    timezone: str
    is_enabled: bool
    action_type: ActionType
    action_params: JsonObject | None
    next_run: datetime | None
    last_run: datetime | None
    last_run_status: RunStatus | None
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def from_json(cls, data: JsonValue) -> Self:
        """Build from the server's JSON."""
        f = _Fields(data, "schedule")
        return cls(
            id=f.req_int("id"),
            name=f.req_str("name"),
            device_ids=f.int_tuple("device_ids"),
            schedule_type=f.req_enum("schedule_type", ScheduleType),
            cron_expression=f.opt_str("cron_expression"),
            interval_seconds=f.opt_int("interval_seconds"),
            start_time=f.opt_datetime("start_time"),
            end_time=f.opt_datetime("end_time"),
            timezone=f.opt_str("timezone") or "UTC",
            is_enabled=f.req_bool("is_enabled"),
            action_type=f.req_enum("action_type", ActionType),
            action_params=f.opt_object("action_params"),
            next_run=f.opt_datetime("next_run"),
            last_run=f.opt_datetime("last_run"),
            last_run_status=f.opt_enum("last_run_status", RunStatus),
            created_at=f.req_datetime("created_at"),
            updated_at=f.opt_datetime("updated_at"),
        )

    def to_json(self) -> JsonObject:
        """Return the server's JSON of this schedule (from_json reads it back)."""
        return _request_json(self)


@dataclass(frozen=True, slots=True)
class ScheduleCreate:
    """Body of a schedule creation; checked locally so the server never stores a bad row."""

    name: str
    schedule_type: ScheduleType
    action_type: ActionType
    device_ids: tuple[int, ...] = ()
    cron_expression: str | None = None
    interval_seconds: int | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    timezone: str = "UTC"
    is_enabled: bool = True
    action_params: JsonObject | None = None

    def __post_init__(self) -> None:
        """Validate the fields the server would otherwise accept and then choke on."""
        _check_common(self.name, self.interval_seconds)
        _check_aware(self)
        required = TYPE_SPECIFIC_FIELD.get(self.schedule_type)
        if required is not None and getattr(self, required) in (None, ""):
            raise BellasReefRequestError(
                f"{required} is required for {self.schedule_type} schedules"
            )

    def to_json(self) -> JsonObject:
        """Return the POST body; every type-specific key is sent, even null (Q2)."""
        return _request_json(self)

    def matches(self, schedule: RemoteSchedule) -> bool:
        """Tell whether a stored schedule holds exactly this creation's fields."""
        return all(
            getattr(schedule, field.name) == getattr(self, field.name) for field in fields(self)
        )


class ScheduleUpdateFields(TypedDict, total=False):
    """Keyword form of a schedule update."""

    name: str
    device_ids: tuple[int, ...]
    schedule_type: ScheduleType
    cron_expression: str | None
    interval_seconds: int | None
    start_time: datetime | None
    end_time: datetime | None
    timezone: str
    is_enabled: bool
    action_type: ActionType
    action_params: JsonObject | None


@dataclass(frozen=True, slots=True)
class ScheduleUpdate:
    """Partial schedule update: only fields that are set are sent."""

    # Columns the server requires can be changed but never nulled (that is a 500, §3 row 5).
    name: str | Unset = UNSET
    device_ids: tuple[int, ...] | Unset = UNSET
    schedule_type: ScheduleType | Unset = UNSET
    cron_expression: str | None | Unset = UNSET
    interval_seconds: int | None | Unset = UNSET
    start_time: datetime | None | Unset = UNSET
    end_time: datetime | None | Unset = UNSET
    timezone: str | Unset = UNSET
    is_enabled: bool | Unset = UNSET
    action_type: ActionType | Unset = UNSET
    action_params: JsonObject | None | Unset = UNSET

    def __post_init__(self) -> None:
        """Validate the fields that are set; never leave a row the server cannot list (Q3)."""
        _check_common(
            None if self.name is UNSET else self.name,
            self.interval_seconds if isinstance(self.interval_seconds, int) else None,
        )
        _check_aware(self)
        kind = self.schedule_type
        for schedule_type, name in TYPE_SPECIFIC_FIELD.items():
            value = getattr(self, name)
            if kind is UNSET:
                # The row's type is unknown here: nulling a type's field may break the row.
                if value is None or value == "":
                    raise BellasReefRequestError(
                        f"{name} cannot be cleared without setting schedule_type"
                    )
            elif kind is schedule_type and (value is UNSET or value is None or value == ""):
                raise BellasReefRequestError(f"{name} is required for {kind} schedules")

    def to_json(self) -> JsonObject:
        """Return the PUT body holding only the fields that are set."""
        return _request_json(self)


@dataclass(frozen=True, slots=True)
class NextRun:
    """One enabled schedule's next run in the stats answer."""

    id: int
    name: str
    next_run: datetime | None
    schedule_type: ScheduleType

    @classmethod
    def from_json(cls, data: JsonValue) -> Self:
        """Build from the server's JSON."""
        f = _Fields(data, "next_run")
        return cls(
            id=f.req_int("id"),
            name=f.req_str("name"),
            next_run=f.opt_datetime("next_run"),
            schedule_type=f.req_enum("schedule_type", ScheduleType),
        )


@dataclass(frozen=True, slots=True)
class ScheduleStats:
    """Answer of ``GET /api/v1/schedules/stats`` (§3.4)."""

    total_schedules: int
    enabled_schedules: int
    schedules_by_type: dict[str, int]
    next_runs: tuple[NextRun, ...]

    @classmethod
    def from_json(cls, data: JsonValue) -> Self:
        """Build from the server's JSON."""
        f = _Fields(data, "stats")
        return cls(
            total_schedules=f.req_int("total_schedules"),
            enabled_schedules=f.req_int("enabled_schedules"),
            schedules_by_type=f.int_map("schedules_by_type"),
            next_runs=tuple(NextRun.from_json(item) for item in f.req_list("next_runs")),
        )


@dataclass(frozen=True, slots=True)
class DeviceAction:
    """A device action row (§3.5); the server never executes it."""

    id: int
    schedule_id: int | None
    device_id: int
    action_type: ActionType
    parameters: JsonObject | None
    scheduled_time: datetime
    status: ActionStatus
    executed_time: datetime | None
    result: JsonObject | None
    error_message: str | None
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def from_json(cls, data: JsonValue) -> Self:
        """Build from the server's JSON."""
        f = _Fields(data, "device_action")
        return cls(
            id=f.req_int("id"),
            schedule_id=f.opt_int("schedule_id"),
            device_id=f.req_int("device_id"),
            action_type=f.req_enum("action_type", ActionType),
            parameters=f.opt_object("parameters"),
            scheduled_time=f.req_datetime("scheduled_time"),
            status=f.req_enum("status", ActionStatus),
            executed_time=f.opt_datetime("executed_time"),
            result=f.opt_object("result"),
            error_message=f.opt_str("error_message"),
            created_at=f.req_datetime("created_at"),
            updated_at=f.opt_datetime("updated_at"),
        )


@dataclass(frozen=True, slots=True)
class DeviceActionCreate:
    """Body of a device action creation."""

    device_id: int
    action_type: ActionType
    scheduled_time: datetime
    parameters: JsonObject | None = None
    schedule_id: int | None = None

    def __post_init__(self) -> None:
        """Refuse naive datetimes."""
        _check_aware(self)

    def to_json(self) -> JsonObject:
        """Return the POST body."""
        return _request_json(self)


@dataclass(frozen=True, slots=True)
class DeviceActionUpdate:
    """Partial device action update: only fields that are set are sent."""

    action_type: ActionType | Unset = UNSET
    parameters: JsonObject | None | Unset = UNSET
    status: ActionStatus | Unset = UNSET
    scheduled_time: datetime | Unset = UNSET
    executed_time: datetime | None | Unset = UNSET
    result: JsonObject | None | Unset = UNSET
    error_message: str | None | Unset = UNSET

    def __post_init__(self) -> None:
        """Refuse naive datetimes."""
        _check_aware(self)

    def to_json(self) -> JsonObject:
        """Return the PUT body holding only the fields that are set."""
        return _request_json(self)


@dataclass(frozen=True, slots=True)
class DeviceActionStats:
    """Declared answer of the device action stats route (always 500 as shipped, Q6)."""

    total_actions: int
    pending_actions: int
    successful_actions: int
    failed_actions: int
    actions_by_status: dict[str, int]

    @classmethod
    def from_json(cls, data: JsonValue) -> Self:
        """Build from the server's JSON."""
        f = _Fields(data, "device_action_stats")
        return cls(
            total_actions=f.req_int("total_actions"),
            pending_actions=f.req_int("pending_actions"),
            successful_actions=f.req_int("successful_actions"),
            failed_actions=f.req_int("failed_actions"),
            actions_by_status=f.int_map("actions_by_status"),
        )


@dataclass(frozen=True, slots=True)
class CleanupResult:
    """Answer of the device action cleanup route."""

    deleted_count: int
    days: int

    @classmethod
    def from_json(cls, data: JsonValue) -> Self:
        """Build from the server's JSON."""
        f = _Fields(data, "cleanup")
        return cls(deleted_count=f.req_int("deleted_count"), days=f.req_int("days"))


def parse_token(data: JsonValue) -> str:
    """Extract the bearer token from a login answer."""
    f = _Fields(data, "login")
    if f.req_str("token_type").lower() != "bearer":
        raise SchemaError("login: token_type is not bearer")
    return f.req_str("access_token")


def parse_list(data: JsonValue) -> list[JsonValue]:
    """Check that a list answer is a JSON array and return its items."""
    if not isinstance(data, list):
        raise SchemaError(f"expected an array, got {_kind(data)}")
    return data
