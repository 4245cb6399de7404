"""What a running gateway carries: the service path does not import the stacks only a
report or a signed CAP channel needs, and it hands freed memory back to the system."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

import gateway.app.memory as memory
from gateway.core.clock import VirtualClock

HEAVY = ("weasyprint", "matplotlib", "openpyxl", "PIL", "fontTools", "signxml",
         "gateway.reports.build")
"""The report layout (PDF, charts, spreadsheet) and the XML signature stack."""


def test_the_service_path_does_not_import_the_report_or_signature_stacks() -> None:
    probe = ("import json, sys; import gateway.app.runner, gateway.app.gateway; "
             f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60, check=True, cwd=Path(__file__).parents[2])
    assert json.loads(result.stdout) == []


FREED = """\
from pathlib import Path
import gateway.app.memory as memory

def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

assert memory.can_release()  # glibc, as in service
blocks = [bytes(2048) for _ in range(40_000)]  # 80 MB in malloc's heap
kept = [*blocks[::1000], blocks[-1]]  # a few survivors keep the heap from shrinking
del blocks
before = rss_mb()
assert memory.release_free_memory()
print(before - rss_mb())
"""
"""Run in a process of its own: what this one holds depends on the tests before."""


def test_freed_memory_goes_back_to_the_system() -> None:
    result = subprocess.run([sys.executable, "-c", FREED], capture_output=True, text=True,
                            timeout=60, check=True, cwd=Path(__file__).parents[2])
    assert float(result.stdout) > 40


async def test_memory_is_released_every_minute_from_the_first_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    released: list[float] = []
    clock = VirtualClock()
    loop = asyncio.get_running_loop()
    turns: asyncio.Queue[None] = asyncio.Queue()

    def release() -> bool:  # on the worker thread, as the real one
        released.append(clock.now())
        loop.call_soon_threadsafe(turns.put_nowait, None)
        return True
    monkeypatch.setattr(memory, "release_free_memory", release)
    task = asyncio.create_task(memory.keep_releasing_memory(clock))
    start = clock.now()
    async with asyncio.timeout(5):
        await clock.advance(memory.RELEASE_EVERY_S - 1)
        assert released == []  # not while the gateway starts
        await clock.advance(1)
        await turns.get()
        for _ in range(2):
            await clock.advance(memory.RELEASE_EVERY_S)
            await turns.get()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert [t - start for t in released] == [60.0, 120.0, 180.0]
