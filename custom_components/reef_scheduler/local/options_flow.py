"""Options of the local entry: defaults for new schedules, retention, concurrency, waits."""

from __future__ import annotations

from dataclasses import asdict, dataclass
import math
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult, OptionsFlow
from homeassistant.helpers import selector
import voluptuous as vol

from ..engine.ledger import DEFAULT_MAX_AGE, DEFAULT_MAX_RECORDS
from ..engine.model import DEFAULT_CATCH_UP, RetryPolicy
from ..runner.reconcile import DEFAULT_TARGET_WAIT

CONF_CATCH_UP_MINUTES = "catch_up_minutes"
CONF_RETRIES = "retries"
CONF_RETRY_TIMEOUT = "retry_timeout"
CONF_LEDGER_RECORDS = "ledger_records"
CONF_LEDGER_DAYS = "ledger_days"
CONF_MAX_CONCURRENT_RUNS = "max_concurrent_runs"
CONF_TARGET_WAIT_MINUTES = "target_wait_minutes"


@dataclass(frozen=True, slots=True)
class LocalOptions:
    """The local entry's options, typed, with defaults for what was never set."""

    catch_up_minutes: int = int(DEFAULT_CATCH_UP.total_seconds() // 60)
    retries: int = RetryPolicy().retries
    retry_timeout: float = RetryPolicy().timeout
    ledger_records: int = DEFAULT_MAX_RECORDS
    ledger_days: int = DEFAULT_MAX_AGE.days
    max_concurrent_runs: int = 8
    target_wait_minutes: int = int(DEFAULT_TARGET_WAIT.total_seconds() // 60)

    @classmethod
    def from_entry(cls, entry: ConfigEntry) -> LocalOptions:
        """Read the options of an entry (unknown keys are ignored)."""
        return cls.from_mapping(entry.options)

    @classmethod
    def from_mapping(cls, options: Any) -> LocalOptions:
        """Read options from a mapping."""
        defaults = cls()
        return cls(
            catch_up_minutes=int(options.get(CONF_CATCH_UP_MINUTES, defaults.catch_up_minutes)),
            retries=int(options.get(CONF_RETRIES, defaults.retries)),
            retry_timeout=float(options.get(CONF_RETRY_TIMEOUT, defaults.retry_timeout)),
            ledger_records=int(options.get(CONF_LEDGER_RECORDS, defaults.ledger_records)),
            ledger_days=int(options.get(CONF_LEDGER_DAYS, defaults.ledger_days)),
            max_concurrent_runs=int(
                options.get(CONF_MAX_CONCURRENT_RUNS, defaults.max_concurrent_runs)
            ),
            target_wait_minutes=int(
                options.get(CONF_TARGET_WAIT_MINUTES, defaults.target_wait_minutes)
            ),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the stored form."""
        return asdict(self)


def _box(low: float, high: float, unit: str | None = None, step: float = 1) -> Any:
    """Return a number box."""
    config = selector.NumberSelectorConfig(
        min=low, max=high, step=step, mode=selector.NumberSelectorMode.BOX
    )
    if unit is not None:
        config["unit_of_measurement"] = unit
    return selector.NumberSelector(config)


OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_CATCH_UP_MINUTES): _box(0, 1440, "min"),
        vol.Required(CONF_RETRIES): _box(0, 10),
        vol.Required(CONF_RETRY_TIMEOUT): _box(0.1, 600, "s", 0.1),
        vol.Required(CONF_LEDGER_RECORDS): _box(10, 100_000),
        vol.Required(CONF_LEDGER_DAYS): _box(1, 3650, "d"),
        vol.Required(CONF_MAX_CONCURRENT_RUNS): _box(1, 64),
        vol.Required(CONF_TARGET_WAIT_MINUTES): _box(0, 60, "min"),
    }
)


class LocalOptionsFlow(OptionsFlow):
    """Defaults of the local entry."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options; numbers outside their range are refused by the form itself.

        NaN passes the form's range check (every comparison with it is false): refused here.
        """
        errors = {} if user_input is None else _not_numbers(user_input)
        if user_input is not None and not errors:
            return self.async_create_entry(data=LocalOptions.from_mapping(user_input).as_dict())
        current = LocalOptions.from_entry(self.config_entry).as_dict()
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(OPTIONS_SCHEMA, current),
            errors=errors,
        )


def _not_numbers(user_input: dict[str, Any]) -> dict[str, str]:
    """Return a form error for each value that is no finite number."""
    return {
        key: "not_a_number"
        for key, value in user_input.items()
        if isinstance(value, float) and not math.isfinite(value)
    }
