"""The real-camera replies recorded in npm `onvif` 0.8.1's server mock-up
(`test/serverMockup/*.xml`), served over HTTP the way that mock-up serves them: a SOAP
request is answered with the file named after its operation (`events.X.xml` before
`X.xml` for the events service), its doT template fields filled in.

The recording's camera was at 192.168.68.111; its HTTP addresses are pointed at this
server, as a replay must (npm `onvif` rewrites them itself; the gateway, like most
clients, follows what the camera says). A `{{? ...}}` block (the mock-up includes it at
random) is served on the first `PullMessages` and left out afterwards, so that the
recorded events arrive once and the empty answers after them are paced by the client.
`replies` overrides files by name, for a test's own corrected copy."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import TracebackType

import cv2
import numpy as np
from aiohttp import web
from lxml import etree

from simulators.camera.httpauth import HttpAuthenticator
from simulators.net import listening_socket
from tests.onvif.peers import PEERS, require_node_package

RECORDED = PEERS / "node_modules" / "onvif-0.8.1" / "test" / "serverMockup"
RECORDED_HOST = "http://192.168.68.111"
SNAPSHOT_PATH = "/onvif-cgi/jpg/image.cgi"
USER, PASSWORD = "admin", "recorded-cam"
PULL_POINT_PATH = "/onvif/subscription?Idx=0"

_SERVICE_FILES = {"http://www.onvif.org/ver10/events/wsdl": "events",
                  "http://www.onvif.org/ver10/media/wsdl": "media",
                  "http://www.onvif.org/ver10/device/wsdl": "device"}
_CONDITIONAL = re.compile(r"\{\{\?[^}]*\}\}(.*?)\{\{\?\}\}", re.S)
_FIELD = re.compile(r"\{\{=(.*?)\}\}")


def recorded_reply(name: str) -> str:
    """The text of one recorded file (`GetSnapshotUri.xml`)."""
    require_node_package("onvif-0.8.1")
    return (RECORDED / name).read_text(encoding="utf-8")


def snapshot_jpeg() -> bytes:
    frame = np.full((240, 320, 3), 90, np.uint8)
    cv2.putText(frame, "recorded camera", (20, 120), cv2.FONT_HERSHEY_SIMPLEX, 0.8,
                (255, 255, 255), 2)
    ok, encoded = cv2.imencode(".jpg", frame)
    assert ok
    return encoded.tobytes()


class RecordedCamera:
    """The recorded camera on 127.0.0.1, on a free port; `async with` it."""

    def __init__(self, replies: Mapping[str, str] | None = None) -> None:
        self.replies = dict(replies or {})
        self.operations: Counter[str] = Counter()
        self.port = 0
        self._auth = HttpAuthenticator(USER, PASSWORD)
        self._jpeg = snapshot_jpeg()
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> RecordedCamera:
        require_node_package("onvif-0.8.1")
        app = web.Application()
        app.router.add_post("/{path:.*}", self._soap)
        app.router.add_get(SNAPSHOT_PATH, self._snapshot)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        listener = listening_socket("127.0.0.1", 0)
        self.port = int(listener.getsockname()[1])
        await web.SockSite(self._runner, listener).start()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _file(self, namespace: str, operation: str) -> str | None:
        prefixed = f"{_SERVICE_FILES.get(namespace, '')}.{operation}.xml"
        for name in (prefixed, f"{operation}.xml"):
            if name in self.replies:
                return self.replies[name]
            if (RECORDED / name).is_file():
                return (RECORDED / name).read_text(encoding="utf-8")
        return None

    async def _soap(self, request: web.Request) -> web.Response:
        body = etree.fromstring(await request.read()).find(
            "{http://www.w3.org/2003/05/soap-envelope}Body")
        assert body is not None and len(body), "a SOAP request without a body"
        operation = etree.QName(body[0])
        self.operations[operation.localname] += 1
        reply = self._file(operation.namespace or "", operation.localname)
        if reply is None:
            return web.Response(status=500, text=f"no recorded reply to {operation.localname}")
        return web.Response(text=self._render(reply, operation.localname),
                            content_type="application/soap+xml", charset="utf-8")

    def _render(self, template: str, operation: str) -> str:
        keep = operation == "PullMessages" and self.operations[operation] == 1
        text = _CONDITIONAL.sub(lambda m: m.group(1) if keep else "", template)
        now = datetime.now(UTC)
        fields = {"it.hostname": "127.0.0.1", "it.port": str(self.port),
                  "it.pullPointUrl": PULL_POINT_PATH,
                  "new Date().toISOString()": _iso(now),
                  "new Date(Date.now()+5000).toISOString()": _iso(now + timedelta(seconds=5))}

        def field(match: re.Match[str]) -> str:
            expression = match.group(1).strip()
            assert expression in fields, f"recorded template field {expression!r} not known"
            return fields[expression]

        return _FIELD.sub(field, text).replace(RECORDED_HOST, self.base_url)

    async def _snapshot(self, request: web.Request) -> web.Response:
        if not self._auth.check(request.headers.get("Authorization"), request.method):
            return web.Response(status=401, headers={"WWW-Authenticate": self._auth.challenge()})
        return web.Response(body=self._jpeg, content_type="image/jpeg")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def declared_envelope(reply: str) -> str:
    """`reply` with the SOAP envelope prefix it uses declared (the recorded GetSnapshotUri
    answer uses `SOAP-ENV:` and never declares it)."""
    assert 'xmlns:SOAP-ENV="' not in reply
    return reply.replace("<SOAP-ENV:Envelope ", '<SOAP-ENV:Envelope xmlns:SOAP-ENV='
                         '"http://www.w3.org/2003/05/soap-envelope" ', 1)
