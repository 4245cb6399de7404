"""Figures of a list of timed samples, shared by the benchmarks (kept apart from any
benchmark's own imports, so that a bench measuring memory does not load another's)."""

from __future__ import annotations


def percentile(samples: list[float], q: float) -> float:
    """The nearest-rank `q`th percentile (0..100) of `samples` (not empty)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]
