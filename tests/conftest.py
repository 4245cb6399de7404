"""Fixtures every test can use: a real mosquitto broker on a free port, and a guard that
fails any test leaving threads, tasks or child processes behind."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from simulators.mosquitto import MosquittoBroker
from tests.databases import postgres_database
from tests.helpers import require_binary

Broker = MosquittoBroker


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A mosquitto broker of the test's own, with persistence so restarts keep sessions.
    `stop()` and `start()` restart it on the same port."""
    require_binary("mosquitto", "scripts/install.sh installs it")
    with MosquittoBroker(workdir=tmp_path / "mosquitto", crash_safe=True) as broker:
        yield broker


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty store of the test's own, once on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gw.db'}"
        return
    with postgres_database() as url:
        yield url


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
