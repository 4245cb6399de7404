"""What a camera connection holds: the parsed WSDLs shared by every camera of the process
(also when they all connect at once), and no HTTP session left open by a failed connect."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from typing import Any

import onvif.client
import pytest

import adapters.onvif.wsdl
from adapters.onvif.client import CameraClient
from adapters.onvif.errors import CameraUnreachable
from adapters.onvif.security import ClockedUsernameToken
from gateway.core.clock import SystemClock
from simulators.camera import CameraSimulator
from tests.onvif.harness import FAST, camera_config, silent_camera

SERVICES = (("devicemgmt", None), ("media", None))


@pytest.fixture
def unparsed_wsdls(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that has parsed no ONVIF WSDL yet (the gateway just started)."""
    monkeypatch.setattr(onvif.client, "_DOCUMENT_CACHE", {})
    monkeypatch.setattr(adapters.onvif.wsdl, "_parsed", set())


@pytest.fixture
async def loop_errors() -> AsyncIterator[list[str]]:
    """What the loop's exception handler is told, e.g. "Unclosed client session"."""
    loop = asyncio.get_running_loop()
    seen: list[str] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: seen.append(str(context["message"])))
    yield seen
    loop.set_exception_handler(previous)


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    server, port = await silent_camera()
    yield port
    server.close()
    await server.wait_closed()


def unclosed(seen: list[str]) -> list[str]:
    gc.collect()
    return [m for m in seen if m.startswith("Unclosed")]


def service(client: CameraClient, key: tuple[str, None]) -> Any:
    return client.camera.services[key]


@pytest.mark.usefixtures("unparsed_wsdls")
async def test_cameras_connecting_at_once_share_one_parsed_wsdl(sim: CameraSimulator) -> None:
    clients = [CameraClient(camera_config(sim, i % 2), FAST, SystemClock()) for i in range(4)]
    try:
        await asyncio.gather(*(c.connect() for c in clients))
        for key in SERVICES:
            assert len({id(service(c, key).document) for c in clients}) == 1, key
        for client in clients:  # WS-Security stays each camera's own
            token = service(client, ("media", None)).zeep_client.wsse
            assert isinstance(token, ClockedUsernameToken)
            assert token._offset is client.offset
        assert len({id(service(c, ("media", None)).zeep_client.wsse) for c in clients}) == 4
    finally:
        for client in clients:
            await client.close()


@pytest.mark.usefixtures("unparsed_wsdls")
async def test_a_connect_timing_out_while_the_wsdl_is_parsed_closes_its_session(
        silent_port: int, sim: CameraSimulator, loop_errors: list[str]) -> None:
    hasty = FAST.model_copy(update={"request_timeout_s": 0.001})
    client = CameraClient(camera_config(sim, 0, port=silent_port), hasty, SystemClock())
    with pytest.raises(CameraUnreachable, match="connect: no answer"):
        await client.connect()
    assert client.camera.services == {}
    await client.close()
    del client
    assert unclosed(loop_errors) == []


async def test_a_connect_timing_out_on_a_silent_camera_closes_every_session(
        silent_port: int, sim: CameraSimulator, loop_errors: list[str]) -> None:
    hasty = FAST.model_copy(update={"request_timeout_s": 0.2})
    client = CameraClient(camera_config(sim, 0, port=silent_port), hasty, SystemClock())
    with pytest.raises(CameraUnreachable, match="GetSystemDateAndTime: no answer"):
        await client.connect()
    await client.close()
    del client
    assert unclosed(loop_errors) == []
