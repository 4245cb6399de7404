"""Run a gateway with its HTTP API until told to stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import uvicorn

from gateway.app.api.app import create_api
from gateway.app.config import GatewayConfig
from gateway.app.gateway import Gateway
from gateway.core.clock import Clock

log = logging.getLogger(__name__)


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level.upper(), force=True,
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    for noisy in ("uvicorn.access", "uvicorn.error", "httpx", "apscheduler",
                   "adapters.modbus.scheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@dataclass
class Serving:
    """A running gateway and its API server."""

    gateway: Gateway
    server: uvicorn.Server
    task: asyncio.Task[None]

    @property
    def url(self) -> str:
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        scheme = "https" if self.server.config.ssl_certfile else "http"
        return f"{scheme}://{host}:{port}"

    async def wait_closed(self) -> None:
        """Until the server stops (SIGINT/SIGTERM)."""
        await asyncio.shield(self.task)


@asynccontextmanager
async def serving(config: GatewayConfig, clock: Clock | None = None,
                  run_adapters: bool = True) -> AsyncIterator[Serving]:
    """A started gateway and its API server (listening when this yields)."""
    gateway = Gateway(config, clock, run_adapters=run_adapters)
    await gateway.start()
    server = uvicorn.Server(uvicorn.Config(
        create_api(gateway), host=config.api.host, port=config.api.port, log_level="warning",
        lifespan="off",
        ssl_certfile=None if config.api.tls is None else str(config.api.tls.certificate),
        ssl_keyfile=None if config.api.tls is None else str(config.api.tls.key)))
    server_task = asyncio.create_task(server.serve(), name="api")
    try:
        while not server.started:
            if server_task.done():
                await server_task
                raise RuntimeError(f"API could not listen on {config.api.host}:"
                                   f"{config.api.port}")
            await asyncio.sleep(0.02)
        yield Serving(gateway, server, server_task)
    finally:
        server.should_exit = True
        await asyncio.gather(server_task, return_exceptions=True)
        await gateway.stop()


async def run_until_stopped(config: GatewayConfig) -> None:
    """`campusgw run`: serve until SIGINT/SIGTERM (uvicorn handles the signals)."""
    async with serving(config) as running:
        log.info("gateway %s running; API and dashboard at %s", config.site.id, running.url)
        await running.wait_closed()
