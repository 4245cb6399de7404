"""`campusgw sim camera`: run simulated ONVIF cameras until interrupted."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from simulators.camera.discovery import DiscoverySettings
from simulators.camera.server import DEFAULT_PASSWORD, CameraSimulator


def command(
    port: Annotated[int, typer.Option(help="HTTP port of every camera's SOAP services, "
                                           "snapshots and the control API.")] = 8000,
    cameras: Annotated[int, typer.Option(min=1, max=64, help="Number of cameras.")] = 2,
    username: Annotated[str, typer.Option(help="ONVIF and snapshot user name.")] = "admin",
    password: Annotated[str, typer.Option(
        envvar="CAMPUSGW_CAMERA_PASSWORD",
        help="ONVIF and snapshot password (better given by the environment variable).")] = (
        DEFAULT_PASSWORD),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    clock_offset_s: Annotated[float, typer.Option(
        help="Every camera's clock is off by this many seconds.")] = 0.0,
    prerendered: Annotated[bool, typer.Option(
        help="Serve a pre-rendered cycle of snapshots (benchmarks).")] = False,
    discovery: Annotated[bool, typer.Option(
        help="Answer WS-Discovery probes; Hello on start, Bye on stop.")] = True,
    discovery_group: Annotated[str, typer.Option(
        help="WS-Discovery multicast group.")] = "239.255.255.250",
    discovery_port: Annotated[int, typer.Option(help="WS-Discovery UDP port.")] = 3702,
    discovery_interface: Annotated[str | None, typer.Option(
        help="Address of the interface joined and announced from (default: the host "
             "listened on, or 127.0.0.1 when that is every address).")] = None,
) -> None:
    """Simulated ONVIF cameras watching corridors with emergency exits."""
    interface = discovery_interface or (host if host not in ("0.0.0.0", "") else "127.0.0.1")
    settings = DiscoverySettings(discovery_group, discovery_port, interface) if discovery \
        else None
    simulator = CameraSimulator(cameras=cameras, host=host, port=port, username=username,
                                password=password, clock_offset_s=clock_offset_s,
                                prerendered=prerendered, discovery=settings)
    asyncio.run(_serve(simulator))


async def _serve(simulator: CameraSimulator) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await simulator.start()
    for index in range(len(simulator.cameras)):
        typer.echo(f"camera {index}: ONVIF {simulator.device_service_url(index)}  "
                   f"snapshot {simulator.snapshot_url(index)}")
    typer.echo(f"control:  POST {simulator.base_url}/control/cam/<i>  "
               '{"block_exit": 0.6} {"people": 2} {"cover_lens": true} {"clear": true} '
               '{"reboot": true} {"fault": 1} {"clock_offset_s": 3600}')
    if simulator.discovery is not None:
        where = simulator.discovery.settings
        typer.echo(f"WS-Discovery: {where.group}:{where.port} on {where.interface}")
    try:
        await stop.wait()
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        await simulator.stop()
