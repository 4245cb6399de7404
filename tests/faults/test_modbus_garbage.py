"""A Modbus device that answers garbage: random bytes, frames of another transaction or
protocol, truncated headers. It is a device fault or offline with its reason, logged once
per episode, never a value; each garbled answer is counted, and pymodbus's complaints and
tracebacks about them stay out of the log; the panel beside it keeps reading; and it comes
back in full when it answers properly again."""

from __future__ import annotations

import asyncio
import logging
import random
import struct

import pytest

from adapters.modbus import ModbusSettings
from adapters.modbus.config import PollingDefaults
from gateway.core.clock import VirtualClock
from gateway.core.events import AVAILABILITY
from simulators.modbus import FirePanelSimulator
from tests.modbus.conftest import Recorder, clock, fire_panel, pollers, recorder

__all__ = ["clock", "recorder"]  # the fixtures, for this module

POLLS = 15


def garbage(rng: random.Random, request: bytes) -> bytes:
    """One wrong answer to `request` (an MBAP frame), of several kinds."""
    transaction = request[:2] if len(request) >= 2 else b"\x00\x00"
    kind = rng.randrange(6)
    if kind == 0:
        return rng.randbytes(rng.randint(1, 300))
    if kind == 1:  # another transaction's answer
        pdu = bytes([request[7] if len(request) > 7 else 4, 2, 0, 0])
        return struct.pack(">HHHB", (int.from_bytes(transaction) + 1) % 65536, 0,
                           len(pdu) + 1, 1) + pdu
    if kind == 2:  # not Modbus: protocol id 7
        return transaction + b"\x00\x07\x00\x03\x01\x04\x00"
    if kind == 3:  # a header that promises more than comes
        return transaction + b"\x00\x00\x00\xff\x01\x04"
    if kind == 4:  # a length of zero
        return transaction + b"\x00\x00\x00\x00"
    return transaction + b"\x00\x00\x00\x04\x01" + rng.randbytes(3)  # a wrong function


async def test_a_device_answering_garbage_is_a_fault_and_the_rest_keeps_reading(
        recorder: Recorder, clock: VirtualClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)  # pymodbus and the event loop, as a deployment logs
    caplog.set_level(logging.INFO, logger="adapters.modbus")
    rng = random.Random(13)
    answering_garbage = True
    answered = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal answered
        try:
            while request := await reader.read(260):
                if not answering_garbage:
                    break
                answered += 1
                writer.write(garbage(rng, request))
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    liar = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = liar.sockets[0].getsockname()[1]
    settings = ModbusSettings(polling=PollingDefaults(timeout_s=0.2))
    try:
        async with FirePanelSimulator() as good, pollers(
                [fire_panel("fp-liar", port), fire_panel("fp-good", good.port)], recorder,
                clock, settings) as (bad, fine):
            counted = []
            for _ in range(POLLS):
                await asyncio.gather(bad.poll(), fine.poll())
                await clock.advance(settings.polling.retry_max_s)  # past any backoff
                counted.append(bad.malformed)
            events = await recorder.take_settled()
            answering_garbage = False
            liar.close()
            await liar.wait_closed()
    finally:
        liar.close()
    from_liar = [e for e in events if e.device_id == "fp-liar"]
    assert answered >= POLLS, "the garbage server was hardly asked"
    assert {e.point for e in from_liar} == {AVAILABILITY}, "garbage became a value"
    assert {e.value for e in from_liar} <= {"fault", "offline"}
    assert all(e.detail for e in from_liar), "a fault without its reason"
    assert bad.availability.value in ("fault", "offline")
    assert fine.availability.value == "online"
    assert sum(1 for e in events if e.device_id == "fp-good" and e.point == AVAILABILITY) == 1
    logged = [r for r in caplog.records if "fp-liar" in r.getMessage()]
    assert len(logged) <= len(from_liar) + 1, "logged more than once per episode"
    assert counted == sorted(counted) and counted[-1] >= POLLS // 3, counted
    assert fine.malformed == 0
    loud = [f"{r.name}: {r.getMessage()}" for r in caplog.records
            if r.levelno >= logging.ERROR or r.exc_info]
    assert loud == [], "garbage reached the log as errors or tracebacks"
    print(f"fp-liar: {answered} garbage answers -> {len(from_liar)} availability changes "
          f"({sorted({str(e.detail) for e in from_liar})}), {bad.malformed} counted "
          f"malformed, {len(logged)} log lines; "
          f"fp-good: {fine.polls} polls, online")
