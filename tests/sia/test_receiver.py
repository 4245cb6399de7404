"""The DC-09 receiver (`type: sia_panel`) over real TCP and UDP on loopback, with
my-dc09-spt as the independent transmitter: events, answers, repeats, refused frames,
NULL supervision."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from my_dc09_spt.msg.dc09_msg import dc09_msg

from gateway.core import dc09
from gateway.core.clock import VirtualClock
from gateway.core.events import AVAILABILITY, Availability
from gateway.devices.registry import DeviceRegistry
from tests.helpers import eventually
from tests.sia.rig import KEY16, KEY32, cid, link, panel, receiving, sia


@pytest.mark.parametrize("key", [None, KEY16, KEY32], ids=["plain", "aes128", "aes256"])
async def test_sia_dcs_and_contact_id_become_points_and_are_acked(key: bytes | None) -> None:
    spt = dc09_msg("1234", key, receiver=1, line=1)
    frames = [sia(spt, 1, "PA"), sia(spt, 2, "PH"), sia(spt, 3, "FA", zone=7),
              sia(spt, 4, "BA"), sia(spt, 5, "TA"), sia(spt, 6, "YS"),
              cid(spt, 7, 120), cid(spt, 8, 120, qualifier=3), cid(spt, 9, 110, zone=12),
              cid(spt, 10, 130), cid(spt, 11, 137, qualifier=3)]
    async with receiving([panel(key=key)]) as rig, link(rig.port) as panel_link:
        answers = [spt.dc09answer(n, await panel_link.send(raw))[0]
                   for n, raw in enumerate(frames, start=1)]
        events = await rig.settled()
    assert answers == ["ACK"] * len(frames)
    assert rig.values() == [
        ("pressed", True), ("pressed", False), ("fire", True), ("intrusion", True),
        ("tamper", True), ("trouble", True), ("pressed", True), ("pressed", False),
        ("fire", True), ("intrusion", True), ("tamper", False)]
    assert [e.urgent for e in events[:4]] == [True, True, True, True]
    assert events[0].detail == "SIA PA, zone 5, area 1"
    assert events[8].detail == "Contact ID 1110, zone 12, partition 1"
    assert {e.site for e in events} == {"school-1"}
    assert rig.adapter.counters()["ack"] == len(frames)
    assert rig.adapter.malformed_by_device() == {}


async def test_the_zone_map_names_the_point_and_our_zone() -> None:
    zones = {5: {"name": "a301", "zone": "building-a-3f"}}
    device = panel(zones=zones)
    assert "pressed.a301" in device.point_names() and "pressed" in device.point_names()
    spt = dc09_msg("1234")
    async with receiving([device]) as rig, link(rig.port) as panel_link:
        await panel_link.send(sia(spt, 1, "PA", zone=5))
        await panel_link.send(cid(spt, 2, 137, zone=5))
        await panel_link.send(sia(spt, 3, "PA", zone=6))
        events = await rig.settled()
    assert rig.values() == [("pressed.a301", True), ("tamper.a301", True), ("pressed", True)]
    assert events[0].detail == "SIA PA, zone 5 (building-a-3f), area 1"


async def test_a_repeated_sequence_is_acked_again_and_emitted_once() -> None:
    spt = dc09_msg("1234", KEY16)
    sent = {9995: sia(spt, 9995, "PA"), 9996: sia(spt, 9996, "FA"), 9997: sia(spt, 9997, "BA")}
    async with receiving([panel(key=KEY16)]) as rig, link(rig.port) as panel_link:
        answers: list[str] = []
        for sequence in (9995, 9996, 9995, 9997):
            raw = sent[sequence] if sequence != 9995 or not answers else sia(spt, 9995, "PA")
            answers.append(spt.dc09answer(sequence, await panel_link.send(raw))[0])
        await rig.settled()
    assert answers == ["ACK"] * 4
    assert rig.values() == [("pressed", True), ("fire", True), ("intrusion", True)]
    assert rig.adapter.counters()["repeat"] == 1


async def test_the_ack_waits_until_the_events_are_stored() -> None:
    """Like the MQTT adapter's acknowledgements: a panel's frame is ACKed only once the
    store has what it raised; until then the panel holds it and would send it again."""
    held: list[Callable[[], None]] = []
    spt = dc09_msg("1234")
    async with receiving([panel()], after_dispatch=held.append) as rig, link(
            rig.port) as panel_link:
        assert await panel_link.silent(sia(spt, 1, "PA"), for_s=0.2)
        assert rig.values() == [("pressed", True)] and len(held) == 1
        held.pop()()  # stored
        async with asyncio.timeout(2):
            answer = (await panel_link.reader.readuntil(b"\r")).decode("ascii")
    assert spt.dc09answer(1, answer)[0] == "ACK"


async def test_the_same_sequence_with_other_data_is_a_new_event() -> None:
    """A panel that restarted counts from 0001 again: not a repeat."""
    spt = dc09_msg("1234")
    async with receiving([panel()]) as rig, link(rig.port) as panel_link:
        await panel_link.send(sia(spt, 1, "PA"))
        await panel_link.send(sia(spt, 1, "FA"))
        await rig.settled()
    assert rig.values() == [("pressed", True), ("fire", True)]


def _poll(spt: dc09_msg) -> bytes:
    block: str = spt.dc09poll()
    return block.encode("ascii")


def _answer_id(answer: str) -> str:
    return dc09.parse_frame(answer, KEY16).id


async def test_refused_frames_get_the_right_answer_and_are_counted() -> None:
    plain = dc09_msg("1234")
    good = sia(plain, 1, "PA")
    bad_crc = b"\n0000" + good[5:]
    truncated = good[:30] + b"\r"  # its length field says more than arrived
    oversized = good[:-1] + b"X" * 2000 + b"\r"
    stranger = sia(dc09_msg("9999"), 3, "PA")
    stale = sia(dc09_msg("5678", KEY16, offset=-120), 4, "FA")
    unknown_code = sia(plain, 5, "QQ")
    plain_for_encrypted = sia(dc09_msg("5678"), 6, "FA")
    async with receiving([panel(), panel("ap-b", "5678", KEY16)]) as rig, link(
            rig.port) as panel_link:
        answers = {name: await panel_link.send(raw) for name, raw in (
            ("bad_crc", bad_crc), ("truncated", truncated), ("oversized", oversized),
            ("stranger", stranger), ("stale", stale), ("unknown_code", unknown_code),
            ("plain_for_encrypted", plain_for_encrypted), ("junk", b"hello\r"),
            ("good", good))}
        await rig.settled()
    assert {name: _answer_id(answer) for name, answer in answers.items()} == {
        "bad_crc": "NAK", "truncated": "NAK", "oversized": "NAK", "stranger": "DUH",
        "stale": "NAK", "unknown_code": "DUH", "plain_for_encrypted": "DUH", "junk": "NAK",
        "good": "ACK"}
    nak = dc09.parse_frame(answers["stale"], KEY16)
    assert nak.encrypted and nak.sequence == 0 and nak.timestamp is not None
    assert abs(nak.timestamp - datetime.now(UTC)) < timedelta(seconds=5)  # our time
    verdict, offset = dc09_msg("5678", KEY16).dc09answer(4, answers["stale"])
    assert verdict == "NAK" and offset is not None and abs(offset) < 5  # vs the true time
    assert dc09.parse_frame(answers["stranger"]).account == "9999"
    assert rig.values() == [("pressed", True)]
    assert rig.adapter.malformed_by_device() == {"ap-a": 4, "ap-b": 2}
    counters = rig.adapter.counters()
    assert {name: counters[f"refused_{name}"] for name in (
        "corrupt", "truncated", "oversized", "unknown_account", "timestamp", "unusable",
        "key")} == {"corrupt": 2, "truncated": 1, "oversized": 1, "unknown_account": 1,
                    "timestamp": 1, "unusable": 1, "key": 1}
    assert (counters["nak"], counters["duh"], counters["ack"]) == (5, 3, 1)


async def test_refusals_are_logged_once_per_panel_until_it_recovers(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="adapters.sia")
    plain = dc09_msg("1234")
    bad = b"\n0000" + sia(plain, 1, "PA")[5:]
    async with receiving([panel()]) as rig, link(rig.port) as panel_link:
        for _ in range(3):
            await panel_link.send(bad)
        await panel_link.send(sia(plain, 1, "PA"))
    warnings = [r.getMessage() for r in caplog.records if "panel ap-a" in r.getMessage()]
    assert len(warnings) == 2, warnings
    assert "bad CRC" in warnings[0] and "taken again (3 refused before)" in warnings[1]
    assert rig.adapter.malformed_by_device() == {"ap-a": 3}


async def test_a_frame_cut_off_by_its_connection_is_counted_and_the_receiver_goes_on() -> None:
    plain = dc09_msg("1234")
    async with receiving([panel()]) as rig:
        async with link(rig.port) as panel_link:
            panel_link.writer.write(sia(plain, 1, "PA")[:30])  # header, account
            await panel_link.writer.drain()
        async with link(rig.port) as panel_link:
            assert plain.dc09answer(2, await panel_link.send(sia(plain, 2, "PA")))[0] == "ACK"
        await eventually(lambda: rig.adapter.counters()["refused_truncated"] == 1, within_s=2,
                         what="the cut-off frame counted")
        counters = rig.adapter.counters()
        assert rig.adapter.health().is_ok
    assert counters["refused_truncated"] == 1 and counters["connections"] == 2
    assert rig.adapter.malformed_by_device() == {"ap-a": 1}
    assert rig.values() == [("pressed", True)]


async def test_udp_datagrams_are_answered_to_their_sender() -> None:
    spt = dc09_msg("1234", KEY32)
    async with receiving([panel(key=KEY32)], transport="both") as rig:
        assert rig.adapter.udp_port == rig.port
        loop = asyncio.get_running_loop()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            await loop.sock_connect(sock, ("127.0.0.1", rig.port))
            await loop.sock_sendall(sock, sia(spt, 1, "FA"))
            async with asyncio.timeout(2):
                answer = await loop.sock_recv(sock, 1024)
        await rig.settled()
    assert spt.dc09answer(1, answer.decode("ascii"))[0] == "ACK"
    assert rig.values() == [("fire", True)]


async def test_null_messages_keep_the_panel_online_and_their_absence_takes_it_offline() -> None:
    clock = VirtualClock(time.time())
    device = panel(heartbeat_s=30)
    spt = dc09_msg("1234")
    async with receiving([device], clock) as rig, link(rig.port) as panel_link:
        registry = DeviceRegistry("school-1", [device], clock, rig.bus)
        rig.bus.subscribe(registry.observe)
        supervision = asyncio.create_task(registry.supervise())
        try:
            state = registry.devices["ap-a"]

            def availability() -> Availability:
                return state.availability

            assert spt.dc09answer(0, await panel_link.send(_poll(spt)))[0] == "ACK"
            await rig.settled()
            assert availability() is Availability.ONLINE
            for _ in range(3):  # every 50 s: never two intervals of silence
                await clock.advance(50)
                await panel_link.send(_poll(spt))
                await rig.settled()
                assert availability() is Availability.ONLINE
            await clock.advance(61)
            await rig.settled()
            assert availability() is Availability.OFFLINE
            await panel_link.send(_poll(spt))
            await rig.settled()
            assert availability() is Availability.ONLINE
        finally:
            supervision.cancel()
            await asyncio.gather(supervision, return_exceptions=True)
    assert [e.value for e in rig.events if e.point == AVAILABILITY] == [
        "online", "offline", "online"]
    assert [e.point for e in rig.events if e.point != AVAILABILITY] == ["heartbeat"] * 5
