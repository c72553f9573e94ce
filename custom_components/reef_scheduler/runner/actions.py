"""Maps a run's action to Home Assistant service calls, with timeouts, retries and a Context."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
import contextlib
import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
import functools
import random
from typing import Any

from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_ACTION,
    CONF_ALIAS,
    CONF_CONTINUE_ON_ERROR,
    CONF_DELAY,
    CONF_ENABLED,
    CONF_ERROR,
    CONF_EVENT_DATA,
    CONF_RESPONSE_VARIABLE,
    CONF_STOP,
    CONF_TARGET,
    CONF_TIMEOUT,
    CONF_VARIABLES,
    CONF_WAIT_FOR_TRIGGER,
    CONF_WAIT_TEMPLATE,
    EVENT_HOMEASSISTANT_STOP,
    SERVICE_TOGGLE,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import CALLBACK_TYPE, Context, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv, service
from homeassistant.helpers.script import (
    SCRIPT_MODE_PARALLEL,
    Script,
    async_validate_actions_config,
)
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util
from homeassistant.util.async_ import create_eager_task
import voluptuous as vol

from ..const import DOMAIN, LOGGER
from ..engine.ledger import INTERRUPTED_ERROR, RunStatus
from ..engine.model import ActionType, Schedule
from ..engine.prescribed import Effect, MoonWindows, Prescription, effect_of, follow, light_run
from ..engine.retry import backoff_delay
from ..engine.shorten import MAX_ITEM, shorten
from ..engine.timeline import get_zone
from ..engine.validate import FieldError, ScheduleInvalid
from .dosing import DosingController, check_doser
from .levels import Apply, LevelController, entity_level
from .runner import RunRequest, RunResult, step_note
from .targets import target_entity_ids

_NUMBER_DOMAINS = ("number", "input_number")
_SWITCH_SERVICES = {
    ActionType.ON: SERVICE_TURN_ON,
    ActionType.OFF: SERVICE_TURN_OFF,
    ActionType.TOGGLE: SERVICE_TOGGLE,
}
# The longest a custom action's waiting step (delay, wait, or a control step with one) may last.
MAX_WAIT = timedelta(hours=24)
_WAIT_KEYS = frozenset({CONF_DELAY, CONF_WAIT_TEMPLATE, CONF_WAIT_FOR_TRIGGER})
# Keys of a step that hold data, never nested steps.
_DATA_KEYS = frozenset({CONF_TARGET, "data", "data_template", CONF_EVENT_DATA, CONF_VARIABLES})
# Set by the variables step appended to a step's script: the step let the sequence go on.
_DONE = "reef_scheduler_step_done"
# Steps that do not wait and hold no steps of their own. Home Assistant stopping the script
# interrupts their call with an error, and a false condition or a stop is not among them, so
# returning at all means they let the sequence go on: they need no appended step (which would
# cost every run as much as half the step itself, before the next run's first call).
_PLAIN_ACTIONS = frozenset(
    {
        cv.SCRIPT_ACTION_CALL_SERVICE,
        cv.SCRIPT_ACTION_ACTIVATE_SCENE,
        cv.SCRIPT_ACTION_FIRE_EVENT,
        cv.SCRIPT_ACTION_VARIABLES,
    }
)
# A call step with none of these is made directly, without a script around it.
_SCRIPT_ONLY_KEYS = frozenset({CONF_CONTINUE_ON_ERROR, CONF_ENABLED, CONF_RESPONSE_VARIABLE})
_MAX_PARALLEL_RUNS = 1000
# The built steps of at most this many custom schedules are kept, the least recently used
# dropped first: steps are built when a run is prepared (ahead of its due instant) or on a first
# untimed run, never at load, so 10 000 schedules start without building any. A schedule's steps
# are used within a second of being built for a timed run, so the cap only has to exceed the
# custom runs due at one instant (beyond it, a run builds its steps again as it starts).
MAX_BUILT = 256
_MAX_STEP_TEXT = 100


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


class ActionExecutor:
    """Executes runs: one call per target entity, each with a timeout and retries."""

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        background: Callable[[Any, str], asyncio.Task[Any]] | None = None,
        rng: random.Random | Callable[[], float] | None = None,
        moon_windows: MoonWindows | None = None,
        dosing: DosingController | None = None,
    ) -> None:
        """Create an executor (``moon_windows``: moonrise to moonset, for light profiles).

        ``dosing``: the local entry's doses (a server's runner has none: it runs no doses).
        """
        self.hass = hass
        self._dosing = dosing
        self._moon_windows = moon_windows
        self._rng = rng or random.Random()
        self._background = background or (lambda coro, name: hass.async_create_task(coro, name))
        self.levels = LevelController(hass, self._background)
        # Runs on one entity are serialised: a newer run supersedes an older one.
        self._generation: dict[str, int] = {}
        # Per custom schedule: what its steps are built from, and their build (most recent last).
        self._sequences: OrderedDict[str, tuple[tuple[str, Any], asyncio.Task[_Steps]]] = (
            OrderedDict()
        )
        self._calls: set[asyncio.Task[Any]] = set()  # direct calls under way
        self._stopped = False  # Home Assistant is stopping
        self._unsub_stop: CALLBACK_TYPE | None = hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._on_stop
        )

    async def async_stop(self) -> None:
        """Stop every ramp and hold (unload)."""
        self.levels.cancel_all()
        self._sequences.clear()
        if self._unsub_stop is not None:
            self._unsub_stop()
            self._unsub_stop = None

    def prepare(self, schedule: Schedule) -> None:
        """Build a custom schedule's steps ahead of its run (nothing to do for other actions)."""
        if schedule.action.type is ActionType.CUSTOM:
            self._build(schedule)

    def forget(self, schedule_id: str) -> None:
        """Drop a schedule's built steps and stop its light curves (edited or removed).

        The reconcile that follows an edit drives its lights again from the new definition;
        a disabled or deleted light profile's lights stay where they are.
        """
        self._sequences.pop(schedule_id, None)
        self.levels.cancel_curves(schedule_id)

    async def async_execute(self, request: RunRequest) -> RunResult:
        """Execute a run and report its outcome."""
        schedule = request.schedule
        context = Context(id=request.context_id)
        # What the run changes is no manual change to a ramp or hold (however late it shows).
        self.levels.note_own(context)
        if schedule.action.type is ActionType.CUSTOM:
            return await self._async_run_sequence(request, context)
        if schedule.action.type is ActionType.DOSE:
            if self._dosing is None:
                return RunResult(RunStatus.FAILED, attempts=0, error="No doser here")
            return await self._dosing.async_dose(request, context)
        entity_ids = target_entity_ids(self.hass, schedule.action.target)
        if not entity_ids:
            return RunResult(RunStatus.FAILED, error="No target entity exists")
        if len(entity_ids) == 1:  # the usual case: no task to create and gather
            outcomes = [await self._async_run_on(request, entity_ids[0], context)]
        else:
            # Eager: each target's call is made before the next target's task is created,
            # not one loop iteration later (after every other run started meanwhile).
            outcomes = await asyncio.gather(
                *(
                    create_eager_task(self._async_run_on(request, entity_id, context))
                    for entity_id in entity_ids
                )
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
            await self.levels.async_start(
                entity_id, plan, apply, context, on_note, owner=schedule.id
            )

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
                    shorten(schedule.name),
                    shorten(entity_id, MAX_ITEM),
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
        schedule = request.schedule
        now = dt_util.utcnow()
        effect = self._effect(schedule, entity_id, request.due or now)
        profile = None if effect is None else follow(effect, now, current)
        apply = self._applier(schedule, entity_id, context)
        if profile is None:
            # A steady level; an event (toggle) has none and its call ignores the level.
            level = 100.0 if effect is None else effect.level_at(now)
            assert level is not None  # only an open ramp has none, and it is followed
            await apply(level, schedule.action.transition)
            return
        on_stop = request.on_note or (lambda _text: None)
        await self.levels.async_start(
            entity_id, profile, apply, context, on_stop, owner=schedule.id
        )

    def _effect(self, schedule: Schedule, entity_id: str, due: datetime) -> Effect | None:
        """Return what a run of the schedule at ``due`` does to one entity over time.

        A ramp without a start level is open (its start is the entity's level then).
        """
        zone = get_zone(schedule.timezone or self.hass.config.time_zone)
        light = light_run(entity_id, zone, schedule.id, self._moon_windows)
        return effect_of(schedule.action, due, light=light)

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
        """Check what only Home Assistant can check: a custom sequence, a dose's doser."""
        if schedule.action.type is ActionType.CUSTOM:
            await self._async_sequence_config(schedule)
        check_doser(schedule, None if self._dosing is None else self._dosing.dosers)

    async def _async_sequence_config(self, schedule: Schedule) -> list[dict[str, Any]]:
        """Return the validated script config of a custom action (ScheduleInvalid if bad)."""
        try:
            steps = cv.SCRIPT_SCHEMA([dict(step) for step in schedule.action.sequence])
            config: list[dict[str, Any]] = await async_validate_actions_config(self.hass, steps)
        except (vol.Invalid, HomeAssistantError, OverflowError) as err:  # {"delay": 1e300}
            error = FieldError("action.sequence", "invalid_sequence", {"error": str(err)})
            raise ScheduleInvalid((error,)) from err
        too_long = [
            FieldError(f"action.sequence.{index}", "delay_too_long")
            for index, step in enumerate(config)
            if _longest_static_wait(step) > MAX_WAIT
        ]
        if too_long:
            raise ScheduleInvalid(too_long)
        return config

    async def _async_steps(self, schedule: Schedule) -> _Steps:
        """Return a custom action's steps, built once per definition (ScheduleInvalid if bad)."""
        # Shielded: a run cancelled while a build is under way leaves it to the others.
        return await asyncio.shield(self._build(schedule))

    def _build(self, schedule: Schedule) -> asyncio.Task[_Steps]:
        """Return the build of a custom action's steps, started unless one for it is kept."""
        sid = schedule.id
        source = (schedule.name, schedule.action.sequence)
        cached = self._sequences.get(sid)
        if cached is not None and cached[0] == source:
            self._sequences.move_to_end(sid)
            return cached[1]
        task = self._background(self._async_build(schedule), f"reef build {sid}")
        self._sequences[sid] = (source, task)
        if len(self._sequences) > MAX_BUILT:
            self._sequences.popitem(last=False)
        task.add_done_callback(functools.partial(self._on_built, sid))
        return task

    def _on_built(self, sid: str, task: asyncio.Task[_Steps]) -> None:
        """Forget a build that failed: the next run validates the sequence again."""
        if task.cancelled() or task.exception() is not None:
            cached = self._sequences.get(sid)
            if cached is not None and cached[1] is task:
                del self._sequences[sid]

    async def _async_build(self, schedule: Schedule) -> _Steps:
        """Validate a custom action's sequence and build its steps (ScheduleInvalid if bad)."""
        config = await self._async_sequence_config(schedule)
        # Runs after each step: the step let the sequence go on (a false condition or a stop
        # ends it, and so does Home Assistant stopping the script).
        done: list[dict[str, Any]] = cv.SCRIPT_SCHEMA([{CONF_VARIABLES: {_DONE: True}}])
        return tuple(
            self._step(schedule, number, step, done) for number, step in enumerate(config, 1)
        )

    def _step(
        self, schedule: Schedule, number: int, step: dict[str, Any], done: list[dict[str, Any]]
    ) -> _Step:
        """Return one top-level step of a custom action as its own script."""
        text = describe_step(number, step)
        waits, may_end = _waits(step), _may_end(step)
        kind = cv.determine_script_action(step)
        marked = waits or may_end or kind not in _PLAIN_ACTIONS
        # A script run costs several times the call itself, and runs due together start one
        # after the other: the last one's call would wait for all the others' scripts.
        direct = kind == cv.SCRIPT_ACTION_CALL_SERVICE and not _SCRIPT_ONLY_KEYS & step.keys()
        error = step.get(CONF_ERROR) and CONF_STOP in step
        built = _Step(
            text=text,
            name=schedule.name,
            config=[step, *done] if marked else [step],
            waits=waits,
            may_end=may_end,
            marked=marked,
            stop_error=str(step[CONF_STOP]) if error else None,
            call=step if direct else None,
        )
        if not direct:
            self._script(built)
        return built

    def _script(self, step: _Step) -> Script:
        """Return the step's script (a direct call's is built when first needed)."""
        if step.script is None:
            step.script = Script(
                self.hass,
                step.config,
                step.name,
                DOMAIN,
                logger=LOGGER,
                script_mode=SCRIPT_MODE_PARALLEL,
                max_runs=_MAX_PARALLEL_RUNS,
                running_description=f"custom step {step.text}",
            )
        return step.script

    async def _async_run_sequence(self, request: RunRequest, context: Context) -> RunResult:
        """Run a custom action's steps in order, each call bounded by the per-call timeout.

        Waiting steps (a delay, a wait, or a control step with one inside) are bounded by
        MAX_WAIT instead. The steps share the run's context and variables.
        """
        schedule = request.schedule
        try:
            steps = await self._async_steps(schedule)
        except ScheduleInvalid as err:
            return RunResult(RunStatus.FAILED, error=str(err))
        timeout = schedule.retry.timeout
        variables: dict[str, Any] = {}
        reached: str | None = None
        on_step = request.on_step or (lambda _text: None)
        for step in steps:
            reached = step.text
            on_step(step.text)
            limit = MAX_WAIT.total_seconds() + timeout if step.waits else timeout
            waiting = request.waiting() if step.waits else contextlib.nullcontext()
            try:
                async with waiting, asyncio.timeout(limit) as bound:
                    # Once Home Assistant stops, a script's rules for new runs apply.
                    if step.call is not None and not self._stopped:
                        await self._async_call(step.call, variables, context)
                        continue
                    result = await self._script(step).async_run(variables, context)
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is None or current.cancelling():
                    raise  # the run itself is cancelled (unload)
                # Home Assistant stopped the script: it is shutting down.
                return _interrupted(step)
            except TimeoutError as err:
                if not bound.expired():
                    return _failed(step, str(err) or type(err).__name__)
                if step.waits:
                    return _failed(step, f"still waiting after {timedelta(seconds=limit)}")
                return _failed(step, f"no answer within {limit:g} s")
            except Exception as err:  # a script has logged it
                return _failed(step, str(err) or type(err).__name__)
            if result is None:
                return _interrupted(step)  # no new script runs while Home Assistant stops
            if step.marked and _DONE not in result.variables:
                if not step.may_end or self.hass.is_stopping:
                    return _interrupted(step)  # Home Assistant stopped the script
                if step.stop_error is not None:
                    return _failed(step, step.stop_error)
                break  # a condition or a stop ended the sequence here
            variables = {key: value for key, value in result.variables.items() if key != _DONE}
        return RunResult(RunStatus.SUCCESS, step=reached)

    async def _async_call(
        self, step: dict[str, Any], variables: dict[str, Any], context: Context
    ) -> None:
        """Make a call step's call as its script would (templates rendered with the run's)."""
        params = service.async_prepare_call_from_config(
            self.hass, step, {**variables, "context": context}
        )
        call = create_eager_task(
            self.hass.services.async_call(**params, blocking=True, context=context)
        )
        if not call.done():  # most are: a call that does not wait
            self._calls.add(call)
            call.add_done_callback(self._calls.discard)
        await call

    @callback
    def _on_stop(self, _event: Event) -> None:
        """Stop the calls under way, as Home Assistant stops the scripts running then."""
        self._unsub_stop = None
        self._stopped = True
        for call in self._calls:
            call.cancel()


@dataclass(slots=True)
class _Step:
    """One top-level step of a custom action, ready to run."""

    text: str
    name: str  # the schedule's
    config: list[dict[str, Any]]  # its script's
    waits: bool
    # A false condition or a stop in it may end the sequence.
    may_end: bool
    # Its script ends with the step setting _DONE (see _PLAIN_ACTIONS).
    marked: bool
    stop_error: str | None
    call: dict[str, Any] | None  # a plain call step, made directly
    script: Script | None = None  # built with the step, or when a direct call needs one


type _Steps = tuple[_Step, ...]


def _failed(step: _Step, message: str) -> RunResult:
    """Return the result of a custom run that failed at a step."""
    LOGGER.debug("Custom run failed at step %s: %s", step.text, message)
    return RunResult(RunStatus.FAILED, error=f"{step_note(step.text)}: {message}", step=step.text)


def _interrupted(step: _Step) -> RunResult:
    """Return the result of a custom run that Home Assistant's shutdown interrupted."""
    return RunResult(
        RunStatus.INTERRUPTED, error=f"{INTERRUPTED_ERROR} {step_note(step.text)}", step=step.text
    )


def describe_step(number: int, step: dict[str, Any]) -> str:
    """Return a step's short description: its number, then its alias or kind and target."""
    if alias := step.get(CONF_ALIAS):
        text = str(alias)
    else:
        kind = cv.determine_script_action(step)
        if kind == cv.SCRIPT_ACTION_CALL_SERVICE:
            text = " ".join([_shown(step[CONF_ACTION]), *_entity_ids(step)])
        elif kind == cv.SCRIPT_ACTION_DELAY:
            text = f"{kind} {_shown(step[CONF_DELAY])}"
        else:
            text = kind
    text = f"{number}: {text}"
    return shorten(text, _MAX_STEP_TEXT)


def _shown(value: Any) -> str:
    """Return a config value as text (a template as its source)."""
    if isinstance(value, Template):
        return value.template
    return str(value)


def _entity_ids(step: Mapping[str, Any]) -> list[str]:
    """Return the entity ids a call step names in its target or data (as text)."""
    found: list[str] = []
    for key in (CONF_TARGET, "data"):
        section = step.get(key)
        ids = section.get(ATTR_ENTITY_ID) if isinstance(section, Mapping) else None
        if isinstance(ids, list | tuple):
            found.append(", ".join(_shown(entity_id) for entity_id in ids))
        elif ids is not None:
            found.append(_shown(ids))
    return found


def _nested(node: Any) -> Iterator[Mapping[str, Any]]:
    """Yield every mapping of a step's config, itself first (data and targets are skipped)."""
    if isinstance(node, Mapping):
        yield node
        for key, value in node.items():
            if key not in _DATA_KEYS:
                yield from _nested(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _nested(item)


def _waits(step: Mapping[str, Any]) -> bool:
    """Return whether a step waits: a delay or wait, also inside a control step."""
    return any(not _WAIT_KEYS.isdisjoint(node) for node in _nested(step))


def _may_end(step: dict[str, Any]) -> bool:
    """Return whether a step may end the sequence: a condition, or a stop anywhere in it.

    A condition inside a control step only ends that control step's own sequence.
    """
    if cv.determine_script_action(step) == cv.SCRIPT_ACTION_CHECK_CONDITION:
        return True
    return any(CONF_STOP in node for node in _nested(step))


def _longest_static_wait(step: Mapping[str, Any]) -> timedelta:
    """Return the longest fixed delay or wait timeout inside a step (templates count 0)."""
    longest = timedelta(0)
    for node in _nested(step):
        if CONF_DELAY in node:
            value = node[CONF_DELAY]
        elif CONF_WAIT_TEMPLATE in node or CONF_WAIT_FOR_TRIGGER in node:
            value = node.get(CONF_TIMEOUT)
        else:
            continue
        if isinstance(value, timedelta):
            longest = max(longest, value)
    return longest
