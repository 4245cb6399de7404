"""The command line starts light: the simulators (and OpenCV with them) are imported only
for `campusgw sim ...`, and there they are all listed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
SIMULATORS = ("cv2", "simulators.camera", "simulators.police", "gateway.demo.mqtt_devices")


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True, cwd=ROOT).stdout


def test_commands_other_than_sim_do_not_import_the_simulators() -> None:
    probe = ("import json, sys; sys.argv = ['campusgw', '--help']\n"
             "from gateway.cli.main import main\n"
             "try: main()\nexcept SystemExit: pass\n"
             f"print(json.dumps([m for m in {list(SIMULATORS)!r} if m in sys.modules]))")
    assert json.loads(_run(probe).splitlines()[-1]) == []


def test_sim_lists_every_simulator() -> None:
    listed = _run("import sys; sys.argv = ['campusgw', 'sim', '--help']\n"
                  "from gateway.cli.main import main\nmain()")
    for command in ("police", "mqtt-devices", "fire-panel", "gate-controller", "camera"):
        assert command in listed
