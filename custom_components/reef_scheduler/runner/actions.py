"""Maps a run's action to Home Assistant service calls, with timeouts, retries and a Context."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
import dataclasses
from dataclasses import dataclass
from datetime import datetime
import random
from typing import Any

from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TOGGLE,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.script import Script, async_validate_actions_config
from homeassistant.util import dt as dt_util
import voluptuous as vol

from ..const import DOMAIN, LOGGER
from ..engine.ledger import RunStatus
from ..engine.model import Action, ActionType, Schedule
from ..engine.prescribed import Prescription
from ..engine.profile import Hold, Profile, Ramp
from ..engine.retry import backoff_delay
from ..engine.validate import FieldError, ScheduleInvalid
from .levels import Apply, LevelController, entity_level
from .runner import RunRequest, RunResult
from .targets import target_entity_ids

_NUMBER_DOMAINS = ("number", "input_number")
_SWITCH_SERVICES = {
    ActionType.ON: SERVICE_TURN_ON,
    ActionType.OFF: SERVICE_TURN_OFF,
    ActionType.TOGGLE: SERVICE_TOGGLE,
}


@dataclass(frozen=True, slots=True)
class ServiceCallSpec:
    """One service call for one entity."""

    domain: str
    service: str
    data: dict[str, Any]


class TargetUnavailableError(HomeAssistantError):
    """The target entity does not exist or is unavailable."""


def level_call(
    hass: HomeAssistant, entity_id: str, level: float, fade: float | None = None
) -> ServiceCallSpec:
    """Return the call that sets an entity to a level in percent (lights may fade)."""
    domain = entity_id.split(".", 1)[0]
    data: dict[str, Any] = {ATTR_ENTITY_ID: entity_id}
    if domain in _NUMBER_DOMAINS:
        state = hass.states.get(entity_id)
        low = float(state.attributes.get("min", 0)) if state else 0.0
        high = float(state.attributes.get("max", 100)) if state else 100.0
        data["value"] = low + (high - low) * level / 100
        return ServiceCallSpec(domain, "set_value", data)
    if domain == "fan":
        return ServiceCallSpec(domain, "set_percentage", {**data, "percentage": round(level)})
    if domain == "light" and fade is not None:
        data["transition"] = fade
    if level <= 0:
        return ServiceCallSpec(domain, SERVICE_TURN_OFF, data)
    if domain == "light":
        data["brightness_pct"] = level
    return ServiceCallSpec(domain, SERVICE_TURN_ON, data)


def switch_call(entity_id: str, action_type: ActionType, fade: float | None) -> ServiceCallSpec:
    """Return the on/off/toggle call for an entity."""
    domain = entity_id.split(".", 1)[0]
    if domain in _NUMBER_DOMAINS:
        raise HomeAssistantError(f"{entity_id} takes a level, not {action_type}")
    data: dict[str, Any] = {ATTR_ENTITY_ID: entity_id}
    if domain == "light" and fade is not None:
        data["transition"] = fade
    return ServiceCallSpec(domain, _SWITCH_SERVICES[action_type], data)


def _result(entity_ids: Sequence[str], outcomes: Sequence[tuple[int, str | None]]) -> RunResult:
    """Return a run's result from its per-entity (attempts, error) outcomes."""
    attempts = max(attempts for attempts, _ in outcomes)
    errors = {eid: err for eid, (_, err) in zip(entity_ids, outcomes, strict=True) if err}
    if not errors:
        return RunResult(RunStatus.SUCCESS, attempts=attempts)
    text = "; ".join(f"{eid}: {err}" for eid, err in errors.items())
    return RunResult(RunStatus.FAILED, attempts=attempts, error=text, failed_targets=tuple(errors))


def action_profile(
    action: Action, start: datetime, now: datetime, current: float
) -> Profile | None:
    """Return the level-over-time an action prescribes, or None for a one-shot action.

    A ramp without a start level starts at the target's current level; when it is resumed
    after its start (restart, catch-up) it continues from the current level over what is left,
    so the light neither jumps nor ends late.
    """
    if action.type is ActionType.RAMP:
        # Validation guarantees both for ramps.
        assert action.duration is not None
        assert action.level is not None
        if action.start_level is not None:
            return Ramp(start, action.duration, action.start_level, action.level, action.curve)
        if now <= start:
            return Ramp(start, action.duration, current, action.level, action.curve)
        remaining = max(start + action.duration - now, action.duration * 0)
        return Ramp(now, remaining, current, action.level, action.curve)
    if action.duration is not None and action.type in (
        ActionType.ON,
        ActionType.SET_LEVEL,
        ActionType.SET_PWM,
    ):
        level = 100.0 if action.type is ActionType.ON else float(action.level or 0)
        return Hold(start, start + action.duration, level)
    return None


