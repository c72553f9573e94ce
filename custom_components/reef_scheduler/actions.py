"""Maps a run's action to Home Assistant service calls, with timeouts, retries and a Context."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import random
from typing import Any

from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TOGGLE,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Context, HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv, service
from homeassistant.helpers.script import Script, async_validate_actions_config
import voluptuous as vol

from .const import DOMAIN, LOGGER
from .engine.ledger import RunStatus
from .engine.model import Action, ActionType, Schedule
from .engine.retry import backoff_delay
from .engine.validate import FieldError, ScheduleInvalid
from .runner import RunRequest, RunResult

# Domains whose entities take a level (0..100 %) and how: (service, data builder).
_NUMBER_DOMAINS = ("number", "input_number")


@dataclass(frozen=True, slots=True)
class ServiceCallSpec:
    """One service call for one entity."""

    domain: str
    service: str
    data: dict[str, Any]


class TargetUnavailableError(HomeAssistantError):
    """The target entity does not exist or is unavailable."""


def expand_targets(hass: HomeAssistant, schedule: Schedule) -> list[str]:
    """Return the entity ids an action reaches now (devices and areas expanded at run time)."""
    target = schedule.action.target
    call_data = {
        "entity_id": list(target.entity_ids),
        "device_id": list(target.device_ids),
        "area_id": list(target.area_ids),
    }
    call = ServiceCall(hass, DOMAIN, "run", call_data)
    selected = service.async_extract_referenced_entity_ids(hass, call)
    return sorted(selected.referenced | selected.indirectly_referenced)


def _level_call(
    hass: HomeAssistant, entity_id: str, level: float, action: Action
) -> ServiceCallSpec:
    """Return the call that sets an entity to a level in percent."""
    domain = entity_id.split(".", 1)[0]
    data: dict[str, Any] = {ATTR_ENTITY_ID: entity_id}
    if domain in _NUMBER_DOMAINS:
        state = hass.states.get(entity_id)
        low = float(state.attributes.get("min", 0)) if state else 0.0
        high = float(state.attributes.get("max", 100)) if state else 100.0
        return ServiceCallSpec(
            domain, "set_value", {**data, "value": low + (high - low) * level / 100}
        )
    if domain == "fan":
        return ServiceCallSpec(domain, "set_percentage", {**data, "percentage": round(level)})
    if level <= 0:
        return ServiceCallSpec(domain, SERVICE_TURN_OFF, data)
    if domain == "light":
        data["brightness_pct"] = level
        if action.transition is not None:
            data["transition"] = action.transition
    return ServiceCallSpec(domain, SERVICE_TURN_ON, data)


def build_call(hass: HomeAssistant, entity_id: str, action: Action) -> ServiceCallSpec:
    """Return the service call that applies a state-describing or toggle action to an entity."""
    domain = entity_id.split(".", 1)[0]
    data: dict[str, Any] = {ATTR_ENTITY_ID: entity_id}
    if action.type in (ActionType.SET_LEVEL, ActionType.SET_PWM, ActionType.RAMP):
        return _level_call(hass, entity_id, action.level or 0.0, action)
    if domain in _NUMBER_DOMAINS:
        on = action.type is ActionType.ON
        return _level_call(hass, entity_id, 100.0 if on else 0.0, action)
    if domain == "light" and action.transition is not None:
        data["transition"] = action.transition
    service_name = {
        ActionType.ON: SERVICE_TURN_ON,
        ActionType.OFF: SERVICE_TURN_OFF,
        ActionType.TOGGLE: SERVICE_TOGGLE,
    }[action.type]
    return ServiceCallSpec(domain, service_name, data)


class ActionExecutor:
    """Executes runs: one call per target entity, each with a timeout and retries."""

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        rng: random.Random | Callable[[], float] | None = None,
    ) -> None:
        """Create an executor."""
        self.hass = hass
        self._rng = rng or random.Random()
        # Runs on one entity are serialised; a newer run supersedes an older one.
        self._generation: dict[str, int] = {}

    async def async_execute(self, request: RunRequest) -> RunResult:
        """Execute a run and report its outcome."""
        schedule = request.schedule
        context = Context(id=request.context_id)
        if schedule.action.type is ActionType.CUSTOM:
            return await self._async_run_sequence(schedule, context)
        entity_ids = expand_targets(self.hass, schedule)
        if not entity_ids:
            return RunResult(RunStatus.FAILED, attempts=1, error="No target entity exists")
        outcomes = await asyncio.gather(
            *(self._async_apply(schedule, entity_id, context) for entity_id in entity_ids)
        )
        failed = tuple(eid for eid, (_, error) in zip(entity_ids, outcomes, strict=True) if error)
        attempts = max(attempts for attempts, _ in outcomes)
        if not failed:
            return RunResult(RunStatus.SUCCESS, attempts=attempts)
        errors = "; ".join(
            f"{eid}: {err}" for eid, (_, err) in zip(entity_ids, outcomes, strict=True) if err
        )
        return RunResult(RunStatus.FAILED, attempts=attempts, error=errors, failed_targets=failed)

    async def _async_apply(
        self, schedule: Schedule, entity_id: str, context: Context
    ) -> tuple[int, str | None]:
        """Apply the action to one entity with retries; return (attempts, error or None)."""
        generation = self._generation[entity_id] = self._generation.get(entity_id, 0) + 1
        policy = schedule.retry
        error: str | None = None
        attempt = 0
        for attempt in range(policy.retries + 1):
            if attempt:
                delay = backoff_delay(attempt - 1, base=policy.base, cap=policy.cap, rng=self._rng)
                await asyncio.sleep(delay)
                if self._generation.get(entity_id) != generation:
                    return attempt, None  # superseded by a newer run on this entity
            try:
                await self._async_call_once(schedule, entity_id, context)
            except (HomeAssistantError, TimeoutError) as err:
                error = str(err) or type(err).__name__
                LOGGER.debug(
                    "Schedule %s: %s failed (attempt %s): %s",
                    schedule.name,
                    entity_id,
                    attempt + 1,
                    error,
                )
                continue
            return attempt + 1, None
        return attempt + 1, error

    async def _async_call_once(self, schedule: Schedule, entity_id: str, context: Context) -> None:
        """Make one call, raising on an unavailable target, an error or a timeout."""
        state = self.hass.states.get(entity_id)
        if state is None or state.state == STATE_UNAVAILABLE:
            raise TargetUnavailableError(f"{entity_id} is unavailable")
        call = build_call(self.hass, entity_id, schedule.action)
        async with asyncio.timeout(schedule.retry.timeout):
            await self.hass.services.async_call(
                call.domain, call.service, call.data, blocking=True, context=context
            )

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
