"""Acclimation: day k of N and the factor that scales a profile's acclimated channels.

Day k counts local dates from ``start_date`` (day 1); while paused, the count stops at
``paused_on``. The factor rises linearly from ``start_percent`` on day 1 to 100 % on day N + 1
and is ``start_percent`` before day 1. Everything is a function of the date, never of uptime,
and the services change the definition (pause, resume, reset) rather than a counter.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from .light_model import Acclimation


def acclimation_day(acclimation: Acclimation, today: date) -> int:
    """Return day k (1 on ``start_date``; 0 or less before it) for a local date."""
    counted = today if acclimation.paused_on is None else min(today, acclimation.paused_on)
    return (counted - acclimation.start_date).days + 1


def acclimation_factor(acclimation: Acclimation, today: date) -> float:
    """Return the factor (start_percent/100 .. 1.0) for a local date."""
    start = acclimation.start_percent / 100.0
    done = min(max(acclimation_day(acclimation, today) - 1, 0), acclimation.days)
    return start + (1.0 - start) * done / acclimation.days


def pause(acclimation: Acclimation, today: date) -> Acclimation:
    """Return the acclimation paused today (unchanged when already paused)."""
    if acclimation.paused_on is not None:
        return acclimation
    return replace(acclimation, paused_on=today)


def resume(acclimation: Acclimation, today: date) -> Acclimation:
    """Return the acclimation running again, its start moved later by the paused days."""
    if acclimation.paused_on is None:
        return acclimation
    paused_days = max(today - acclimation.paused_on, timedelta(0))
    return replace(acclimation, start_date=acclimation.start_date + paused_days, paused_on=None)


def reset(acclimation: Acclimation, today: date) -> Acclimation:
    """Return the acclimation restarted at day 1 today (a pause is kept, from today)."""
    paused_on = None if acclimation.paused_on is None else today
    return replace(acclimation, start_date=today, paused_on=paused_on)
