"""A shift handover: what the outgoing operator leaves to the incoming one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Handover:
    id: str
    from_user: str
    note: str
    at: float
    open: tuple[str, ...]
    """Alerts nobody had acknowledged (ids)."""
    claimed: tuple[str, ...]
    snoozed: tuple[str, ...]
    accepted_by: str | None = None
    accepted_at: float | None = None
    accept_note: str = ""
