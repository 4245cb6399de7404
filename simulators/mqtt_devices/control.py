"""Driving the simulated devices from outside: an HTTP control API and line commands.

HTTP: `GET /devices`, `GET /devices/{id}`, `POST /devices/{id}/{action}` (`?value=30` for
an action that takes a number).
Lines: `press pb-a-301`, `open gate-main`, `gas-leak gas-canteen 30`, `list`, `help`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, HTTPException

from simulators.mqtt_devices.fleet import (
    InvalidValue,
    MqttDeviceFleet,
    UnknownDevice,
    UnsupportedAction,
)
from simulators.net import url_host
from simulators.serving import Listener

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
    "gas-clear": lambda fleet, device: fleet.gas_clear(device),
    "fault": lambda fleet, device: fleet.fault(device, True),
    "fault-clear": lambda fleet, device: fleet.fault(device, False),
    "smoke": lambda fleet, device: fleet.smoke(device, True),
    "smoke-clear": lambda fleet, device: fleet.smoke(device, False),
    "circuit-on": lambda fleet, device: fleet.switch_circuit(device, True),
    "circuit-off": lambda fleet, device: fleet.switch_circuit(device, False),
    "heartbeat": lambda fleet, device: fleet.heartbeat(device),
}
"""What can be done to a device, by the name the API and the line commands use."""


@dataclass(frozen=True)
class ValueAction:
    """An action that takes a number: `?value=30` over HTTP, a third word on a line."""

    run: Callable[[MqttDeviceFleet, str, float], Awaitable[None]]
    value: str
    """What the number is, for help and errors."""
    default: float | None = None
    """The number when none is given; None: one must be given."""

    @property
    def usage(self) -> str:
        if self.default is None:
            return f"<{self.value}>"
        return f"[{self.value}, default {self.default:g}]"


VALUE_ACTIONS: dict[str, ValueAction] = {
    "gas-leak": ValueAction(lambda fleet, device, lel: fleet.gas_leak(device, lel),
                            "% LEL", default=25.0),
    "temperature": ValueAction(
        lambda fleet, device, celsius: fleet.set_temperature(device, celsius), "°C"),
}
"""Actions that take a number, by the name the API and the line commands use."""


class UnknownAction(LookupError):
    """No action has this name."""


async def perform(fleet: MqttDeviceFleet, device_id: str, action: str,
                  value: float | None = None) -> None:
    """Do `action` to a device, with `value` if the action takes a number.

    Raises `UnknownAction`, `InvalidValue` (a number missing, or given to an action that
    takes none), and whatever the fleet raises."""
    if action in ACTIONS:
        if value is not None:
            raise InvalidValue(f"{action} takes no value")
        await ACTIONS[action](fleet, device_id)
        return
    if action not in VALUE_ACTIONS:
        every = ", ".join([*ACTIONS, *VALUE_ACTIONS])
        raise UnknownAction(f"unknown action {action!r}; one of {every}")
    valued = VALUE_ACTIONS[action]
    number = value if value is not None else valued.default
    if number is None:
        raise InvalidValue(f"{action} needs a value ({valued.value})")
    await valued.run(fleet, device_id, number)


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
    async def act(device_id: str, action: str, value: float | None = None) -> dict[str, Any]:
        try:
            await perform(fleet, device_id, action, value)
        except (UnknownAction, UnknownDevice) as exc:
            raise HTTPException(404, str(exc)) from None
        except UnsupportedAction as exc:
            raise HTTPException(409, str(exc)) from None
        except InvalidValue as exc:
            raise HTTPException(422, str(exc)) from None
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
        with_value = " | ".join(f"{name} <device-id> {action.usage}"
                                for name, action in VALUE_ACTIONS.items())
        return (f"commands: {' '.join(ACTIONS)} <device-id> | {with_value} | list | "
                "state <device-id>")
    if command == "list":
        return "\n".join(f"{d.id} {getattr(d, 'type', '?')} {d.name}" for d in fleet.devices)
    valued = VALUE_ACTIONS.get(command)
    if not 1 <= len(arguments) <= (2 if valued else 1):
        usage = f" {valued.usage}" if valued else ""
        return f"usage: {command} <device-id>{usage} (try 'help')"
    device_id = arguments[0]
    try:
        if command == "state":
            return f"{device_id} {fleet.state(device_id)}"
        value = _number(arguments[1]) if len(arguments) == 2 else None
        await perform(fleet, device_id, command, value)
    except UnknownAction:
        return f"unknown command {command!r} (try 'help')"
    except (UnknownDevice, UnsupportedAction, InvalidValue, TimeoutError) as exc:
        return f"error: {exc}"
    return f"ok: {' '.join([command, *arguments])}"


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InvalidValue(f"not a number: {text!r}") from None


class ControlServer:
    """The control API served by uvicorn on `host:port` inside the running event loop
    (port 0: any free port; `url` tells which)."""

    def __init__(self, fleet: MqttDeviceFleet, host: str = "127.0.0.1", port: int = 8091) -> None:
        self._app = control_app(fleet)
        self._host = host
        self._port = port
        self._listener: Listener | None = None
        self.url = f"http://{url_host(host)}:{port}"

    async def start(self) -> None:
        """Listen (raises OSError if the port is taken) and serve in a task."""
        self._listener = await Listener.open(self._app, self._host, self._port,
                                             name="mqtt simulator control",
                                             log_level="warning", lifespan="off")
        self.url = f"http://{url_host(self._host)}:{self._listener.port}"

    async def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.close()
