"""The processes beside `bench.linkage`, each started as

    python -m bench.linkage_peers echo|cap|pysiaalarm|send [--port P] [--frames N] [--secret S]

`echo` (a bare TCP echo), `cap` (a CAP receiver) and `pysiaalarm` (pysiaalarm's DC-09
receiver) print `ready <port>` once they listen and serve until terminated; `send` sends
DC-09 frames to a receiver on `--port` and prints its figures as JSON. Only light imports
here, so that they start quickly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import time
from collections import Counter
from collections.abc import Coroutine, Sequence
from typing import Any

from aiohttp import web
from lxml import etree
from pysiaalarm.account import SIAAccount
from pysiaalarm.aio.client import SIAClient
from pysiaalarm.event import SIAEvent

from gateway.core import dc09
from gateway.core.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify
from simulators.alarm_panel import AlarmPanelSimulator

READY = "ready"
_ANSWER_ID = re.compile(rb'"\*?([A-Z-]+)"')
CAP_IDENTIFIER = "{urn:oasis:names:tc:emergency:cap:1.2}identifier"
PLAIN_ACCOUNT, AES_ACCOUNT = "7301", "7302"
AES_KEY_TEXT = "0123456789ABCDEF"
"""pysiaalarm takes a key's text as its bytes; the gateway's config takes their hex."""
PANELS = 32
"""Panels (one TCP connection each) sending at once in the receive-rate run: enough that
the receiver, not the round trip of one frame, sets the pace."""


async def serve_echo() -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(4096):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    _ready(server.sockets[0].getsockname()[1])
    await asyncio.Event().wait()


async def serve_cap(secret: str) -> None:
    """A CAP receiver: checks the HMAC signature, parses the XML, answers 201."""
    async def alert(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            verify(secret.encode(), request.headers.get(TIMESTAMP_HEADER), body,
                   request.headers.get(SIGNATURE_HEADER), now=time.time())
        except SignatureError as exc:
            return web.json_response({"error": str(exc)}, status=401)
        identifier = etree.fromstring(body).findtext(CAP_IDENTIFIER)
        return web.json_response({"receipt_id": identifier}, status=201)

    app = web.Application()
    app.router.add_post("/cap", alert)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    _ready(runner.addresses[0][1])
    await asyncio.Event().wait()


async def serve_pysiaalarm(port: int) -> None:
    """pysiaalarm's TCP receiver for the plain and the AES account."""
    client = await start_pysiaalarm(port, Counter())
    try:
        _ready(port)
        await asyncio.Event().wait()
    finally:
        await client.async_stop()


async def start_pysiaalarm(port: int, taken: Counter[str]) -> SIAClient:
    accounts = [SIAAccount(PLAIN_ACCOUNT, allowed_timeband=None),
                SIAAccount(AES_ACCOUNT, AES_KEY_TEXT, allowed_timeband=None),
                *(SIAAccount(account, allowed_timeband=None) for account in panel_accounts())]

    async def took(event: SIAEvent) -> None:
        taken[str(event.code)] += 1

    # Its __new__ picks the TCP subclass, which mypy cannot see.
    client = SIAClient("127.0.0.1", port, accounts, took)  # type: ignore[abstract]
    await client.async_start()
    return client


def send_frames(port: int, frames: int) -> None:
    """The sender: `frames` DC-09 frames over `PANELS` connections, each waiting for the
    answer to a frame before the next; prints the seconds from the first frame to the
    last answer and the answers by kind."""
    per_panel = frames // PANELS
    encoded = [[_panel_frame(panel, i) for i in range(per_panel)]
               for panel in (AlarmPanelSimulator("127.0.0.1", port, account)
                             for account in panel_accounts())]

    async def panel(frames: list[bytes], answers: Counter[str]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for frame in frames:
            writer.write(frame)
            answer = await reader.readuntil(b"\r")
            answers[_answer_id(answer)] += 1
        writer.close()

    async def run() -> None:
        answers: Counter[str] = Counter()
        started = time.perf_counter()
        await asyncio.gather(*(panel(frames, answers) for frames in encoded))
        print(json.dumps({"seconds": time.perf_counter() - started, "answers": answers}),
              flush=True)

    asyncio.run(run())


def _panel_frame(panel: AlarmPanelSimulator, i: int) -> bytes:
    """A burglary alarm or restore, in a zone that changes with each frame (so that no
    frame is the repeat of another with the same sequence number)."""
    data = dc09.sia_dcs_data(panel.account, "BA" if i % 2 == 0 else "BH", i % 1000, 1)
    return panel.frame("SIA-DCS", data)


def _answer_id(answer: bytes) -> str:
    """The id of an answer (`ACK`, `NAK`, `DUH`), read without checking the rest: the
    sender spends as little as it can, so that the receivers set the pace."""
    found = _ANSWER_ID.search(answer)
    return found[1].decode("ascii") if found is not None else "unreadable"


def panel_accounts() -> list[str]:
    return [f"{8000 + n}" for n in range(PANELS)]


def _ready(port: int) -> None:
    print(f"{READY} {port}", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A process beside bench.linkage.")
    parser.add_argument("role", choices=["echo", "cap", "pysiaalarm", "send"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--frames", type=int, default=0)
    parser.add_argument("--secret", default="")
    args = parser.parse_args(argv)
    if args.role == "send":
        send_frames(args.port, args.frames)
        return
    serving: Coroutine[Any, Any, None] = (
        serve_echo() if args.role == "echo" else serve_cap(args.secret)
        if args.role == "cap" else serve_pysiaalarm(args.port))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serving)


if __name__ == "__main__":
    main()
