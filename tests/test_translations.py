"""Every translation has exactly the keys of en.json and keeps each string's placeholders."""

from collections.abc import Iterator
import json
from pathlib import Path
import re
from typing import Any

import pytest

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
