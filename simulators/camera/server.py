"""The camera simulator's HTTP server: ONVIF SOAP services routed by URL path, HTTP
snapshots behind digest (or basic) authentication, and the per-camera control API.

    /onvif/cam{i}/device_service | media_service | events_service   SOAP 1.2
    /onvif/cam{i}/subscription/{id}                                  PullPoint subscription
    /onvif/device_service                                            camera 0's device service
    /cam/{i}/snapshot.jpg                                            JPEG snapshot
    GET|POST /control/cam/{i}                                        status | CameraControl
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlparse

from aiohttp import web
from pydantic import ValidationError

from gateway.core.clock import Clock, SystemClock
from simulators.camera.camera import SimulatedCamera
from simulators.camera.control import CameraControl, apply_control, camera_status
from simulators.camera.discovery import DiscoveryResponder, DiscoverySettings
from simulators.camera.services import PRE_AUTH, SERVICES, Call, Endpoint
from simulators.camera.soap import (
    CONTENT_TYPE,
    SoapFault,
    SoapRequest,
    envelope,
    fault_envelope,
    parse_request,
    undeclared_prefix,
)
from simulators.net import listening_socket, url_host

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 256 * 1024
DEFAULT_PASSWORD = "campus-cam"


class CameraSimulator:
    """`cameras` simulated ONVIF cameras behind one HTTP port.

    `clock` drives the cameras' clocks and subscription lifetimes (a `VirtualClock` in
    tests); `clock_offset_s` sets every camera's clock off by that much to begin with.
    With `prerendered` the snapshots come from a pre-rendered cycle of JPEGs. With
    `discovery` the cameras answer WS-Discovery probes on that group and port, and say
    Hello when started and Bye when stopped.
    """

    def __init__(self, cameras: int = 2, host: str = "127.0.0.1", port: int = 0,
                 username: str = "admin", password: str = DEFAULT_PASSWORD,
                 clock_offset_s: float = 0.0, prerendered: bool = False,
                 clock: Clock | None = None,
                 discovery: DiscoverySettings | None = None) -> None:
        if cameras < 1:
            raise ValueError("a camera simulator needs at least one camera")
        self.host = host
        self.username = username
        self.password = password
        self.clock: Clock = clock or SystemClock()
        self.cameras = [SimulatedCamera(i, self.clock, username, password, clock_offset_s,
                                        prerendered) for i in range(cameras)]
        self._requested_port = port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self.discovery: DiscoveryResponder | None = None
        if discovery is not None:
            self.discovery = DiscoveryResponder(self.cameras, self.device_service_url,
                                                discovery)

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the camera simulator is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{url_host(self.advertised_host)}:{self.port}"

    @property
    def advertised_host(self) -> str:
        """The address in URLs: the host listened on, or the discovery interface when
        listening on every address."""
        if self.host in ("0.0.0.0", "::", "") and self.discovery is not None:
            return self.discovery.settings.interface
        return self.host

    def device_service_url(self, index: int) -> str:
        return f"{self.base_url}/onvif/cam{index}/device_service"

    def device_service_path(self, index: int) -> str:
        return f"/onvif/cam{index}/device_service"

    def snapshot_url(self, index: int) -> str:
        return f"{self.base_url}/cam/{index}/snapshot.jpg"

    def control(self, index: int, control: CameraControl) -> None:
        """Change camera `index` (same as `POST /control/cam/{index}`)."""
        apply_control(self.cameras[index], control)

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_post("/onvif/cam{index:\\d+}/subscription/{sid}", self._soap)
        app.router.add_post("/onvif/cam{index:\\d+}/{service}", self._soap)
        app.router.add_post("/onvif/{service}", self._soap)
        app.router.add_get("/cam/{index:\\d+}/snapshot.jpg", self._snapshot)
        app.router.add_get("/control/cam/{index:\\d+}", self._status)
        app.router.add_post("/control/cam/{index:\\d+}", self._control)
        self._closing.clear()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        listener = listening_socket(self.host, self._requested_port)
        self._port = int(listener.getsockname()[1])
        await web.SockSite(self._runner, listener).start()
        if self.discovery is not None:
            await self.discovery.start()
        log.info("camera simulator: %d cameras on %s", len(self.cameras), self.base_url)

    async def stop(self) -> None:
        self._closing.set()
        if self.discovery is not None:
            await self.discovery.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> CameraSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- routes ---------------------------------------------------------------------

    def _camera(self, request: web.Request) -> SimulatedCamera:
        index = int(request.match_info.get("index", "0"))
        if index >= len(self.cameras):
            raise web.HTTPNotFound(text=f"no camera {index}")
        return self.cameras[index]

    async def _soap(self, request: web.Request) -> web.Response:
        camera = self._camera(request)
        if camera.rebooting:
            return web.Response(status=503)
        service = "subscription" if "sid" in request.match_info else request.match_info["service"]
        try:
            parsed = parse_request(await request.read())
            subscription_id = request.match_info.get("sid") or _addressed_subscription(parsed)
            if subscription_id and parsed.operation in SERVICES["subscription"]:
                service = "subscription"
            handler = SERVICES.get(service, {}).get(parsed.operation)
            if handler is None:
                raise SoapFault("Sender", "ter:ActionNotSupported",
                                f"{parsed.operation} is not supported by {service}")
            camera.operations[parsed.operation] += 1
            if parsed.operation not in PRE_AUTH:
                camera.wsse.verify(parsed.header, camera.now())
            if parsed.operation in camera.refused_operations:
                raise SoapFault("Sender", "ter:NotAuthorized",
                                f"sender not authorized to call {parsed.operation}")
            if (injected := camera.take_injected_fault()) is not None:
                raise injected
            endpoint = Endpoint(f"http://{request.host}", camera.index)
            body = await handler(Call(camera, parsed, endpoint, subscription_id, self._closing))
            if parsed.operation in camera.malformed_operations:
                body = undeclared_prefix(body)
        except SoapFault as fault:
            return web.Response(status=fault.http_status, text=fault_envelope(fault),
                                content_type="application/soap+xml", charset="utf-8")
        return web.Response(text=envelope(body), headers={"Content-Type": CONTENT_TYPE})

    async def _snapshot(self, request: web.Request) -> web.Response:
        camera = self._camera(request)
        if camera.rebooting:
            raise web.HTTPServiceUnavailable(text="camera is rebooting")
        if not camera.http_auth.check(request.headers.get("Authorization"), request.method):
            return web.Response(status=401, text="authentication required",
                                headers={"WWW-Authenticate": camera.http_auth.challenge()})
        jpeg = await camera.snapshot()
        return web.Response(body=jpeg, content_type="image/jpeg",
                            headers={"Cache-Control": "no-store"})

    async def _status(self, request: web.Request) -> web.Response:
        return web.json_response(camera_status(self._camera(request)))

    async def _control(self, request: web.Request) -> web.Response:
        camera = self._camera(request)
        try:
            control = CameraControl.model_validate_json(await request.read())
        except ValidationError as err:
            return web.Response(status=422, text=err.json(include_url=False),
                                content_type="application/json")
        apply_control(camera, control)
        return web.json_response(camera_status(camera))


def _addressed_subscription(request: SoapRequest) -> str | None:
    """The subscription id in a `wsa:To` header, for clients that post there."""
    to = request.header_text("wsa:To")
    if not to:
        return None
    path = urlparse(to).path.rstrip("/")
    head, _, sid = path.rpartition("/subscription/")
    return sid if head and sid else None
