"""Dosing actions: refill a doser's container (issue 18)."""

from __future__ import annotations

from .service_spec import ServiceSpec

DOSING_SERVICES: tuple[ServiceSpec, ...] = ()
