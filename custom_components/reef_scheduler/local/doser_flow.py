"""Subentry flow of a doser: its pump and guards, then a calibration run that measures ml/s.

user (name, pump, daily maximum, container, low mark) → calibrate (seconds to run) → run (the
pump runs that long while a progress step shows; then it is turned off, also when the flow is
closed or the call fails) → measured (the ml it pumped): ml_per_second = ml / seconds.
Reconfigure edits the guards and, if asked, calibrates again. Refused values stay in the form
beside their error; the number boxes have no bounds of their own, so every refusal is ours
and translated.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import contextlib
import math
from typing import Any, Final, cast

from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import ATTR_ENTITY_ID, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import Context, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import selector
import voluptuous as vol

from ..const import LOGGER
from .data import LocalConfigEntry
from .dosers import (
    CONF_CONTAINER_ML,
    CONF_DAILY_MAX_ML,
    CONF_LOW_ML,
    CONF_ML_PER_SECOND,
    CONF_NAME,
    CONF_PUMP,
    entry_dosers,
)
from .flow_fields import free_number, whole

DEFAULT_SECONDS: Final = 30
MAX_SECONDS: Final = 600
CALL_TIMEOUT: Final = 10  # seconds one turn_on / turn_off may take
PUMP_DOMAINS: Final = ("switch",)
CONF_SECONDS: Final = "seconds"
CONF_ML: Final = "ml"
CONF_RECALIBRATE: Final = "recalibrate"
_GUARDS = (CONF_NAME, CONF_DAILY_MAX_ML, CONF_CONTAINER_ML, CONF_LOW_ML)


def _ml() -> selector.NumberSelector:
    """Return a box for a volume in ml."""
    return free_number("ml")


def _guard_fields() -> dict[vol.Marker, Any]:
    """Return the guard fields shared by adding and editing a doser."""
    return {
        vol.Required(CONF_DAILY_MAX_ML): _ml(),
        vol.Optional(CONF_CONTAINER_ML): _ml(),
        vol.Optional(CONF_LOW_ML): _ml(),
    }


def _number(value: Any) -> float | None:
    """Return a finite number, else None (NaN passes a number box)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def guard_errors(values: Mapping[str, Any]) -> dict[str, str]:
    """Return the form errors of a doser's name and guards (empty when all are fine)."""
    errors: dict[str, str] = {}
    if not str(values.get(CONF_NAME) or "").strip():
        errors[CONF_NAME] = "name_empty"
    daily = _number(values.get(CONF_DAILY_MAX_ML))
    if daily is None or daily <= 0:
        errors[CONF_DAILY_MAX_ML] = "not_positive"
    container = values.get(CONF_CONTAINER_ML)
    if container is not None and ((size := _number(container)) is None or size <= 0):
        errors[CONF_CONTAINER_ML] = "not_positive"
    low = values.get(CONF_LOW_ML)
    if low is not None:
        mark = _number(low)
        if mark is None or mark < 0:
            errors[CONF_LOW_ML] = "negative"
        elif container is None:
            errors[CONF_LOW_ML] = "low_without_container"
        elif (size := _number(container)) is not None and mark > size:
            errors[CONF_LOW_ML] = "low_above_container"
    return errors


