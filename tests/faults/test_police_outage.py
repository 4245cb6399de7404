"""The police receiver refuses connections for ten minutes (on the virtual clock) while
1,000 alerts are raised: once it answers again, all of them arrive once and in order, the
first within 5 s (the retry cap). How long the rest take is real time, measured and
printed here and held to the 5 s target by `python -m bench.chaos`."""

from __future__ import annotations

from pathlib import Path

from gateway.core.clock import VirtualClock
from tests.faults.police_outage import police_outage

ALERTS = 1000
OUTAGE_S = 600.0
WITHIN_S = 5.0


async def test_a_ten_minute_police_outage_loses_and_repeats_nothing(tmp_path: Path) -> None:
    result = await police_outage(tmp_path, ALERTS, OUTAGE_S, VirtualClock())
    print(result.tally.describe("police receiver down 10 min"),
          f"- first delivery {result.wait_s:.2f} s after it was back, the rest within "
          f"{result.drain_s:.2f} s")
    assert result.tally.expected == ALERTS
    assert result.tally.clean, result.tally.describe("police outage")
    assert result.wait_s <= WITHIN_S
