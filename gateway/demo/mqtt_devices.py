"""`campusgw sim mqtt-devices`: the MQTT devices (panic buttons, gate sensors, gas detectors,
e-bike charging area monitors) of a site config, simulated."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from gateway.app.config import load_config
from gateway.app.problems import problems_exit
from simulators.mqtt_devices.control import ControlServer, run_line
from simulators.mqtt_devices.fleet import MqttDeviceFleet


def command(
    config: Annotated[Path, typer.Argument(
        help="Site config (YAML); its MQTT devices (panic_button, gate_sensor, gas_detector, "
             "charging_monitor) are simulated.")],
    control_port: Annotated[int, typer.Option(
        help="Port of the HTTP control API (POST /devices/{id}/press ...).")] = 8091,
    host: Annotated[str | None, typer.Option(
        help="Broker host (default: adapters.mqtt.host of the config).")] = None,
    port: Annotated[int | None, typer.Option(
        help="Broker port (default: adapters.mqtt.port of the config).")] = None,
) -> None:
    """Simulate the site's MQTT devices: heartbeats, and presses, tampering, gate openings,
    gas leaks, smoke and temperatures on command (HTTP control API, or lines such as
    `press pb-a-301` on stdin)."""
    with problems_exit(2):
        site = load_config(config)
    fleet = MqttDeviceFleet.from_site(site.adapters.mqtt, site.devices, host, port)
    if not fleet.devices:
        typer.echo(f"{config}: no MQTT devices to simulate", err=True)
        raise typer.Exit(2)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        asyncio.run(_serve(fleet, control_port))
    except (OSError, TimeoutError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


async def _serve(fleet: MqttDeviceFleet, control_port: int) -> None:
    await fleet.start()
    control = ControlServer(fleet, "127.0.0.1", control_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, stop.set)
    try:
        await control.start()
        typer.echo(f"{len(fleet.devices)} devices publishing to {fleet.address} "
                   f"under {fleet.prefix}/")
        typer.echo(f"control: POST {control.url}/devices/<id>/<action>; "
                   "or type 'help' here")
        commands = asyncio.create_task(_read_commands(fleet))
        try:
            await stop.wait()
        finally:
            commands.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await commands
    finally:
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(stop_signal)
        await control.stop()
        await fleet.stop()


async def _read_commands(fleet: MqttDeviceFleet) -> None:
    """Line commands from stdin, until it ends (the simulator keeps running then)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    except (ValueError, OSError):  # a regular file: read it whole
        text = await asyncio.to_thread(sys.stdin.read)
        for line in text.splitlines():
            _answer(await run_line(fleet, line))
        return
    while line := await reader.readline():
        _answer(await run_line(fleet, line.decode(errors="replace")))


def _answer(text: str) -> None:
    if text:
        typer.echo(text)
