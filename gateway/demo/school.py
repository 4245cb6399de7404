"""`campusgw demo`: the whole simulated school on one machine, with no setup.

MQTT broker: `$MQTT_URL` if set, else one on 127.0.0.1:1883 if it answers, else an
embedded amqtt broker. Then the police endpoint simulator, the device simulators (panic
buttons, gate sensors, the canteen's gas detector and the e-bike charging area monitor over
MQTT, a fire panel per building and a controller per gate over Modbus, two ONVIF cameras on
exits, the dormitory's intrusion panel over SIA DC-09), the gateway and its dashboard; every
so often something happens: a panic button, smoke in the dormitory, a gate, boxes in front
of an exit, a gas leak in the canteen kitchen, an e-bike charging area heating up, somebody
at the dormitory's north door at night.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import urlparse

from adapters.mqtt import MqttAdapter
from adapters.mqtt.config import (
    ChargingMonitorConfig,
    GasDetectorConfig,
    GateSensorConfig,
    PanicButtonConfig,
)
from adapters.sia import SiaAdapter
from adapters.video.camera import NoFrame
from gateway.app.config import load_config
from gateway.app.gateway import Gateway
from gateway.app.runner import serving
from gateway.core.accounts import Role
from simulators.alarm_panel import AlarmPanelSimulator, PanelLinkError
from simulators.camera.control import CameraControl
from simulators.camera.server import CameraSimulator
from simulators.modbus import FirePanelSimulator, GateControllerSimulator
from simulators.mqtt_devices.fleet import MqttDeviceFleet
from simulators.net import free_port
from simulators.police.server import PoliceSimulator
from simulators.police.status import StatusPlan

log = logging.getLogger("campusgw.demo")

SCHOOL_CONFIG = Path(__file__).resolve().parents[2] / "config" / "school.yaml"

# The Modbus devices of config/school.yaml: environment variable of the port -> simulator.
FIRE_PANELS = {"FIRE_PANEL_A_PORT": 4, "FIRE_PANEL_B_PORT": 3, "FIRE_PANEL_DORM_PORT": 6}
GATE_CONTROLLERS = {"GATE_MAIN_PORT": (2, 4), "GATE_EAST_PORT": (1, 2)}
# The DC-09 alarm panel of config/school.yaml: its account, and its door zone.
DORM_PANEL_ACCOUNT = "7301"
DORM_PANEL_NORTH_DOOR = 1


@contextlib.asynccontextmanager
async def mqtt_broker() -> AsyncIterator[tuple[str, int]]:
    """Where the demo's broker is: $MQTT_URL, a local one, or an embedded one."""
    url = os.environ.get("MQTT_URL")
    if url:
        parsed = urlparse(url)
        yield parsed.hostname or "127.0.0.1", parsed.port or 1883
        return
    if _answers("127.0.0.1", 1883):
        yield "127.0.0.1", 1883
        return
    from amqtt.broker import Broker

    port = free_port()
    broker = Broker({
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin":
                    {"allow_anonymous": True}},
    })
    await broker.start()
    log.info("no MQTT broker found: started an embedded one on 127.0.0.1:%d", port)
    try:
        yield "127.0.0.1", port
    finally:
        await broker.shutdown()


@dataclass
class SimulatedSchool:
    """Every simulator of the demo, and where they listen."""

    police: PoliceSimulator
    cameras: CameraSimulator = field(default_factory=lambda: CameraSimulator(cameras=2))
    panels: dict[str, FirePanelSimulator] = field(default_factory=dict)
    gates: dict[str, GateControllerSimulator] = field(default_factory=dict)

    @property
    def modbus(self) -> dict[str, FirePanelSimulator | GateControllerSimulator]:
        return {**self.panels, **self.gates}

    async def start(self) -> dict[str, str]:
        """Start them all; the environment that points the school's config at them."""
        await self.police.start()
        for variable, zones in FIRE_PANELS.items():
            self.panels[variable] = FirePanelSimulator(zones=zones)
        for variable, (gates, bollards) in GATE_CONTROLLERS.items():
            self.gates[variable] = GateControllerSimulator(gates=gates, bollards=bollards)
        for simulator in self.modbus.values():
            await simulator.start()
        await self.cameras.start()
        return {"MODBUS_HOST": "127.0.0.1", "CAMERA_HOST": "127.0.0.1",
                "CAMERA_PORT": str(self.cameras.port),
                **{variable: str(sim.port) for variable, sim in self.modbus.items()}}

    async def stop(self) -> None:
        await self.cameras.stop()
        for simulator in self.modbus.values():
            await simulator.stop()
        await self.police.stop()


