"""`campusgw sim camera`: run simulated ONVIF cameras until interrupted."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

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
) -> None:
    """Simulated ONVIF cameras watching corridors with emergency exits."""
    simulator = CameraSimulator(cameras=cameras, host=host, port=port, username=username,
                                password=password, clock_offset_s=clock_offset_s,
                                prerendered=prerendered)
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
    try:
        await stop.wait()
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        await simulator.stop()
