"""Fuzzing every parser that meets the outside world: property tests (hypothesis) in the
suite, and coverage-guided fuzz targets (atheris) run for a fixed time by
`python -m tests.fuzz TARGET --seconds N` (`--list` names them).

Each area module offers `target()`: a function of one input (bytes) that raises only on
a defect, i.e. when the parser raised something other than its documented errors,
produced unbounded output, or broke a promise about what it returns."""

from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(Path(__file__).resolve().parents[2] / "var" / "hypothesis")
"""Hypothesis's caches go with the other generated files, not into the tree."""

BOUNDED = settings(max_examples=200, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow,
                                          HealthCheck.function_scoped_fixture])
"""Property tests here: a few hundred examples each, no example database in the tree."""


def binary(max_size: int) -> st.SearchStrategy[bytes]:
    """Bytes up to `max_size`, long ones as often as short ones (hypothesis alone draws
    mostly short ones)."""
    return st.binary(max_size=max_size) | st.binary(min_size=max_size // 3, max_size=max_size)


def text(max_size: int) -> st.SearchStrategy[str]:
    """Text up to `max_size` characters, long as often as short."""
    return st.text(max_size=max_size) | st.text(min_size=max_size // 3, max_size=max_size)
