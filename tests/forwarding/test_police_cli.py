"""`campusgw sim police` as its own process: prints its URLs, obeys control, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from gateway.forwarding.channel import DeliveryError
from simulators.police import PoliceControl
from simulators.police.cli import command
from tests.forwarding.support import SECRET, forward_job, police_channel
from tests.helpers import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def police_process(tmp_path: Path) -> Iterator[tuple[int, int, subprocess.Popen[bytes], Path]]:
    port, control_port = free_port(), free_port()
    output = tmp_path / "police.out"
    env = {**os.environ, "CAMPUSGW_POLICE_SECRET": SECRET, "PYTHONIOENCODING": "utf-8"}
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "simulators.police", "--port", str(port),
             "--control-port", str(control_port), "--record-file",
             str(tmp_path / "received.jsonl")],
            cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_for_port(control_port, timeout=20)
        yield port, control_port, process, output
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


async def test_runs_as_a_process_and_stops_cleanly(
        police_process: tuple[int, int, subprocess.Popen[bytes], Path]) -> None:
    port, control_port, process, output = police_process
    url = f"http://127.0.0.1:{port}/api/alerts"
    async with police_channel(url) as channel:
        with closing(PoliceControl(f"http://127.0.0.1:{control_port}")) as control:
            await channel.deliver(forward_job("a-7001", 1))
            await asyncio.to_thread(control.set_mode, "refuse")
            with pytest.raises(DeliveryError, match=r"^connection refused"):
                await channel.deliver(forward_job("a-7001", 2))
            await asyncio.to_thread(control.set_mode, "ok")
            await channel.deliver(forward_job("a-7001", 2))
            await channel.deliver(forward_job("a-7001", 2))
            received = await asyncio.to_thread(control.received)
    assert [r["idempotency_key"] for r in received] == ["a-7001:1", "a-7001:2"]
    process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(process.wait, 10) == 0
    printed = output.read_text(encoding="utf-8")
    assert f"POST {url}" in printed
    assert f"GET  http://127.0.0.1:{control_port}/received" in printed


def test_command_is_typer_compatible() -> None:
    app = typer.Typer()
    app.command("police")(command)
    app.command("other")(lambda: None)
    result = CliRunner().invoke(app, ["police", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--port", "--secret", "--control-port", "--host", "--record-file",
                   "--tls-cert", "--client-ca"):
        assert option in result.output
    missing = CliRunner().invoke(app, ["police", "--tls-cert", "x.pem"],
                                 env={"CAMPUSGW_POLICE_SECRET": "s"})
    assert missing.exit_code != 0
    assert "--tls-key" in missing.output
