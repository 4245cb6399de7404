"""SIA DC-09: the codec against known vectors and two independent implementations
(pysiaalarm, a receiver; my-dc09-spt, a transmitter), and the `sia_dc09` channel against
pysiaalarm's real TCP and UDP servers on loopback and against scripted receivers for
NAK, DUH and silence."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from my_dc09_spt.msg.dc03_msg import dc03_msg
from my_dc09_spt.msg.dc05_msg import dc05_msg
from my_dc09_spt.msg.dc09_msg import dc09_msg
from pydantic import SecretStr, TypeAdapter, ValidationError
from pysiaalarm import SIAAccount
from pysiaalarm.aio import SIAClient
from pysiaalarm.event import NAKEvent, SIAEvent
from pysiaalarm.utils import ADM_MAPPING, CommunicationsProtocol

from gateway.core import dc09
from gateway.core.alerts import AlertRevision, AlertState, Category
from gateway.core.backoff import Backoff
from gateway.core.clock import Clock, SystemClock
from gateway.core.dc09 import Frame, FrameError
from gateway.forwarding.channel import DeliveryError, DeliveryRejected, ForwardJob
from gateway.forwarding.channels import ChannelConfig, build_channel
from gateway.forwarding.dc09_channel import (
    DEFAULT_CODES,
    SiaDc09Channel,
    SiaDc09ChannelConfig,
)
from gateway.forwarding.worker import OutboxWorker
from tests.forwarding.support import panic_revision
from tests.forwarding.test_worker import ListOutbox
from tests.helpers import eventually, free_port

TS = datetime(2026, 3, 2, 0, 15, 0, tzinfo=UTC)
PLAIN = "1234"
# pysiaalarm uses the text of a key as its bytes: "0123456789ABCDEF" is a 16-byte AES-128
# key, which our config writes as the hex of those bytes.
SIA_KEYS = {"AB16": "0123456789ABCDEF", "AB24": "0123456789ABCDEF01234567",
            "AB32": "0123456789ABCDEF0123456789ABCDEF"}
ZONE = 5
_job_ids = itertools.count(1)


# --- the codec ------------------------------------------------------------------------

PINNED_PLAIN = b'\n68C0003C"SIA-DCS"0001R1L1#1234[#1234|Nri1/PA005]_00:15:00,03-02-2026\r'
PINNED_ENCRYPTED = (b'\n2EAD0078"*SIA-DCS"0002R1L1#1234[FDAB5B9C5880ABC8FF60EF97C8054CFC69B8'
                    b'8E8DF81E524E80052816718C96FF4ED22ED36A462D90EF1A95F40F04D974\r')


def test_crc_is_crc16_arc_as_both_independent_implementations_compute_it() -> None:
    assert dc09.crc16(b"123456789") == 0xBB3D  # the CRC-16/ARC check value
    assert dc09.crc16(b"") == 0
    for text in ('"NULL"0001R0L0#1234[]', '"SIA-DCS"5268L0#AAA[Nri1/WA000]_08:40:47,07-08-2020',
                 '"ADM-CID"0003R1L1#1234[#1234|1120 01 005]', "~" * 300):
        ours = dc09.crc16(text.encode("ascii"))
        assert f"{ours:04X}" == SIAEvent._crc_calc(text)
        assert ours == dc09_msg.dc09crc(text)


def test_pinned_plain_frame_and_what_pysiaalarm_reads_in_it() -> None:
    frame = Frame("SIA-DCS", 1, PLAIN, "1", "1", dc09.sia_dcs_data(PLAIN, "PA", 5, 1), TS)
    assert dc09.encode_frame(frame) == PINNED_PLAIN
    assert dc09.parse_frame(PINNED_PLAIN) == frame
    event = SIAEvent.from_line(PINNED_PLAIN.decode().strip(),
                               {PLAIN: SIAAccount(PLAIN, allowed_timeband=None)})
    assert event.valid_message  # (its valid_length reads the hex length as decimal)
    assert int(event.length, 16) == len(event.full_message)
    assert (event.code, event.ri, event.message, event.sequence) == ("PA", "1", "005", "0001")
    assert event.timestamp == TS


def test_pinned_encrypted_frame_with_a_fixed_pad() -> None:
    key = bytes(range(16))
    frame = Frame("SIA-DCS", 2, PLAIN, "1", "1", dc09.sia_dcs_data(PLAIN, "PA", 5, 1), TS, True)
    assert dc09.encode_frame(frame, key, pad="PADPADPADP") == PINNED_ENCRYPTED
    assert dc09.parse_frame(PINNED_ENCRYPTED, key) == frame
    plain = dc09_msg(PLAIN, key).dc09decrypt(bytes.fromhex(
        PINNED_ENCRYPTED.decode().split("[", 1)[1].strip()))
    assert plain == b"PADPADPADP|#1234|Nri1/PA005]_00:15:00,03-02-2026"
    assert len(plain) % 16 == 0
    with pytest.raises(FrameError, match="pad"):
        dc09.encode_frame(frame, key, pad="PAD")


@pytest.mark.parametrize("key_bytes", [None, 16, 24, 32])
@pytest.mark.parametrize("frame", [
    Frame("SIA-DCS", 1, PLAIN, "1", "1", "#1234|Nri1/FA129", TS, extended=("X121.47",)),
    Frame("ADM-CID", 9999, "ABCDEF", "2A", "12", "#ABCDEF|3110 02 129", TS),
    Frame("NULL", 42, PLAIN, "0", "0", "", TS),
    Frame("ACK", 42, PLAIN, "0", "0", "", TS),
    Frame("DUH", 42, PLAIN, "0", None, "", TS),
    Frame("NAK", 0, None, "0", "0", "", TS),
])
def test_round_trip(frame: Frame, key_bytes: int | None) -> None:
    key = None if key_bytes is None else bytes(range(key_bytes))
    sent = replace(frame, encrypted=key is not None)
    raw = dc09.encode_frame(sent, key)
    assert raw.startswith(b"\n") and raw.endswith(b"\r")
    assert int(raw[5:9], 16) == len(raw) - 10  # 0LLL: from the quote to the timestamp
    assert dc09.parse_frame(raw, key) == sent
    if key is not None:  # a fresh random pad each time (two may happen to match)
        assert len({raw, *(dc09.encode_frame(sent, key) for _ in range(8))}) > 1


def test_encrypted_frames_fill_whole_blocks_with_a_pad_of_1_to_16() -> None:
    key = bytes(16)
    for length in range(0, 40):
        frame = Frame("SIA-DCS", 1, PLAIN, data="#1234|NPA" + "1" * length, timestamp=TS,
                      encrypted=True)
        raw = dc09.encode_frame(frame, key)
        hex_part = raw.decode().split("[", 1)[1].strip()
        plain = dc09_msg(PLAIN, key).dc09decrypt(bytes.fromhex(hex_part)).decode()
        pad = plain.split("|", 1)[0]
        assert 1 <= len(pad) <= 16 and not set(pad) & set("[]|")
        assert dc09.parse_frame(raw, key) == frame


@pytest.mark.parametrize(("raw", "why"), [
    (PINNED_PLAIN.replace(b"68C0", b"68C1"), "bad CRC: frame says 68C1, content gives 68C0"),
    (PINNED_PLAIN.replace(b"003C", b"003B"), "bad length: field says 59 characters, frame has 60"),
    (PINNED_PLAIN[:30], "truncated frame: length field says 60 characters, 21 arrived"),
    (b"\n68C0", "truncated frame"),
    (b"\nZZZZ003C" + PINNED_PLAIN[9:], "bad CRC or length field"),
    (b"\r\n", "characters after the closing CR"),
])
def test_unreadable_frames_say_why(raw: bytes, why: str) -> None:
    with pytest.raises(FrameError, match=re.escape(why)):
        dc09.parse_frame(raw)


def _framed(body: str) -> bytes:
    data = body.encode("ascii")
    return b"\n" + f"{dc09.crc16(data):04X}{len(data):04X}".encode() + data + b"\r"


def test_unknown_ids_missing_keys_and_wrong_keys_say_why() -> None:
    with pytest.raises(FrameError, match="unknown id 'SIA-XYZ'"):
        dc09.parse_frame(_framed('"SIA-XYZ"0001R1L1#1234[]'))
    encrypted = dc09.encode_frame(Frame("NULL", 1, PLAIN, timestamp=TS, encrypted=True),
                                  bytes(16))
    with pytest.raises(FrameError, match="no key for account 1234"):
        dc09.parse_frame(encrypted)
    with pytest.raises(FrameError, match="wrong key"):
        dc09.parse_frame(encrypted, bytes(range(1, 17)))
    with pytest.raises(FrameError, match="bad timestamp"):
        dc09.parse_frame(_framed('"NULL"0001R1L1#1234[]_25:00:00,13-45-2026'))
    with pytest.raises(FrameError, match="malformed header"):
        dc09.parse_frame(_framed('"NULL"x'))
    with pytest.raises(FrameError, match="16, 24 or 32 bytes"):
        dc09.parse_key("00" * 15)
    with pytest.raises(FrameError, match="hex"):
        dc09.parse_key("not hex")


def test_sequence_wraps_from_9999_to_0001() -> None:
    assert [dc09.next_sequence(n) for n in (0, 1, 9998, 9999)] == [1, 2, 9999, 1]
    with pytest.raises(FrameError, match="sequence"):
        dc09.encode_frame(Frame("NULL", 10000, PLAIN))


def test_timestamp_is_utc_and_the_window_is_40_s_behind_20_ahead() -> None:
    shanghai = datetime(2026, 3, 2, 8, 15, 0, tzinfo=timezone(timedelta(hours=8)))
    assert dc09.format_timestamp(shanghai) == "_00:15:00,03-02-2026"
    assert dc09.parse_timestamp("_00:15:00,03-02-2026") == TS
    assert dc09.within_window(TS - timedelta(seconds=40), TS)
    assert not dc09.within_window(TS - timedelta(seconds=41), TS)
    assert dc09.within_window(TS + timedelta(seconds=20), TS)
    assert not dc09.within_window(TS + timedelta(seconds=21), TS)


def test_event_data_both_ways() -> None:
    assert dc09.sia_dcs_data("1234", "BA", 12, 2) == "#1234|Nri2/BA012"
    assert dc09.sia_dcs_data("1234", "RP") == "#1234|NRP"
    assert dc09.parse_sia_dcs("#1234|Nri2/BA012") == dc09.SiaEvent("1234", "BA", 12, 2)
    assert dc09.contact_id_data("1234", 3, 120, 1, 5) == "#1234|3120 01 005"
    assert dc09.parse_contact_id("#1234|3120 01 005") == dc09.ContactIdEvent("1234", 3, 120,
                                                                            1, 5)
    for bad in (lambda: dc09.sia_dcs_data("1234", "pa"), lambda: dc09.sia_dcs_data("12", "PA"),
                lambda: dc09.contact_id_data("1234", 2, 120, 1, 5),
                lambda: dc09.contact_id_data("1234", 1, 120, 100, 5)):
        with pytest.raises(FrameError):
            bad()


@pytest.mark.parametrize("key", [None, b"0123456789abcdef", b"0123456789abcdef" * 2])
def test_my_dc09_spt_frames_parse(key: bytes | None) -> None:
    """my-dc09-spt (an independent transmitter) builds; our codec reads."""
    spt = dc09_msg("5678", key, receiver=0x1A, line=3)
    sia = spt.dc09block(7, "SIA-DCS",
                        dc03_msg.dc03event("5678", {"area": 2, "zone": 17, "code": "FA"}))
    frame = dc09.parse_frame(sia, key)
    assert (frame.id, frame.sequence, frame.account, frame.receiver, frame.prefix) == (
        "SIA-DCS", 7, "5678", "1A", "3")
    assert frame.encrypted is (key is not None)
    assert dc09.parse_sia_dcs(frame.data) == dc09.SiaEvent("5678", "FA", 17, 2)
    cid = spt.dc09block(8, "ADM-CID",
                        dc05_msg.dc05event("5678", {"area": 1, "zone": 5, "code": "120", "q": 3}))
    assert dc09.parse_contact_id(dc09.parse_frame(cid, key).data) == dc09.ContactIdEvent(
        "5678", 3, 120, 1, 5)
    poll = dc09.parse_frame(spt.dc09poll(), key)
    assert (poll.id, poll.data) == ("NULL", "")
    if key is not None:  # encrypted frames carry the transmitter's time
        assert poll.timestamp is not None
        assert abs(poll.timestamp - datetime.now(UTC)) < timedelta(seconds=5)
    ack = dc09.encode_frame(dc09.ack_for(frame, datetime.now(UTC)), key)
    assert spt.dc09answer(7, ack.decode("ascii"))[0] == "ACK"


def test_pysiaalarm_answers_parse() -> None:
    key_text = SIA_KEYS["AB16"]
    accounts = {"AB16": SIAAccount("AB16", key_text)}
    message = Frame("SIA-DCS", 3, "AB16", "1", "1", dc09.sia_dcs_data("AB16", "PA", 5, 1),
                    datetime.now(UTC), True)
    event = SIAEvent.from_line(dc09.encode_frame(message, key_text.encode()).decode().strip(),
                               accounts)
    ack = dc09.parse_frame(event.create_response(), key_text.encode())
    assert (ack.id, ack.sequence, ack.account, ack.encrypted) == ("ACK", 3, "AB16", True)
    assert ack.timestamp is not None
    nak = dc09.parse_frame(NAKEvent().create_response())  # "NAK"0000L0R0A0[]_...
    assert (nak.id, nak.sequence, nak.account, nak.prefix, nak.receiver) == (
        "NAK", 0, None, "0", "0")
    ours = dc09.parse_frame(dc09.encode_frame(dc09.nak(TS, "1", "2")))
    assert (ours.prefix, ours.receiver, ours.timestamp) == ("1", "2", TS)


# --- the channel against pysiaalarm ------------------------------------------------------


def _revision(category: Category = Category.PANIC, state: AlertState = AlertState.OPEN,
              drill: bool = False, alert_id: str = "a-0001",
              device_id: str = "pb-a-301") -> AlertRevision:
    base = panic_revision(alert_id)
    return replace(base, alert=replace(base.alert, category=category, state=state, drill=drill,
                                       device_id=device_id))


def _job(revision: AlertRevision, number: int | None = None) -> ForwardJob:
    n = next(_job_ids) if number is None else number
    alert = revision.alert
    return ForwardJob(id=n, alert_id=alert.id, channel="arc", revision=n,
                      idempotency_key=f"{alert.id}:{n}", payload=revision,
                      created_at=time.time())


def _config(port: int, **fields: Any) -> SiaDc09ChannelConfig:
    values: dict[str, Any] = {
        "type": "sia_dc09", "id": "arc", "host": "127.0.0.1", "port": port,
        "receiver": "1", "prefix": "1", "account": PLAIN, "timeout_s": 1.0,
        "zone_numbers": {"pb-a-301": ZONE}, "forward_drills": True,
        "retry": {"initial_s": 0.05, "max_s": 0.2}, **fields}
    return SiaDc09ChannelConfig.model_validate(values)


@asynccontextmanager
async def _channel(port: int, clock: Clock | None = None,
                   **fields: Any) -> AsyncIterator[SiaDc09Channel]:
    channel = SiaDc09Channel(_config(port, **fields), clock or SystemClock())
    await channel.start()
    try:
        yield channel
    finally:
        await channel.stop()


def _accounts(timeband: tuple[int, int] | None = (40, 20)) -> list[SIAAccount]:
    return [SIAAccount(PLAIN, allowed_timeband=timeband),
            *(SIAAccount(account, key, allowed_timeband=timeband)
              for account, key in SIA_KEYS.items())]


@asynccontextmanager
async def _pysiaalarm(port: int, udp: bool = False,
                      arrivals: list[float] | None = None) -> AsyncIterator[list[SIAEvent]]:
    """pysiaalarm's receiver on `port`: the events it took (and ACKed), in order, and
    their arrival times (monotonic) in `arrivals`. (Not `async with SIAClient`: its
    __aexit__ swallows exceptions.)"""
    events: list[SIAEvent] = []

    async def took(event: SIAEvent) -> None:
        events.append(event)
        if arrivals is not None:
            arrivals.append(time.monotonic())

    protocol = CommunicationsProtocol.UDP if udp else CommunicationsProtocol.TCP
    client = SIAClient("127.0.0.1", port, _accounts(), took, protocol=protocol)
    await client.async_start()
    if udp:  # on Python 3.11 its connection_made() asserts a transport class that the
        # selector loop's UDP transport does not derive from, and keeps none: give it
        client.sia_server.transport = client.transport  # type: ignore[union-attr]
    try:
        yield events
    finally:
        await client.async_stop()


def _key_for(account: str) -> dict[str, Any]:
    if account == PLAIN:
        return {}
    return {"key": SIA_KEYS[account].encode("ascii").hex()}


CASES = [(category, state) for category in Category
         for state in (AlertState.OPEN, AlertState.RESOLVED)]


@pytest.mark.parametrize("protocol", ["SIA-DCS", "ADM-CID"])
@pytest.mark.parametrize("account", [PLAIN, *SIA_KEYS])
async def test_pysiaalarm_takes_every_mapped_code(protocol: str, account: str) -> None:
    port = free_port()
    async with _pysiaalarm(port) as events, _channel(port, account=account, protocol=protocol,
                                                     **_key_for(account)) as channel:
        receipts = [await channel.deliver(_job(_revision(category, state)))
                    for category, state in CASES]
        receipts.append(await channel.deliver(_job(_revision(drill=True))))
        skipped = await channel.deliver(_job(_revision(drill=True, state=AlertState.CLOSED)))
        await eventually(lambda: len(events) == len(CASES) + 1, within_s=3,
                         what="pysiaalarm to take every frame")
    assert [receipt.detail for receipt in receipts] == ["ACK"] * len(receipts)
    assert [receipt.receipt_id for receipt in receipts] == [
        f"{n:04d}" for n in range(1, len(receipts) + 1)]
    assert (skipped.receipt_id, skipped.detail) == (None, "drill restore: not sent")
    expected = [(DEFAULT_CODES[category], state is AlertState.RESOLVED)
                for category, state in CASES]
    for event, (codes, restore) in zip(events[:-1], expected, strict=True):
        assert event.account == account and event.valid_message
        assert event.encrypted is (account != PLAIN)
        if protocol == "SIA-DCS":
            assert event.code == (codes.sia_restore if restore else codes.sia)
            assert (event.ri, event.message) == ("1", f"{ZONE:03d}")
        else:
            qualifier = "3" if restore else "1"
            assert (event.event_qualifier, event.event_type) == (qualifier, f"{codes.cid:03d}")
            assert (event.partition, event.ri) == ("01", f"{ZONE:03d}")
            assert event.code == ADM_MAPPING[f"{codes.cid:03d}"][qualifier]
    drill = events[-1]
    if protocol == "SIA-DCS":
        assert drill.code == "TX"
    else:
        assert (drill.event_qualifier, drill.event_type, drill.code) == ("1", "601", "RX")


async def test_pysiaalarm_over_udp_plain_and_encrypted() -> None:
    port = free_port()
    async with _pysiaalarm(port, udp=True) as events:
        for account in (PLAIN, "AB32"):
            async with _channel(port, transport="udp", account=account,
                                **_key_for(account)) as channel:
                receipt = await channel.deliver(_job(_revision(Category.FIRE)))
                assert (receipt.receipt_id, receipt.detail) == ("0001", "ACK")
                assert await channel.supervise_once()
        await eventually(lambda: len(events) == 4, within_s=3, what="four UDP frames")
    assert [(e.account, e.code) for e in events] == [
        (PLAIN, "FA"), (PLAIN, "RP"), ("AB32", "FA"), ("AB32", "RP")]


class _SkewedClock(SystemClock):
    def __init__(self, offset_s: float) -> None:
        self.offset_s = offset_s

    def now(self) -> float:
        return super().now() + self.offset_s


async def test_pysiaalarm_naks_a_skewed_clock_and_the_attempt_fails_after_the_resends() -> None:
    port = free_port()
    async with _pysiaalarm(port) as events, _channel(port, _SkewedClock(-120.0),
                                                     nak_resends=2) as channel:
        with pytest.raises(DeliveryError, match=r"NAK 3 times \(receiver's clock "
                                                r"\d\d:\d\d:\d\d UTC, ours -1[12]\d s off\)"):
            await channel.deliver(_job(_revision()))
        assert channel.health().status == "degraded"
        assert "NAK 3 times" in channel.health().reason
    assert events == []  # pysiaalarm never took it


async def test_pysiaalarm_duh_parks_the_job_and_the_queue_goes_on() -> None:
    """An unknown code (QQ) makes pysiaalarm answer DUH: the worker parks the job."""
    port = free_port()
    odd = {"panic": {"sia": "QQ", "sia_restore": "QR", "cid": 120}}
    refused, fire = _job(_revision()), _job(_revision(Category.FIRE, alert_id="a-0002"))
    outbox = ListOutbox([replace(refused, channel="arc"), replace(fire, channel="arc")])
    async with _pysiaalarm(port) as events, _channel(port, codes=odd) as channel:
        with pytest.raises(DeliveryRejected,
                           match=re.escape("DUH: receiver cannot use '#1234|Nri1/QQ005'")):
            await channel.deliver(refused)
        assert channel.health().is_ok  # the receiver answers: the link is fine
        worker = OutboxWorker(channel, outbox, SystemClock(), Backoff(0.05, 0.2))
        task = asyncio.create_task(worker.run())
        try:
            await eventually(lambda: outbox.delivered == [fire.idempotency_key], within_s=3,
                             what="the fire alarm after the refused panic")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert [line.split(":")[0:2] for line in outbox.rejected] == [["a-0001", str(refused.id)]]
    assert "DUH" in outbox.rejected[0]
    assert [event.code for event in events] == ["FA"]


async def test_no_answer_fails_the_attempt_and_the_worker_delivers_once_the_receiver_is_up(
) -> None:
    port = free_port()
    async with _Scripted(port, ["silent"]) as silent, _channel(port, timeout_s=0.3) as channel:
        job = _job(_revision())
        with pytest.raises(DeliveryError, match=r"no answer within 0.3 s \[tcp://127"):
            await channel.deliver(job)
        assert channel.health().status == "degraded"
        await silent.stop()
        with pytest.raises(DeliveryError, match="connection refused"):
            await channel.deliver(job)
        outbox = ListOutbox([job])
        worker = OutboxWorker(channel, outbox, SystemClock(), Backoff(0.05, 0.2))
        task = asyncio.create_task(worker.run())
        try:
            await eventually(lambda: len(outbox.failed) >= 2, within_s=3, what="retries")
            async with _pysiaalarm(port) as events:
                await eventually(lambda: outbox.delivered == [job.idempotency_key],
                                 within_s=3, what="delivery once the receiver is up")
                await channel.stop()  # before pysiaalarm's handler: no task left behind
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert all("connection refused" in line for line in outbox.failed)
    assert channel.health().is_ok
    assert [(e.code, e.sequence) for e in events] == [("PA", "0001")]  # the same sequence
    assert [f.sequence for f in silent.frames] == [1]


async def test_nak_makes_an_immediate_resend_with_a_fresh_timestamp() -> None:
    port = free_port()
    async with _Scripted(port, ["nak", "ack"]) as receiver, _channel(
            port, _TickingClock()) as channel:
        receipt = await channel.deliver(_job(_revision()))
    assert (receipt.receipt_id, receipt.detail) == ("0001", "ACK after 1 NAK")
    first, again = receiver.frames
    assert (first.sequence, first.data) == (again.sequence, again.data)
    assert first.timestamp is not None and again.timestamp is not None
    assert again.timestamp > first.timestamp


async def test_duh_from_a_scripted_receiver_is_a_rejection_not_a_retry() -> None:
    port = free_port()
    async with _Scripted(port, ["duh"], key=bytes(range(32))) as receiver, _channel(
            port, key=bytes(range(32)).hex()) as channel:
        with pytest.raises(DeliveryRejected, match="DUH"):
            await channel.deliver(_job(_revision()))
    assert len(receiver.frames) == 1 and receiver.frames[0].encrypted


async def test_a_late_answer_is_not_taken_for_the_next_frame() -> None:
    """A timeout drops the connection, so the late answer to a frame never reaches the
    next one; an answer to another sequence on the connection is skipped."""
    port = free_port()
    async with _Scripted(port, ["late", "stale"]) as receiver, _channel(
            port, timeout_s=0.3) as channel:
        with pytest.raises(DeliveryError, match="no answer"):
            await channel.deliver(_job(_revision()))
        receipt = await channel.deliver(_job(_revision(Category.FIRE)))
        await asyncio.sleep(0.3)  # the late answer comes, to a closed connection
    assert (receipt.receipt_id, receipt.detail) == ("0002", "ACK")
    assert [f.sequence for f in receiver.frames] == [1, 2]
    assert receiver.connections == 2


async def test_null_supervision_at_the_interval_and_degraded_health_when_unanswered() -> None:
    port = free_port()
    arrivals: list[float] = []
    async with _pysiaalarm(port, arrivals=arrivals) as events, _channel(
            port, supervision_s=0.15, timeout_s=0.3) as channel:
        await eventually(lambda: len(events) >= 5 and channel.nulls_acked >= 5, within_s=3,
                         what="five NULL messages, each acknowledged")
        assert {(e.code, e.account, e.message_type.value) for e in events} == {
            ("RP", PLAIN, "NULL")}
        assert channel.health().is_ok
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert all(0.13 <= gap <= 0.5 for gap in gaps), gaps
    assert channel.nulls_acked >= 5
    async with _channel(port, supervision_s=0.1, timeout_s=0.2) as down:
        await eventually(lambda: down.health().reason.startswith(
            "NULL supervision: connection refused"), within_s=2, what="degraded")
        assert down.health().status == "degraded"
        async with _pysiaalarm(port):
            await eventually(lambda: down.health().is_ok, within_s=2, what="recovered")
            await down.stop()


async def test_supervision_waits_while_deliveries_keep_the_link_busy() -> None:
    port = free_port()
    async with _pysiaalarm(port) as events, _channel(port, supervision_s=0.4) as channel:
        for _ in range(5):
            await channel.deliver(_job(_revision()))
            await asyncio.sleep(0.1)
        assert channel.nulls_sent == 0
    assert [e.code for e in events] == ["PA"] * 5


# --- config ------------------------------------------------------------------------------


def test_config_builds_the_channel_with_default_and_overridden_codes() -> None:
    config = TypeAdapter(ChannelConfig).validate_python({
        "type": "sia_dc09", "id": "arc", "host": "arc.example", "port": 12000,
        "account": "1234", "protocol": "ADM-CID", "key": "00" * 24,
        "codes": {"panic": {"sia": "PA", "sia_restore": "PH", "cid": 121}}})
    assert isinstance(config, SiaDc09ChannelConfig)
    assert config.codes[Category.PANIC].cid == 121
    assert config.codes[Category.FIRE] == DEFAULT_CODES[Category.FIRE]
    channel = build_channel(config, SystemClock())
    assert isinstance(channel, SiaDc09Channel)
    frame = channel.frame_for(_revision(state=AlertState.CLOSED), 7, now=TS.timestamp())
    assert frame == Frame("ADM-CID", 7, "1234", "0", "0", "#1234|3121 01 000", TS, True)
    assert isinstance(config.key, SecretStr) and "00" * 24 not in repr(config)


@pytest.mark.parametrize(("fields", "why"), [
    ({"key": "abcd"}, "16, 24 or 32 bytes"),
    ({"account": "12"}, "account"),
    ({"codes": {"panic": {"sia": "pa", "sia_restore": "PH", "cid": 120}}}, "codes.panic.sia"),
    ({"zone_numbers": {"pb-a-301": 1000}}, "0-999"),
    ({"transport": "sctp"}, "transport"),
])
def test_bad_config_says_what(fields: dict[str, Any], why: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(why)):
        _config(12000, **fields)


def test_the_linkage_doc_shows_the_codes_and_the_frame_the_code_uses() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "linkage.md").read_text("utf-8")
    section = doc[doc.index("\n## SIA DC-09\n"):]
    rows = re.findall(r"^\| `([a-z_]+)` \| `([A-Z]{2})` \| `([A-Z]{2})` \| `(\d{3})` \|$",
                      section, flags=re.MULTILINE)
    assert {Category(name): (sia, restore, int(cid)) for name, sia, restore, cid in rows} == {
        category: (codes.sia, codes.sia_restore, codes.cid)
        for category, codes in DEFAULT_CODES.items()}
    assert PINNED_PLAIN.decode().strip() in section.replace("<LF>", "").replace("<CR>", "")
    pysia_key = SIA_KEYS["AB16"]
    assert f"`{pysia_key}`" in section and f'"{pysia_key.encode().hex()}"' in section


# --- scripted receivers --------------------------------------------------------------------


class _TickingClock(SystemClock):
    """Real sleeps, but every reading is a second later than the one before."""

    def __init__(self) -> None:
        self._at = time.time()

    def now(self) -> float:
        self._at += 1.0
        return self._at


class _Scripted:
    """A DC-09 receiver (our codec) on `port` that answers frame n as `script[n]` says:
    ack, nak, duh, silent (never), late (after 0.5 s), stale (an ACK to another sequence,
    then the ACK); ack once the script runs out."""

    def __init__(self, port: int, script: list[str], key: bytes | None = None) -> None:
        self.port = port
        self.frames: list[Frame] = []
        self.connections = 0
        self._script = list(script)
        self._key = key
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> _Scripted:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        for writer in self._writers:
            writer.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.sleep(0.01)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        self.connections += 1
        try:
            while True:
                frame = dc09.parse_frame(await reader.readuntil(b"\r"), self._key)
                self.frames.append(frame)
                what = self._script.pop(0) if self._script else "ack"
                now = datetime.now(UTC)
                answers = {"ack": dc09.ack_for(frame, now), "late": dc09.ack_for(frame, now),
                           "nak": dc09.nak(now, frame.prefix, frame.receiver),
                           "duh": dc09.duh_for(frame, now)}
                if what == "stale":  # first an ACK of some other frame
                    writer.write(dc09.encode_frame(replace(answers["ack"],
                                                           sequence=frame.sequence + 100),
                                                   self._key))
                    what = "ack"
                if what == "late":
                    task = asyncio.create_task(self._later(writer, answers["late"]))
                    self._tasks.add(task)
                elif what in answers:
                    writer.write(dc09.encode_frame(answers[what], self._key))
        except (asyncio.IncompleteReadError, ConnectionResetError):
            pass
        finally:
            writer.close()

    async def _later(self, writer: asyncio.StreamWriter, answer: Frame) -> None:
        await asyncio.sleep(0.5)
        if not writer.is_closing():
            writer.write(dc09.encode_frame(answer, self._key))
