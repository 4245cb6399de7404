"""Fault modes set over the control API: each gives DeliveryError, then `ok` delivers."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from gateway.forwarding.channel import DeliveryError
from gateway.forwarding.http_channel import PoliceHttpChannel
from simulators.police import PoliceControl, PoliceSimulator
from tests.forwarding.support import forward_job, police_channel


async def _control(simulator: PoliceSimulator, **mode: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        response = await client.post(f"{simulator.control_url}/control", json=mode)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer


async def test_fail_mode_answers_the_given_status(
        police: PoliceSimulator, channel: PoliceHttpChannel) -> None:
    await _control(police, mode="fail", status=503)
    with pytest.raises(DeliveryError, match=r"^503 injected failure"):
        await channel.deliver(forward_job("a-2001", 1))
    await _control(police, mode="fail", status=500)
    with pytest.raises(DeliveryError, match=r"^500 "):
        await channel.deliver(forward_job("a-2001", 1))
    await _control(police, mode="ok")
    receipt = await channel.deliver(forward_job("a-2001", 1))
    assert receipt.receipt_id == police.received[0].receipt_id
    assert police.rejected["injected failure"] == 2


async def test_delay_longer_than_timeout_is_a_timeout(police: PoliceSimulator) -> None:
    async with police_channel(police.url, timeout_s=0.3) as channel:
        await _control(police, mode="delay", delay_s=5)
        started = time.monotonic()
        with pytest.raises(DeliveryError, match=r"^timeout after 0\.3 s"):
            await channel.deliver(forward_job("a-2002", 1))
        assert time.monotonic() - started < 2.0
        await _control(police, mode="ok")
        receipt = await channel.deliver(forward_job("a-2002", 1))
    # The delayed request was still taken in once `ok` released it: the retry is a
    # repeat of the same key and gets the same receipt, and the document is kept once.
    assert [r.idempotency_key for r in police.received] == ["a-2002:1"]
    assert receipt.receipt_id == police.received[0].receipt_id


async def test_short_delay_still_delivers(
        police: PoliceSimulator, channel: PoliceHttpChannel) -> None:
    await _control(police, mode="delay", delay_s=0.2)
    started = time.monotonic()
    receipt = await channel.deliver(forward_job("a-2003", 1))
    assert time.monotonic() - started >= 0.2
    assert receipt.receipt_id == "police-000001"


async def test_refuse_closes_the_port_and_ok_reopens_it(
        police: PoliceSimulator, channel: PoliceHttpChannel) -> None:
    await channel.deliver(forward_job("a-2004", 1))  # a kept-alive connection exists
    port = police.port
    assert (await _control(police, mode="refuse"))["mode"] == "refuse"
    for revision in (2, 3):
        with pytest.raises(DeliveryError, match=r"^connection refused"):
            await channel.deliver(forward_job("a-2004", revision))
    await _control(police, mode="ok")
    assert police.port == port
    receipt = await channel.deliver(forward_job("a-2004", 2))
    assert receipt.receipt_id == "police-000002"


async def test_unknown_mode_is_rejected_by_the_control_api(police: PoliceSimulator) -> None:
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        bad = await client.post(f"{police.control_url}/control", json={"mode": "explode"})
        worse = await client.post(f"{police.control_url}/control",
                                  json={"mode": "fail", "status": 200})
        current = (await client.get(f"{police.control_url}/control")).json()
    assert (bad.status_code, worse.status_code) == (422, 422)
    assert current["mode"] == "ok"


async def test_sync_control_client_drives_the_simulator(
        police: PoliceSimulator, channel: PoliceHttpChannel) -> None:
    control = PoliceControl(police.control_url)
    try:
        mode = await asyncio.to_thread(control.set_mode, "fail", status=502)
        assert (mode.mode, mode.status) == ("fail", 502)
        with pytest.raises(DeliveryError, match=r"^502"):
            await channel.deliver(forward_job("a-2005", 1))
        await asyncio.to_thread(control.set_mode, "refuse")
        with pytest.raises(DeliveryError, match=r"^connection refused"):
            await channel.deliver(forward_job("a-2005", 1))
        await asyncio.to_thread(control.set_mode, "ok")
        await channel.deliver(forward_job("a-2005", 1))
        await channel.deliver(forward_job("a-2005", 1))
        received = await asyncio.to_thread(control.received)
        stats = await asyncio.to_thread(control.stats)
    finally:
        control.close()
    assert [r["idempotency_key"] for r in received] == ["a-2005:1"]
    assert stats["duplicates"] == 1
    assert stats["rejected"] == {"injected failure": 1}


async def test_stop_releases_requests_waiting_in_delay(police: PoliceSimulator) -> None:
    async with police_channel(police.url, timeout_s=5) as channel:
        await _control(police, mode="delay", delay_s=60)
        delivery = asyncio.create_task(channel.deliver(forward_job("a-2006", 1)))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await police.stop()
        with pytest.raises(DeliveryError, match=r"^503 shutting down"):
            await delivery
    assert time.monotonic() - started < 3
    assert police.received == []
