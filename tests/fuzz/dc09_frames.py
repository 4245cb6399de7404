"""SIA DC-09 frames from alarm panels (gateway/core/dc09.py, adapters/sia): the byte
stream cut into frames, each frame read and answered, clear and encrypted, with the CRC
and length made right or left as they came.

Documented errors: `parse_frame` raises only `FrameError`; the receiver's `FrameReader`
never raises: every frame gets an outcome."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime

from adapters.sia import SiaPanelConfig, SiaSettings
from adapters.sia.framing import FrameSplitter, Oversized
from adapters.sia.receiver import FrameReader
from gateway.core.clock import VirtualClock
from gateway.core.dc09 import FrameError, _cipher, crc16, format_timestamp, parse_frame

KEY = b"0123456789abcdef"
NOW = 1_767_225_600.0
SETTINGS = SiaSettings(max_frame_bytes=256)
PANELS = (
    SiaPanelConfig.model_validate({"type": "sia_panel", "id": "ap-plain", "name": "Panel",
                                   "zone": "z", "account": "1234"}),
    SiaPanelConfig.model_validate({"type": "sia_panel", "id": "ap-aes", "name": "Panel AES",
                                   "zone": "z", "account": "5678", "key": KEY.hex()}),
)
STAMP = format_timestamp(datetime.fromtimestamp(NOW, UTC))
MAX_ANSWER = 512


def framed(body: bytes) -> bytes:
    """`body` (from the opening quote) with a CRC and length that fit it."""
    return b"\n" + f"{crc16(body):04X}{len(body):04X}".encode() + body + b"\r"


def encrypted(head: bytes, plain: bytes) -> bytes:
    """An encrypted frame's body: `head` up to `[`, then `plain` padded and encrypted with
    the codec's own cipher (AES-CBC, zero IV)."""
    padded = b"0" * (-len(plain) % 16) + plain  # the pad comes first
    encryptor = _cipher(KEY).encryptor()
    return head + (encryptor.update(padded) + encryptor.finalize()).hex().upper().encode()


def read_frame(reader: FrameReader, raw: bytes) -> None:
    """One frame through the receiver's reader and the bare codec; raises on a defect."""
    outcome = reader.read(raw)
    assert outcome.verdict in ("ack", "repeat", "nak", "duh", "ignored"), outcome
    assert outcome.answer is None or len(outcome.answer) <= MAX_ANSWER, outcome
    assert not outcome.events or outcome.verdict == "ack", outcome
    assert len(outcome.events) <= 1, outcome
    for key in (None, KEY):
        with contextlib.suppress(FrameError):
            parse_frame(raw, key)


def split(stream: bytes, cuts: bytes) -> None:
    """A stream fed to the splitter in pieces cut at `cuts`: every byte comes out once,
    in whole frames or oversized ones, and what is held stays bounded."""
    splitter = FrameSplitter(SETTINGS.max_frame_bytes)
    pieces, start = [], 0
    for cut in cuts:
        end = min(len(stream), start + cut)
        pieces.append(stream[start:end])
        start = end
    pieces.append(stream[start:])
    out: list[bytes | Oversized] = []
    for piece in pieces:
        out += splitter.feed(piece)
        assert len(splitter.pending) <= SETTINGS.max_frame_bytes
    whole = [f for f in out if isinstance(f, bytes)]
    assert all(f.endswith(b"\r") and len(f) <= SETTINGS.max_frame_bytes for f in whole)
    assert len(out) == stream.count(b"\r")


def reader() -> FrameReader:
    return FrameReader(SETTINGS, PANELS, "fuzz-school", VirtualClock(NOW))


def frame_of(data: bytes) -> bytes:
    """Fuzz input to a frame: the first byte says whether CRC and length are made to fit,
    and whether the rest is a clear frame's body or an encrypted one's plaintext."""
    mode, rest = (data[0], data[1:]) if data else (0, b"")
    if mode % 3 == 0:
        return rest
    if mode % 3 == 1:
        return framed(rest)
    return framed(encrypted(b'"*SIA-DCS"0001L0#5678[', rest))


def target() -> Callable[[bytes], None]:
    shared = reader()  # remembers sequences across inputs, as a running receiver does

    def one(data: bytes) -> None:
        raw = frame_of(data)
        read_frame(shared, raw)
        if data[:1] == b"\xff":
            split(raw * 3, data[1:8])
    return one


SEEDS = (b"\x01" + b'"SIA-DCS"0001L0#1234[#1234|Nri1/BA05]' + STAMP.encode(),
         b"\x01" + b'"ADM-CID"0002L0#1234[#1234|1130 01 005]' + STAMP.encode(),
         b"\x01" + b'"NULL"0003L0#1234[]' + STAMP.encode(),
         b"\x02" + b"|#5678|Nri1/FA01]" + STAMP.encode(),
         b"\x00" + framed(b'"SIA-DCS"0004L0#1234[#1234|NBA05]'))
