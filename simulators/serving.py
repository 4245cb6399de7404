"""An ASGI app served by uvicorn on a socket bound beforehand, as a task of the running
event loop: the simulators' HTTP endpoints."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI

from simulators.net import listening_socket

log = logging.getLogger(__name__)

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


class _Server(uvicorn.Server):
    """A uvicorn server that leaves the process's signal handlers alone: the program that
    embeds it decides."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Listener:
    """One uvicorn server on a socket of its own, run as a task of the current loop."""

    name: str
    server: uvicorn.Server
    task: asyncio.Task[None]
    sock: socket.socket
    port: int

    @classmethod
    async def open(cls, app: FastAPI, host: str, port: int, *, name: str,
                   **uvicorn_config: Any) -> Listener:
        """Bind `host:port` (port 0: any free port; raises OSError if it is taken) and
        serve `app` there; returns once uvicorn is serving. `uvicorn_config` goes to
        `uvicorn.Config` (logging, protocols, TLS)."""
        sock = listening_socket(host, port)
        server = _Server(uvicorn.Config(app, **uvicorn_config))
        bound = sock.getsockname()[1]
        task = asyncio.create_task(server.serve(sockets=[sock]), name=f"{name}:{bound}")
        listener = cls(name, server, task, sock, bound)
        try:
            async with asyncio.timeout(START_TIMEOUT_S):
                # uvicorn reports readiness only through this flag.
                while not server.started:
                    if task.done():
                        task.result()
                        raise RuntimeError(f"{name} on port {bound} stopped while starting")
                    await asyncio.sleep(0.005)
        except BaseException:
            await listener.close()
            raise
        return listener

    async def close(self) -> None:
        """Stop serving (answering requests under way for a while) and close the socket."""
        self.server.should_exit = True
        await asyncio.wait({self.task}, timeout=STOP_TIMEOUT_S)
        if not self.task.done():
            self.server.force_exit = True
            self.task.cancel()
            await asyncio.wait({self.task})
        self.sock.close()
        if not self.task.cancelled() and self.task.exception() is not None:
            log.warning("%s on port %d failed: %s", self.name, self.port, self.task.exception())
