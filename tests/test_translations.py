"""Every translation has exactly the keys of en.json and keeps each string's placeholders."""

from collections.abc import Iterator
import json
from pathlib import Path
import re
from typing import Any

import pytest

from scripts.sync_flow_translations import synced, text

TRANSLATIONS = (
    Path(__file__).parent.parent / "custom_components" / "reef_scheduler" / "translations"
)
PLACEHOLDER = re.compile(r"\{(\w+)\}")
LANGUAGES = sorted(path.stem for path in TRANSLATIONS.glob("*.json") if path.stem != "en")


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Yield (dotted key path, string) for every leaf of a translation tree."""
    assert isinstance(node, dict), f"{path or 'root'} is not an object"
    for key, value in node.items():
        here = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            yield from _strings(value, here)
        else:
            assert isinstance(value, str), f"{here} is not a string"
            yield here, value


def _load(language: str) -> dict[str, str]:
    """Return a translation file as a flat {dotted path: string} mapping."""
    return dict(_strings(json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))))


def test_german_exists() -> None:
    assert "de" in LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_keys_as_english(language: str) -> None:
    english, other = _load("en"), _load(language)
    assert sorted(set(english) - set(other)) == [], "missing keys"
    assert sorted(set(other) - set(english)) == [], "keys not in en.json"


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_placeholders_as_english(language: str) -> None:
    english, other = _load("en"), _load(language)
    different = {
        key: (sorted(set(PLACEHOLDER.findall(text))), sorted(set(PLACEHOLDER.findall(other[key]))))
        for key, text in english.items()
        if key in other and set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(other[key]))
    }
    assert different == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_empty_strings(language: str) -> None:
    assert [key for key, text in _load(language).items() if not text.strip()] == []


def test_placeholder_detection() -> None:
    assert PLACEHOLDER.findall("Schedule {schedule} could not reach {targets}") == [
        "schedule",
        "targets",
    ]
    assert PLACEHOLDER.findall("Next runs:\n{preview}") == ["preview"]


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_schedule_step_copies_are_in_sync(language: str) -> None:
    """The options and repair flows' copies of the schedule steps equal their one source."""
    data = json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))
    assert synced(data) == data, "run: python scripts/sync_flow_translations.py"
    assert text(data) == (TRANSLATIONS / f"{language}.json").read_text("utf-8")


def test_sync_replaces_a_stale_copy() -> None:
    data = json.loads((TRANSLATIONS / "en.json").read_text("utf-8"))
    data["options"]["step"]["kind"]["title"] = "stale"
    del data["issues"]["invalid_schedule"]["fix_flow"]
    fixed = synced(data)
    source = fixed["config_subentries"]["schedule"]["step"]["kind"]
    assert fixed["options"]["step"]["kind"] == source
    assert fixed["issues"]["invalid_schedule"]["fix_flow"]["step"]["kind"] == source
    # Each flow keeps what is its own: the options' menu and defaults, the subentry's menu.
    assert "defaults" in fixed["options"]["step"]
    assert "reconfigure" not in fixed["options"]["step"]
