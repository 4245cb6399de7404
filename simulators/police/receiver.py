"""What the simulated police endpoint does with one alert request, and its fault modes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import Field

from gateway.core.clock import Clock
from gateway.core.config import StrictModel
from gateway.core.signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    verify,
)
from simulators.police.ledger import Ledger

Answer = tuple[int, dict[str, Any]]
ModeName = Literal["ok", "fail", "delay", "hold", "refuse"]

INJECTED_FAILURE = "injected failure"
INVALID_JSON = "invalid json"
MISSING_IDEMPOTENCY_KEY = "missing idempotency key"
SHUTTING_DOWN = "shutting down"


class Mode(StrictModel):
    """How the endpoint behaves: `ok`, `fail` with a status, `delay` answers, `refuse`
    connections. Sent as the body of `POST /control` on the control port."""

    mode: ModeName = Field(
        description="ok: answer normally; fail: answer every alert with `status`; "
                    "delay: wait `delay_s` before reading the alert; hold: record the "
                    "alert, then wait `delay_s` before answering (as if the answer were "
                    "lost); refuse: stop listening.")
    status: int = Field(default=503, ge=400, le=599,
                        description="Status code of every answer in `fail` mode.")
    delay_s: float = Field(default=2.0, ge=0, le=3600,
                           description="Seconds to wait in `delay` and `hold` modes.")


class Receiver:
    """Verifies, deduplicates and records alert requests; obeys the current `Mode`."""

    def __init__(self, secret: str, ledger: Ledger, clock: Clock, window_s: float,
                 duplicate_status: int = 200) -> None:
        self.ledger = ledger
        self.mode = Mode(mode="ok")
        self.secret = secret
        self._secret = secret.encode("utf-8")
        self._clock = clock
        self._window_s = window_s
        self._duplicate_status = duplicate_status
        self._changed = asyncio.Event()
        self._stopping = False
        self.on_received: Callable[[dict[str, Any]], None] = lambda _document: None
        """Hears each new document accepted (the status reporter answers it)."""

    def set_mode(self, mode: Mode) -> None:
        """Switch mode; requests waiting in `delay` mode carry on at once."""
        self.mode = mode
        self._wake()

    def resume(self) -> None:
        """Answer requests again after `shut_down`."""
        self._stopping = False

    def shut_down(self) -> None:
        """Answer waiting and further requests with 503."""
        self._stopping = True
        self._wake()

    async def receive(self, headers: Mapping[str, str], body: bytes) -> Answer:
        """The status and JSON answer for one `POST` of an alert document."""
        mode = self.mode
        if mode.mode == "fail":
            return self._reject(INJECTED_FAILURE, mode.status)
        if mode.mode == "delay":
            await self._wait(mode.delay_s)
        if self._stopping:
            return self._reject(SHUTTING_DOWN, 503)
        lowered = {name.lower(): value for name, value in headers.items()}
        try:
            verify(self._secret, lowered.get(TIMESTAMP_HEADER.lower()), body,
                   lowered.get(SIGNATURE_HEADER.lower()), now=self._clock.now(),
                   window_s=self._window_s)
        except SignatureError as exc:
            return self._reject(exc.reason, 401)
        return await self._accept(lowered.get(IDEMPOTENCY_HEADER.lower(), ""), body)

    async def _accept(self, key: str, body: bytes) -> Answer:
        try:
            document = json.loads(body)
        except ValueError:
            return self._reject(INVALID_JSON, 400)
        if not isinstance(document, dict):
            return self._reject(INVALID_JSON, 400)
        if not key:
            return self._reject(MISSING_IDEMPOTENCY_KEY, 400)
        known = self.ledger.find(key)
        if known is not None:
            return self._duplicate_status, {"receipt_id": known.receipt_id, "duplicate": True}
        record = self.ledger.add(key, document, self._clock.now())
        self.on_received(document)
        if self.ledger.record_file is not None:
            await asyncio.to_thread(self.ledger.persist, record)
        if self.mode.mode == "hold":
            await self._wait(self.mode.delay_s)
        return 200, {"receipt_id": record.receipt_id}

    def _reject(self, reason: str, status: int) -> Answer:
        self.ledger.rejected[reason] += 1
        return status, {"error": reason}

    async def _wait(self, seconds: float) -> None:
        try:
            async with asyncio.timeout(seconds):
                await self._changed.wait()
        except TimeoutError:
            pass

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
