"""The simulated police linkage platform: alert endpoint and control API on their own ports."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from gateway.core.clock import Clock, SystemClock
from gateway.core.signing import DEFAULT_WINDOW_S
from simulators.net import url_host
from simulators.police.apps import ALERTS_PATH, alerts_app, control_app
from simulators.police.ledger import Ledger, ReceivedAlert
from simulators.police.receiver import Mode, Receiver
from simulators.police.status import StatusPlan, StatusReporter
from simulators.serving import Listener

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerTls:
    """HTTPS for the alert endpoint; with `client_ca_file`, clients must present a
    certificate signed by it (mutual TLS)."""

    cert_file: Path
    key_file: Path
    client_ca_file: Path | None = None

    def context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        if self.client_ca_file is not None:
            context.load_verify_locations(cafile=str(self.client_ca_file))
            context.verify_mode = ssl.CERT_REQUIRED
        return context


class PoliceSimulator:
    """A police linkage receiver to test against, started inside the caller's event loop.

    The alert endpoint (`url`) verifies signatures and the timestamp window, deduplicates by
    Idempotency-Key and records what it accepts. The control API (`control_url`, plain
    HTTP) switches fault modes; in `refuse` mode the alert port is really closed, and it
    is opened again on the same port when the mode goes back to `ok`.
    """

    def __init__(self, secret: str, host: str = "127.0.0.1", port: int = 0,
                 window_s: float = DEFAULT_WINDOW_S, tls: ServerTls | None = None, *,
                 control_port: int = 0, record_file: Path | None = None,
                 duplicate_status: int = 200, clock: Clock | None = None) -> None:
        self.host = host
        self.port = port
        self.control_port = control_port
        self.ledger = Ledger(record_file)
        self.receiver = Receiver(secret, self.ledger, clock or SystemClock(), window_s,
                                 duplicate_status)
        self._tls = tls
        self._ssl: ssl.SSLContext | None = None
        self._alerts: Listener | None = None
        self._control: Listener | None = None
        self._mode_lock = asyncio.Lock()
        self._reporter: StatusReporter | None = None

    @property
    def url(self) -> str:
        """The alert endpoint, e.g. http://127.0.0.1:8090/api/alerts."""
        scheme = "https" if self._tls is not None else "http"
        return f"{scheme}://{url_host(self.host)}:{self.port}{ALERTS_PATH}"

    @property
    def control_url(self) -> str:
        """The control API's base URL, e.g. http://127.0.0.1:8092."""
        return f"http://{url_host(self.host)}:{self.control_port}"

    @property
    def received(self) -> list[ReceivedAlert]:
        return self.ledger.records

    @property
    def rejected(self) -> Counter[str]:
        return self.ledger.rejected

    @property
    def duplicates(self) -> int:
        return self.ledger.duplicates

    async def start(self) -> None:
        """Load earlier records, bind both ports and serve (again, after `stop`: same ports
        unless they were 0, same records)."""
        await asyncio.to_thread(self.ledger.load)
        self.receiver.resume()
        if self._tls is not None:
            self._ssl = await asyncio.to_thread(self._tls.context)
        if self.receiver.mode.mode != "refuse":
            self._alerts = await _open(alerts_app(self.receiver), self.host, self.port,
                                       self._ssl)
            self.port = self._alerts.port
        try:
            self._control = await _open(
                control_app(self.receiver, self.set_mode), self.host, self.control_port, None)
        except BaseException:
            if self._alerts is not None:
                await self._alerts.close()
                self._alerts = None
            raise
        self.control_port = self._control.port
        log.info("police simulator: alerts at %s, control at %s", self.url, self.control_url)

    def answer_to(self, plan: StatusPlan) -> StatusReporter:
        """From now on, report statuses back for each new alert, as `plan` says."""
        self._reporter = StatusReporter(self.receiver.secret, plan)
        self.receiver.on_received = self._reporter.received
        return self._reporter

    async def stop(self) -> None:
        """Answer waiting requests, close both ports."""
        if self._reporter is not None:
            await self._reporter.close()
            self._reporter = None
        self.receiver.shut_down()
        alerts, self._alerts = self._alerts, None
        control, self._control = self._control, None
        for listener in (alerts, control):
            if listener is not None:
                await listener.close()

    async def __aenter__(self) -> PoliceSimulator:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def set_mode(self, mode: Mode) -> None:
        """Switch fault mode; `refuse` closes the alert port, any other mode reopens it."""
        async with self._mode_lock:
            self.receiver.set_mode(mode)
            if self._control is None:
                return
            if mode.mode == "refuse" and self._alerts is not None:
                alerts, self._alerts = self._alerts, None
                await alerts.close()
            elif mode.mode != "refuse" and self._alerts is None:
                self._alerts = await _open(alerts_app(self.receiver), self.host, self.port,
                                           self._ssl)


async def _open(app: FastAPI, host: str, port: int,
                ssl_context: ssl.SSLContext | None) -> Listener:
    """One endpoint of the simulator, with TLS when `ssl_context` is given."""
    return await Listener.open(
        app, host, port, name="police simulator", log_config=None, access_log=False,
        lifespan="off", ws="none", http="h11", timeout_graceful_shutdown=2,
        ssl_context_factory=(lambda _c, _d: ssl_context) if ssl_context else None)
