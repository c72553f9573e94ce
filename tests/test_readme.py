"""The README keeps up with the code: each maximum the validator enforces is in its limits table
with the value of the constant, and each repair issue has a troubleshooting entry."""

from datetime import timedelta
import json
from pathlib import Path
import re

from custom_components.reef_scheduler import light_services, services
from custom_components.reef_scheduler.engine import (
    ledger,
    presets,
    spec_fields,
    timeline,
    validate,
    validate_dosing,
    validate_profile,
    validate_template,
    validate_wave,
)
from custom_components.reef_scheduler.runner import actions

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text("utf-8")
ISSUES = json.loads(
    (ROOT / "custom_components/reef_scheduler/translations/en.json").read_text("utf-8")
)["issues"]


def section(title: str) -> str:
    """Return a README section's text, up to the next heading of its level or above."""
    level, _, _ = title.partition(" ")
    start = README.index(f"\n{title}\n")
    rest = README[start + len(title) + 2 :]
    end = re.search(rf"^#{{1,{len(level)}}} ", rest, re.MULTILINE)
    return rest[: end.start() if end else None]


def _days(value: timedelta) -> int:
    return value.days


def _hours(value: timedelta) -> int:
    return int(value.total_seconds() // 3600)


DASH = "\u2013"  # the README's ranges use an en dash

# Constant of the validator (or of the modules it checks with) -> the table row's text.
LIMITS = {
    "MAX_ID_LENGTH": f"1{DASH}{validate.MAX_ID_LENGTH} characters: letters, digits",
    "MAX_NAME_LENGTH": f"| 1{DASH}{validate.MAX_NAME_LENGTH} characters |",
    "MAX_TAGS": f"at most {validate.MAX_TAGS}, each 1{DASH}",
    "MAX_TAG_LENGTH": f", each 1{DASH}{validate.MAX_TAG_LENGTH} characters",
    "MAX_TARGETS": f"1{DASH}{validate.MAX_TARGETS} per schedule",
    "MAX_TARGET_ID_LENGTH": f"each id at most {validate.MAX_TARGET_ID_LENGTH} characters",
    "MAX_TIMES": f"1{DASH}{validate.MAX_TIMES} different times of day",
    "MAX_ITEMS": f"at most {spec_fields.MAX_ITEMS} entries",
    "MIN_INSTANT": f"{spec_fields.MIN_INSTANT.date()} to ",
    "MAX_INSTANT": f" to {spec_fields.MAX_INSTANT.date()}",
    "MAX_INTERVAL": f"1 s to {_days(validate.MAX_INTERVAL)} days",
    "MAX_EVERY": f"| 1{DASH}{validate.MAX_EVERY} (days, weeks or months)",
    "MAX_CRON_LENGTH": f"at most {validate.MAX_CRON_LENGTH} characters, matching",
    "MAX_SUN_OFFSET": f"±{presets.MAX_SUN_OFFSET // 3600} h",
    "MAX_RAMP": f"1 s to {_hours(validate.MAX_RAMP)} h",
    "MAX_HOLD": f"1 s to {_days(validate.MAX_HOLD)} days",
    "MIN_DURATION": f"| {validate.MIN_DURATION.seconds} s to ",
    "MAX_TRANSITION": f"0{DASH}{validate.MAX_TRANSITION} s",
    "MAX_CATCH_UP": f"0 s to {_days(validate.MAX_CATCH_UP)} days",
    "MAX_RETRIES": f"`retries` 0{DASH}{validate.MAX_RETRIES}",
    "MAX_RETRY_DELAY": f"0.01{DASH}{validate.MAX_RETRY_DELAY} s",
    "MAX_TIMEOUT": f"`timeout` 0.1{DASH}{validate.MAX_TIMEOUT} s",
    "MAX_ZONE_KEY_LENGTH": f"at most {timeline.MAX_ZONE_KEY_LENGTH} characters |",
    "_MAX_DATETIME_TEXT": f"an instant written in at most {spec_fields._MAX_DATETIME_TEXT} char",
    "MAX_WAIT": f"step | at most {_hours(actions.MAX_WAIT)} h",
    # Light profiles and their templates.
    "MAX_CHANNELS": f"| 1{DASH}{validate_profile.MAX_CHANNELS} per profile",
    "MAX_CHANNEL_NAME": f"names 1{DASH}{validate_profile.MAX_CHANNEL_NAME} characters",
    "MAX_LIGHTS": f"| 1{DASH}{validate_profile.MAX_LIGHTS} entity ids of lights",
    "MAX_POINTS": f"| 1{DASH}{validate_profile.MAX_POINTS}, different times of day",
    "MAX_ACCLIMATION_DAYS": f"`days` 1{DASH}{validate_profile.MAX_ACCLIMATION_DAYS}",
    "MAX_CLOUDS_PER_HOUR": f"`per_hour` 0{DASH}{validate_profile.MAX_CLOUDS_PER_HOUR}",
    "MAX_DEPTH": f"`depth` 0{DASH}{validate_profile.MAX_DEPTH} %",
    "MAX_FLASHES_PER_MINUTE": (
        f"`flashes_per_minute` 0{DASH}{validate_profile.MAX_FLASHES_PER_MINUTE}"
    ),
    # Wave patterns.
    "MAX_PUMPS": f"| 1{DASH}{validate_wave.MAX_PUMPS} switches, fans",
    "MAX_LENGTH": f"whole seconds, 1{DASH}{validate_wave.MAX_LENGTH} s",
    "MAX_RANDOM": f"`random`: `on`, `off` 1{DASH}{validate_wave.MAX_RANDOM} s",
    "MAX_PROTECTION": f"`min_off` | 0{DASH}{validate_wave.MAX_PROTECTION} s",
    "MIN_WINDOW": f"at least {_hours(validate_wave.MIN_WINDOW)} h more than the longest",
    # Dosing schedules.
    "MIN_DAILY_ML": f"`daily_ml` {validate_dosing.MIN_DAILY_ML}{DASH}",
    "MAX_DAILY_ML": f"{DASH}{validate_dosing.MAX_DAILY_ML} ml",
    "MAX_DOSES": f"`doses` 1{DASH}{validate_dosing.MAX_DOSES}",
    "MIN_DOSE_GAP": f"at least {validate_dosing.MIN_DOSE_GAP.seconds // 60} minute between doses",
    # The actions' own limits.
    "MAX_PAUSE": f"of at most {_days(services.MAX_PAUSE)} days",
    "MAX_COUNT": f"`count` | 1{DASH}{services.MAX_COUNT} |",
    "MAX_PREVIEW_STEPS": f"at most {light_services.MAX_PREVIEW_STEPS} level steps per channel",
    "MAX_PAGE_SIZE": f"`limit` | 1{DASH}{ledger.MAX_PAGE_SIZE} |",
}


def test_every_limit_of_the_validator_is_in_the_table() -> None:
    modules = (
        validate,
        spec_fields,
        validate_profile,
        validate_template,
        validate_wave,
        validate_dosing,
    )
    constants = {
        name
        for module in modules
        for name in vars(module)
        if re.fullmatch(r"_?M(AX|IN)_[A-Z_]+", name) and not name.startswith("_MAX_SAFE")
    }
    assert constants - set(LIMITS) == set(), "a limit the README does not list"
    table = section("### Limits")
    missing = {name: text for name, text in LIMITS.items() if text not in table}
    assert missing == {}


def test_every_repair_issue_has_a_troubleshooting_entry() -> None:
    troubleshooting = section("## Troubleshooting")
    entries = re.findall(r"^- \*\*(.+?)\*\*", troubleshooting, re.MULTILINE)
    # Issue -> the bold heading of its entry.
    headings = {
        "run_failed": "Schedule … could not reach …",
        "custom_run_failed": "Schedule … failed at step … of its custom actions",
        "custom_run_interrupted": "A custom action was interrupted",
        "targets_missing": "Schedule … has no target left",
        "invalid_schedule": "Schedule … is invalid and does not run",
        "server_data_error": "The server fails to list its schedules",
        "remote_schedule_invalid": "Server schedule … of … cannot run here",
        "run_reports_dropped": "Run reports to … were dropped",
        "schedules_lost": "Schedules lost their definitions",
        "store_damaged": "Reef Scheduler could not read a file",
        "doser_low": "The container of … is running low",
    }
    assert set(headings) == set(ISSUES), "an issue without a troubleshooting entry"
    assert len(set(headings.values())) == len(headings), "two issues share an entry"
    assert {key: text for key, text in headings.items() if text not in entries} == {}
