"""A throwaway mosquitto broker on a free port, for tests, benchmarks and the demo."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from simulators.net import free_port


class MosquittoBroker:
    """Runs the `mosquitto` binary with persistence in its own folder, so that a restart
    on the same port keeps persistent sessions and queued messages (in `workdir`, which the
    caller owns and cleans up)."""

    def __init__(self, port: int = 0, *, workdir: Path, crash_safe: bool = False) -> None:
        """`crash_safe`: save persistence after every change (`autosave_on_changes`), so
        that sessions and queued messages survive the broker being killed, not only a
        clean shutdown; costs a database write per change (tests, not benchmarks)."""
        binary = shutil.which("mosquitto") or (
            "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
        if binary is None:
            raise FileNotFoundError("mosquitto is not installed (scripts/install.sh installs it)")
        self.binary = binary
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.workdir = workdir
        self.config = self.workdir / "mosquitto.conf"
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        self.config.write_text(
            f"listener {self.port} {self.host}\nallow_anonymous true\npersistence true\n"
            f"persistence_location {data}/\nautosave_interval 1\n"
            + ("autosave_on_changes true\n" if crash_safe else "")
            + "max_queued_messages 100000\nmax_inflight_messages 0\n"
            # Small packets (a panic press) must not wait behind Nagle's algorithm.
            "set_tcp_nodelay true\n"
            # As root, mosquitto would switch to its own user, which cannot write here.
            + ("user root\n" if os.geteuid() == 0 else ""))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 10.0) -> None:
        self.process = subprocess.Popen([self.binary, "-c", str(self.config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"mosquitto did not start on port {self.port}") from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def __enter__(self) -> MosquittoBroker:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
