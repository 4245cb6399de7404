"""The police simulator answering back: for each alert it receives it reports, signed,
`accepted`, `dispatched` and `on_scene` after their delays (or `rejected`, for every n-th
alert when told to), to the gateway's `/linkage/<channel>/status` (docs/linkage.md)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from gateway.core.clock import Clock, SystemClock
from gateway.core.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

log = logging.getLogger(__name__)

DEFAULT_DELAYS_S: Mapping[str, float] = {"accepted": 2.0, "dispatched": 5.0, "on_scene": 25.0}


@dataclass
class StatusPlan:
    """Where to answer and after how long (seconds from receiving the alert)."""

    url: str
    delays_s: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_DELAYS_S))
    reject_every: int = 0
    """Reject every n-th alert instead (0: never)."""
    unit: str = "城关派出所 巡逻 2 号车"


class StatusReporter:
    def __init__(self, secret: str, plan: StatusPlan, clock: Clock | None = None) -> None:
        self._secret = secret.encode()
        self._plan = plan
        self._clock = clock or SystemClock()
        self._http = httpx.AsyncClient(timeout=5.0)
        self._tasks: set[asyncio.Task[None]] = set()
        self._alerts = 0
        self.sent: list[tuple[str, str, int]] = []
        """(alert id, status, the gateway's HTTP status) of every report."""

    def received(self, document: Mapping[str, Any]) -> None:
        """Called for each new document the simulator accepted."""
        alert_id = document.get("alert_id")
        if not isinstance(alert_id, str):
            return
        if document.get("revision") == 1:
            self._alerts += 1
            every = self._plan.reject_every
            if every and self._alerts % every == 0:
                self._later(0.5, alert_id, {"status": "rejected",
                                            "reason": "演练数据 / not ours (simulated)"})
                return
            for status, delay in sorted(self._plan.delays_s.items(), key=lambda i: i[1]):
                extra = ({"unit": self._plan.unit, "eta_s": 240} if status == "dispatched"
                         else {})
                self._later(delay, alert_id, {"status": status, **extra})
        elif document.get("closure") == "false_alarm":
            self._later(0.5, alert_id, {"status": "cancel_ack"})

    def _later(self, delay_s: float, alert_id: str, report: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._send(delay_s, alert_id, report))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, delay_s: float, alert_id: str, report: dict[str, Any]) -> None:
        await self._clock.sleep(delay_s)
        body = json.dumps({"alert_id": alert_id, **report}, ensure_ascii=False).encode()
        now = int(self._clock.now())
        headers = {SIGNATURE_HEADER: sign(self._secret, now, body),
                   TIMESTAMP_HEADER: str(now), "Content-Type": "application/json",
                   IDEMPOTENCY_HEADER: f"{alert_id}:{report['status']}"}
        try:
            answer = await self._http.post(self._plan.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("police simulator: status %s for %s not delivered: %s",
                        report["status"], alert_id, exc)
            return
        self.sent.append((alert_id, str(report["status"]), answer.status_code))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._http.aclose()
