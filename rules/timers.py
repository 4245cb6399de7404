"""Held conditions outlive the process: a gate opened at 21:58 that stays open across a
restart still raises its alert at 22:03.

The engine reports every change of a time-dependent condition (one with `for:` or
`during:`) to a `HeldLog`; the gateway writes it to the store and hands it back on start.
"""

from __future__ import annotations

from gateway.core.repositories import Held, HeldLog

__all__ = ["Held", "HeldLog", "MemoryHeldLog"]


class MemoryHeldLog:
    """Keeps held conditions in memory: for replays, benchmarks and tests."""

    def __init__(self) -> None:
        self.held: dict[str, Held] = {}

    def hold(self, held: Held) -> None:
        self.held[held.key] = held

    def release(self, key: str) -> None:
        self.held.pop(key, None)
