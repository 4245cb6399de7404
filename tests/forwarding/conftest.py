"""A police linkage simulator of the test's own, on free ports."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.forwarding.http_channel import PoliceHttpChannel
from simulators.police import PoliceSimulator
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
