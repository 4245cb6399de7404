"""Repeats: a panel that got no ACK sends the same frame again with the same sequence
number. Each (account, sequence) is remembered for a while with what the frame said; the
same sequence with other data is a new event (the panel restarted its count)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Final

MAX_PER_ACCOUNT: Final = 256
"""Sequence numbers remembered per account at most, whatever their age."""


class Repeats:
    def __init__(self, window_s: float) -> None:
        self._window_s = window_s
        self._seen: dict[str, OrderedDict[int, tuple[Hashable, float]]] = {}

    def seen(self, account: str, sequence: int, fingerprint: Hashable, now: float) -> bool:
        """Whether this frame was taken already (within the window)."""
        remembered = self._seen.get(account)
        if remembered is None:
            return False
        self._forget_old(remembered, now)
        entry = remembered.get(sequence)
        return entry is not None and entry[0] == fingerprint

    def remember(self, account: str, sequence: int, fingerprint: Hashable,
                 now: float) -> None:
        remembered = self._seen.setdefault(account, OrderedDict())
        remembered.pop(sequence, None)
        remembered[sequence] = (fingerprint, now)
        while len(remembered) > MAX_PER_ACCOUNT:
            remembered.popitem(last=False)

    def _forget_old(self, remembered: OrderedDict[int, tuple[Hashable, float]],
                    now: float) -> None:
        while remembered:
            sequence, (_, at) = next(iter(remembered.items()))
            if now - at <= self._window_s:
                return
            del remembered[sequence]