async def run_demo(api_port: int, every_s: float, seconds: float) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="campusgw-demo-"))
    police_secret = secrets.token_hex(16)
    panel_key = secrets.token_bytes(16)
    async with mqtt_broker() as (mqtt_host, mqtt_port):
        school = SimulatedSchool(PoliceSimulator(police_secret,
                                                 record_file=workdir / "police.jsonl"))
        os.environ.update(await school.start())
        os.environ.update({
            "MQTT_HOST": mqtt_host, "MQTT_PORT": str(mqtt_port),
            "MQTT_CLIENT_ID": f"campusgw-demo-{secrets.token_hex(3)}",
            "POLICE_URL": school.police.url, "POLICE_SECRET": police_secret,
            "CAMPUSGW_DB": str(workdir / "campusgw.db"),
            "CAMPUSGW_ALERT_LOG": str(workdir / "alerts.jsonl"),
            "CAMPUSGW_EVIDENCE": str(workdir / "evidence"),
            "CAMPUSGW_REFERENCES": str(workdir / "references"),
            "CAMPUSGW_API_PORT": str(api_port),
            "CAMPUSGW_SIA_HOST": "127.0.0.1", "CAMPUSGW_SIA_PORT": str(free_port()),
            "CAMPUSGW_AP_DORM_KEY": panel_key.hex().upper(),
        })
        config = load_config(SCHOOL_CONFIG)
        fleet = MqttDeviceFleet.from_site(
            config.adapters.mqtt, config.devices, mqtt_host, mqtt_port,
            client_id=f"campusgw-demo-devices-{secrets.token_hex(3)}")
        dorm_panel = AlarmPanelSimulator("127.0.0.1", int(os.environ["CAMPUSGW_SIA_PORT"]),
                                         DORM_PANEL_ACCOUNT, key=panel_key, heartbeat_s=30)
        try:
            async with serving(config) as running:
                await _mqtt_connected(running.gateway)
                # The police answer: accepted, a car dispatched, on scene (docs/linkage.md).
                school.police.answer_to(StatusPlan(f"{running.url}/linkage/police/status",
                                                   reject_every=7))
                people = await _demo_accounts(running.gateway)
                await fleet.start()  # after the gateway subscribed: it hears every device
                await _dc09_listening(running.gateway)
                await dorm_panel.start()
                print(f"\nCampus Security Gateway demo: {config.site.name}\n"
                      f"  console          {running.url}/\n"
                      + "".join(f"    log in as {name:14} password {password}  ({role})\n"
                                for name, password, role in people) +
                      f"  API              {running.url}/docs\n"
                      f"  live stream      {running.url}/stream\n"
                      f"  police simulator {school.police.url} (received: "
                      f"{school.police.control_url}/received)\n"
                      f"  MQTT broker      {mqtt_host}:{mqtt_port}\n"
                      f"  data             {workdir}\n"
                      "Press Ctrl+C to stop.\n", flush=True)
                stop = asyncio.ensure_future(running.wait_closed())
                await _take_references(running.gateway)
                await _school_day(fleet, school, dorm_panel, every_s, seconds, stop)
        finally:
            await dorm_panel.stop()
            await fleet.stop()
            await school.stop()
    return 0


DEMO_PEOPLE = (("duty-officer", Role.OPERATOR), ("security-chief", Role.SUPERVISOR),
               ("caretaker", Role.VIEWER),  # fixes the hazards assigned to them
               ("safety-officer", Role.SAFETY_CHIEF))


async def _demo_accounts(gateway: Gateway) -> list[tuple[str, str, str]]:
    """The demo's people with fresh passwords: (name, password, role)."""
    people = []
    for name, role in DEMO_PEOPLE:
        password = secrets.token_urlsafe(9)
        await gateway.accounts.add_user(name, password, role, "demo")
        people.append((name, password, role.value))
    return people


async def _mqtt_connected(gateway: Gateway, within_s: float = 10.0) -> None:
    for adapter in gateway.adapters:
        if isinstance(adapter, MqttAdapter):
            async with asyncio.timeout(within_s):
                await adapter.wait_connected()


async def _dc09_listening(gateway: Gateway, within_s: float = 10.0) -> None:
    for adapter in gateway.adapters:
        if isinstance(adapter, SiaAdapter):
            async with asyncio.timeout(within_s):
                await adapter.wait_listening()


async def _take_references(gateway: Gateway) -> None:
    """What an integrator does once the cameras are up: store their clear views."""
    if gateway.video is None:
        return
    for camera_id in gateway.video.camera_ids:
        for _ in range(50):
            try:
                await gateway.video.capture_reference(camera_id)
                log.info("demo: clear-view reference taken for %s", camera_id)
                break
            except NoFrame:
                await asyncio.sleep(0.2)


