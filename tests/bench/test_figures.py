"""The benchmark's pure helpers: percentiles, lateness at the device, medians, per-schedule cost."""

import pytest

from bench.figures import entry_figures, lateness, medians, pct, rounded, size_label


def test_pct_takes_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert pct(values, 0.5) == 51.0  # rank round(0.5 * 99) = 50 (0-based)
    assert pct(values, 0.99) == 99.0
    assert pct(values, 0.0) == 1.0
    assert pct(values, 1.0) == 100.0
    assert pct([3.0], 0.99) == 3.0


def test_lateness_in_ms_with_the_first_run_of_each_second() -> None:
    dues = {"a": 100.0, "b": 100.0, "c": 101.0, "d": 101.0, "e": 102.0}
    arrivals = [
        (100.004, "b"),
        (100.002, "a"),
        (101.001, "c"),
        (101.010, "d"),
        (102.003, "e"),
        (5.0, "not scheduled"),
    ]
    figures = lateness(dues, arrivals)
    assert figures["fired"] == 5
    assert figures["max"] == pytest.approx(10.0)
    assert figures["p50"] == pytest.approx(3.0)
    # The first run of each second came 2, 1 and 3 ms late.
    assert figures["first_in_second_p50"] == pytest.approx(2.0)


def test_lateness_without_arrivals_only_counts() -> None:
    assert lateness({"a": 1.0}, []) == {"fired": 0}


def test_medians_per_figure_skip_missing_values() -> None:
    runs = [{"x": 1.0, "y": None}, {"x": 3.0, "y": 4.0}, {"x": 2.0}]
    assert medians(runs) == {"x": 2.0, "y": 4.0}


def test_size_labels() -> None:
    assert [size_label(n) for n in (0, 100, 1000, 10_000, 1500)] == [
        "0",
        "100",
        "1k",
        "10k",
        "1500",
    ]


def test_entry_figures_are_differences_over_the_baselines() -> None:
    raw = {
        "bare": {"setup_s": 5.0, "wakeups": 24.0, "rss": 100.0},
        "0": {"setup_s": 5.5, "wakeups": 36.0, "rss": 1_000.0},
        "1000": {"setup_s": 6.0, "wakeups": 36.0, "rss": 2_001_000.0, "reef_setup_s": 0.25},
        "0-traced": {"traced": 500.0},
        "1000-traced": {"traced": 1_000_500.0},
    }
    figures = entry_figures(raw, [1000], [1000])
    assert figures["ha_start_bare_s"] == 5.0
    assert figures["entry_setup_0_s"] == 0.5
    assert figures["entry_setup_1k_s"] == 1.0
    assert figures["entry_setup_ha_timed_1k_s"] == 0.25
    assert "entry_setup_ha_timed_0_s" not in figures
    assert figures["loop_idle_wakeups_per_min_bare"] == 24.0
    assert figures["loop_idle_wakeups_per_min_1k"] == 12.0
    assert figures["entry_rss_per_schedule_1k_bytes"] == 2000.0
    assert figures["entry_mem_per_schedule_1k_bytes"] == 1000.0
    assert figures["entry_rss_per_schedule_bytes"] == 2000.0
    assert figures["entry_mem_per_schedule_bytes"] == 1000.0


def test_rounded_by_unit() -> None:
    assert rounded(
        {"a_bytes": 1.6, "b_fired": 999.5, "c_per_min_0": 1.26, "d_ms": 1.234, "e_s": 0.456}
    ) == {"a_bytes": 2, "b_fired": 1000, "c_per_min_0": 1.3, "d_ms": 1.23, "e_s": 0.46}
