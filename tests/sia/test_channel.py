"""The two ends of the product speak to each other: the gateway's own `sia_dc09` channel
(gateway/forwarding/dc09_channel.py) sends to the `sia_panel` receiver."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from gateway.core.alerts import AlertState, Category
from gateway.core.clock import SystemClock
from gateway.forwarding.channel import ForwardJob
from gateway.forwarding.dc09_channel import SiaDc09Channel, SiaDc09ChannelConfig
from tests.forwarding.support import panic_revision
from tests.sia.rig import KEY32, panel, receiving


def _job(number: int, category: Category, state: AlertState) -> ForwardJob:
    base = panic_revision(f"a-{number:04d}")
    revision = replace(base, alert=replace(base.alert, category=category, state=state))
    return ForwardJob(id=number, alert_id=revision.alert.id, channel="arc", revision=1,
                      idempotency_key=f"{revision.alert.id}:1", payload=revision,
                      created_at=time.time())


@pytest.mark.parametrize("protocol", ["SIA-DCS", "ADM-CID"])
async def test_the_gateways_channel_delivers_to_the_gateways_receiver(protocol: str) -> None:
    device = panel(key=KEY32, zones={5: {"name": "a301", "zone": "building-a-3f"}})
    async with receiving([device]) as rig:
        config = SiaDc09ChannelConfig.model_validate({
            "type": "sia_dc09", "id": "arc", "host": "127.0.0.1", "port": rig.port,
            "account": "1234", "protocol": protocol, "key": KEY32.hex(), "timeout_s": 2,
            "zone_numbers": {"pb-a-301": 5}})
        channel = SiaDc09Channel(config, SystemClock())
        await channel.start()
        try:
            receipts = [await channel.deliver(_job(n, category, state)) for n, (category, state)
                        in enumerate([(Category.PANIC, AlertState.OPEN),
                                      (Category.FIRE, AlertState.OPEN),
                                      (Category.PANIC, AlertState.RESOLVED)], start=1)]
            assert await channel.supervise_once()
        finally:
            await channel.stop()
        await rig.settled()
    assert [(r.receipt_id, r.detail) for r in receipts] == [
        ("0001", "ACK"), ("0002", "ACK"), ("0003", "ACK")]
    assert rig.values() == [("pressed.a301", True), ("fire.a301", True),
                            ("pressed.a301", False), ("heartbeat", 4)]
    assert rig.adapter.malformed_by_device() == {}
