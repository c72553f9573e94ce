"""How long one dose runs a doser's pump, and what it gives (pure maths of dosing)."""

from __future__ import annotations

from .dosing_model import Doser, Dosing

SECONDS_STEP = 0.1
"""A dose runs the pump for whole tenths of a second."""


def dose_seconds(plan: Dosing, doser: Doser) -> float:
    """Return how long one dose of the plan runs the doser's pump (rounded to 0.1 s)."""
    return round(plan.dose_ml / doser.ml_per_second, 1)


def dosed_ml(seconds: float, doser: Doser) -> float:
    """Return the volume the doser's pump gives in some seconds (rounded to 0.001 ml)."""
    return round(seconds * doser.ml_per_second, 3)
