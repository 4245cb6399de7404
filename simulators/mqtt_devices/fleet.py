"""A fleet of simulated MQTT devices (panic buttons, gate sensors, gas detectors, e-bike
charging area monitors) publishing to a real MQTT broker.

Each device sends heartbeats every `heartbeat_s` (QoS 1) and changes state on command;
a command returns once the broker has acknowledged the message (PUBACK).
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from adapters.mqtt.config import MqttDeviceBase, MqttSettings
from adapters.mqtt.connection import MqttConnection
from gateway.core.clock import Clock, SystemClock
from gateway.core.events import PointValue
from simulators.mqtt_devices.messages import initial_state, messages_for

log = logging.getLogger(__name__)


class UnknownDevice(LookupError):
    """No simulated device has this id."""

    def __init__(self, device_id: str) -> None:
        super().__init__(f"unknown device {device_id!r}")
        self.device_id = device_id


class UnsupportedAction(ValueError):
    """The device has no point the action needs (e.g. pressing a gate sensor)."""


class InvalidValue(ValueError):
    """A value no device could report (a temperature that is not a number, 140 % LEL)."""


class MqttDeviceFleet:
    """Simulated MQTT devices sharing one client connection to the broker."""

    def __init__(self, devices: Sequence[MqttDeviceBase], host: str = "127.0.0.1",
                 port: int = 1883, prefix: str = "campus", *,
                 settings: MqttSettings | None = None, clock: Clock | None = None,
                 client_id: str = "campusgw-device-simulator", ack_timeout_s: float = 10.0,
                 heartbeats: bool = True) -> None:
        """`settings` supplies credentials, TLS and timeouts; `host`, `port` and `prefix`
        always win over it."""
        self._devices = {device.id: device for device in devices}
        self._state = {device.id: initial_state(device) for device in devices}
        self._settings = (settings or MqttSettings()).model_copy(
            update={"host": host, "port": port, "topic_prefix": prefix})
        self.prefix = prefix
        self._clock = clock or SystemClock()
        self._client_id = client_id
        self._ack_timeout_s = ack_timeout_s
        self._heartbeats = heartbeats
        self._beats = dict.fromkeys(self._devices, 0)
        self._pending: dict[int, asyncio.Future[None] | None] = {}
        self._acked_early: set[int] = set()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = asyncio.Event()
        self._connection: MqttConnection | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    def from_site(cls, settings: MqttSettings, site_devices: Sequence[object],
                  host: str | None = None, port: int | None = None,
                  **options: Any) -> MqttDeviceFleet:
        """Every MQTT device among a site's devices, on the site's broker (credentials,
        TLS and prefix from its MQTT settings; `host`/`port` override the address)."""
        devices = [device for device in site_devices if isinstance(device, MqttDeviceBase)]
        options.setdefault("client_id", f"{settings.client_id}-device-simulator")
        return cls(devices, host or settings.host, port or settings.port,
                   settings.topic_prefix, settings=settings, **options)

    @property
    def address(self) -> str:
        """The broker's `host:port`."""
        return f"{self._settings.host}:{self._settings.port}"

    @property
    def devices(self) -> list[MqttDeviceBase]:
        return list(self._devices.values())

    def device(self, device_id: str) -> MqttDeviceBase:
        """The device's config; `UnknownDevice` if there is none with this id."""
        device = self._devices.get(device_id)
        if device is None:
            raise UnknownDevice(device_id)
        return device

    def state(self, device_id: str) -> dict[str, PointValue]:
        """The device's current point values."""
        return dict(self._state[self.device(device_id).id])

    async def start(self, timeout_s: float = 10.0) -> None:
        """Connect to the broker (waiting at most `timeout_s`) and start heartbeats."""
        self._loop = asyncio.get_running_loop()
        self._connection = MqttConnection(
            self._settings, self._clock, name="device simulator", client_id=self._client_id,
            persistent_session=False, on_published=self._acknowledged,
            on_state=self._state_changed, no_delay=True)
        self._connection.start()
        try:
            async with asyncio.timeout(timeout_s):
                await self._ready.wait()
        except TimeoutError:
            await self.stop()
            raise TimeoutError(f"no MQTT broker at {self.address} after {timeout_s} s") from None
        if self._heartbeats:
            self._tasks = [asyncio.create_task(self._beat(device), name=f"heartbeat {device.id}")
                           for device in self._devices.values() if device.heartbeat_s]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._connection is not None:
            await asyncio.to_thread(self._connection.stop)
            self._connection = None
        with self._lock:
            waiting = [f for f in self._pending.values() if f is not None]
            self._pending.clear()
            self._acked_early.clear()
        for future in waiting:
            future.cancel()

    # -- what a person does to a device ----------------------------------------------------

    async def press(self, device_id: str) -> None:
        """Press the panic button (it stays pressed until released)."""
        await self.set_points(device_id, {"pressed": True})

    async def release(self, device_id: str) -> None:
        await self.set_points(device_id, {"pressed": False})

    async def tamper(self, device_id: str, active: bool = True) -> None:
        """Open the device's case (or close it again with `active=False`)."""
        await self.set_points(device_id, {"tamper": active})

    async def battery_low(self, device_id: str, low: bool = True) -> None:
        await self.set_points(device_id, {"battery_low": low})

    async def open_gate(self, device_id: str) -> None:
        await self.set_points(device_id, {"open": True})

    async def close_gate(self, device_id: str) -> None:
        """Close the gate; this also ends a forced opening."""
        changes: dict[str, PointValue] = {"open": False}
        if "forced" in self.device(device_id).point_names():
            changes["forced"] = False
        await self.set_points(device_id, changes)

    async def force_gate(self, device_id: str) -> None:
        """Force the gate open (opened without authorisation)."""
        await self.set_points(device_id, {"open": True, "forced": True})

    async def gas_leak(self, device_id: str, lel_percent: float = 25.0) -> None:
        """Gas in the air: the detector alarms and reports the concentration, in % of the
        lower explosive limit (0 to 100)."""
        if not (math.isfinite(lel_percent) and 0 <= lel_percent <= 100):
            raise InvalidValue(f"a gas concentration is 0 to 100 % LEL, not {lel_percent}")
        await self.set_points(device_id, {"gas_alarm": True, "lel_percent": float(lel_percent)})

    async def gas_clear(self, device_id: str) -> None:
        """The air is clear again: no alarm, 0 % LEL."""
        await self.set_points(device_id, {"gas_alarm": False, "lel_percent": 0.0})

    async def fault(self, device_id: str, active: bool = True) -> None:
        """The device reports a fault of its own (or that it is over, with `active=False`)."""
        await self.set_points(device_id, {"fault": active})

    async def smoke(self, device_id: str, active: bool = True) -> None:
        """Smoke is detected (or gone again, with `active=False`)."""
        await self.set_points(device_id, {"smoke": active})

    async def set_temperature(self, device_id: str, celsius: float) -> None:
        """The measured temperature changes to `celsius`."""
        if not math.isfinite(celsius):
            raise InvalidValue(f"a temperature is a finite number of °C, not {celsius}")
        await self.set_points(device_id, {"temperature_c": float(celsius)})

    async def switch_circuit(self, device_id: str, on: bool = True) -> None:
        """Energise the monitored charging circuit (or cut it, with `on=False`)."""
        await self.set_points(device_id, {"circuit_on": on})

    async def heartbeat(self, device_id: str) -> None:
        """Send one heartbeat now and wait for the broker's acknowledgement."""
        await self._send(self._next_heartbeat(self.device(device_id)), wait=True)

    async def set_points(self, device_id: str, changes: Mapping[str, PointValue]) -> None:
        """Change points of a device and publish them; returns once the broker has them."""
        device = self.device(device_id)
        names = device.point_names()
        for point in changes:
            if point not in names:
                raise UnsupportedAction(f"device {device_id!r} ({device.__class__.__name__}) "
                                        f"has no point {point!r}")
        self._state[device.id].update(changes)
        messages = messages_for(device, self.prefix, list(changes), self._state[device.id])
        await self._send(messages, wait=True)

    async def publish_raw(self, topic: str, payload: bytes) -> None:
        """Publish anything (QoS 1), e.g. a malformed message, and wait for the broker."""
        await self._send([(topic, payload)], wait=True)

    async def publish_many(self, messages: Iterable[tuple[str, bytes]]) -> None:
        """Publish many messages (QoS 1) back to back, e.g. for a benchmark, and wait until
        the broker has acknowledged all of them."""
        await self._send(list(messages), wait=True)

    def messages_of(self, device_id: str, changes: Mapping[str, PointValue]) -> list[
            tuple[str, bytes]]:
        """The messages that would report these point values of a device (its state is not
        changed), e.g. to build a benchmark load."""
        device = self.device(device_id)
        state = {**self._state[device.id], **changes}
        return messages_for(device, self.prefix, list(changes), state)

    # -- publishing ------------------------------------------------------------------------

    def _next_heartbeat(self, device: MqttDeviceBase) -> list[tuple[str, bytes]]:
        state = self._state[device.id]
        self._beats[device.id] += 1
        state["heartbeat"] = self._beats[device.id]
        return messages_for(device, self.prefix, ["heartbeat"], state)

    async def _beat(self, device: MqttDeviceBase) -> None:
        assert device.heartbeat_s is not None
        if "heartbeat" not in device.point_names():
            return
        while True:
            try:
                await self._send(self._next_heartbeat(device), wait=False)
            except ConnectionError as exc:
                log.warning("heartbeat of %s not sent: %s", device.id, exc)
            await self._clock.sleep(device.heartbeat_s)

    async def _send(self, messages: list[tuple[str, bytes]], wait: bool) -> None:
        connection = self._connection
        if connection is None:
            raise RuntimeError("the device fleet is not started")
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[None]] = []
        for topic, payload in messages:
            mid = connection.publish(topic, payload, qos=1)
            future = loop.create_future() if wait else None
            with self._lock:
                if mid in self._acked_early:
                    self._acked_early.discard(mid)
                    continue
                self._pending[mid] = future
            if future is not None:
                futures.append(future)
        if not futures:
            return
        limit = self._ack_timeout_s
        try:
            async with asyncio.timeout(limit):
                await asyncio.gather(*futures)
        except TimeoutError:
            raise TimeoutError(f"the broker did not acknowledge within {limit} s") from None

    def _acknowledged(self, mid: int) -> None:
        """On the network thread: the broker acknowledged message `mid`."""
        with self._lock:
            if mid not in self._pending:
                self._acked_early.add(mid)
                return
            future = self._pending.pop(mid)
        if future is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(_resolve, future)

    def _state_changed(self, ready: bool) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._ready.set if ready else self._ready.clear)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
