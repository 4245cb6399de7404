"""Counting and logging what the receiver answered: every refused frame is counted against
its panel when its account is known; a panel's problem is logged once when it starts and
once when the panel's frames are taken again, never per frame."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Final

from adapters.sia.receiver import Outcome
from gateway.core.clock import Clock

log = logging.getLogger(__name__)

QUIET_S: Final = 60.0
"""Problems of no known panel (unknown accounts, unreadable headers) are logged at most
once per this long."""


class Tally:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.counts: Counter[str] = Counter()
        self.refused_by_device: dict[str, int] = {}
        self._failing: dict[str, int] = {}
        self._anonymous_logged_at: float | None = None
        self._anonymous_quiet = 0

    def note(self, outcome: Outcome) -> None:
        verdict = outcome.verdict
        self.counts["frames"] += 1
        self.counts[verdict] += 1
        self.counts["events"] += len(outcome.events)
        if outcome.refusal is not None:
            self.counts[f"refused_{outcome.refusal}"] += 1
            self._refused(outcome)
        elif verdict in ("ack", "repeat") and outcome.device_id is not None:
            self._taken(outcome.device_id)

    def _refused(self, outcome: Outcome) -> None:
        device = outcome.device_id
        if device is None:
            self._anonymous(outcome)
            return
        self.refused_by_device[device] = self.refused_by_device.get(device, 0) + 1
        before = self._failing.get(device)
        self._failing[device] = (before or 0) + 1
        if before is None:
            log.warning("DC-09 panel %s: frame refused (%s): %s", device, _answered(outcome),
                        outcome.problem)

    def _taken(self, device: str) -> None:
        refused = self._failing.pop(device, None)
        if refused is not None:
            log.info("DC-09 panel %s: frames taken again (%d refused before)", device, refused)

    def _anonymous(self, outcome: Outcome) -> None:
        now = self._clock.now()
        last = self._anonymous_logged_at
        if last is not None and now - last < QUIET_S:
            self._anonymous_quiet += 1
            return
        quiet, self._anonymous_quiet = self._anonymous_quiet, 0
        self._anonymous_logged_at = now
        more = f" ({quiet} more since the last report)" if quiet else ""
        account = f" of account {outcome.account}" if outcome.account else ""
        log.warning("DC-09 frame%s refused (%s): %s%s", account, _answered(outcome),
                    outcome.problem, more)


def _answered(outcome: Outcome) -> str:
    return outcome.verdict.upper() if outcome.answer is not None else "no answer"
