"""A police linkage simulator of the test's own, on free ports; a CAP receiver; and the
second CAP parser reading back every message a test module's `valid()` passed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from gateway.forwarding.http_channel import PoliceHttpChannel
from simulators.police import PoliceSimulator
from tests.forwarding.cap_support import (
    PRODUCED,
    CapReceiver,
    cap_ts_installed,
    cap_ts_readings,
    lxml_reading,
)
from tests.forwarding.support import SECRET, police_channel


@pytest.fixture
async def police() -> AsyncIterator[PoliceSimulator]:
    async with PoliceSimulator(SECRET) as simulator:
        yield simulator


@pytest.fixture
async def channel(police: PoliceSimulator) -> AsyncIterator[PoliceHttpChannel]:
    """A channel to `police` with the right secret and a short timeout."""
    async with police_channel(police.url, timeout_s=1.0) as channel:
        yield channel


@pytest.fixture
async def receiver() -> AsyncIterator[CapReceiver]:
    async with CapReceiver().running() as running:
        yield running


@pytest.fixture(scope="module", autouse=True)
def _cap_messages_read_back_by_cap_ts() -> Iterator[None]:
    """After a module's tests: every CAP message they validated, parsed by npm
    `@dec112/cap-ts`, reads back exactly as lxml reads it (the tests check lxml's reading
    against what was meant)."""
    PRODUCED.clear()
    yield
    messages = list(dict.fromkeys(PRODUCED))
    PRODUCED.clear()
    if not messages or not cap_ts_installed():
        return
    for message, reading in zip(messages, cap_ts_readings(messages), strict=True):
        assert reading == lxml_reading(message), message.decode("utf-8")
