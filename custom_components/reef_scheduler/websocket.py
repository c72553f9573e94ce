"""The day card's websocket commands: ``reef_scheduler/day`` and its subscription.

``reef_scheduler/day`` answers one DAY (local/day.py) for a window: by default the local day
(Home Assistant's zone: 23 or 25 hours on a DST day), else ``hours`` from ``start``.
``reef_scheduler/day/subscribe`` answers ``null``, then sends ``{"day": DAY}`` at once and
again whenever something in it may have changed (a run starts or ends, a schedule is added,
edited, removed, enabled, paused or skipped, a care period begins or ends, a shown target's
state changes, the local entry is reloaded), at most once a second. Unsubscribing (or closing
the connection) removes every listener. A user who is no admin sees the schedules whose
Enabled switch and the targets they may read, as the history does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
import functools
from typing import Any

from homeassistant.auth.permissions.const import POLICY_READ
from homeassistant.components import websocket_api
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import ERR_INVALID_FORMAT
from homeassistant.components.websocket_api.decorators import websocket_command
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.config_entries import SIGNAL_CONFIG_ENTRY_CHANGED, ConfigEntry, ConfigEntryChange
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import DOMAIN, LOGGER
from .engine.agenda import local_midnights
from .engine.timeline import get_zone
from .local.data import LocalData
from .local.day import DayRequest, Readable, build_day, empty_day
from .runner.pause_gc import gc_paused

TYPE_DAY = f"{DOMAIN}/day"
TYPE_SUBSCRIBE = f"{DOMAIN}/day/subscribe"
MAX_HOURS = 72
DEFAULT_HOURS = 24
# Changes in a row (an import of many schedules, a ramp's targets) push once a second.
PUSH_COOLDOWN = 1.0

_FIELDS: dict[str | vol.Marker, Any] = {
    vol.Optional("start"): cv.datetime,
    vol.Optional("hours"): vol.All(int, vol.Range(min=1, max=MAX_HOURS)),
    vol.Optional("schedules"): [cv.string],
    vol.Optional("entities"): [cv.string],
}


@callback
def async_setup_websocket(hass: HomeAssistant) -> None:
    """Register the day card's commands."""
    websocket_api.async_register_command(hass, ws_day)
    websocket_api.async_register_command(hass, ws_subscribe_day)


def local_data(hass: HomeAssistant) -> LocalData | None:
    """Return the loaded local entry's runtime data (None while it is not loaded)."""
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        if isinstance(entry.runtime_data, LocalData):
            return entry.runtime_data
    return None


def day_request(hass: HomeAssistant, msg: dict[str, Any], now: datetime) -> DayRequest:
    """Return the window and choice a message asks for (OverflowError: out of range)."""
    hours: int | None = msg.get("hours")
    if (start := msg.get("start")) is not None:
        begin = dt_util.as_utc(start)
        end = begin + timedelta(hours=hours or DEFAULT_HOURS)
    else:
        midnights = local_midnights(now, now, get_zone(hass.config.time_zone))
        begin = midnights[0]
        end = begin + timedelta(hours=hours) if hours else midnights[1]
    schedules, entities = msg.get("schedules"), msg.get("entities")
    return DayRequest(
        begin,
        end,
        None if schedules is None else frozenset(schedules),
        None if entities is None else frozenset(entities),
    )


def readable(connection: ActiveConnection) -> Readable | None:
    """Return the user's read check of entities (None: the user may read every entity)."""
    user = connection.user
    if user.is_admin or user.permissions.access_all_entities(POLICY_READ):
        return None
    return functools.partial(user.permissions.check_entity, key=POLICY_READ)


def the_day(hass: HomeAssistant, request: DayRequest, check: Readable | None) -> dict[str, Any]:
    """Return the DAY of a request (an empty one while the local entry is not loaded)."""
    now = dt_util.utcnow()
    if (data := local_data(hass)) is None:
        return empty_day(hass, request, now)
    # Tens of thousands of runs, no reference cycle: no full collection in the middle.
    with gc_paused():
        return build_day(hass, data, request, now, check)


