"""Config files into a gateway config (gateway/core/configfile.py, gateway/app/config.py):
any text, and the test school with one line's value replaced, with `!include` and `!file`
of files that exist, hold a list, are not UTF-8 or are a folder.

Documented error: `ConfigError`, whose problems are all `file:line: key.path: message`."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from gateway.app.config import load_config
from gateway.core.configfile import ConfigError
from tests.core.support import SCHOOL

PROBLEM = re.compile(r"^[^\n]*:\d+: [^\n]*: .+", re.S)
MAX_PROBLEMS = 10_000
LINES = SCHOOL.splitlines()


def neighbours(folder: Path) -> None:
    """The files a fuzzed config may name."""
    (folder / "rules.yaml").write_text(
        "- {id: extra, select: {type: gate_sensor}, when: {point: open}, severity: warning,\n"
        "   category: intrusion, title: Open}\n", encoding="utf-8")
    (folder / "secret.txt").write_text("s3cret-token-value\n", encoding="utf-8")
    (folder / "latin1.bin").write_bytes(b"caf\xe9\xff\n")
    (folder / "folder").mkdir(exist_ok=True)


def school_with(line: int, value: str) -> str:
    """The test school with line `line`'s value (after its first `: `) replaced."""
    lines = list(LINES)
    index = line % len(lines)
    head, colon, _ = lines[index].partition(": ")
    lines[index] = f"{head}{colon}{value}" if colon else value
    return "\n".join(lines) + "\n"


def load(folder: Path, text: str | bytes) -> None:
    """Write and load one config; raises only on a defect."""
    path = folder / "gateway.yaml"
    if isinstance(text, str):
        text = text.replace("{log}", str(folder / "alerts.jsonl")).replace(
            "{db}", f"sqlite:///{folder / 'gw.db'}").encode("utf-8", errors="surrogateescape")
    path.write_bytes(text)
    try:
        load_config(path)
    except ConfigError as error:
        assert error.problems, "a ConfigError without problems"
        assert len(error.problems) <= MAX_PROBLEMS
        for problem in error.problems:
            assert PROBLEM.match(problem), problem


def config_of(data: bytes) -> str | bytes:
    """Fuzz input to a config: the whole file, or the school with one value replaced
    (the first byte picks the line)."""
    if not data or data[0] & 1:
        return data[1:]
    return school_with(data[0] >> 1, data[1:].decode("utf-8", errors="surrogateescape"))


def target() -> Callable[[bytes], None]:
    folder = Path(tempfile.mkdtemp(prefix="campusgw-fuzz-config-"))
    neighbours(folder)

    def one(data: bytes) -> None:
        load(folder, config_of(data))
    return one


SEEDS = (b"\x01" + SCHOOL.encode(), bytes([2 * 13]) + b"!include rules.yaml",
         bytes([2 * 21]) + b"{token: !file secret.txt}", b"\x01a: &a [1, *a]\n",
         b"\x01a: !!timestamp 2026-13-01\n")
