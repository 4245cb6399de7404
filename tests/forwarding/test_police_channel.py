"""The police channel against the simulated police platform over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from gateway.core.clock import SystemClock, VirtualClock
from gateway.core.signing import sign
from gateway.forwarding.channel import DeliveryError
from gateway.forwarding.document import linkage_body
from gateway.forwarding.http_channel import PoliceHttpChannel
from simulators.police import PoliceSimulator
from tests.forwarding.support import (
    SECRET,
    RawReceiver,
    forward_job,
    panic_document,
    police_channel,
)


async def test_delivers_signed_document_and_returns_receipt(
        police: PoliceSimulator, channel: PoliceHttpChannel) -> None:
    job = forward_job("a-1001", 1)
    receipt = await channel.deliver(job)
    assert receipt.receipt_id == "police-000001"
    [record] = police.received
    assert record.idempotency_key == "a-1001:1"
    assert (record.alert_id, record.revision) == ("a-1001", 1)
    assert record.document == panic_document("a-1001", 1)
    assert record.receipt_id == receipt.receipt_id
    assert not police.rejected


async def test_headers_and_body_are_exactly_as_specified() -> None:
    """A bare receiver sees the body byte for byte and a signature it can recompute."""
    clock = VirtualClock(start=1_772_410_501.9)
    job = forward_job("a-1002", 3)
    async with (RawReceiver("201 Created", b'{"receipt_id": 42}', "application/json") as peer,
                police_channel(peer.url, clock) as channel):
        receipt = await channel.deliver(job)
    [(request_line, headers, body)] = peer.requests
    assert request_line == "POST /api/alerts HTTP/1.1"
    assert body == linkage_body(job.payload)
    assert headers["content-type"] == "application/json"
    assert headers["idempotency-key"] == "a-1002:3"
    assert headers["x-campusgw-timestamp"] == "1772410501"
    assert headers["x-campusgw-signature"] == sign(SECRET.encode(), 1_772_410_501, body)
    assert (receipt.receipt_id, receipt.detail) == ("42", "201")


async def test_wrong_secret_is_refused_with_401(police: PoliceSimulator) -> None:
    async with police_channel(police.url, secret="not-the-secret") as channel:
        with pytest.raises(DeliveryError, match=r"^401 bad signature"):
            await channel.deliver(forward_job())
    assert police.received == []
    assert police.rejected["bad signature"] == 1


async def test_timestamp_outside_window_is_refused(police: PoliceSimulator) -> None:
    far_behind = VirtualClock(start=SystemClock().now() - 3600)
    async with police_channel(police.url, far_behind) as channel:
        with pytest.raises(DeliveryError, match=r"^401 timestamp outside window"):
            await channel.deliver(forward_job())
        await far_behind.advance(3600 - 5)  # the clock is fixed: now inside the window
        receipt = await channel.deliver(forward_job())
    assert receipt.receipt_id is not None
    assert police.rejected["timestamp outside window"] == 1


async def test_repeated_key_is_kept_once_with_the_same_receipt(
        police: PoliceSimulator, channel: PoliceHttpChannel) -> None:
    first = await channel.deliver(forward_job("a-1003", 1))
    again = await channel.deliver(forward_job("a-1003", 1))
    update = await channel.deliver(forward_job("a-1003", 2))
    assert again.receipt_id == first.receipt_id
    assert update.receipt_id != first.receipt_id
    assert [r.idempotency_key for r in police.received] == ["a-1003:1", "a-1003:2"]
    assert police.duplicates == 1


async def test_409_duplicate_counts_as_delivered() -> None:
    async with (PoliceSimulator(SECRET, duplicate_status=409) as simulator,
                police_channel(simulator.url) as channel):
        first = await channel.deliver(forward_job("a-1004", 1))
        again = await channel.deliver(forward_job("a-1004", 1))
    assert again.receipt_id == first.receipt_id
    assert again.detail == "409 duplicate"
    assert len(simulator.received) == 1


async def test_error_without_json_names_status_and_reason() -> None:
    async with (RawReceiver("502 Bad Gateway", b"<html>bad gateway</html>", "text/html") as peer,
                police_channel(peer.url) as channel):
        with pytest.raises(DeliveryError, match=r"^502 Bad Gateway$"):
            await channel.deliver(forward_job())


async def test_client_is_recreated_after_stop(
        police: PoliceSimulator, channel: PoliceHttpChannel) -> None:
    await channel.deliver(forward_job("a-1005", 1))
    await channel.stop()
    await channel.deliver(forward_job("a-1005", 2))
    assert len(police.received) == 2


async def test_received_records_are_served_on_both_ports(
        police: PoliceSimulator, channel: PoliceHttpChannel) -> None:
    await channel.deliver(forward_job("a-1006", 1))
    alerts_base = police.url.removesuffix("/api/alerts")
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        for base in (police.control_url, alerts_base):
            records = (await client.get(f"{base}/received")).json()
            assert [r["idempotency_key"] for r in records] == ["a-1006:1"]
            assert records[0]["document"]["site"]["name"] == "第七中学"
        stats = (await client.get(f"{police.control_url}/stats")).json()
    assert stats == {"received": 1, "duplicates": 0, "out_of_order": 0, "rejected": {}}
