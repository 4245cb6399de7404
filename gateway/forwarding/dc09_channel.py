"""The SIA DC-09 channel (报警联网 to an alarm receiving centre): one DC-09 frame per alert
revision over one kept TCP connection (or UDP datagrams), answered ACK / NAK / DUH, with
NULL supervision of the link while idle. The frames are `gateway.core.dc09`'s."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from gateway.core.alerts import AlertRevision, AlertState, Category
from gateway.core.clock import Clock
from gateway.core.config import StrictModel
from gateway.core.dc09 import (
    Frame,
    FrameError,
    contact_id_data,
    encode_frame,
    next_sequence,
    null_message,
    parse_frame,
    parse_key,
    sia_dcs_data,
)
from gateway.core.health import Health, Tracker
from gateway.forwarding.channel import DeliveryError, DeliveryRejected, ForwardJob, Receipt
from gateway.forwarding.common import RetryConfig

log = logging.getLogger(__name__)

DataFormat = Literal["SIA-DCS", "ADM-CID"]
RESTORE_STATES = (AlertState.RESOLVED, AlertState.CLOSED)
_HEX_ID = r"^[0-9A-F]{1,6}$"


class EventCodes(StrictModel):
    """What one category is sent as: SIA DC-03 codes for the alarm and its restore, and
    the Contact ID event (its restore is the same event with qualifier 3)."""

    sia: str = Field(pattern=r"^[A-Z]{2}$", description="SIA code of the alarm, e.g. PA.")
    sia_restore: str = Field(pattern=r"^[A-Z]{2}$",
                             description="SIA code once the alert is resolved or closed, e.g. PH.")
    cid: int = Field(ge=100, le=999, description="Contact ID event code, e.g. 120.")


class DrillCodes(StrictModel):
    sia: str = Field(default="TX", pattern=r"^[A-Z]{2}$", description="SIA test code.")
    cid: int = Field(default=601, ge=100, le=999, description="Contact ID test event.")


DEFAULT_CODES: dict[Category, EventCodes] = {
    Category.PANIC: EventCodes(sia="PA", sia_restore="PH", cid=120),
    Category.FIRE: EventCodes(sia="FA", sia_restore="FH", cid=110),
    Category.INTRUSION: EventCodes(sia="BA", sia_restore="BH", cid=130),
    Category.PERIMETER: EventCodes(sia="BA", sia_restore="BH", cid=131),
    Category.TAMPER: EventCodes(sia="TA", sia_restore="TR", cid=137),
    Category.HAZARD: EventCodes(sia="GA", sia_restore="GH", cid=151),
    Category.DEVICE_HEALTH: EventCodes(sia="YS", sia_restore="YK", cid=350),
    Category.MAINTENANCE: EventCodes(sia="YS", sia_restore="YK", cid=350),
    Category.TRAFFIC: EventCodes(sia="UA", sia_restore="UH", cid=150),
}
"""Our categories in SIA DC-03 and Contact ID terms (docs/linkage.md#sia-dc-09)."""


class SiaDc09ChannelConfig(StrictModel):
    """SIA DC-09 frames to an alarm receiving centre over TCP or UDP."""

    type: Literal["sia_dc09"]
    id: str = Field(description="Channel id that rules name.")
    host: str = Field(min_length=1, description="Receiver host name or address.")
    port: int = Field(ge=1, le=65535, description="Receiver port.")
    transport: Literal["tcp", "udp"] = Field(default="tcp", description="tcp or udp.")
    receiver: str = Field(default="0", pattern=_HEX_ID,
                          description="Receiver number (R, 1-6 hex digits) as the centre assigns.")
    prefix: str = Field(default="0", pattern=_HEX_ID,
                        description="Account prefix / line (L, 1-6 hex digits).")
    account: str = Field(pattern=r"^[0-9A-F]{3,16}$",
                         description="This school's account at the centre (3-16 hex digits).")
    protocol: DataFormat = Field(default="SIA-DCS", description="SIA-DCS or ADM-CID data.")
    key: SecretStr | None = Field(
        default=None, description="AES key as hex (32, 48 or 64 digits): frames are "
                                  "encrypted (*SIA-DCS); none: plain.")
    partition: int = Field(default=1, ge=0, le=99,
                           description="Area (SIA `ri`) and Contact ID partition.")
    zone_numbers: dict[str, int] = Field(
        default_factory=dict, description="Zone number (0-999) per device id or zone id; "
                                          "the device's number wins.")
    default_zone: int = Field(default=0, ge=0, le=999,
                              description="Zone number of alerts not in zone_numbers.")
    codes: dict[Category, EventCodes] = Field(
        default_factory=lambda: dict(DEFAULT_CODES),
        description="Codes per category; categories left out keep their defaults.")
    drill_codes: DrillCodes = Field(default_factory=DrillCodes,
                                    description="Test codes drills are sent as.")
    supervision_s: float | None = Field(
        default=None, gt=0, description="NULL message after this long without an exchange.")
    timeout_s: float = Field(default=5.0, gt=0,
                             description="Timeout for one attempt: connect, send, answer.")
    nak_resends: int = Field(default=2, ge=0, le=10,
                             description="Resends at once after a NAK before the attempt fails.")
    retry: RetryConfig = Field(default_factory=RetryConfig, description="Retry backoff.")
    forward_drills: bool = Field(default=False, description="Also forward drill alerts.")

    @field_validator("key")
    @classmethod
    def _aes_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None:
            parse_key(key.get_secret_value())  # raises with the reason
        return key

    @field_validator("codes")
    @classmethod
    def _with_defaults(cls, codes: dict[Category, EventCodes]) -> dict[Category, EventCodes]:
        return {**DEFAULT_CODES, **codes}

    @field_validator("zone_numbers")
    @classmethod
    def _zone_range(cls, zones: dict[str, int]) -> dict[str, int]:
        bad = [name for name, number in zones.items() if not 0 <= number <= 999]
        if bad:
            raise ValueError(f"zone numbers must be 0-999: {', '.join(bad)}")
        return zones


@dataclass(frozen=True, slots=True)
class _Exchange:
    answer: Frame
    naks: int


class SiaDc09Channel:
    """Delivers alert revisions to a DC-09 receiver and supervises the link.

    One frame per revision: the category's alarm code while the alert is open or
    acknowledged, its restore code once resolved or closed, the test code for a drill
    (a drill's restore is not sent). A revision keeps its sequence number across attempts
    (a repeat, not a new event); every new revision and NULL message takes the next one.
    ACK (or RSP) delivers, with the sequence as receipt; NAK resends at once with a fresh
    timestamp, `nak_resends` times, then the attempt fails; DUH raises `DeliveryRejected`
    (the worker parks the job); no answer within `timeout_s` fails the attempt and drops
    the connection (a late answer must not be taken for the next frame's).

    `health()` is degraded from the first failed exchange (delivery or NULL) until the
    receiver answers again. Invariant: at most one frame awaits an answer at a time.
    """

    def __init__(self, config: SiaDc09ChannelConfig, clock: Clock) -> None:
        self.id = config.id
        self.forward_drills = config.forward_drills
        self._config = config
        self._clock = clock
        self._key = parse_key(config.key.get_secret_value()) if config.key else None
        self._where = f"{config.transport}://{config.host}:{config.port}"
        self._link: _Link = (_TcpLink(config.host, config.port) if config.transport == "tcp"
                             else _UdpLink(config.host, config.port))
        self._lock = asyncio.Lock()
        self._sequence = 0
        self._pending: tuple[str, int] | None = None
        self._tracker = Tracker(clock.now())
        self._last_answer = clock.now()
        self._background: asyncio.Task[None] | None = None
        self.nulls_sent = 0
        self.nulls_acked = 0

    def health(self) -> Health:
        return self._tracker.health

    def on_health_change(self, listener: Callable[[], None]) -> None:
        self._tracker.listen(listener)

    async def start(self) -> None:
        """Open the link in the background (startup never waits for the receiver; one
        that is down is only noted, and the next frame connects again), then keep NULL
        supervision if configured."""
        if self._background is None:
            self._last_answer = self._clock.now()
            self._background = asyncio.create_task(self._run(), name=f"dc09-link:{self.id}")

    async def stop(self) -> None:
        """Stop supervision and close the link; `start()` may open it again."""
        background, self._background = self._background, None
        if background is not None:
            background.cancel()
            await asyncio.gather(background, return_exceptions=True)
        await self._link.close()

    async def deliver(self, job: ForwardJob) -> Receipt:
        alert = job.payload.alert
        if alert.drill and alert.state in RESTORE_STATES:
            return Receipt(None, "drill restore: not sent")
        frame = self.frame_for(job.payload, self._sequence_for(job.idempotency_key))
        assert frame is not None  # only a drill's restore has none
        try:
            exchange = await self._exchange(frame)
        except DeliveryRejected:
            self._pending = None
            raise
        self._pending = None
        naks = f" after {exchange.naks} NAK" if exchange.naks else ""
        return Receipt(f"{frame.sequence:04d}", f"{exchange.answer.id}{naks}")

    def frame_for(self, revision: AlertRevision, sequence: int,
                  now: float | None = None) -> Frame | None:
        """The frame this channel sends for `revision` (None: not sent, a drill's
        restore), stamped `now` (default: the clock's time)."""
        alert = revision.alert
        restore = alert.state in RESTORE_STATES
        config = self._config
        zone = config.zone_numbers.get(alert.device_id,
                                       config.zone_numbers.get(alert.zone, config.default_zone))
        if alert.drill:
            if restore:
                return None
            sia, cid, qualifier = config.drill_codes.sia, config.drill_codes.cid, 1
        else:
            codes = config.codes[alert.category]
            sia = codes.sia_restore if restore else codes.sia
            cid, qualifier = codes.cid, 3 if restore else 1
        data = (sia_dcs_data(config.account, sia, zone, config.partition)
                if config.protocol == "SIA-DCS"
                else contact_id_data(config.account, qualifier, cid, config.partition, zone))
        return Frame(config.protocol, sequence, config.account, config.prefix, config.receiver,
                     data, self._timestamp(now), self._key is not None)

    def _sequence_for(self, idempotency_key: str) -> int:
        """The revision's sequence number: kept for repeats of the job in flight."""
        if self._pending is not None and self._pending[0] == idempotency_key:
            return self._pending[1]
        self._sequence = next_sequence(self._sequence)
        self._pending = (idempotency_key, self._sequence)
        return self._sequence

    def _timestamp(self, now: float | None = None) -> datetime:
        return datetime.fromtimestamp(self._clock.now() if now is None else now, UTC)

    async def _exchange(self, frame: Frame) -> _Exchange:
        """Send `frame` until the receiver takes it (ACK/RSP), refuses it (DUH) or the
        NAKs run out; every resend gets a fresh timestamp."""
        naks = 0
        async with self._lock:
            while True:
                try:
                    answer = await self._send(frame)
                except DeliveryError as exc:
                    self._failed(str(exc))
                    raise
                self._last_answer = self._clock.now()
                if answer.id in ("ACK", "RSP"):
                    self._answered()
                    return _Exchange(answer, naks)
                if answer.id == "DUH":  # the link is fine; the worker logs and parks the job
                    self._answered()
                    raise DeliveryRejected(f"DUH: receiver cannot use {frame.data!r} "
                                           f"[{self._where}]")
                naks += 1
                if naks > self._config.nak_resends:
                    reason = f"NAK {naks} times{_skew(answer, self._clock.now())} [{self._where}]"
                    self._failed(reason)
                    raise DeliveryError(reason)
                frame = _restamped(frame, self._timestamp())

    async def _send(self, frame: Frame) -> Frame:
        """One frame out, its answer back (an answer to another sequence is skipped)."""
        raw = encode_frame(frame, self._key)
        try:
            async with asyncio.timeout(self._config.timeout_s):
                return await self._link.exchange(raw, lambda data: self._answer_to(frame, data))
        except TimeoutError as exc:
            await self._link.close()
            raise DeliveryError(f"no answer within {self._config.timeout_s:g} s "
                                f"[{self._where}]") from exc
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            await self._link.close()
            raise DeliveryError(f"{_reason(exc)} [{self._where}]") from exc
        except FrameError as exc:
            await self._link.close()
            raise DeliveryError(f"unreadable answer: {exc} [{self._where}]") from exc

    def _answer_to(self, frame: Frame, data: bytes) -> Frame | None:
        """The answer in `data` if it answers `frame` (NAKs carry no sequence); None for
        a stray one (e.g. late, to an earlier frame)."""
        answer = parse_frame(data, self._key)
        if not answer.is_answer:
            raise FrameError(f"receiver sent a {answer.id} frame, not an answer")
        if answer.id != "NAK" and answer.sequence != frame.sequence:
            log.debug("DC-09 %s: skipping answer %s %04d (awaiting %04d)", self._where,
                      answer.id, answer.sequence, frame.sequence)
            return None
        return answer

    async def _run(self) -> None:
        """Connect ahead, then supervise (when configured)."""
        async with self._lock:
            try:
                async with asyncio.timeout(self._config.timeout_s):
                    await self._link.open()
            except (OSError, TimeoutError) as exc:
                self._failed(f"cannot connect: {_reason(exc)}")
        if self._config.supervision_s is not None:
            await self._supervise(self._config.supervision_s)

    async def _supervise(self, interval_s: float) -> None:
        """A NULL message whenever the link has been quiet for `interval_s`."""
        while True:
            due = self._last_answer + interval_s
            now = self._clock.now()
            if now < due:
                await self._clock.sleep(due - now)
                continue
            await self.supervise_once()

    async def supervise_once(self) -> bool:
        """Send one NULL message now; True when the receiver acknowledged it."""
        async with self._lock:
            self._sequence = next_sequence(self._sequence)
            frame = null_message(self._sequence, self._config.account, self._config.prefix,
                                 self._config.receiver, self._timestamp(),
                                 self._key is not None)
            self.nulls_sent += 1
            try:
                answer = await self._send(frame)
            except DeliveryError as exc:
                self._last_answer = self._clock.now()  # next probe one interval later
                self._failed(f"NULL supervision: {exc}")
                return False
            self._last_answer = self._clock.now()
            if answer.id in ("ACK", "RSP"):
                self.nulls_acked += 1
                self._answered()
                return True
            skew = _skew(answer, self._clock.now()) if answer.id == "NAK" else ""
            self._failed(f"NULL supervision: answered {answer.id}{skew} [{self._where}]")
            return False

    def _answered(self) -> None:
        now = self._clock.now()
        self._last_answer = now
        if self._tracker.recover(now):
            log.info("DC-09 receiver %s answers again", self._where)

    def _failed(self, reason: str) -> None:
        if self._tracker.fail(reason, self._clock.now()):
            log.warning("DC-09 receiver %s: %s", self._where, reason)


def _restamped(frame: Frame, timestamp: datetime) -> Frame:
    return Frame(frame.id, frame.sequence, frame.account, frame.prefix, frame.receiver,
                 frame.data, timestamp, frame.encrypted, frame.extended)


def _skew(nak: Frame, now: float) -> str:
    """What a NAK's timestamp says about our clock (NAKs carry the receiver's time)."""
    if nak.timestamp is None:
        return ""
    skew = now - nak.timestamp.timestamp()
    return f" (receiver's clock {nak.timestamp:%H:%M:%S} UTC, ours {skew:+.0f} s off)"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by peer"
    if isinstance(exc, asyncio.IncompleteReadError):
        return "receiver closed the connection"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, OSError) and exc.strerror:
        return f"network error: {exc.strerror}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