async def _school_day(fleet: MqttDeviceFleet, school: SimulatedSchool,
                      alarm_panel: AlarmPanelSimulator, every_s: float, seconds: float,
                      stop: asyncio.Future[None]) -> None:
    """Something happens every `every_s` seconds until `stop` (or `seconds` elapse)."""
    buttons = [d.id for d in fleet.devices if isinstance(d, PanicButtonConfig)]
    gates = [d.id for d in fleet.devices if isinstance(d, GateSensorConfig)]
    gas_detectors = [d.id for d in fleet.devices if isinstance(d, GasDetectorConfig)]
    chargers = [d.id for d in fleet.devices if isinstance(d, ChargingMonitorConfig)]
    dorm_panel = school.panels["FIRE_PANEL_DORM_PORT"]
    main_gate = school.gates["GATE_MAIN_PORT"]
    rng = random.Random(7)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds if seconds > 0 else None
    exit_blocked_until: float | None = None
    pending: set[asyncio.Task[None]] = set()

    def later(delay_s: float, done: Callable[[], Awaitable[None]]) -> None:
        async def wait_then() -> None:
            await asyncio.sleep(delay_s)
            await done()
        task = asyncio.create_task(wait_then())
        pending.add(task)
        task.add_done_callback(pending.discard)

    async def clear_exit() -> None:
        log.info("demo: somebody clears the east exit of building A")
        school.cameras.control(0, CameraControl(block_exit=0.0))

    try:
        for step in range(1_000_000):
            await asyncio.wait({stop}, timeout=every_s)
            if stop.done() or (deadline is not None and loop.time() >= deadline):
                break
            if step % 7 == 3 and (exit_blocked_until is None
                                  or loop.time() > exit_blocked_until):
                # Longer than the exit-blocked rule's 2 minutes, whatever the pace.
                log.info("demo: boxes are stacked in front of the east exit of building A "
                         "(for %.0f s)", EXIT_BLOCKED_S)
                school.cameras.control(0, CameraControl(block_exit=0.7))
                exit_blocked_until = loop.time() + EXIT_BLOCKED_S
                later(EXIT_BLOCKED_S, clear_exit)
            elif step % 7 == 0:
                button = rng.choice(buttons)
                log.info("demo: somebody presses %s", button)
                await fleet.press(button)
                await asyncio.sleep(1)
                await fleet.release(button)
            elif step % 7 == 1:
                zone = rng.randint(1, 6)
                log.info("demo: smoke in dormitory zone %d (pre-alarm), cleared soon after",
                         zone)
                dorm_panel.inject_pre_alarm(zone)
                await asyncio.sleep(3)
                dorm_panel.clear(zone)
                dorm_panel.reset()  # the duty officer checked: nothing there
            elif step % 7 == 4:
                detector = rng.choice(gas_detectors)
                log.info("demo: gas leaks at %s (alarm at 25 %% LEL), cleared soon after",
                         detector)
                await fleet.gas_leak(detector, lel_percent=25.0)
                await asyncio.sleep(3)
                await fleet.gas_clear(detector)
            elif step % 7 == 5:
                charger = rng.choice(chargers)
                log.info("demo: %s heats up to 68 °C with the charging circuit on, for "
                         "%.0f s (longer than its rule's minute)", charger, CHARGER_HOT_S)
                await fleet.switch_circuit(charger, True)
                await fleet.set_temperature(charger, 68.0)
                later(CHARGER_HOT_S, partial(fleet.set_temperature, charger, 26.0))
            elif step % 7 == 6:
                log.info("demo: somebody opens the dormitory's north door; its intrusion "
                         "panel reports it over SIA DC-09, then the door closes")
                try:
                    await alarm_panel.report("BA", DORM_PANEL_NORTH_DOOR)
                    await asyncio.sleep(3)
                    await alarm_panel.report("BH", DORM_PANEL_NORTH_DOOR)
                except PanelLinkError as exc:
                    log.warning("demo: %s", exc)
            else:
                gate = rng.choice(gates)
                registered = step // 7 % 2 == 0
                plate = "京A12345" if registered else "沪C55555"
                log.info("demo: %s opens and closes; %s car (%s) passes the main gate", gate,
                         "a registered" if registered else "an unregistered", plate)
                await fleet.open_gate(gate)
                main_gate.vehicle_passes(1, plate)
                await asyncio.sleep(2)
                await fleet.close_gate(gate)
            log.info("demo: the police simulator has received %d alert document(s)",
                     len(school.police.received))
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        stop.cancel()


EXIT_BLOCKED_S = 150.0
"""How long the demo's boxes stay in front of the exit (its rule waits 2 minutes)."""
CHARGER_HOT_S = 75.0
"""How long the demo's e-bike charging area stays hot (its rule waits 1 minute)."""


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
