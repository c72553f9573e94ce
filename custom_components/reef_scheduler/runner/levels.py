"""Levels as functions of time on Home Assistant entities: ramps and holds, stepped or faded.

A profile's level is computed from the clock at each step, never accumulated, so a restart or a
late step lands on the right level. Lights that support `transition` get the profile as fades of
at most MAX_SEGMENT each, leaving out those that end at the level the light already has (a flat
stretch costs no call); other targets, and a light profile's curve with storm flashes (a fade
would blur a flash), are stepped at the instants the rounded level changes.
A step into a storm flash (300 ms) goes only to a light whose last call returned within
FLASH_MAX_CALL (not known yet: slow), since a slower light would show it late and long. Such a
light skips the flash, and its end too when that brings back the level last sent, and so keeps
just the storm's dimming; a profile's first call is made all the same, in a flash or not.
A change of the entity by anyone else stops the profile on that entity instead of fighting it;
a change made by one of the integration's own calls does not (a toggle, or an earlier run whose
state change arrives late).

A profile is registered before its first call, so a newer action on the entity that starts
while that call is under way cancels it: the latest action wins, whatever the order in which
the calls return.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import functools
import time
from typing import Any

from homeassistant.components.light import ATTR_BRIGHTNESS
from homeassistant.components.light.const import LightEntityFeature
from homeassistant.const import ATTR_SUPPORTED_FEATURES, STATE_ON
from homeassistant.core import (
    CALLBACK_TYPE,
    Context,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_state_change_event,
)
from homeassistant.util import dt as dt_util

from ..const import LOGGER
from ..engine.light_curve import LightCurve
from ..engine.profile import Profile, round_level, transition_segments
from ..engine.shorten import MAX_ITEM, shorten
from ..engine.wave import WaveCurve

MAX_SEGMENT = timedelta(minutes=5)
# A flash lasts 300 ms: the calls up and back must both fit in it.
FLASH_MAX_CALL = 0.15
# Contexts of the integration's own recent calls remembered (their changes are not manual).
OWN_CONTEXTS = 256

type Apply = Callable[[float, float | None], Awaitable[None]]
"""Set the entity to a rounded level (percent), optionally as a fade of that many seconds."""


def call_clock() -> float:
    """Return monotonic seconds to time a light's calls with (tests replace it)."""
    return time.monotonic()


def entity_level(state: State | None) -> float | None:
    """Return an entity's level in percent (off is 0), or None when it has none."""
    if state is None:
        return None
    domain = state.domain
    if domain == "light":
        if state.state != STATE_ON:
            return 0.0
        brightness = state.attributes.get(ATTR_BRIGHTNESS)
        return 100.0 if brightness is None else float(brightness) * 100 / 255
    if domain in ("number", "input_number"):
        try:
            value = float(state.state)
            low = float(state.attributes.get("min", 0))
            high = float(state.attributes.get("max", 100))
        except ValueError:
            return None
        return 0.0 if high <= low else (value - low) * 100 / (high - low)
    if domain == "fan":
        if state.state != STATE_ON:
            return 0.0
        return float(state.attributes.get("percentage") or 100)
    return 100.0 if state.state == STATE_ON else 0.0


def fades(profile: Profile, state: State | None) -> bool:
    """Return True when a profile is followed as fades: a fading light, no flashes."""
    flashes = isinstance(profile, LightCurve) and profile.flashes
    return not flashes and supports_transition(state)


def changing_segments(
    segments: list[tuple[datetime, int, float]], level: int
) -> list[tuple[datetime, int, float]]:
    """Return the fade segments that change the rounded level, starting from ``level``."""
    kept = []
    for segment in segments:
        if segment[1] != level:
            kept.append(segment)
            level = segment[1]
    return kept


def supports_transition(state: State | None) -> bool:
    """Return True for a light that can fade by itself."""
    if state is None or state.domain != "light":
        return False
    features = int(state.attributes.get(ATTR_SUPPORTED_FEATURES) or 0)
    return bool(features & LightEntityFeature.TRANSITION)