_Accept = Callable[[bytes], Frame | None]
"""Reads one answer: the frame, or None to skip it (it answers another frame)."""


class _Link:
    """A transport to the receiver: `exchange()` sends one frame and returns the first
    answer that `accept` takes (it returns None to skip one); the caller bounds it."""

    async def open(self) -> None:
        raise NotImplementedError

    async def exchange(self, raw: bytes, accept: _Accept) -> Frame:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class _TcpLink(_Link):
    """One kept TCP connection, opened on first use and again after any failure.

    A kept connection the receiver has closed meanwhile is noticed when the answer does
    not come: the frame is then sent once more on a new connection."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def open(self) -> None:
        if self._streams is None or self._streams[0].at_eof():
            await self.close()
            self._streams = await asyncio.open_connection(self._host, self._port)

    async def exchange(self, raw: bytes, accept: _Accept) -> Frame:
        fresh = self._streams is None or self._streams[0].at_eof()
        await self.open()
        try:
            return await self._exchange(raw, accept)
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError):
            if fresh:
                raise
        await self.close()  # the kept connection was dead: once more on a new one
        await self.open()
        return await self._exchange(raw, accept)

    async def _exchange(self, raw: bytes, accept: _Accept) -> Frame:
        assert self._streams is not None
        reader, writer = self._streams
        writer.write(raw)
        await writer.drain()
        while True:
            data = await reader.readuntil(b"\r")
            answer = accept(data)
            if answer is not None:
                return answer

    async def close(self) -> None:
        streams, self._streams = self._streams, None
        if streams is not None:
            writer = streams[1]
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


class _UdpLink(_Link):
    """One datagram per frame; the answer is the next datagram from the receiver."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._transport: asyncio.DatagramTransport | None = None
        self._protocol: _Datagrams | None = None

    async def open(self) -> None:
        if self._transport is None or self._transport.is_closing():
            loop = asyncio.get_running_loop()
            self._transport, self._protocol = await loop.create_datagram_endpoint(
                _Datagrams, remote_addr=(self._host, self._port))

    async def exchange(self, raw: bytes, accept: _Accept) -> Frame:
        await self.open()
        assert self._transport is not None and self._protocol is not None
        self._protocol.drain()
        self._transport.sendto(raw)
        while True:
            answer = accept(await self._protocol.next())
            if answer is not None:
                return answer

    async def close(self) -> None:
        transport, self._transport, self._protocol = self._transport, None, None
        if transport is not None:
            transport.close()


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self._queue: asyncio.Queue[bytes | Exception] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        self._queue.put_nowait(data)

    def error_received(self, exc: Exception) -> None:
        self._queue.put_nowait(exc)

    def drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()

    async def next(self) -> bytes:
        item = await self._queue.get()
        if isinstance(item, Exception):
            raise item
        return item
