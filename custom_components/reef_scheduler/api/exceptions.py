"""Exceptions raised by the Bella's Reef client."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field-level problem from a FastAPI validation answer."""

    loc: tuple[str | int, ...]
    msg: str
    type: str = ""

    def __str__(self) -> str:
        """Render as ``body.field: message``."""
        where = ".".join(str(part) for part in self.loc)
        return f"{where}: {self.msg}" if where else self.msg


class BellasReefError(Exception):
    """Base class of every error the client raises."""


class BellasReefRequestError(BellasReefError, ValueError):
    """The client refused to send a request the server would store and then fail on (Q2/Q3)."""


class BellasReefConnectionError(BellasReefError):
    """The server could not be reached or the exchange broke off."""


class BellasReefTimeoutError(BellasReefConnectionError):
    """The server did not answer within the request timeout."""


class BellasReefCircuitOpenError(BellasReefConnectionError):
    """The circuit breaker refused the call without touching the network."""

    def __init__(self, retry_after: float) -> None:
        """Store how long the breaker stays open."""
        super().__init__(f"Bella's Reef is unreachable; next attempt in {retry_after:.0f} s")
        self.retry_after = retry_after


class BellasReefResponseError(BellasReefError):
    """The server answered with an error status or an unusable body."""

    def __init__(self, status: int, detail: str, *, method: str = "", path: str = "") -> None:
        """Keep the status and the server's detail; the message never holds credentials."""
        where = f"{method} {path} " if method else ""
        super().__init__(f"{where}-> {status}: {detail}")
        self.status = status
        self.detail = detail
        self.method = method
        self.path = path


class BellasReefAuthenticationError(BellasReefResponseError):
    """The credentials or the token were rejected."""


class BellasReefNotFoundError(BellasReefResponseError):
    """The schedule, device action or route does not exist."""


class BellasReefValidationError(BellasReefResponseError):
    """The server refused the request body or parameters (400/422)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: tuple[FieldError, ...] = (),
        method: str = "",
        path: str = "",
    ) -> None:
        """Keep the field-level errors next to the summary."""
        super().__init__(status, detail, method=method, path=path)
        self.errors = errors


class BellasReefParseError(BellasReefResponseError):
    """A success answer could not be decoded into the expected model."""


class BellasReefUnsupportedError(BellasReefResponseError):
    """The route is known to fail on the server as shipped (quirks Q5/Q6)."""