def _request_or_error(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> DayRequest | None:
    """Return the message's request, or answer its refusal (a window past the calendar)."""
    try:
        return day_request(hass, msg, dt_util.utcnow())
    except (OverflowError, ValueError):
        connection.send_error(msg["id"], ERR_INVALID_FORMAT, "Window out of range")
        return None


@callback
@websocket_command({vol.Required("type"): TYPE_DAY, **_FIELDS})
def ws_day(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Answer one DAY."""
    if (request := _request_or_error(hass, connection, msg)) is None:
        return
    connection.send_result(msg["id"], the_day(hass, request, readable(connection)))


@callback
@websocket_command({vol.Required("type"): TYPE_SUBSCRIBE, **_FIELDS})
def ws_subscribe_day(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Send the DAY now and whenever it may have changed, until unsubscribed."""
    if (request := _request_or_error(hass, connection, msg)) is None:
        return
    subscription = DaySubscription(hass, connection, msg["id"], request, readable(connection))
    connection.subscriptions[msg["id"]] = subscription.async_unsubscribe
    connection.send_result(msg["id"])
    subscription.async_start()


class DaySubscription:
    """One subscriber's window: its listeners and its coalesced pushes."""

    def __init__(
        self,
        hass: HomeAssistant,
        connection: ActiveConnection,
        msg_id: int,
        request: DayRequest,
        check: Readable | None,
    ) -> None:
        """Keep what every push needs; nothing listens before async_start."""
        self.hass = hass
        self._connection = connection
        self._id = msg_id
        self._request = request
        self._check = check
        self._unsubs: list[CALLBACK_TYPE] = []
        self._targets: frozenset[str] = frozenset()
        self._unsub_targets: CALLBACK_TYPE | None = None
        self._unsub_entry: CALLBACK_TYPE | None = None
        self._push = Debouncer(
            hass, LOGGER, cooldown=PUSH_COOLDOWN, immediate=True, function=self._send
        )

    @callback
    def async_start(self) -> None:
        """Listen for changes and send the first DAY."""
        self._unsub_entry = async_dispatcher_connect(
            self.hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._on_entry
        )
        self._bind()
        self._push.async_schedule_call()

    @callback
    def async_unsubscribe(self) -> None:
        """Remove every listener and stop pushing."""
        self._unbind()
        self._track_targets(frozenset())
        if self._unsub_entry is not None:
            self._unsub_entry()
            self._unsub_entry = None
        self._push.async_shutdown()

    @callback
    def _bind(self) -> None:
        """Listen to the local entry's runner, its schedules and its care periods."""
        self._unbind()
        if (data := local_data(self.hass)) is None:
            return
        runner = data.runner
        changed: Callable[..., None] = self._changed
        self._unsubs = [
            runner.async_listen_runs(changed),
            runner.async_listen_collection(self._on_collection),
            data.care.async_listen(changed),
            *(runner.async_listen(sid, changed) for sid in runner.schedules),
        ]

    @callback
    def _unbind(self) -> None:
        """Remove the listeners on the local entry."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs = []

    @callback
    def _on_collection(self, _sid: str, _added: bool) -> None:
        """Listen to the schedules as they are now, then push."""
        self._bind()
        self._changed()

    @callback
    def _on_entry(self, _change: ConfigEntryChange, entry: ConfigEntry) -> None:
        """Follow a reload of the local entry (a new runner)."""
        if entry.domain == DOMAIN:
            self._bind()
            self._changed()

    @callback
    def _changed(self, *_args: Any) -> None:
        """Push soon (at most once a second)."""
        self._push.async_schedule_call()

    @callback
    def _send(self) -> None:
        """Send the DAY and follow the states of the targets it shows."""
        day = the_day(self.hass, self._request, self._check)
        self._track_targets(frozenset(target["entity_id"] for target in day["targets"]))
        self._connection.send_message(event_message(self._id, {"day": day}))

    @callback
    def _track_targets(self, targets: frozenset[str]) -> None:
        """Follow the state changes of these targets (and only these)."""
        if targets == self._targets:
            return
        if self._unsub_targets is not None:
            self._unsub_targets()
            self._unsub_targets = None
        self._targets = targets
        if targets:
            self._unsub_targets = async_track_state_change_event(self.hass, targets, self._changed)
