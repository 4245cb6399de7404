"""Fixtures of the ONVIF tests: a camera simulator of the test's own on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from simulators.camera import CameraSimulator
from tests.onvif.harness import PASSWORD, Harness, running


@pytest.fixture
async def sim() -> AsyncIterator[CameraSimulator]:
    simulator = CameraSimulator(cameras=2, password=PASSWORD)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    async with running() as h:
        yield h
