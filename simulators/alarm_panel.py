"""An alarm panel (报警控制器) that reports over SIA DC-09 the way an intrusion panel reports
to an alarm receiving centre: one TCP connection to the receiver, SIA DC-03 (`SIA-DCS`) or
Contact ID (`ADM-CID`) events and NULL supervision messages, plain or AES-encrypted, built
with the gateway's codec (`gateway.core.dc09`).

Each message waits for its answer: ACK or DUH ends it, NAK (the receiver's clock
disagrees) sends it again with a fresh timestamp on the receiver's time (the NAK carries
it: the panel sets its clock by it, as DC-09 lets a transmitter do), no answer within
`answer_timeout_s` reconnects and sends it again, up to `attempts` times. The sequence
number runs 0001-9999 and wraps; a message sent again keeps its number.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from datetime import UTC, datetime, timedelta

from gateway.core import dc09
from gateway.core.clock import Clock, SystemClock
from gateway.core.dc09 import Frame, FrameError, FrameId

log = logging.getLogger(__name__)

FINAL_ANSWERS = frozenset({"ACK", "DUH", "RSP"})
"""Answers after which a message is not sent again."""


class PanelLinkError(ConnectionError):
    """The receiver did not take a message after every attempt."""


class AlarmPanelSimulator:
    """A DC-09 transmitter for one panel account, reporting to `host:port` over TCP;
    timestamps and the NULL interval come from `clock`.

    `start()` connects (and sends a NULL message every `heartbeat_s`, when given);
    `report()` sends an SIA DC-03 event, `contact_id()` a Contact ID one, `supervise()` a
    NULL message, each returning the receiver's final answer (`ACK`, `DUH`). `frame()`
    only encodes the next message, for a sender of its own. `answers` counts every
    answer received by kind.
    """

    def __init__(self, host: str, port: int, account: str, *, key: bytes | None = None,
                 receiver: str = "0", prefix: str = "0", heartbeat_s: float | None = None,
                 answer_timeout_s: float = 5.0, attempts: int = 3,
                 clock: Clock | None = None) -> None:
        self.host, self.port, self.account = host, port, account
        self.answers: Counter[str] = Counter()
        self._key = key
        self._receiver, self._prefix = receiver, prefix
        self._heartbeat_s = heartbeat_s
        self._answer_timeout_s = answer_timeout_s
        self._attempts = attempts
        self._clock = clock or SystemClock()
        self._clock_offset = timedelta()
        self._sequence = 0
        self._lock = asyncio.Lock()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._heartbeat: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect, and start the NULL supervision messages when `heartbeat_s` is set."""
        await self._connect()
        if self._heartbeat_s is not None:
            self._heartbeat = asyncio.create_task(self._supervising(self._heartbeat_s),
                                                  name=f"panel-{self.account}-null")

    async def stop(self) -> None:
        """Stop supervising and close the connection."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None
        await self._disconnect()

    async def report(self, code: str, zone: int | None = None, area: int | None = 1) -> str:
        """An SIA DC-03 event, e.g. `BA` (burglary) in `zone`; the final answer."""
        return await self._send("SIA-DCS", dc09.sia_dcs_data(self.account, code, zone, area))

    async def contact_id(self, qualifier: int, event: int, zone: int,
                         partition: int = 1) -> str:
        """A Contact ID event, e.g. qualifier 1, event 130 (burglary); the final answer."""
        return await self._send("ADM-CID", dc09.contact_id_data(
            self.account, qualifier, event, partition, zone))

    async def supervise(self) -> str:
        """One NULL message (link supervision); the final answer."""
        return await self._send("NULL", "")

    def frame(self, frame_id: FrameId, data: str) -> bytes:
        """The bytes of the next message (a new sequence number, timestamped now)."""
        self._sequence = dc09.next_sequence(self._sequence)
        return self._encode(self._message(frame_id, data, self._sequence))

    async def _send(self, frame_id: FrameId, data: str) -> str:
        async with self._lock:
            self._sequence = dc09.next_sequence(self._sequence)
            sequence = self._sequence
            for _ in range(self._attempts):
                answer = await self._attempt(self._message(frame_id, data, sequence))
                if answer in FINAL_ANSWERS:
                    return answer
            raise PanelLinkError(f"panel {self.account}: {frame_id} {sequence:04d} not "
                                 f"taken after {self._attempts} attempts")

    async def _attempt(self, message: Frame) -> str | None:
        """Send once; the answer's id, or None (no answer: reconnected for the next)."""
        try:
            if self._writer is None:
                await self._connect()
            assert self._reader is not None and self._writer is not None
            self._writer.write(self._encode(message))
            await self._writer.drain()
            async with asyncio.timeout(self._answer_timeout_s):
                raw = await self._reader.readuntil(b"\r")
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            log.info("panel %s: no answer to %s %04d (%s)", self.account, message.id,
                     message.sequence, type(exc).__name__)
            await self._disconnect()
            return None
        try:
            answer = dc09.parse_frame(raw.lstrip(b"\r\n"), self._key)
        except FrameError as exc:
            log.info("panel %s: unreadable answer %r: %s", self.account, raw, exc)
            return None
        self.answers[answer.id] += 1
        if answer.id == "NAK" and answer.timestamp is not None:
            self._clock_offset = answer.timestamp - self._now()
        return answer.id

    def _message(self, frame_id: FrameId, data: str, sequence: int) -> Frame:
        return Frame(frame_id, sequence, self.account, self._prefix, self._receiver, data,
                     self._now() + self._clock_offset, self._key is not None)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.now(), UTC)

    def _encode(self, message: Frame) -> bytes:
        return dc09.encode_frame(message, self._key)

    async def _supervising(self, every_s: float) -> None:
        while True:
            await self._clock.sleep(every_s)
            try:
                await self.supervise()
            except PanelLinkError as exc:
                log.warning("%s", exc)

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def _disconnect(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
