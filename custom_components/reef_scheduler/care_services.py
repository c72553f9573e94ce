"""Feed mode and maintenance actions (issue 18)."""

from __future__ import annotations

from .service_spec import ServiceSpec

CARE_SERVICES: tuple[ServiceSpec, ...] = ()
