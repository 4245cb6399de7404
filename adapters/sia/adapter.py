"""The SIA DC-09 receiver adapter: a TCP and/or UDP server that the site's alarm panels
send to, answering every frame and turning what they report into events on the bus."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Final, cast

from adapters.base import AdapterContext
from adapters.sia.config import SiaPanelConfig, SiaSettings
from adapters.sia.framing import FrameSplitter, Oversized
from adapters.sia.receiver import FrameReader, Outcome
from adapters.sia.tally import Tally
from gateway.core.health import Health

log = logging.getLogger(__name__)

STORED_WITHIN_S: Final = 30.0
"""An ACK waits this long at most for the frame's events to be stored; past it no answer
goes out, and the panel sends the frame again."""


class SiaAdapter:
    """Receives DC-09 frames from the site's panels (`type: sia_panel`).

    Invariant: a frame is ACKed only once its events are safe -- through the rules and
    whatever they raised committed (`AdapterContext.when_stored`); a repeat is ACKed
    again once what its first copy published is safe, and emits nothing. NAK and DUH go
    out at once. One connection's frames are answered in order, one at a time."""

    def __init__(self, settings: SiaSettings, panels: Sequence[SiaPanelConfig],
                 ctx: AdapterContext) -> None:
        self.name = f"sia {settings.transport}://{settings.host}:{settings.port}"
        self.panels = tuple(panels)
        self._settings = settings
        self._ctx = ctx
        self._clock = ctx.clock
        self._reader = FrameReader(settings, panels, ctx.site, ctx.clock)
        self._tally = Tally(ctx.clock)
        self._since = ctx.clock.now()
        self._listening = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.tcp_port: int | None = None
        self.udp_port: int | None = None
        self.connections = 0

    async def run(self) -> None:
        """Listen and answer until cancelled; then close every connection."""
        loop = asyncio.get_running_loop()
        self._ctx.bus.bind_loop(loop)
        settings = self._settings
        server: asyncio.Server | None = None
        datagrams: asyncio.DatagramTransport | None = None
        try:
            if settings.transport in ("tcp", "both"):
                server = await asyncio.start_server(self._serve, settings.host, settings.port)
                self.tcp_port = server.sockets[0].getsockname()[1]
            if settings.transport in ("udp", "both"):
                port = self.tcp_port if self.tcp_port is not None else settings.port
                datagrams, _ = await loop.create_datagram_endpoint(
                    lambda: _Datagrams(self), local_addr=(settings.host, port))
                self.udp_port = datagrams.get_extra_info("sockname")[1]
            self._since = self._clock.now()
            self._listening.set()
            log.info("DC-09 receiver listening on %s", self.where)
            await asyncio.Event().wait()
        finally:
            self._listening.clear()
            if datagrams is not None:
                datagrams.close()
            if server is not None:
                server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            if server is not None:
                with contextlib.suppress(Exception):
                    await server.wait_closed()

    @property
    def where(self) -> str:
        parts = [f"{kind}://{self._settings.host}:{port}"
                 for kind, port in (("tcp", self.tcp_port), ("udp", self.udp_port))
                 if port is not None]
        return " and ".join(parts) or self.name[4:]

    async def wait_listening(self) -> None:
        """Return once the receiver listens (wrap in `asyncio.timeout`)."""
        await self._listening.wait()

    # --- TCP -----------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The server's callback: the connection runs in a task of ours, which the
        receiver cancels when it stops (cancelling the server's own task makes Python
        3.11's streams log an error)."""
        task = asyncio.create_task(self._connection(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        await asyncio.gather(task, return_exceptions=True)

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        splitter = FrameSplitter(self._settings.max_frame_bytes)
        try:
            while True:
                async with asyncio.timeout(self._settings.idle_timeout_s):
                    chunk = await reader.read(4096)
                if not chunk:
                    break
                for piece in splitter.feed(chunk):
                    answer = await self.settle(self._decide(piece))
                    if answer is not None:
                        writer.write(answer)
                        await writer.drain()
            if splitter.pending:
                self._tally.note(self._reader.truncated(splitter.pending))
        except TimeoutError:
            log.debug("DC-09 connection idle for %g s: closed", self._settings.idle_timeout_s)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    # --- UDP -----------------------------------------------------------------------

    def datagram(self, data: bytes, transport: asyncio.DatagramTransport,
                 addr: tuple[str | object, int]) -> None:
        task = asyncio.create_task(self._answer_datagram(data, transport, addr))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer_datagram(self, data: bytes, transport: asyncio.DatagramTransport,
                               addr: tuple[str | object, int]) -> None:
        answer = await self.settle(self._decide(data))
        if answer is not None and not transport.is_closing():
            transport.sendto(answer, addr)

    # --- both ----------------------------------------------------------------------

    def _decide(self, piece: bytes | Oversized) -> Outcome:
        """The reader's outcome for one frame; a frame that trips a bug in it is logged
        and left unanswered, never the end of the connection or the receiver."""
        try:
            if isinstance(piece, Oversized):
                return self._reader.oversized(piece.head, piece.size)
            return self._reader.read(piece)
        except Exception:
            log.exception("DC-09 frame could not be handled: %r", bytes(piece)[:80]
                          if isinstance(piece, bytes) else piece)
            return Outcome("ignored", refusal="error", problem="internal error")

    async def settle(self, outcome: Outcome) -> bytes | None:
        """Count the outcome, publish its events, and return the answer to send (for an
        ACK: once the events are stored; None if they are not within the bound)."""
        self._tally.note(outcome)
        if outcome.verdict not in ("ack", "repeat"):
            return outcome.answer
        for event in outcome.events:
            self._ctx.bus.publish(event)
        stored = asyncio.get_running_loop().create_future()
        self._ctx.when_stored(lambda: _resolve(stored))
        try:
            async with asyncio.timeout(STORED_WITHIN_S):
                await stored
        except TimeoutError:
            log.warning("DC-09 panel %s: events not stored within %g s, not acknowledged",
                        outcome.device_id, STORED_WITHIN_S)
            return None
        return outcome.answer

    def counters(self) -> dict[str, int]:
        counts = self._tally.counts
        counters = {name: counts[name] for name in (
            "frames", "events", "ack", "repeat", "nak", "duh", "ignored")}
        counters.update({name: count for name, count in sorted(counts.items())
                         if name.startswith("refused_")})
        counters["malformed"] = sum(self._tally.refused_by_device.values())
        counters["connections"] = self.connections
        counters["listening"] = int(self._listening.is_set())
        return counters

    def health(self) -> Health:
        """Ok while listening; degraded before (the gateway reports it failed if it cannot
        listen at all: `run()` ends)."""
        if self._listening.is_set():
            return Health.ok(self._since)
        return Health.degraded(f"not listening on {self.where}", self._since)

    def malformed_by_device(self) -> dict[str, int]:
        """Frames refused (NAK or DUH: unreadable, bad CRC, oversized, stale timestamp,
        wrong key, unknown code) per panel id, when their account was known."""
        return dict(self._tally.refused_by_device)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # not given up on meanwhile
        future.set_result(None)


class _Datagrams(asyncio.DatagramProtocol):
    """One frame per datagram; its answer goes back to its sender."""

    def __init__(self, adapter: SiaAdapter) -> None:
        self._adapter = adapter
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (on Python 3.11 the selector loop's UDP transport does not derive from
        # DatagramTransport, though it is one)
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if self._transport is not None:
            self._adapter.datagram(data, self._transport, addr)
