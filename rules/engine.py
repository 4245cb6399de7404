"""The seam between events and alerts: a rule engine maps one event to alert outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from gateway.alerts.model import AlertSpec, ClearSpec
from gateway.events import Event

Outcome = AlertSpec | ClearSpec


class RuleEngine(Protocol):
    def on_event(self, event: Event) -> Sequence[Outcome]:
        """The alerts this event raises or clears (often none)."""
        ...
