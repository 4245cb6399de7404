"""Driving the simulated devices from outside: an HTTP control API and line commands.

HTTP: `GET /devices`, `GET /devices/{id}`, `POST /devices/{id}/{action}`.
Lines: `press pb-a-301`, `open gate-main`, `list`, `help`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI, HTTPException

from simulators.mqtt_devices.fleet import MqttDeviceFleet, UnknownDevice, UnsupportedAction
from simulators.net import listening_socket

Action = Callable[[MqttDeviceFleet, str], Awaitable[None]]

ACTIONS: dict[str, Action] = {
    "press": lambda fleet, device: fleet.press(device),
    "release": lambda fleet, device: fleet.release(device),
    "tamper": lambda fleet, device: fleet.tamper(device, True),
    "untamper": lambda fleet, device: fleet.tamper(device, False),
    "battery-low": lambda fleet, device: fleet.battery_low(device, True),
    "battery-ok": lambda fleet, device: fleet.battery_low(device, False),
    "open": lambda fleet, device: fleet.open_gate(device),
    "close": lambda fleet, device: fleet.close_gate(device),
    "force": lambda fleet, device: fleet.force_gate(device),
    "heartbeat": lambda fleet, device: fleet.heartbeat(device),
}
"""What can be done to a device, by the name the API and the line commands use."""


def describe(fleet: MqttDeviceFleet, device_id: str) -> dict[str, Any]:
    """A device's id, type, name and state; `UnknownDevice` if there is no such device."""
    device = fleet.device(device_id)
    return {"id": device.id, "type": getattr(device, "type", "?"), "name": device.name,
            "state": fleet.state(device.id)}


def control_app(fleet: MqttDeviceFleet) -> FastAPI:
    """The HTTP control API of a running fleet."""
    app = FastAPI(title="MQTT device simulator", description=__doc__)

    @app.get("/devices")
    async def list_devices() -> list[dict[str, Any]]:
        return [describe(fleet, device.id) for device in fleet.devices]

    @app.get("/devices/{device_id}")
    async def device_state(device_id: str) -> dict[str, Any]:
        try:
            return describe(fleet, device_id)
        except UnknownDevice as exc:
            raise HTTPException(404, str(exc)) from None

    @app.post("/devices/{device_id}/{action}")
    async def act(device_id: str, action: str) -> dict[str, Any]:
        if action not in ACTIONS:
            raise HTTPException(404, f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
        try:
            await ACTIONS[action](fleet, device_id)
        except UnknownDevice as exc:
            raise HTTPException(404, str(exc)) from None
        except UnsupportedAction as exc:
            raise HTTPException(409, str(exc)) from None
        except TimeoutError as exc:
            raise HTTPException(504, str(exc)) from None
        return {"action": action, **describe(fleet, device_id)}

    return app


async def run_line(fleet: MqttDeviceFleet, line: str) -> str:
    """Carry out one line command and say what happened (never raises for bad input)."""
    words = line.split()
    if not words:
        return ""
    command, arguments = words[0].lower(), words[1:]
    if command == "help":
        return (f"commands: {' '.join(ACTIONS)} <device-id> | list | state <device-id>")
    if command == "list":
        return "\n".join(f"{d.id} {getattr(d, 'type', '?')} {d.name}" for d in fleet.devices)
    if len(arguments) != 1:
        return f"usage: {command} <device-id> (try 'help')"
    device_id = arguments[0]
    try:
        if command == "state":
            return f"{device_id} {fleet.state(device_id)}"
        if command not in ACTIONS:
            return f"unknown command {command!r} (try 'help')"
        await ACTIONS[command](fleet, device_id)
    except (UnknownDevice, UnsupportedAction, TimeoutError) as exc:
        return f"error: {exc}"
    return f"ok: {command} {device_id}"


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: the program that embeds it decides."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ControlServer:
    """The control API served by uvicorn on `host:port` inside the running event loop
    (port 0: any free port; `url` tells which)."""

    def __init__(self, fleet: MqttDeviceFleet, host: str = "127.0.0.1", port: int = 8091) -> None:
        config = uvicorn.Config(control_app(fleet), host=host, port=port, log_level="warning",
                                lifespan="off")
        self._server = _QuietServer(config)
        self._host = host
        self._port = port
        self._socket: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None
        self.url = f"http://{host}:{port}"

    async def start(self) -> None:
        """Listen (raises OSError if the port is taken) and serve in a task."""
        listener = listening_socket(self._host, self._port)
        self._socket = listener
        self.url = f"http://{self._host}:{listener.getsockname()[1]}"
        self._task = asyncio.create_task(self._server.serve(sockets=[listener]),
                                         name="mqtt simulator control")
        # uvicorn reports readiness only through this flag.
        while not self._server.started and not self._task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._task is not None:
            self._server.should_exit = True
            await self._task
            self._task = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
