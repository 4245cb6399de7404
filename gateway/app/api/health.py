"""The /health document: every part's state, and the counters beside it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from gateway.core.health import Health, Status, overall


class PartHealth(BaseModel):
    """One long-running part's state."""

    status: Status = Field(description='"ok", "degraded" (working partly) or "failed".')
    reason: str = Field(description="Why it is not ok; empty when ok.")
    since: float = Field(description="When it entered this status (Unix seconds).")


class HealthReport(BaseModel):
    """The gateway's health. `status` is "ok" exactly when every part is ok."""

    status: Status = Field(description="The worst status among the parts.")
    parts: dict[str, PartHealth] = Field(
        description="Every task, adapter, channel, the rule engine and the store, by name.")
    site: str = Field(description="Site id.")
    events_dispatched: int = Field(description="Events the bus has dispatched.")
    events_pending: int = Field(description="Events waiting on the bus.")
    handler_errors: int = Field(description="Bus handler exceptions.")
    adapters: dict[str, dict[str, int]] = Field(description="Counters per adapter.")
    channels: dict[str, dict[str, Any]] = Field(
        description="Per channel: delivered, failures, failing, and its outbox backlog.")
    rules: dict[str, Any] = Field(description="Rule engine counters.")
    devices_offline: list[str] = Field(description="Ids of offline devices.")
    outbox_backlog: dict[str, int] = Field(description="Undelivered jobs per channel.")


def health_report(parts: Mapping[str, Health], counters: Mapping[str, Any],
                  backlog: Mapping[str, int]) -> HealthReport:
    """The report of `parts` with the gateway's `counters` and the outbox `backlog`. A
    gateway without parts (not started) is failed: nothing runs."""
    listed = {name: PartHealth(status=h.status, reason=h.reason, since=h.since)
              for name, h in parts.items()}
    status: Status = overall(parts) if parts else "failed"
    channels = {channel_id: {**numbers, "backlog": backlog.get(channel_id, 0)}
                for channel_id, numbers in counters.get("channels", {}).items()}
    return HealthReport(status=status, parts=listed, outbox_backlog=dict(backlog),
                        **{**counters, "channels": channels})
