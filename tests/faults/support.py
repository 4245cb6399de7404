"""A gateway run as a real process, killed at will, and presses published by an
independent client (`mosquitto_pub`), counted only when the broker acknowledged them."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx

from tests.faults.school import panic_school
from tests.helpers import free_port

PREFIX = "campus/faults"
BUTTONS = tuple(f"pb-{n:03d}" for n in range(300))
"""One button per press: a latching panic alert per device, so each press is its own alert."""


def faults_yaml(tmp_path: Path, mqtt_port: int) -> tuple[Path, int]:
    """A site of `BUTTONS` on the broker at `mqtt_port`, a file channel; its path and API
    port."""
    api_port = free_port()
    path = panic_school(
        tmp_path / "gateway.yaml", BUTTONS,
        f"{{type: file, id: out, path: {tmp_path / 'forwarded.jsonl'}}}",
        tmp_path / "gateway.db", api=f"{{port: {api_port}, token: faults-token-0001}}",
        adapters=f"mqtt: {{host: 127.0.0.1, port: {mqtt_port}, client_id: campusgw-faults, "
                 f"topic_prefix: {PREFIX}, reconnect_initial_s: 0.05, reconnect_max_s: 0.5}}")
    return path, api_port


class GatewayProcess:
    """`campusgw run` as a child process, its output appended to `log`."""

    def __init__(self, config: Path, api_port: int, log: Path) -> None:
        self.config = config
        self.api_port = api_port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli.main", "run", "--config", str(self.config)],
                stdout=out, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})

    async def connected(self, within_s: float = 30.0) -> None:
        """Wait until the gateway reports its MQTT adapter connected and subscribed."""
        async with httpx.AsyncClient(timeout=1.0) as client, asyncio.timeout(within_s):
            while not await self._connected(client):
                self._alive()
                await asyncio.sleep(0.02)

    async def _connected(self, client: httpx.AsyncClient) -> bool:
        try:
            health = (await client.get(f"http://127.0.0.1:{self.api_port}/health", headers={
                "Authorization": "Bearer faults-token-0001"})).json()
        except httpx.HTTPError:
            return False
        return all(a.get("connected") == 1 for a in health["adapters"].values())

    def _alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"the gateway exited with {self.process.returncode}")

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        await self._end(signal.SIGKILL)

    async def terminate(self) -> None:
        await self._end(signal.SIGTERM)

    async def _end(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
        await asyncio.to_thread(self.process.wait, 20)
        self.process = None


async def press(broker_port: int, button: str) -> bool:
    """Publish a press with QoS 1; True when the broker acknowledged it (PUBACK)."""
    process = await asyncio.create_subprocess_exec(
        "mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker_port), "-q", "1",
        "-i", f"faults-{button}", "-t", f"{PREFIX}/panic_button/{button}/state",
        "-m", '{"pressed": true, "tamper": false, "battery_low": false}',
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        async with asyncio.timeout(10):
            return await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def stored_alerts(db: Path) -> int:
    """Alerts committed so far (read while the gateway writes: WAL readers do not block)."""
    if not db.exists():
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        try:
            (count,) = connection.execute("SELECT COUNT(*) FROM alerts").fetchone()
        except sqlite3.OperationalError:  # schema not created yet
            return 0
        return int(count)