@dataclass(slots=True)
class _Active:
    """A profile being applied to one entity: its plan and the timer for the next step."""

    profile: Profile
    apply: Apply
    context: Context
    on_stop: Callable[[str], None]
    fade: bool
    owner: str | None = None  # the schedule whose run or reconcile started it
    expected: float | None = None  # the level last sent
    flash_skipped: bool = False  # the light skipped the flash under way: its end may too
    segments: list[tuple[datetime, int, float]] = field(default_factory=list)
    timer: CALLBACK_TYPE | None = None
    unsub: CALLBACK_TYPE | None = None


class LevelController:
    """Applies at most one profile per entity; a newer action on the entity cancels it.

    Steps are loop timers at the instants the rounded level changes (or fade segments start),
    each running one short service call: nothing waits in between.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        background: Callable[[Any, str], asyncio.Task[Any]],
    ) -> None:
        """Create a controller that runs each step's call as a background task."""
        self.hass = hass
        self._background = background
        self._active: dict[str, _Active] = {}
        # The level of the last step sent to an entity, until its call has returned.
        self._sending: dict[str, int] = {}
        self._own: dict[str, None] = {}  # insertion-ordered, bounded
        # Seconds the last call to each entity took; none after a failed one (counts as slow).
        self._call_seconds: dict[str, float] = {}

    def active(self, entity_id: str) -> bool:
        """Return True while a profile runs on the entity."""
        return entity_id in self._active

    def sending(self, entity_id: str) -> bool:
        """Return True while a step's call to the entity has not returned."""
        return entity_id in self._sending

    def level_at(self, entity_id: str, at: datetime) -> float | None:
        """Return the level this controller puts the entity at, or None when it drives nothing.

        A running profile answers for any instant (a hold ending exactly at ``at`` answers its
        after level); a last step whose call has not returned yet answers that step's level.
        """
        if (active := self._active.get(entity_id)) is not None:
            return active.profile.level_at(at)
        level = self._sending.get(entity_id)
        return None if level is None else float(level)

    @callback
    def note_own(self, context: Context) -> None:
        """Remember a context of the integration's own calls: its changes are not manual."""
        self._own[context.id] = None
        if len(self._own) > OWN_CONTEXTS:
            del self._own[next(iter(self._own))]

    @callback
    def cancel(self, entity_id: str) -> None:
        """Stop the profile on an entity, if any (a newer action takes over)."""
        if (active := self._active.pop(entity_id, None)) is not None:
            _release(active)

    @callback
    def cancel_curves(self, owner: str) -> None:
        """Stop the light profile and wave curves a schedule started (edited, disabled, deleted).

        Ramps and holds are left to end as planned: they are short, and a hold's end switches
        its target off; a curve would drive its lights or pumps until midnight.
        """
        for entity_id, active in list(self._active.items()):
            if active.owner == owner and isinstance(active.profile, LightCurve | WaveCurve):
                self.cancel(entity_id)

    @callback
    def cancel_all(self) -> None:
        """Stop every profile (unload)."""
        for entity_id in list(self._active):
            self.cancel(entity_id)

    async def async_start(
        self,
        entity_id: str,
        profile: Profile,
        apply: Apply,
        context: Context,
        on_stop: Callable[[str], None],
        *,
        owner: str | None = None,
    ) -> None:
        """Apply the profile's level now (errors propagate), then follow it with timers.

        A newer action on the entity while the first call is under way cancels the profile:
        it is then not followed. ``owner`` (a schedule id) lets ``cancel_curves`` stop it.
        """
        self.cancel(entity_id)
        now = dt_util.utcnow()
        level = round_level(profile.level_at(now))
        fade = fades(profile, self.hass.states.get(entity_id))
        active = _Active(profile, apply, context, on_stop, fade, owner, expected=level)
        self._active[entity_id] = active
        try:
            await self._async_timed_call(entity_id, apply, level, None)
        except BaseException:
            self._finish(entity_id, active)
            raise
        if self._active.get(entity_id) is not active:
            return
        if profile.next_change(now) is None:
            self._finish(entity_id, active)
            return
        if fade:
            active.segments = changing_segments(
                transition_segments(profile, now, MAX_SEGMENT), level
            )
        active.unsub = async_track_state_change_event(
            self.hass, [entity_id], callback(functools.partial(self._on_state, entity_id, active))
        )
        self._arm(entity_id, active)

    @callback
    def _arm(self, entity_id: str, active: _Active) -> None:
        """Arm the timer for the next step, or forget a profile that has ended."""
        now = dt_util.utcnow()
        if active.fade:
            when = active.segments[0][0] if active.segments else None
        else:
            when = active.profile.next_change(now)
        if when is None:
            self._finish(entity_id, active)
            return
        active.timer = async_track_point_in_utc_time(
            self.hass, callback(functools.partial(self._on_step, entity_id, active)), when
        )

    @callback
    def _on_step(self, entity_id: str, active: _Active, _now: datetime) -> None:
        """Run one step's call in the background and arm the next one."""
        active.timer = None
        if self._active.get(entity_id) is not active:
            return
        if active.fade:
            _, level, seconds = active.segments.pop(0)
            fade: float | None = seconds
        else:
            now = dt_util.utcnow()
            level, fade = round_level(active.profile.level_at(now)), None
            if self._skips(entity_id, active, now, level):
                self._arm(entity_id, active)
                return
        active.expected = level
        self._sending[entity_id] = level
        self._background(self._async_apply_step(entity_id, active, level, fade), entity_id)
        self._arm(entity_id, active)

    async def _async_apply_step(
        self, entity_id: str, active: _Active, level: int, fade: float | None
    ) -> None:
        """Apply one step; a failed step is logged and the next one tries again."""
        try:
            await self._async_timed_call(entity_id, active.apply, level, fade)
        except Exception as err:
            LOGGER.warning(
                "Could not set %s to %s %%: %s", shorten(entity_id, MAX_ITEM), level, err
            )
        finally:
            if self._sending.get(entity_id) == level:
                del self._sending[entity_id]

    async def _async_timed_call(
        self, entity_id: str, apply: Apply, level: float, fade: float | None
    ) -> None:
        """Make one call and keep how long it took."""
        began = call_clock()
        try:
            await apply(level, fade)
        except BaseException:
            # How long a failing light answers tells nothing of how fast it changes.
            self._call_seconds.pop(entity_id, None)
            raise
        self._call_seconds[entity_id] = call_clock() - began

    def _skips(self, entity_id: str, active: _Active, now: datetime, level: int) -> bool:
        """Return True for a step a slow light leaves out: a flash, or its end at no change."""
        if not isinstance(active.profile, LightCurve):
            return False
        if active.profile.flash_at(now):
            seconds = self._call_seconds.get(entity_id)
            active.flash_skipped = seconds is None or seconds > FLASH_MAX_CALL
            return active.flash_skipped
        skipped, active.flash_skipped = active.flash_skipped, False
        return skipped and level == active.expected

    @callback
    def _on_state(
        self, entity_id: str, active: _Active, event: Event[EventStateChangedData]
    ) -> None:
        """Stop following when someone else changes the entity's level."""
        context = event.context
        if active.context.id in (context.id, context.parent_id) or (
            context.id in self._own or context.parent_id in self._own
        ):
            return
        new_level = entity_level(event.data["new_state"])
        if new_level is None or active.expected is None or abs(new_level - active.expected) < 1:
            return
        if self._active.get(entity_id) is active:
            del self._active[entity_id]
            _release(active)
            active.on_stop(f"stopped on {entity_id} by a manual change to {round(new_level)} %")

    @callback
    def _finish(self, entity_id: str, active: _Active) -> None:
        """Forget a profile that reached its end."""
        if self._active.get(entity_id) is active:
            del self._active[entity_id]
            _release(active)


def _release(active: _Active) -> None:
    """Cancel a profile's timer and state listener."""
    for unsub in (active.timer, active.unsub):
        if unsub is not None:
            unsub()
    active.timer = active.unsub = None
