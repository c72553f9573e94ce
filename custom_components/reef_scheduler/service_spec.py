"""The shape of one registered service: name, handler, schema, response support."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from homeassistant.core import ServiceCall, ServiceResponse, SupportsResponse
import voluptuous as vol

type ServiceSpec = tuple[
    str,
    Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]],
    vol.Schema,
    SupportsResponse,
]
"""A service's name, handler, schema and response support (registered once in async_setup)."""
