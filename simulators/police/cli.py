"""`campusgw sim police`: run the simulated police linkage platform until interrupted."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer

from gateway.core.signing import DEFAULT_WINDOW_S
from simulators.police.server import PoliceSimulator, ServerTls


def command(
    secret: Annotated[str, typer.Option(
        envvar="CAMPUSGW_POLICE_SECRET",
        help="Shared HMAC secret (better given by the environment variable).")],
    port: Annotated[int, typer.Option(help="Port of the alert endpoint.")] = 8090,
    control_port: Annotated[int, typer.Option(
        help="Port of the control API (modes, received records).")] = 8092,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    record_file: Annotated[Path | None, typer.Option(
        help="JSON-lines file of received alerts, kept across restarts.")] = None,
    window_s: Annotated[float, typer.Option(
        help="Accepted clock difference of the signature timestamp, seconds.")] = (
        DEFAULT_WINDOW_S),
    tls_cert: Annotated[Path | None, typer.Option(help="Server certificate (HTTPS).")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="Server private key (HTTPS).")] = None,
    client_ca: Annotated[Path | None, typer.Option(
        help="CA that client certificates must chain to (mutual TLS).")] = None,
) -> None:
    """Run a police linkage receiver that verifies, deduplicates and records alerts."""
    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("give both --tls-cert and --tls-key, or neither")
    if client_ca is not None and tls_cert is None:
        raise typer.BadParameter("--client-ca needs --tls-cert and --tls-key")
    tls = (ServerTls(tls_cert, tls_key, client_ca)
           if tls_cert is not None and tls_key is not None else None)
    simulator = PoliceSimulator(secret, host, port, window_s, tls, control_port=control_port,
                                record_file=record_file)
    asyncio.run(_serve(simulator))


async def _serve(simulator: PoliceSimulator) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await simulator.start()
    typer.echo(f"alerts:   POST {simulator.url}")
    typer.echo(f"control:  POST {simulator.control_url}/control  "
               '{"mode": "ok|fail|delay|refuse", "status": 503, "delay_s": 2}')
    typer.echo(f"received: GET  {simulator.control_url}/received")
    try:
        await stop.wait()
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        await simulator.stop()
