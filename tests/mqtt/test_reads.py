"""Reading a broker connection in chunks, and acknowledging many messages in one write."""

from __future__ import annotations

import socket
import struct

import pytest

from adapters.mqtt.connection import pubacks
from adapters.mqtt.reads import ChunkedReads


def test_small_reads_are_served_from_one_read_of_the_socket() -> None:
    left, right = socket.socketpair()
    with left, right:
        right.setblocking(False)
        reads = ChunkedReads(right)
        left.sendall(b"\x30\x05hello" * 3)
        assert reads.recv(1) == b"\x30"
        assert reads.pending() == 20
        assert reads.recv(1) == b"\x05"
        assert reads.recv(5) == b"hello"
        assert reads.recv(100) == b"\x30\x05hello\x30\x05hello"  # what is left, no more
        assert reads.pending() == 0
        with pytest.raises(BlockingIOError):  # nothing more has arrived
            reads.recv(1)
        left.shutdown(socket.SHUT_WR)
        assert reads.recv(1) == b""  # the end of the stream, as the socket says it


def test_a_read_larger_than_what_arrived_returns_it_whole() -> None:
    left, right = socket.socketpair()
    with left, right:
        reads = ChunkedReads(right)
        left.sendall(b"abc")
        assert reads.recv(10) == b"abc"
        assert reads.pending() == 0


def test_pubacks_are_the_packets_paho_sends_one_by_one_back_to_back() -> None:
    mids = [1, 258, 65535]
    one_by_one = b"".join(struct.pack("!BBH", 0x40, 2, mid) for mid in mids)
    assert pubacks(mids) == one_by_one