def _guards(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the guards of a checked answer as the subentry stores them."""
    return {
        CONF_NAME: str(values[CONF_NAME]).strip(),
        CONF_DAILY_MAX_ML: whole(values[CONF_DAILY_MAX_ML]),
        CONF_CONTAINER_ML: whole(values.get(CONF_CONTAINER_ML)),
        CONF_LOW_ML: whole(values.get(CONF_LOW_ML)),
    }


class DoserSubentryFlow(ConfigSubentryFlow):
    """Add a doser and calibrate it, or edit its guards and calibrate it again."""

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._data: dict[str, Any] = {}
        self._seconds: float = DEFAULT_SECONDS
        self._run: asyncio.Task[None] | None = None
        self._run_error: str | None = None

    # ----- adding and editing -----------------------------------------------------------------

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the doser's name, pump and guards."""
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME): selector.TextSelector(),
                vol.Required(CONF_PUMP): selector.EntitySelector(
                    selector.EntitySelectorConfig(domain=list(PUMP_DOMAINS))
                ),
            }
            | _guard_fields()
        )
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self._pump_errors(user_input[CONF_PUMP], new=True) | guard_errors(user_input)
            if not errors:
                self._data = {CONF_PUMP: user_input[CONF_PUMP]} | _guards(user_input)
                return await self.async_step_calibrate()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Edit the name and guards; calibrate again if asked (the pump stays)."""
        subentry = self._get_reconfigure_subentry()
        schema = vol.Schema(
            {vol.Required(CONF_NAME): selector.TextSelector()}
            | _guard_fields()
            | {vol.Required(CONF_RECALIBRATE): selector.BooleanSelector()}
        )
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = guard_errors(user_input)
            if not errors:
                self._data = dict(subentry.data) | _guards(user_input)
                if user_input[CONF_RECALIBRATE]:
                    return await self.async_step_calibrate()
                return self._async_finish()
        stored = {key: value for key, value in subentry.data.items() if value is not None}
        values = user_input or {key: stored.get(key) for key in _GUARDS} | {CONF_RECALIBRATE: False}
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                schema, {k: v for k, v in values.items() if v is not None}
            ),
            errors=errors,
            description_placeholders=self._placeholders(subentry.data),
        )

    # ----- calibration ------------------------------------------------------------------------

    async def async_step_calibrate(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask how long the pump runs for the calibration, then run it."""
        schema = vol.Schema({vol.Required(CONF_SECONDS): free_number("s")})
        # Shown until answered: the frontend fetches the step again after the progress.
        errors = {"base": self._run_error} if self._run_error is not None else {}
        if user_input is not None:
            self._run_error = None
            seconds = _number(user_input[CONF_SECONDS])
            if seconds is None or not 1 <= seconds <= MAX_SECONDS:
                errors = {CONF_SECONDS: "seconds_out_of_range"}
            else:
                errors = self._pump_errors(self._data[CONF_PUMP], new=False)
            if not errors and seconds is not None:
                self._seconds = whole(seconds)
                if await self._async_start_pump():
                    return await self.async_step_run()
                errors = {"base": "pump_failed"}
        values = user_input or {CONF_SECONDS: DEFAULT_SECONDS}
        return self.async_show_form(
            step_id="calibrate",
            data_schema=self.add_suggested_values_to_schema(schema, values),
            errors=errors,
            description_placeholders=self._placeholders(self._data),
        )

    async def async_step_run(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Run the pump for the chosen seconds while a progress step shows."""
        assert self._run is not None  # the calibrate step started it
        if not self._run.done():
            return self.async_show_progress(
                step_id="run",
                progress_action="pump_running",
                progress_task=self._run,
                description_placeholders=self._placeholders(self._data)
                | {CONF_SECONDS: str(self._seconds)},
            )
        run, self._run = self._run, None
        if run.cancelled() or run.exception() is not None:
            self._run_error = "pump_failed"
            return self.async_show_progress_done(next_step_id="calibrate")
        return self.async_show_progress_done(next_step_id="measured")

    async def async_step_measured(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask how many ml the pump moved; its rate is that over the seconds it ran."""
        schema = vol.Schema({vol.Required(CONF_ML): _ml()})
        errors: dict[str, str] = {}
        if user_input is not None:
            ml = _number(user_input[CONF_ML])
            if ml is None or ml <= 0:
                errors = {CONF_ML: "not_positive"}
            else:
                self._data[CONF_ML_PER_SECOND] = round(ml / self._seconds, 6)
                return self._async_finish()
        return self.async_show_form(
            step_id="measured",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
            description_placeholders=self._placeholders(self._data)
            | {CONF_SECONDS: str(self._seconds)},
        )

    @callback
    def async_remove(self) -> None:
        """Stop a calibration run when the flow is closed (its task turns the pump off)."""
        if self._run is not None and not self._run.done():
            self._run.cancel()

    # ----- helpers ----------------------------------------------------------------------------

    def _async_finish(self) -> SubentryFlowResult:
        """Create the doser's subentry, or update the one being edited."""
        data = self._data
        if self.source == SOURCE_USER:
            return self.async_create_entry(
                title=data[CONF_NAME], data=data, unique_id=data[CONF_PUMP]
            )
        return self.async_update_and_abort(
            self._get_entry(), self._get_reconfigure_subentry(), title=data[CONF_NAME], data=data
        )

    def _pump_errors(self, pump: str, *, new: bool) -> dict[str, str]:
        """Return the error of a pump already a doser (when adding), unavailable or running.

        A pump that runs already, or is about to (a dose under way), would spoil the measurement.
        """
        if new and pump in entry_dosers(self._get_entry()):
            return {CONF_PUMP: "pump_taken"}
        state = self.hass.states.get(pump)
        code = None
        if state is None or state.state == STATE_UNAVAILABLE:
            code = "pump_unavailable"
        elif state.state == STATE_ON or (not new and self._dose_lock(pump).locked()):
            code = "pump_on"
        if code is None:
            return {}
        return {CONF_PUMP if new else "base": code}

    def _placeholders(self, data: Mapping[str, Any]) -> dict[str, str]:
        """Return the doser's name and pump for a step's text."""
        return {CONF_NAME: str(data.get(CONF_NAME, "")), CONF_PUMP: str(data.get(CONF_PUMP, ""))}

    async def _async_start_pump(self) -> bool:
        """Turn the pump on and start the task that turns it off; False when it failed.

        The task belongs to the local entry: unloading it also turns the pump off.
        """
        pump, context = self._data[CONF_PUMP], Context()
        lock = self._dose_lock(pump)
        await lock.acquire()  # a dose waits for the calibration run, or this for the dose
        try:
            await self._async_switch(pump, "turn_on", context)
        except (HomeAssistantError, TimeoutError):
            await self._async_off(pump, context)
            lock.release()
            return False
        self._run = self._get_entry().async_create_background_task(
            self.hass,
            self._async_hold(pump, self._seconds, context, lock),
            "reef_scheduler calibration",
        )
        return True

    def _dose_lock(self, pump: str) -> asyncio.Lock:
        """Return the lock the doser's doses take (a lock of its own while nothing doses)."""
        entry = cast(LocalConfigEntry, self._get_entry())
        if entry.state is ConfigEntryState.LOADED:
            return entry.runtime_data.dosing.lock(pump)
        return asyncio.Lock()

    async def _async_hold(
        self, pump: str, seconds: float, context: Context, lock: asyncio.Lock
    ) -> None:
        """Keep the pump on for `seconds`, then turn it off, also when cancelled; then unlock."""
        try:
            await asyncio.sleep(seconds)
        finally:
            # Shielded: closing the flow cancels this task, and the pump must still go off.
            off = self.hass.async_create_task(
                self._async_switch(pump, "turn_off", context), "reef_scheduler doser off"
            )
            off.add_done_callback(lambda _task: lock.release())
            await asyncio.shield(off)

    async def _async_off(self, pump: str, context: Context) -> None:
        """Turn a pump off after a failed start (a failure here is logged only)."""
        with contextlib.suppress(HomeAssistantError, TimeoutError):
            await self._async_switch(pump, "turn_off", context)

    async def _async_switch(self, pump: str, service: str, context: Context) -> None:
        """Call a pump's turn_on or turn_off and wait for it (bounded)."""
        try:
            async with asyncio.timeout(CALL_TIMEOUT):
                await self.hass.services.async_call(
                    pump.partition(".")[0],
                    service,
                    {ATTR_ENTITY_ID: pump},
                    blocking=True,
                    context=context,
                )
        except (HomeAssistantError, TimeoutError) as err:
            LOGGER.error("Calibrating doser %s: %s failed: %s", pump, service, err)
            raise
