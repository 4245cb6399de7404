"""docs/linkage.md stays true: its worked example, its field list and its receiver."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.core.signing import sign
from gateway.forwarding.channel import DeliveryError
from gateway.forwarding.document import encode
from tests.forwarding.support import SECRET, forward_job, panic_document, police_channel
from tests.helpers import free_port, wait_for_port

DOC = Path(__file__).resolve().parents[2] / "docs" / "linkage.md"


def _section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def _code_blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)


def test_worked_example_signature_is_what_the_code_computes() -> None:
    section = _section("The signature")
    [body] = _code_blocks(section, "json")
    body = body.rstrip("\n")
    [signature] = re.findall(r"sha256=[0-9a-f]{64}", section.split("the signature is")[1])[:1]
    assert sign(b"police-demo-secret", 1772410501, body.encode("utf-8")) == signature
    assert f"{len(body.encode('utf-8'))} bytes" in section
    assert encode(json.loads(body)) == body  # the exact encoding the gateway sends
    for row in re.findall(r"\| `([^`]*)` \| `(\d+)` \| (.*?) \| `(sha256=[0-9a-f]+)` \|", section):
        secret, timestamp, shown_body, expected = row
        raw = b"" if shown_body == "(empty)" else shown_body.strip("`").encode()
        assert sign(secret.encode(), int(timestamp), raw) == expected


def test_every_document_field_is_described() -> None:
    described = set(re.findall(r"^\| `([a-z_]+)", _section("The document"), flags=re.MULTILINE))
    document = panic_document()
    nested = {f"{key}.{sub}" for key, value in document.items() if isinstance(value, dict)
              for sub in value}
    table = _section("The document")
    assert {key for key, value in document.items() if not isinstance(value, dict)} <= described
    for name in nested:
        assert f"`{name}`" in table, name


@pytest.fixture
def doc_receiver(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The minimal receiver from the document, run as its own process."""
    [code] = _code_blocks(_section("A minimal receiver"), "python")
    script = tmp_path / "receiver.py"
    script.write_text(code, encoding="utf-8")
    port = free_port()
    output = tmp_path / "receiver.out"
    env = {**os.environ, "LINKAGE_SECRET": SECRET, "LINKAGE_PORT": str(port),
           "PYTHONIOENCODING": "utf-8"}
    with output.open("wb") as sink:
        process = subprocess.Popen([sys.executable, str(script)], env=env, stdout=sink,
                                   stderr=subprocess.STDOUT)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}/api/alerts", output
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_minimal_receiver_accepts_the_channel(doc_receiver: tuple[str, Path]) -> None:
    url, output = doc_receiver
    async with police_channel(url) as channel, police_channel(url, secret="wrong") as wrong:
        first = await channel.deliver(forward_job("a-6001", 1))
        again = await channel.deliver(forward_job("a-6001", 1))
        update = await channel.deliver(forward_job("a-6001", 2))
        with pytest.raises(DeliveryError, match=r"^401 bad signature"):
            await wrong.deliver(forward_job("a-6002", 1))
    assert (first.receipt_id, again.receipt_id, update.receipt_id) == ("r-1", "r-1", "r-2")
    alerts = [line for line in output.read_text(encoding="utf-8").splitlines()
              if line.startswith("ALERT")]
    assert alerts == ["ALERT critical 第七中学 一键报警 Room A301 Building A, 3F, room A301"] * 2
