"""The local entry's options: defaults for new schedules, retention, concurrency, waits."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntry

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
