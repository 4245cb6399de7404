"""The file channel: one fsynced JSON line per job, kept once per idempotency key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.forwarding.channel import DeliveryError
from gateway.forwarding.file_channel import FileChannel, FileChannelConfig
from tests.forwarding.support import forward_job, panic_document


def _channel(path: Path) -> FileChannel:
    return FileChannel(FileChannelConfig(type="file", id="archive", path=path))


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def test_appends_one_json_line_per_job_creating_folders(tmp_path: Path) -> None:
    path = tmp_path / "linkage" / "2026" / "alerts.jsonl"
    channel = _channel(path)
    receipts = [await channel.deliver(forward_job("a-5001", 1, channel="archive")),
                await channel.deliver(forward_job("a-5001", 2, channel="archive")),
                await channel.deliver(forward_job("a-5002", 1, channel="archive"))]
    await channel.stop()
    assert [r.receipt_id for r in receipts] == ["file:1", "file:2", "file:3"]
    lines = _lines(path)
    assert lines[0] == {"idempotency_key": "a-5001:1", "alert_id": "a-5001", "revision": 1,
                        "document": panic_document("a-5001", 1)}
    assert [line["idempotency_key"] for line in lines] == ["a-5001:1", "a-5001:2", "a-5002:1"]
    assert "第七中学" in path.read_text(encoding="utf-8")  # UTF-8, not \\u escapes


async def test_repeat_is_not_written_twice_even_after_restart(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    first = await _channel(path).deliver(forward_job("a-5003", 1))
    restarted = _channel(path)
    again = await restarted.deliver(forward_job("a-5003", 1))
    update = await restarted.deliver(forward_job("a-5003", 2))
    assert (again.receipt_id, again.detail) == (first.receipt_id, "duplicate")
    assert update.receipt_id == "file:2"
    assert len(_lines(path)) == 2


async def test_line_torn_by_a_crash_does_not_swallow_the_next(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    await _channel(path).deliver(forward_job("a-5004", 1))
    with path.open("a", encoding="utf-8") as file:
        file.write('{"idempotency_key":"a-5004:2","docu')
    receipt = await _channel(path).deliver(forward_job("a-5004", 2))
    raw = path.read_text(encoding="utf-8").splitlines()
    assert receipt.receipt_id == "file:3"
    assert len(raw) == 3
    assert json.loads(raw[2])["idempotency_key"] == "a-5004:2"


async def test_unwritable_path_is_a_delivery_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    channel = _channel(blocker / "alerts.jsonl")
    with pytest.raises(DeliveryError, match="cannot write"):
        await channel.deliver(forward_job())
