"""Shared test utilities: free ports, waiting for sockets and conditions, required external
binaries."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from simulators.net import free_port

__all__ = ["eventually", "free_port", "require_binary", "require_npm_package",
           "wait_for_port"]


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


async def eventually(check: Callable[[], bool], within_s: float = 15.0,
                     what: str = "condition") -> None:
    """Wait for a condition only observable by polling (state kept by another thread or
    process)."""
    deadline = time.monotonic() + within_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def require_binary(name: str, install_hint: str) -> str:
    """The path of `name`; fails under CI (never skips quietly), skips elsewhere."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed: {install_hint}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def require_npm_package(folder: Path, name: str, install_hint: str) -> str:
    """The `node` binary, once the npm package `name` is installed in `folder`'s
    node_modules; fails under CI (never skips quietly), skips elsewhere."""
    node = require_binary("node", install_hint)
    if not (folder / "node_modules" / name / "package.json").is_file():
        message = f"npm package {name} is not installed: {install_hint}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return node
