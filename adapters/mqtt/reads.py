"""Reading a broker connection in large chunks.

paho-mqtt reads each incoming packet with at least three `recv()` calls (the type byte,
the remaining length, the rest). Each is a system call that also lets go of the GIL, which
the event loop thread then takes, so that a burst of small messages is read in turns
with the loop instead of at once. `ChunkedReads` makes one `recv()` of up to `CHUNK`
bytes and serves paho's small reads from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paho.mqtt.client import SocketLike

CHUNK = 65536
"""Bytes asked of the socket at once."""


class ChunkedReads:
    """A socket (TCP, TLS or WebSocket, as paho made it) whose reads come from one buffer.

    `pending()` counts the bytes read but not yet taken, so that paho's loop does not wait
    in select() for data that has already arrived (the same hook a TLS socket uses)."""

    __slots__ = ("_buffer", "_sock", "_taken")

    def __init__(self, sock: SocketLike) -> None:
        self._sock = sock
        self._buffer = b""
        self._taken = 0

    def recv(self, buffer_size: int) -> bytes:
        """Up to `buffer_size` bytes: from the buffer, else from one read of the socket
        (which raises `BlockingIOError` when nothing has arrived, and returns b"" at the
        end of the stream, as a socket's own `recv` does)."""
        taken = self._taken
        buffer = self._buffer
        if taken >= len(buffer):
            buffer = self._sock.recv(max(buffer_size, CHUNK))
            if len(buffer) <= buffer_size:
                self._buffer, self._taken = b"", 0
                return buffer
            self._buffer = buffer
            taken = 0
        end = min(taken + buffer_size, len(buffer))
        self._taken = end
        return buffer[taken:end]

    def pending(self) -> int:
        inner = getattr(self._sock, "pending", None)
        return len(self._buffer) - self._taken + (inner() if inner is not None else 0)

    def send(self, buffer: bytes | bytearray) -> int:
        return self._sock.send(buffer)

    def close(self) -> None:
        self._sock.close()

    def fileno(self) -> int:
        return self._sock.fileno()

    def setblocking(self, flag: bool) -> None:
        self._sock.setblocking(flag)

    def setsockopt(self, level: int, option: int, value: int) -> None:
        self._sock.setsockopt(level, option, value)  # type: ignore[attr-defined]
