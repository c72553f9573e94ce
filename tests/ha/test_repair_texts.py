"""Repair issues read well: the schedule's name, translated problems, lists and ids cut.

Each issue is rendered as the repairs dialog renders it: its title and description from the
translations, filled with the placeholders the issue registry holds. The log lines about the
same schedules cut long ids too.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import async_mock_service

from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.engine.model import FieldError
from custom_components.reef_scheduler.engine.shorten import MAX_TEXT
from custom_components.reef_scheduler.runner import texts
from custom_components.reef_scheduler.runner.texts import field_errors

from .clock import Clock
from .surface import T0, reef_devices, seed, setup_local, spec

TRANSLATIONS = Path(__file__).parents[2] / "custom_components/reef_scheduler/translations"
LONG_ID = "x" * 10_000


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)


async def rendered(hass: HomeAssistant, ident: str, language: str = "en") -> tuple[str, str]:
    """Return an issue's title and description as the repairs dialog shows them."""
    issue = ir.async_get(hass).async_get_issue(DOMAIN, ident)
    assert issue is not None, ident
    texts = await async_get_translations(hass, language, "issues", [DOMAIN])
    prefix = f"component.{DOMAIN}.issues.{issue.translation_key}"
    placeholders = issue.translation_placeholders or {}
    title = texts[f"{prefix}.title"].format(**placeholders)
    description = texts[f"{prefix}.description"].format(**placeholders)
    return title, description


def form_error(language: str, code: str) -> str:
    """Return the schedule form's text for an error code."""
    texts = json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))
    return str(texts["config_subentries"]["schedule"]["error"][code])


def broken(sid: str, **fields: Any) -> dict[str, Any]:
    """Return a stored definition that no longer validates (a cron expression that is none)."""
    definition = spec(id=sid, **fields) | {"type": "cron", "cron": "nope"}
    del definition["frequency"], definition["times"]
    return {key: value for key, value in definition.items() if value is not None}


@pytest.mark.parametrize("language", ["en", "de"])
async def test_an_invalid_schedule_is_named_and_its_problem_is_a_sentence(
    hass: HomeAssistant, hass_storage: dict[str, Any], language: str
) -> None:
    hass.config.language = language
    seed(hass_storage, [broken("moon", name="Night moon")])
    await setup_local(hass)
    title, description = await rendered(hass, "invalid_schedule_moon", language)
    if language == "en":
        assert title == "Schedule Night moon is invalid and does not run"
        assert description.startswith("Schedule Night moon (id moon) was stored")
    else:
        assert title == "Zeitplan Night moon ist ungültig und läuft nicht"
    assert f"\n\n- cron: {form_error(language, 'invalid_cron')}\n\n" in description
    assert "invalid_cron" not in description


async def test_many_problems_are_listed_with_a_count(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    times = [f"{hour}:00" for hour in range(24, 32)]  # eight invalid times of day
    seed(hass_storage, [spec(id="dawn", name="Dawn", times=times)])
    await setup_local(hass)
    _, description = await rendered(hass, "invalid_schedule_dawn")
    lines = [line for line in description.splitlines() if line.startswith("- ")]
    assert lines == [
        *(
            f"- times.{index}: {form_error('en', 'invalid_time').format(value=times[index])}"
            for index in range(5)
        ),
        "- … and 3 more",
    ]


async def test_a_long_id_is_cut_in_the_issue_and_in_the_log(
    hass: HomeAssistant, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.reef_scheduler")
    seed(hass_storage, [broken(LONG_ID, name=None)])
    await setup_local(hass)
    title, description = await rendered(hass, f"invalid_schedule_{LONG_ID}")
    cut = "x" * (MAX_TEXT - 1) + "…"
    assert title == f"Schedule {cut} is invalid and does not run"
    assert description.startswith(f"Schedule {cut} (id {cut}) was stored")
    assert len(description) < 600
    ours = [r for r in caplog.records if r.name.startswith("custom_components.reef_scheduler")]
    assert any(cut in record.getMessage() for record in ours)
    assert max(len(record.getMessage()) for record in ours) < 500


@pytest.mark.parametrize(
    ("language", "more"), [("en", "… and 95 more"), ("de", "… und 95 weitere")]
)
async def test_a_hundred_missing_targets_are_cut_with_a_count(
    hass: HomeAssistant, language: str, more: str
) -> None:
    hass.config.language = language
    await setup_local(hass)
    gone = [f"switch.gone_{index}" for index in range(100)]
    action = {"type": "on", "target": {"entity_id": gone}}
    await hass.services.async_call(
        DOMAIN,
        "create_schedule",
        {"schedule": spec("Skimmers", id="skim", action=action)},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    title, description = await rendered(hass, "targets_missing_skim", language)
    listed = ", ".join(gone[:5]) + f", {more}"
    assert "Skimmers" in title
    assert f"({listed})" in description
    assert "switch.gone_5" not in description


async def test_a_failed_run_lists_its_targets_cut_with_a_count(
    hass: HomeAssistant, clock: Clock
) -> None:
    _, backend = await setup_local(hass)
    backend.runner._executor._rng = lambda: 0.0
    skimmers = [f"switch.skimmer_{index}" for index in range(8)]
    for entity_id in skimmers:
        hass.states.async_set(entity_id, "unavailable")
    async_mock_service(hass, "switch", "turn_on")
    action = {"type": "on", "target": {"entity_id": skimmers}}
    await hass.services.async_call(
        DOMAIN,
        "create_schedule",
        {"schedule": spec("Skimmers", id="skim", action=action, retry={"retries": 0})},
        blocking=True,
    )
    await hass.services.async_call(DOMAIN, "run_now", {"schedule_id": "skim"}, blocking=True)
    await clock.advance(1)
    title, description = await rendered(hass, "run_failed_skim")
    assert title.startswith("Schedule Skimmers could not reach switch.skimmer_")
    assert title.endswith(", … and 3 more")
    assert title.count("switch.skimmer_") == 5
    assert "… and 3 more after every retry" in description


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_issue_has_a_title_of_its_own(language: str) -> None:
    issues = json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))["issues"]
    titles = [issue["title"] for issue in issues.values()]
    assert len(set(titles)) == len(titles)


async def test_a_stored_schedule_without_a_name_is_named_by_its_id(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    seed(hass_storage, [broken("nameless", name=None)])
    await setup_local(hass)
    title, _ = await rendered(hass, "invalid_schedule_nameless")
    assert title == "Schedule nameless is invalid and does not run"


async def test_a_problem_without_a_text_shows_its_code_and_placeholders_are_filled(
    hass: HomeAssistant,
) -> None:
    await setup_local(hass)
    hass.config.language = "fr"  # not loaded: the English texts stand in
    errors = [
        FieldError("cron", "invalid_cron"),
        FieldError("x", "no_such_code"),
        FieldError("", "name_too_long", {"max": "100"}),
    ]
    assert field_errors(hass, errors) == (
        f"- cron: {form_error('en', 'invalid_cron')}\n- x: no_such_code\n"
        f"- {form_error('en', 'name_too_long')}"
    )
    cached = {f"component.{DOMAIN}.config_subentries.schedule.error.name_too_long": "≤ {max} {n}"}
    with patch.object(texts, "async_get_cached_translations", return_value=cached):
        assert field_errors(hass, errors[2:]) == "- ≤ 100 {n}"
