"""Figures from raw measurements: percentiles, lateness against due instants, medians of runs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import statistics


def pct(values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def lateness(
    dues: Mapping[str, float], arrivals: Iterable[tuple[float, str]]
) -> dict[str, float | int]:
    """Return lateness figures (ms) of arrivals (instant, key) at their keys' due instants.

    Instants are epoch seconds. `first_in_second_p50` is the median over due instants of the
    earliest arrival for that instant (the first run of each second). Arrivals of unknown keys
    are ignored; `fired` counts the others.
    """
    late: list[float] = []
    first: dict[float, float] = {}
    for instant, key in arrivals:
        if (due := dues.get(key)) is None:
            continue
        ms = (instant - due) * 1000
        late.append(ms)
        first[due] = min(first.get(due, ms), ms)
    if not late:
        return {"fired": 0}
    return {
        "p50": pct(late, 0.5),
        "p99": pct(late, 0.99),
        "max": max(late),
        "first_in_second_p50": pct(list(first.values()), 0.5),
        "fired": len(late),
    }


def medians(runs: Iterable[Mapping[str, float | int | None]]) -> dict[str, float]:
    """Return the median of each figure over runs (a run may lack a figure or have None)."""
    values: dict[str, list[float]] = {}
    for run in runs:
        for key, value in run.items():
            if value is not None:
                values.setdefault(key, []).append(value)
    return {key: statistics.median(found) for key, found in values.items()}


def size_label(count: int) -> str:
    """Return 0, 1k, 10k, ... for a schedule count."""
    return f"{count // 1000}k" if count >= 1000 and count % 1000 == 0 else str(count)


def entry_figures(
    raw: Mapping[str, Mapping[str, float]], counts: list[int], traced_counts: list[int]
) -> dict[str, float]:
    """Return one run's whole-integration figures from its raw readings.

    `raw` holds, per configuration ("bare", "0", "1000", ... and "0-traced", "1000-traced",
    ...), `setup_s`, `wakeups` (per minute), `rss` (bytes) and optionally `reef_setup_s` (Home
    Assistant's own timing of the integration's set-up), or `traced` (bytes). Set-up and
    wake-ups are differences over bare Home Assistant; memory per schedule is the difference
    over the entry with 0 schedules, divided by the count. The unlabelled per-schedule keys are
    those of the largest count measured.
    """
    bare = raw["bare"]
    figures = {
        "ha_start_bare_s": bare["setup_s"],
        "loop_idle_wakeups_per_min_bare": bare["wakeups"],
    }
    for count in [0, *counts]:
        label = size_label(count)
        found = raw[str(count)]
        figures[f"entry_setup_{label}_s"] = found["setup_s"] - bare["setup_s"]
        if "reef_setup_s" in found:  # Home Assistant's own timing: no start-up noise
            figures[f"entry_setup_ha_timed_{label}_s"] = found["reef_setup_s"]
        figures[f"loop_idle_wakeups_per_min_{label}"] = found["wakeups"] - bare["wakeups"]
        if count:
            rss = (found["rss"] - raw["0"]["rss"]) / count
            figures[f"entry_rss_per_schedule_{label}_bytes"] = rss
        if count in traced_counts:
            traced = raw[f"{count}-traced"]["traced"] - raw["0-traced"]["traced"]
            figures[f"entry_mem_per_schedule_{label}_bytes"] = traced / count
    figures["entry_rss_per_schedule_bytes"] = figures[
        f"entry_rss_per_schedule_{size_label(max(counts))}_bytes"
    ]
    figures["entry_mem_per_schedule_bytes"] = figures[
        f"entry_mem_per_schedule_{size_label(max(traced_counts))}_bytes"
    ]
    return figures


def rounded(figures: Mapping[str, float]) -> dict[str, float | int]:
    """Round figures for the table by unit: bytes and counts whole, seconds and ms to 0.01."""
    out: dict[str, float | int] = {}
    for key, value in figures.items():
        if key.endswith(("_bytes", "_fired")):
            out[key] = round(value)
        elif "_per_min" in key:
            out[key] = round(value, 1)
        else:
            out[key] = round(value, 2)
    return out
