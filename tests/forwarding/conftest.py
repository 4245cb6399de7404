"""A police linkage simulator of the test's own, on free ports."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.clock import SystemClock
from gateway.forwarding.http_channel import PoliceHttpChannel
from simulators.police import PoliceSimulator
from tests.forwarding.support import SECRET, police_config


@pytest.fixture
async def police() -> AsyncIterator[PoliceSimulator]:
    simulator = PoliceSimulator(SECRET)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def channel(police: PoliceSimulator) -> AsyncIterator[PoliceHttpChannel]:
    """A channel to `police` with the right secret and a short timeout."""
    police_channel = PoliceHttpChannel(police_config(police.url, timeout_s=1.0), SystemClock())
    yield police_channel
    await police_channel.aclose()
