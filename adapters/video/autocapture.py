"""When a camera may add a reference to its bank by itself: its light matches no
reference, nothing has been flagged for a good while, at an allowed hour, and not too soon
after the last automatic capture. A view with anything flagged is never taken, so an
obstruction cannot become part of the reference."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from adapters.video.analysis import FrameAnalysis
from adapters.video.config import ReferenceBankConfig

CLEAR_BELOW = 0.05
"""Obstruction share under which a region counts as clear for an automatic capture."""


class QuietWatch:
    """Counts the quiet frames in a row; `due(ts)` says whether to capture now."""

    def __init__(self, config: ReferenceBankConfig) -> None:
        self.config = config
        self._zone = ZoneInfo(config.timezone)
        self._quiet = 0
        self._unmatched = False
        self._last_capture: float | None = None

    def observe(self, analysis: FrameAnalysis) -> None:
        quiet = (not analysis.reference_missing and not analysis.tamper.any
                 and all(r.obstruction is not None and r.obstruction < CLEAR_BELOW
                         for r in analysis.regions))
        self._quiet = self._quiet + 1 if quiet else 0
        self._unmatched = not analysis.light_matched

    def due(self, ts: float) -> bool:
        config = self.config
        if not config.auto_capture or self._quiet < config.quiet_frames:
            return False
        if not self._unmatched:
            return False
        if self._last_capture is not None and ts - self._last_capture < config.min_interval_s:
            return False
        return not config.hours or datetime.fromtimestamp(ts, self._zone).hour in config.hours

    def captured(self, ts: float) -> None:
        self._last_capture = ts
        self._quiet = 0
