"""A small HTTP control interface for simulators: `POST /<command>?arg=value` runs a
command, `GET /state` shows the device. Answers are JSON."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

log = logging.getLogger(__name__)

Command = Callable[[dict[str, str]], Any]
"""Runs with the query parameters; returns something JSON-able (or None)."""

_READ_TIMEOUT_S = 5.0


class CommandError(ValueError):
    """A command given bad arguments (answered with 400)."""


class ControlServer:
    """HTTP/1.1 on `host:port`: POST runs one of `commands`, GET /state calls `state`."""

    def __init__(self, commands: Mapping[str, Command], state: Callable[[], Any], *,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.commands = dict(commands)
        self.state = state
        self.host = host
        self.requested_port = port
        self._server: asyncio.Server | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the control server is not started")
        return self._port

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.requested_port)
        self._port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _READ_TIMEOUT_S)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip() or 0)
            if length:
                await asyncio.wait_for(reader.readexactly(length), _READ_TIMEOUT_S)
            status, body = self._handle(method, target)
        except (TimeoutError, ValueError, asyncio.IncompleteReadError) as exc:
            status, body = 400, {"error": f"bad request: {exc}"}
        payload = json.dumps(body).encode()
        writer.write(f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                     "Content-Type: application/json\r\n"
                     f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                     + payload)
        try:
            await asyncio.wait_for(writer.drain(), _READ_TIMEOUT_S)
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    def _handle(self, method: str, target: str) -> tuple[int, Any]:
        url = urlsplit(target)
        name = url.path.strip("/")
        params = dict(parse_qsl(url.query))
        if method == "GET" and name in ("", "state"):
            return 200, self.state()
        if method != "POST":
            return 405, {"error": "use POST /<command> or GET /state",
                         "commands": sorted(self.commands)}
        command = self.commands.get(name)
        if command is None:
            return 404, {"error": f"unknown command {name!r}", "commands": sorted(self.commands)}
        try:
            result = command(params)
        except (CommandError, KeyError, ValueError, IndexError) as exc:
            return 400, {"error": str(exc)}
        log.info("control: %s %s", name, params)
        return 200, {"ok": True, "result": result, "state": self.state()}


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


def int_arg(params: dict[str, str], name: str) -> int:
    try:
        return int(params[name])
    except KeyError:
        raise CommandError(f"missing ?{name}=") from None
    except ValueError:
        raise CommandError(f"{name} must be a number") from None


def bool_arg(params: dict[str, str], name: str, default: bool = True) -> bool:
    value = params.get(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "on", "yes"):
        return True
    if value.lower() in ("0", "false", "off", "no"):
        return False
    raise CommandError(f"{name} must be true or false")


class Simulator(Protocol):
    """What `serve_until_cancelled` runs."""

    @property
    def port(self) -> int: ...

    @property
    def control_port(self) -> int | None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def serve_until_cancelled(simulator: Simulator, banner: str) -> None:
    """Start a simulator, print where it listens (`banner` with {port} and
    {control_port}), and run until cancelled."""
    await simulator.start()
    print(banner.format(port=simulator.port, control_port=simulator.control_port), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # not in the main thread
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
    try:
        await stop.wait()
    finally:
        await simulator.stop()
