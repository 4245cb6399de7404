"""`campusgw demo`, the README's quick start, runs the simulated school end to end."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import Broker


def test_demo_runs_the_school_and_the_police_receive_an_alert(mosquitto: Broker) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "demo", "--api-port", "0", "--every-s", "1.5",
         "--seconds", "8"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "MQTT_URL": f"mqtt://127.0.0.1:{mosquitto.port}"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "console          http://127.0.0.1:" in output
    assert "log in as duty-officer   password " in output
    assert "clear-view reference taken for cam-a-1f-east-exit" in output
    assert "raised: critical 一键报警：" in output
    assert "the police simulator has received 1 alert document(s)" in output
    assert "Traceback" not in output
