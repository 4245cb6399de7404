"""ISO 8601 with offset, in the site's time zone."""

from __future__ import annotations

from datetime import datetime, tzinfo


def iso(ts: float, tz: tzinfo) -> str:
    """`ts` (unix seconds) as ISO 8601 with the offset, e.g. 2026-03-02T08:15:00.123+08:00."""
    return datetime.fromtimestamp(ts, tz=tz).isoformat(timespec="milliseconds")
