"""The console's own unit tests (Vitest: queue order, ageing, sound rules, translations),
run through npm so that `pytest` covers the front end too."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CONSOLE = Path(__file__).resolve().parents[2] / "console"


def test_the_console_unit_tests_pass() -> None:
    npm = shutil.which("npm")
    missing = ("npm is not installed" if npm is None
               else "console/node_modules is missing: cd console && npm ci"
               if not (CONSOLE / "node_modules").is_dir() else "")
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing} (scripts/install.sh installs it)")
        pytest.skip(missing)
    assert npm is not None
    done = subprocess.run([npm, "test", "--silent"], cwd=CONSOLE, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"},
                          check=False)
    assert done.returncode == 0, f"npm test failed:\n{done.stdout}\n{done.stderr}"
