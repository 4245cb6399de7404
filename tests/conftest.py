"""Fixtures every test can use: a real mosquitto broker on a free port, and a guard that
fails any test leaving threads, tasks or child processes behind."""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import free_port, require_binary, wait_for_port


@dataclass
class Broker:
    host: str
    port: int
    process: subprocess.Popen[bytes]
    config: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def start(self) -> None:
        """(Re)start on the same port, with the same persistence."""
        self.process = _spawn_mosquitto(self.config)
        wait_for_port(self.port)


def _spawn_mosquitto(config: Path) -> subprocess.Popen[bytes]:
    binary = require_binary("mosquitto", "apt-get install mosquitto (scripts/install-system.sh)")
    return subprocess.Popen([binary, "-c", str(config)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Broker]:
    """A mosquitto broker of the test's own, with persistence so restarts keep sessions."""
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    (tmp_path / "mosquitto-data").mkdir()
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
        f"persistence_location {tmp_path / 'mosquitto-data'}/\nautosave_interval 1\n"
        "max_queued_messages 100000\nmax_inflight_messages 0\n"
    )
    broker = Broker("127.0.0.1", port, _spawn_mosquitto(config), config)
    wait_for_port(port)
    yield broker
    broker.stop()


_BASELINE_THREADS = {"MainThread", "asyncio_0", "pydevd.Writer", "pydevd.Reader"}


@pytest.fixture(autouse=True)
def _no_leftovers() -> Iterator[None]:
    """Fail a test that leaves threads or child processes running."""
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = 50
    while deadline:
        extra = [t for t in threading.enumerate()
                 if t.ident not in before and t.is_alive() and not t.daemon
                 and not t.name.startswith(("ThreadPoolExecutor", "asyncio_"))]
        daemons = [t for t in threading.enumerate()
                   if t.ident not in before and t.is_alive() and t.daemon]
        if not extra and not daemons:
            break
        deadline -= 1
        threading.Event().wait(0.1)
    else:
        names = ", ".join(t.name for t in extra + daemons)
        pytest.fail(f"test left threads running: {names}")
    children = _child_processes()
    if children:
        pytest.fail(f"test left child processes running: {children}")


def _child_processes() -> list[str]:
    me = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[1] == me and fields[0] != "Z":
            found.append(f"{entry.name} {stat.split('(')[1].split(')')[0]}")
    return found


@pytest.fixture(autouse=True)
async def _no_pending_tasks() -> AsyncIterator[None]:
    """Fail a test that leaves tasks on its event loop."""
    yield
    current = asyncio.current_task()
    for _ in range(50):
        pending = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        if not pending:
            return
        await asyncio.sleep(0.02)
    for task in pending:
        task.cancel()
    pytest.fail(f"test left tasks pending: {pending}")
