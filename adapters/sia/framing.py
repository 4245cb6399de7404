"""Cutting a TCP byte stream into DC-09 frames: each ends with CR. A frame that grows past
the size limit without one is dropped while it lasts (its first bytes are kept, to name
its panel), and reported once its CR comes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

HEAD_KEPT: Final = 64
"""Bytes kept of an oversized frame: its header, to find the panel."""


@dataclass(frozen=True, slots=True)
class Oversized:
    head: bytes
    size: int


class FrameSplitter:
    def __init__(self, max_frame_bytes: int) -> None:
        self._max = max_frame_bytes
        self._buffer = bytearray()
        self._dropping: Oversized | None = None

    def feed(self, chunk: bytes) -> list[bytes | Oversized]:
        """The frames (with their CR) and oversized frames completed by `chunk`."""
        done: list[bytes | Oversized] = []
        start = 0
        while True:
            end = chunk.find(b"\r", start)
            piece = chunk[start:] if end < 0 else chunk[start:end + 1]
            self._take(piece)
            if end < 0:
                return done
            if self._dropping is not None:
                done.append(self._dropping)
                self._dropping = None
            else:
                done.append(bytes(self._buffer))
            self._buffer.clear()
            start = end + 1

    def _take(self, piece: bytes) -> None:
        if self._dropping is not None:
            self._dropping = Oversized(self._dropping.head, self._dropping.size + len(piece))
            return
        self._buffer += piece
        if len(self._buffer) > self._max:
            self._dropping = Oversized(bytes(self._buffer[:HEAD_KEPT]), len(self._buffer))
            self._buffer.clear()

    @property
    def pending(self) -> bytes:
        """What arrived of an unfinished frame (blank space aside)."""
        if self._dropping is not None:
            return self._dropping.head
        return bytes(self._buffer).strip(b"\r\n\x00 ")
