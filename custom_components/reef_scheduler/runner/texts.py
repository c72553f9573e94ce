"""Translated pieces of repair issue texts: a schedule's problems and lists cut with a count.

An issue's placeholders are inserted as given, so what they hold is rendered here, in Home
Assistant's language, from the integration's own translations (cached: Home Assistant loads
them when it sets the integration up). A text that is not cached falls back to English, then
to its key.
"""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.translation import async_get_cached_translations

from ..const import DOMAIN
from ..engine.describe import fill
from ..engine.model import FieldError
from ..engine.shorten import MORE, shorten, shorten_list

# A schedule's problems an issue lists (then how many more there are).
MAX_ERRORS = 5
# The translation of what follows a cut list: "… and {count} more".
_MORE_KEY = "more_items.message"
_ERROR_PREFIX = "schedule.error."


@callback
def translated(hass: HomeAssistant, category: str, key: str) -> str | None:
    """Return one of the integration's texts in Home Assistant's language, else English."""
    name = f"component.{DOMAIN}.{category}.{key}"
    for language in dict.fromkeys((hass.config.language, "en")):
        texts = async_get_cached_translations(hass, language, category, DOMAIN)
        if (text := texts.get(name)) is not None:
            return text
    return None


@callback
def listing(hass: HomeAssistant, items: Iterable[object]) -> str:
    """Return a list for an issue: its first items, then "… and 98 more" (translated)."""
    return shorten_list(items, more=translated(hass, "exceptions", _MORE_KEY) or MORE)


@callback
def field_errors(hass: HomeAssistant, errors: Iterable[FieldError]) -> str:
    """Return a schedule's problems as a Markdown list of translated sentences.

    Each reads "field: what is wrong" in the words of the schedule form's errors, e.g.
    "name: At most 100 characters."; a code without a translation shows as itself.
    """
    found = list(errors)
    lines = [f"- {_field_error(hass, error)}" for error in found[:MAX_ERRORS]]
    if len(found) > MAX_ERRORS:
        more = translated(hass, "exceptions", _MORE_KEY) or MORE
        lines.append(f"- {more.format(count=len(found) - MAX_ERRORS)}")
    return "\n".join(lines)


def _field_error(hass: HomeAssistant, error: FieldError) -> str:
    """Return one problem as "field: sentence"."""
    text = translated(hass, "config_subentries", _ERROR_PREFIX + error.code)
    sentence = error.code if text is None else fill(text, error.placeholders)
    return f"{shorten(error.field)}: {sentence}" if error.field else sentence
