"""Status reports from the police platform (gateway/app/api/linkage.py): any body, signed
with the channel's secret so that it reaches the parsing, against a real gateway and store.

Documented answers: 200 (taken, or a duplicate), 400 (no key, too large), 404 (no such
alert), 409 (it holds all the statuses it keeps), 422 (not a status report): never a
500, always a JSON body."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from gateway.app.api.app import create_api
from gateway.app.config import load_config
from gateway.app.gateway import Gateway
from gateway.core.clock import VirtualClock
from gateway.core.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.core.test_alerts import press
from tests.forwarding.test_police_status import CONFIG, SECRET, T0

DOCUMENTED = {200, 400, 404, 409, 422}


@asynccontextmanager
async def police_linked(folder: Path, store_url: str | None = None
                        ) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A gateway with a police channel and one raised alert: an API client and the
    alert's id."""
    path = folder / "gateway.yaml"
    store = f'url: "{store_url}"' if store_url else f"path: {folder / 'gw.db'}"
    path.write_text(CONFIG.replace("store: {path: DB}", f"store: {{{store}}}"))
    async with Gateway(load_config(path), VirtualClock(T0), run_adapters=False,
                       forward=False) as gateway:
        press(gateway, "pb-2")
        await gateway.settle()
        [alert] = await gateway.store.alerts.newest()
        transport = httpx.ASGITransport(app=create_api(gateway))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as api:
            yield api, alert.id


async def post_status(api: httpx.AsyncClient, body: bytes, key: str) -> httpx.Response:
    """`body`, signed, as the police platform posts it; checks the answer is documented."""
    headers = {SIGNATURE_HEADER: sign(SECRET, int(T0), body), TIMESTAMP_HEADER: str(int(T0)),
               IDEMPOTENCY_HEADER: key, "Content-Type": "application/json"}
    answer = await api.post("/linkage/police/status", content=body, headers=headers)
    assert answer.status_code in DOCUMENTED, (answer.status_code, answer.text, body)
    answer.json()
    return answer


def report(alert_id: str, data: bytes) -> bytes:
    """A status report about `alert_id` whose other fields come from fuzz input: its
    first byte picks which field the rest (as text) goes into, or the whole body."""
    mode, rest = (data[0], data[1:]) if data else (0, b"")
    fields = ("status", "at", "reason", "unit", "eta_s", "disposition", "note", "alert_id")
    if mode >= len(fields) * 2:
        return rest
    document: dict[str, object] = {"alert_id": alert_id, "status": "accepted"}
    text = rest.decode("utf-8", errors="surrogateescape" if mode & 1 else "replace")
    name = fields[mode // 2]
    with contextlib.suppress(ValueError):
        document[name] = json.loads(text) if name == "eta_s" else text
    try:
        return json.dumps(document).encode()
    except UnicodeEncodeError:
        return json.dumps(document, ensure_ascii=False).encode("utf-8", errors="replace")


class Harness:
    """`police_linked` on an event loop of its own, for callers that are not async (the
    fuzzers): `post()` one body under a fresh key; `close()` at the end."""

    def __init__(self, store_url: str | None = None) -> None:
        self.loop = asyncio.new_event_loop()
        self.folder = Path(tempfile.mkdtemp(prefix="campusgw-fuzz-"))
        self._context = police_linked(self.folder, store_url)
        self.api, self.alert_id = self.loop.run_until_complete(self._context.__aenter__())
        self._keys = 0

    def post(self, body: bytes) -> httpx.Response:
        self._keys += 1
        return self.loop.run_until_complete(post_status(self.api, body, f"key-{self._keys}"))

    def close(self) -> None:
        self.loop.run_until_complete(self._context.__aexit__(None, None, None))
        self.loop.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def target() -> Callable[[bytes], None]:
    harness = Harness()

    def one(data: bytes) -> None:
        harness.post(report(harness.alert_id, data))
    return one


SEEDS = (b"\x00dispatched", b"\x022026-01-01T08:00:14+08:00", b"\x08300", b"\x0cclosed",
         b"\x10" + json.dumps({"status": "on_scene"}).encode())
