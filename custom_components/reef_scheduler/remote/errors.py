"""One mapping of Bella's Reef client errors to Home Assistant's translated errors.

A client error is classified once (``error_kind``); a service call turns the kind into a
HomeAssistantError (ServiceValidationError when the server refused the request itself, after
starting reauth on an authentication failure), a poll into UpdateFailed or ConfigEntryAuthFailed.
The kind's value is the translation key under "exceptions".
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from enum import StrEnum
import functools
from typing import Any, Concatenate, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed

from ..api import (
    BellasReefAuthenticationError,
    BellasReefConnectionError,
    BellasReefError,
    BellasReefNotFoundError,
    BellasReefRequestError,
    BellasReefValidationError,
)
from ..const import DOMAIN


class ErrorKind(StrEnum):
    """What a client error means to the user; the value is its translation key."""

    AUTH_FAILED = "remote_auth_failed"
    NOT_FOUND = "remote_schedule_not_found"
    REJECTED = "remote_rejected"
    REFUSED_HERE = "remote_request_invalid"
    UNREACHABLE = "remote_unreachable"
    FAILED = "remote_error"


# Subclasses before their bases: authentication, not found and refusals are all responses.
_KINDS: tuple[tuple[type[BellasReefError], ErrorKind], ...] = (
    (BellasReefRequestError, ErrorKind.REFUSED_HERE),
    (BellasReefAuthenticationError, ErrorKind.AUTH_FAILED),
    (BellasReefNotFoundError, ErrorKind.NOT_FOUND),
    (BellasReefValidationError, ErrorKind.REJECTED),
    (BellasReefConnectionError, ErrorKind.UNREACHABLE),
)
# The server refused what was asked: the caller's request, not Home Assistant, is at fault.
_REFUSALS = frozenset({ErrorKind.NOT_FOUND, ErrorKind.REJECTED, ErrorKind.REFUSED_HERE})


def error_kind(err: BellasReefError) -> ErrorKind:
    """Classify a client error."""
    return next((kind for cls, kind in _KINDS if isinstance(err, cls)), ErrorKind.FAILED)


def _placeholders(kind: ErrorKind, err: BellasReefError) -> dict[str, str]:
    """Return the placeholders of a kind's message (the client's texts hold no credentials)."""
    if kind is ErrorKind.NOT_FOUND and isinstance(err, BellasReefNotFoundError):
        return {"schedule_id": err.path.rsplit("/", 1)[-1]}
    if kind is ErrorKind.REJECTED and isinstance(err, BellasReefValidationError):
        return {"detail": err.detail}
    if kind is ErrorKind.REFUSED_HERE:
        return {"detail": str(err)}
    if kind in (ErrorKind.UNREACHABLE, ErrorKind.FAILED):
        return {"error": str(err)}
    return {}


def service_error(err: BellasReefError) -> HomeAssistantError:
    """Return the translated error a service call raises for a client error."""
    kind = error_kind(err)
    cls = ServiceValidationError if kind in _REFUSALS else HomeAssistantError
    return cls(
        translation_domain=DOMAIN,
        translation_key=kind.value,
        translation_placeholders=_placeholders(kind, err),
    )


def update_error(err: BellasReefError) -> UpdateFailed | ConfigEntryAuthFailed:
    """Return the translated error a failed poll raises (reauth on an authentication failure)."""
    kind = error_kind(err)
    if kind is ErrorKind.AUTH_FAILED:
        return ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key=kind.value)
    # Polling asks for nothing a user chose: a refusal there is the server's failure.
    if kind in _REFUSALS:
        kind = ErrorKind.FAILED
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=kind.value,
        translation_placeholders=_placeholders(kind, err),
    )


class ServerCaller(Protocol):
    """What ``remote_errors`` needs of the object whose methods it wraps."""

    @property
    def hass(self) -> HomeAssistant:
        """Return Home Assistant."""

    @property
    def config_entry(self) -> ConfigEntry:
        """Return the server entry (reauth starts on it)."""


def remote_errors[OwnerT: ServerCaller, **P, R](
    func: Callable[Concatenate[OwnerT, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[OwnerT, P], Coroutine[Any, Any, R]]:
    """Decorate a method calling the server: raise its client errors translated."""

    @functools.wraps(func)
    async def handler(self: OwnerT, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await func(self, *args, **kwargs)
        except BellasReefError as err:
            if error_kind(err) is ErrorKind.AUTH_FAILED:
                self.config_entry.async_start_reauth(self.hass)
            raise service_error(err) from err

    return handler
