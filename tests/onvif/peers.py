"""Finding the independent ONVIF peers that scripts/install-peers-onvif.sh installs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import require_binary

ROOT = Path(__file__).resolve().parents[2]
PEERS = Path(__file__).resolve().parent / "peers"
IPYCAM_PYTHON = ROOT / "var" / "peers" / "ipycam-venv" / "bin" / "python"
INSTALL_HINT = "run scripts/install-peers-onvif.sh"


def _missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def require_node_package(name: str) -> str:
    """The `node` binary, once the npm package `name` is installed for the peers."""
    node = require_binary("node", "apt-get install nodejs")
    if not (PEERS / "node_modules" / name / "package.json").is_file():
        _missing(f"npm package {name} is not installed: {INSTALL_HINT}")
    return node


def require_ipycam() -> str:
    """The python of ipycam's own virtualenv."""
    if not IPYCAM_PYTHON.is_file():
        _missing(f"ipycam is not installed: {INSTALL_HINT}")
    return str(IPYCAM_PYTHON)