class ActionExecutor:
    """Executes runs: one call per target entity, each with a timeout and retries."""

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        background: Callable[[Any, str], asyncio.Task[Any]] | None = None,
        rng: random.Random | Callable[[], float] | None = None,
    ) -> None:
        """Create an executor."""
        self.hass = hass
        self._rng = rng or random.Random()
        self.levels = LevelController(
            hass, background or (lambda coro, name: hass.async_create_task(coro, name))
        )
        # Runs on one entity are serialised: a newer run supersedes an older one.
        self._generation: dict[str, int] = {}

    async def async_stop(self) -> None:
        """Stop every ramp and hold (unload)."""
        self.levels.cancel_all()

    async def async_execute(self, request: RunRequest) -> RunResult:
        """Execute a run and report its outcome."""
        schedule = request.schedule
        context = Context(id=request.context_id)
        # What the run changes is no manual change to a ramp or hold (however late it shows).
        self.levels.note_own(context)
        if schedule.action.type is ActionType.CUSTOM:
            return await self._async_run_sequence(schedule, context)
        entity_ids = target_entity_ids(self.hass, schedule.action.target)
        if not entity_ids:
            return RunResult(RunStatus.FAILED, error="No target entity exists")
        outcomes = await asyncio.gather(
            *(self._async_run_on(request, entity_id, context) for entity_id in entity_ids)
        )
        return _result(entity_ids, outcomes)

    async def async_apply_state(
        self,
        schedule: Schedule,
        entity_id: str,
        prescription: Prescription,
        context_id: str,
        on_note: Callable[[str], None],
    ) -> RunResult:
        """Drive one entity to what the schedules prescribe for it now (reconcile).

        A ramp or hold still running is followed from the level of now on; a plain level is
        set with the winning schedule's action (an ``on`` turns a light on, it does not set
        its brightness). Retries, timeout and "latest action wins" are those of a run.
        """
        context = Context(id=context_id)
        self.levels.note_own(context)
        driven = self.levels.level_at(entity_id, prescription.at)

        async def once() -> None:
            at_now = dataclasses.replace(prescription, at=dt_util.utcnow())
            apply = self._applier(schedule, entity_id, context)
            plan = at_now.plan(self._start_level(entity_id, driven))
            if plan is None:
                # Only a moving open ramp has no level, and it always has a plan.
                assert at_now.level is not None
                await apply(at_now.level, schedule.action.transition)
                return
            await self.levels.async_start(entity_id, plan, apply, context, on_note)

        outcome = await self._async_apply(schedule, entity_id, once, describes_state=True)
        return _result([entity_id], [outcome])

    def _start_level(self, entity_id: str, driven: float | None) -> float:
        """Return the level a new profile on the entity starts from.

        ``driven`` is the level what drove the entity had at the new action's instant, read
        before the action cancelled it (``LevelController.level_at``: a hold ending exactly
        then has already switched off); without one, the entity's own level.
        """
        if driven is not None:
            return driven
        return entity_level(self.hass.states.get(entity_id)) or 0.0

    async def _async_run_on(
        self, request: RunRequest, entity_id: str, context: Context
    ) -> tuple[int, str | None]:
        """Apply a run's action to one entity; return (attempts, error or None)."""
        action = request.schedule.action
        # Read before this action cancels what drives the entity now.
        driven = self.levels.level_at(entity_id, request.due or dt_util.utcnow())

        async def once() -> None:
            current = self._start_level(entity_id, driven)
            await self._async_apply_once(request, entity_id, context, current)

        return await self._async_apply(
            request.schedule, entity_id, once, describes_state=action.type.idempotent
        )

    async def _async_apply(
        self,
        schedule: Schedule,
        entity_id: str,
        once: Callable[[], Awaitable[None]],
        *,
        describes_state: bool,
    ) -> tuple[int, str | None]:
        """Call ``once`` with retries; return (attempts, error or None).

        An action that describes a state supersedes what drives the entity (a ramp, a hold, a
        run waiting to retry); an event-like one (toggle) leaves them running, but stops
        retrying once a newer state takes over.
        """
        if describes_state:
            generation = self._generation[entity_id] = self._generation.get(entity_id, 0) + 1
            self.levels.cancel(entity_id)
        else:
            generation = self._generation.get(entity_id, 0)
        policy = schedule.retry
        error: str | None = None
        attempt = 0
        for attempt in range(policy.retries + 1):
            if attempt:
                delay = backoff_delay(attempt - 1, base=policy.base, cap=policy.cap, rng=self._rng)
                await asyncio.sleep(delay)
                if self._generation.get(entity_id, 0) != generation:
                    return attempt, None  # superseded by a newer run on this entity
            try:
                await once()
            except (HomeAssistantError, TimeoutError) as err:
                error = str(err) or type(err).__name__
                LOGGER.debug(
                    "%s: %s failed (attempt %s): %s",
                    schedule.name,
                    entity_id,
                    attempt + 1,
                    error,
                )
                continue
            return attempt + 1, None
        return attempt + 1, error

    async def _async_apply_once(
        self, request: RunRequest, entity_id: str, context: Context, current: float
    ) -> None:
        """Make the action's call (or start its profile), raising on any failure."""
        action = request.schedule.action
        now = dt_util.utcnow()
        profile = action_profile(action, request.due or now, now, current)
        apply = self._applier(request.schedule, entity_id, context)
        if profile is None:
            level = 100.0 if action.type in _SWITCH_SERVICES else float(action.level or 0)
            await apply(level, action.transition)
            return
        on_stop = request.on_note or (lambda _text: None)
        await self.levels.async_start(entity_id, profile, apply, context, on_stop)

    def _applier(self, schedule: Schedule, entity_id: str, context: Context) -> Apply:
        """Return the function that puts one entity at a level for a schedule's action."""
        action = schedule.action
        timeout = schedule.retry.timeout

        async def apply(level: float, fade: float | None) -> None:
            state = self.hass.states.get(entity_id)
            if state is None or state.state == STATE_UNAVAILABLE:
                raise TargetUnavailableError(f"{entity_id} is unavailable")
            if action.type in _SWITCH_SERVICES:
                # An "on" with a hold switches off when its window ends (level 0).
                off = action.type is ActionType.ON and level <= 0
                call = switch_call(entity_id, ActionType.OFF if off else action.type, fade)
            else:
                call = level_call(self.hass, entity_id, level, fade)
            async with asyncio.timeout(timeout):
                await self.hass.services.async_call(
                    call.domain, call.service, call.data, blocking=True, context=context
                )

        return apply

    async def async_validate(self, schedule: Schedule) -> None:
        """Check what only Home Assistant can check: a custom sequence's script syntax."""
        if schedule.action.type is ActionType.CUSTOM:
            await self._async_sequence_config(schedule)

    async def _async_sequence_config(self, schedule: Schedule) -> list[dict[str, Any]]:
        """Return the validated script config of a custom action (ScheduleInvalid if bad)."""
        try:
            steps = cv.SCRIPT_SCHEMA([dict(step) for step in schedule.action.sequence])
            config: list[dict[str, Any]] = await async_validate_actions_config(self.hass, steps)
        except (vol.Invalid, HomeAssistantError) as err:
            error = FieldError("action.sequence", "invalid_sequence", {"error": str(err)})
            raise ScheduleInvalid((error,)) from err
        return config

    async def _async_run_sequence(self, schedule: Schedule, context: Context) -> RunResult:
        """Run a custom action sequence with the run's context."""
        try:
            config = await self._async_sequence_config(schedule)
        except ScheduleInvalid as err:
            return RunResult(RunStatus.FAILED, error=str(err))
        script = Script(self.hass, config, schedule.name, DOMAIN, logger=LOGGER)
        try:
            async with asyncio.timeout(schedule.retry.timeout):
                await script.async_run(context=context)
        except (HomeAssistantError, TimeoutError) as err:
            return RunResult(RunStatus.FAILED, error=str(err) or type(err).__name__)
        return RunResult(RunStatus.SUCCESS)
