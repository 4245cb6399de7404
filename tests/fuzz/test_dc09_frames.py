"""Whatever a panel sends, the DC-09 receiver answers it with an outcome and raises
nothing; the codec raises only `FrameError`; the stream splitter keeps every byte, in
frames of bounded size."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import BOUNDED, binary
from tests.fuzz.dc09_frames import (
    STAMP,
    encrypted,
    framed,
    read_frame,
    reader,
    split,
    target,
)

HEADER = st.builds(
    lambda star, frame_id, seq, lines, account: (
        f'"{star}{frame_id}"{seq:04d}{lines}#{account}['.encode()),
    st.sampled_from(["", "*"]),
    st.sampled_from(["SIA-DCS", "ADM-CID", "NULL", "ACK", "NAK", "DUH", "RSP", "XYZ"]),
    st.integers(0, 9999), st.sampled_from(["", "L0", "R0L0", "R1A2B3L0", "L12345678"]),
    st.sampled_from(["1234", "5678", "FFFF", "12", ""]))
DATA = st.sampled_from(["#1234|Nri1/BA05", "#1234|NFA01", "#1234|1130 01 005",
                        "#5678|Nri2/FA003", "#1234|3401 02 000", "", "#1234|N"]) \
    | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
TAIL = st.sampled_from(["", STAMP, "[X-DATA]" + STAMP, "_25:00:00,13-40-2026",
                        "_00:00:00,02-30-2026", "[" * 3])


@BOUNDED
@given(binary(300))
def test_any_bytes_as_a_frame(raw: bytes) -> None:
    read_frame(reader(), raw)


@BOUNDED
@given(HEADER, DATA, TAIL)
def test_any_clear_frame_with_a_right_crc(header: bytes, data: str, tail: str) -> None:
    read_frame(reader(), framed(header + (data + "]" + tail).encode()))


@BOUNDED
@given(DATA, TAIL, binary(8))
def test_any_encrypted_frame_with_the_right_key(data: str, tail: str, noise: bytes) -> None:
    plain = b"|" + (data + "]" + tail).encode() + noise
    read_frame(reader(), framed(encrypted(b'"*SIA-DCS"0001L0#5678[', plain)))


@BOUNDED
@given(binary(700), binary(12))
def test_the_stream_keeps_every_frame_in_bounded_pieces(stream: bytes, cuts: bytes) -> None:
    split(stream, cuts)


@BOUNDED
@given(binary(300))
def test_the_fuzz_target_holds(data: bytes) -> None:
    target()(data)
