"""Drills planned in the config: `drills: [{zone: a3, start: 2026-03-02T10:00, duration: 30m}]`."""

from __future__ import annotations

import hashlib
from datetime import datetime, tzinfo

from pydantic import Field

from gateway.core.config import StrictModel
from gateway.core.drills import DrillKind
from gateway.core.durations import Duration

MAX_DRILL_S = 24 * 3600.0
"""The longest drill, planned or started by an operator."""


class ScheduledDrillConfig(StrictModel):
    """A drill of a zone or of the whole site, planned ahead."""

    zone: str | None = Field(default=None, description="Zone id; none: the whole site.")
    start: datetime = Field(description="When it starts; without an offset: site time.")
    duration: Duration = Field(le=MAX_DRILL_S, description="How long, e.g. `30m` (at most 1d).")
    note: str = Field(default="", description="What is drilled, for the audit and operators.")
    kind: DrillKind = Field(default="fire", description="comprehensive, fire, anti_terror, "
                                                       "food_safety, flood or night.")
    expected_participants: int = Field(default=0, ge=0,
                                       description="How many people should take part.")
    lead: str = Field(default="", description="Who leads it and enters the evacuation time.")

    def window(self, tz: tzinfo) -> tuple[float, float]:
        """Start and expiry, unix seconds."""
        start = self.start if self.start.tzinfo else self.start.replace(tzinfo=tz)
        starts = start.timestamp()
        return starts, starts + self.duration

    def mode_id(self, tz: tzinfo) -> str:
        """The same id every time the gateway starts with this drill in its config."""
        starts, until = self.window(tz)
        digest = hashlib.sha256(f"{self.zone or ''}|{starts:.3f}|{until:.3f}".encode())
        return f"drill-{digest.hexdigest()[:16]}"
