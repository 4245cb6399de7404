"""Builders shared by the forwarding tests: real alert documents, outbox jobs and police
channels."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from gateway.core.alerts import Alert, AlertRevision, AlertState, Category, Place, Severity
from gateway.core.clock import Clock, SystemClock
from gateway.forwarding.channel import ForwardJob
from gateway.forwarding.config import ClientTlsConfig
from gateway.forwarding.document import alert_document
from gateway.forwarding.http_channel import PoliceHttpChannel, PoliceHttpChannelConfig

SECRET = "police-test-secret"
SHANGHAI = ZoneInfo("Asia/Shanghai")
_job_ids = itertools.count(1)


def panic_revision(alert_id: str = "a-0001", revision: int = 1,
                   state: AlertState = AlertState.OPEN) -> AlertRevision:
    """One revision of a panic alert in room A301, as the gateway stores it for channels."""
    alert = Alert(
        id=alert_id, key="panic:pb-a-301", rule_id="panic", site="no7-middle",
        device_id="pb-a-301", zone="building-a-3f", category=Category.PANIC,
        severity=Severity.CRITICAL, title="一键报警 Room A301", message="Panic button pressed.",
        location="Building A, 3F, room A301", state=state, latching=True, drill=False,
        raised_at=1_772_410_500.0, last_event_at=1_772_410_500.0, event_count=1,
        revision=revision, evidence=(f"/api/evidence/{alert_id}/snapshot.jpg",))
    place = Place(site_name="第七中学", zone_name="A栋3楼", building="A", floor="3F",
                  device_name="Room A301 panic button", device_type="panic_button")
    return AlertRevision(alert, place, updated_at=1_772_410_500.0 + revision,
                         timezone="Asia/Shanghai", evidence_base_url="https://gw.example.edu.cn")


def panic_document(alert_id: str = "a-0001", revision: int = 1,
                   state: AlertState = AlertState.OPEN) -> dict[str, Any]:
    """The document of a panic alert in room A301, as the gateway sends it."""
    return alert_document(panic_revision(alert_id, revision, state))


def forward_job(alert_id: str = "a-0001", revision: int = 1,
                channel: str = "police") -> ForwardJob:
    """The outbox job for one revision of a panic alert."""
    return ForwardJob(id=next(_job_ids), alert_id=alert_id, channel=channel, revision=revision,
                      idempotency_key=f"{alert_id}:{revision}",
                      payload=panic_revision(alert_id, revision), created_at=1_772_410_500.0)


def police_config(url: str, secret: str = SECRET, timeout_s: float = 2.0,
                  tls: ClientTlsConfig | None = None) -> PoliceHttpChannelConfig:
    return PoliceHttpChannelConfig(type="police_http", id="police", url=url,
                                   secret=SecretStr(secret), timeout_s=timeout_s, tls=tls)


@asynccontextmanager
async def police_channel(url: str, clock: Clock | None = None,
                         **config: Any) -> AsyncIterator[PoliceHttpChannel]:
    """A police channel to `url` (`config` as for `police_config`), closed on the way out."""
    channel = PoliceHttpChannel(police_config(url, **config), clock or SystemClock())
    try:
        yield channel
    finally:
        await channel.stop()


class RawReceiver:
    """A bare HTTP/1.1 endpoint on a free port that records requests as they came on the
    wire and answers each with one canned response."""

    def __init__(self, status_line: str, body: bytes, content_type: str) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self._response = (f"HTTP/1.1 {status_line}\r\nContent-Type: {content_type}\r\n"
                          f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                          ).encode("ascii") + body
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/api/alerts"

    async def __aenter__(self) -> RawReceiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            request_line, *lines = head.strip().split("\r\n")
            headers = {}
            for line in lines:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append((request_line, headers, body))
            writer.write(self._response)
            await writer.drain()
        finally:
            writer.close()
            await writer.wait_closed()
