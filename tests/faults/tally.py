"""What a fault cost, the same way for every fault: what was lost (target: nothing), what
arrived more than once beyond what the receiver deduplicates (target: nothing), and what
arrived out of order."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Tally:
    expected: int
    lost: tuple[str, ...]
    duplicated: tuple[str, ...]
    """Items recorded more than once by the receiver (it deduplicated none of them)."""
    out_of_order: int
    """Received items that came before one sent ahead of them."""
    deduplicated: int = 0
    """Repeats the receiver recognised and kept once: harmless, only counted."""

    @classmethod
    def of(cls, sent: Sequence[Hashable], received: Sequence[Hashable],
           deduplicated: int = 0) -> Tally:
        position = {item: n for n, item in enumerate(sent)}
        seen = set(received)
        counts = Counter(received)
        order = [position[item] for item in dict.fromkeys(received) if item in position]
        return cls(
            expected=len(sent),
            lost=tuple(str(item) for item in sent if item not in seen),
            duplicated=tuple(str(item) for item, count in counts.items() if count > 1),
            out_of_order=sum(1 for before, after in itertools.pairwise(order)
                             if after < before),
            deduplicated=deduplicated)

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.out_of_order)

    def describe(self, fault: str) -> str:
        """One line: the fault, then lost / duplicated / out of order, with examples."""
        def some(items: tuple[str, ...]) -> str:
            return f" ({', '.join(items[:5])}{', ...' if len(items) > 5 else ''})" if items else ""

        return (f"{fault}: {self.expected} expected; lost {len(self.lost)}{some(self.lost)}; "
                f"duplicated {len(self.duplicated)}{some(self.duplicated)}; "
                f"out of order {self.out_of_order}; repeats the receiver deduplicated "
                f"{self.deduplicated}")
