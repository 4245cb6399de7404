"""The simulated police platform's own checks, spoken to with plain HTTP requests."""

from __future__ import annotations

from pathlib import Path

import httpx

from gateway.core.clock import SystemClock
from gateway.core.signing import sign
from gateway.forwarding.document import encode
from gateway.forwarding.http_channel import PoliceHttpChannel
from simulators.police import PoliceSimulator
from tests.forwarding.support import SECRET, forward_job, panic_document, police_channel


def _signed(body: bytes, key: str | None = "a-3001:1") -> dict[str, str]:
    timestamp = int(SystemClock().now())
    headers = {"Content-Type": "application/json", "X-Campusgw-Timestamp": str(timestamp),
               "X-Campusgw-Signature": sign(SECRET.encode(), timestamp, body)}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


async def test_rejections_carry_a_json_reason(police: PoliceSimulator) -> None:
    good = encode(panic_document("a-3001", 1)).encode()
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        answers = [
            await client.post(police.url, content=good),
            await client.post(police.url, content=b"{not json",
                              headers=_signed(b"{not json")),
            await client.post(police.url, content=b"[1, 2]", headers=_signed(b"[1, 2]")),
            await client.post(police.url, content=good, headers=_signed(good, key=None)),
            await client.post(police.url, content=good, headers=_signed(good)),
        ]
    assert [(a.status_code, a.json().get("error")) for a in answers] == [
        (401, "missing signature"), (400, "invalid json"), (400, "invalid json"),
        (400, "missing idempotency key"), (200, None)]
    assert answers[-1].json() == {"receipt_id": "police-000001"}
    assert dict(police.rejected) == {"missing signature": 1, "invalid json": 2,
                                     "missing idempotency key": 1}
    assert len(police.received) == 1


async def test_record_file_keeps_dedup_memory_across_restarts(tmp_path: Path) -> None:
    record_file = tmp_path / "police" / "received.jsonl"
    first = PoliceSimulator(SECRET, record_file=record_file)
    async with first, police_channel(first.url) as channel:
        receipt = await channel.deliver(forward_job("a-3002", 1))
    async with first:  # the same object again: no record doubled
        assert len(first.received) == 1

    async with (PoliceSimulator(SECRET, record_file=record_file) as second,
                police_channel(second.url) as channel):
        again = await channel.deliver(forward_job("a-3002", 1))
        update = await channel.deliver(forward_job("a-3002", 2))
    assert again.receipt_id == receipt.receipt_id
    assert update.receipt_id == "police-000002"
    assert [r.idempotency_key for r in second.received] == ["a-3002:1", "a-3002:2"]
    assert second.duplicates == 1
    assert len(record_file.read_text(encoding="utf-8").splitlines()) == 2


async def test_revisions_arriving_out_of_order_are_counted(
        police: PoliceSimulator, channel: PoliceHttpChannel) -> None:
    for revision in (1, 3, 2, 4):
        await channel.deliver(forward_job("a-3003", revision))
    await channel.deliver(forward_job("a-3004", 1))
    assert police.ledger.out_of_order == 1
    assert [r.revision for r in police.received] == [1, 3, 2, 4, 1]


async def test_control_port_stays_plain_and_separate(police: PoliceSimulator) -> None:
    assert police.control_port != police.port
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        missing = await client.post(police.control_url + "/api/alerts", content=b"{}")
    assert missing.status_code in (404, 405)


async def test_stopped_simulator_starts_again_on_its_port_with_its_memory(
        police: PoliceSimulator, channel: PoliceHttpChannel) -> None:
    first = await channel.deliver(forward_job("a-3005", 1))
    url = police.url
    await police.stop()
    await police.start()
    assert police.url == url
    again = await channel.deliver(forward_job("a-3005", 1))
    assert again.receipt_id == first.receipt_id
    assert len(police.received) == 1
