"""Held conditions outlive the process: a gate opened at 21:58 that stays open across a
restart still raises its alert at 22:03.

The engine reports every change of a time-dependent condition (one with `for:` or
`during:`) to a `HeldLog`; the gateway writes it to the store and hands it back on start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gateway.events import PointValue


@dataclass(frozen=True, slots=True)
class Held:
    """A rule's condition holding for one device (and `*` match) since `since`.

    `values` are the points the condition read, so that a restarted engine can judge it
    before the devices speak again; `active` says whether its alert was raised.
    """

    key: str
    since: float
    active: bool
    values: tuple[tuple[str, str, PointValue], ...]


class HeldLog(Protocol):
    def hold(self, held: Held) -> None:
        """Remember (or update) a held condition."""
        ...

    def release(self, key: str) -> None:
        """The condition no longer holds."""
        ...


class MemoryHeldLog:
    """Keeps held conditions in memory: for replays, benchmarks and tests."""

    def __init__(self) -> None:
        self.held: dict[str, Held] = {}

    def hold(self, held: Held) -> None:
        self.held[held.key] = held

    def release(self, key: str) -> None:
        self.held.pop(key, None)
