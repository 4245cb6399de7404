"""Every atheris target runs under `python -m tests.fuzz` for a second from its seeds
without finding a defect (longer runs: `python -m tests.fuzz TARGET --seconds N`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.fuzz.__main__ import ROOT, TARGETS


def test_the_command_lists_the_targets() -> None:
    listed = subprocess.run([sys.executable, "-m", "tests.fuzz", "--list"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=True)
    assert [line.split()[0] for line in listed.stdout.splitlines()] == sorted(TARGETS)


def test_every_target_runs_for_a_second_without_a_defect(tmp_path: Path) -> None:
    runs = {}
    for name in sorted(TARGETS):
        log = (tmp_path / f"{name}.log").open("w")
        runs[name] = (subprocess.Popen(
            [sys.executable, "-m", "tests.fuzz", name, "--seconds", "1",
             "--corpus", str(tmp_path / name)], cwd=ROOT, stdout=log, stderr=log), log)
    failed = {}
    for name, (process, log) in runs.items():
        try:
            process.wait(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()
        output = (tmp_path / f"{name}.log").read_text(errors="replace")
        if process.returncode != 0 or "Done " not in output:
            failed[name] = output[-3000:]
    assert not failed, failed
    for name in TARGETS:  # the seeds were written, and the fuzzer kept what it found
        assert any((tmp_path / name).iterdir())
