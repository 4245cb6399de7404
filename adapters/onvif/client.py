"""One ONVIF connection to one camera, on top of onvif-zeep-async: clock offset,
service addresses, device information, media profiles, snapshot and stream URIs,
snapshots. Every call has a timeout and fails with a `CameraError`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp
import zeep.exceptions
from onvif import ONVIFCamera, ONVIFError, ONVIFService
from onvif.exceptions import ONVIFAuthError, ONVIFTimeoutError
from onvif.util import is_auth_error, stringify_onvif_error

from adapters.onvif.config import CameraConfig, OnvifSettings
from adapters.onvif.errors import (
    CameraAuthError,
    CameraBadAnswer,
    CameraFault,
    CameraUnreachable,
    CorruptSnapshot,
)
from adapters.onvif.security import CameraClockOffset, ClockedUsernameToken
from adapters.onvif.wsdl import parsed_once
from gateway.core.clock import Clock

log = logging.getLogger(__name__)

EVENTS_NS = "http://www.onvif.org/ver10/events/wsdl"
MEDIA_NS = "http://www.onvif.org/ver10/media/wsdl"

_T = TypeVar("_T")


@dataclass(frozen=True)
class MediaProfile:
    token: str
    name: str
    encoding: str | None
    width: int | None
    height: int | None


@dataclass(frozen=True)
class CameraInfo:
    """What the adapter learnt about a camera when it connected."""

    manufacturer: str
    model: str
    firmware: str
    serial: str
    clock_offset_s: float
    profiles: tuple[MediaProfile, ...]
    profile: str
    snapshot_uri: str | None
    stream_uri: str | None
    events: bool
    missing: tuple[str, ...] = ()
    """Why optional answers are missing (`code: message`, e.g. a GetSnapshotUri answer
    that could not be read): the camera works without them."""

    def describe(self) -> str:
        return (f"{self.manufacturer} {self.model} firmware {self.firmware} serial {self.serial}, "
                f"{len(self.profiles)} profiles, clock {self.clock_offset_s:+.0f} s")


class _Camera(ONVIFCamera):  # type: ignore[misc]
    """ONVIFCamera with a configurable device-service path, clock-stamped tokens and
    services on WSDL documents parsed once per process."""

    def __init__(self, config: CameraConfig, clock: Clock, offset: CameraClockOffset) -> None:
        super().__init__(config.host, config.port, config.username,
                         config.password.get_secret_value(), no_cache=True,
                         adjust_time=False)
        self._device_service_path = config.device_service_path
        self._token_clock = clock
        self._offset = offset

    def get_definition(self, name: str, port_type: str | None = None) -> tuple[str, str, str]:
        xaddr, wsdl, binding = super().get_definition(name, port_type)
        if name == "devicemgmt":
            xaddr = f"http://{self.host}:{self.port}{self._device_service_path}"
        return xaddr, wsdl, binding

    async def create_onvif_service(self, name: str, port_type: str | None = None,
                                   read_timeout: int | None = None,
                                   write_timeout: int | None = None) -> Any:
        """The camera's client of one ONVIF service (as onvif-zeep-async makes it): the
        one it has while the address is the same, else a new one on the WSDL document
        every camera shares, with this camera's clock-stamped tokens. A creation that
        fails or is cancelled (a connect timing out) closes the HTTP session it opened."""
        key = (name.lower(), port_type)
        xaddr, wsdl, binding = self.get_definition(key[0], port_type)
        existing = self.services.get(key)
        if existing is not None and existing.xaddr == xaddr:
            return existing
        if existing is not None:  # the camera moved the service (a new subscription)
            del self.services[key]
            await existing.close()
        async with parsed_once(wsdl):
            service = ONVIFService(xaddr, self.user, self.passwd, wsdl, self.encrypt,
                                   no_cache=True, binding_name=binding, binding_key=key,
                                   read_timeout=read_timeout, write_timeout=write_timeout)
            try:
                await service.setup()
            except BaseException:
                await service.close()
                raise
        service.zeep_client.wsse = ClockedUsernameToken(self.user, self.passwd,
                                                        self._token_clock, self._offset)
        self.services[key] = service
        return service


class CameraClient:
    """A session with one camera. Create it inside the running loop; `close()` it."""

    def __init__(self, config: CameraConfig, settings: OnvifSettings, clock: Clock) -> None:
        self.config = config
        self.settings = settings
        self.clock = clock
        self.offset = CameraClockOffset()
        self.camera = _Camera(config, clock, self.offset)
        self.info: CameraInfo | None = None

    async def call(self, what: str, awaitable: Awaitable[_T], limit_s: float | None = None) -> _T:
        """Await one ONVIF request with a timeout, turning failures into `CameraError`s."""
        limit = limit_s if limit_s is not None else self.settings.request_timeout_s
        try:
            async with asyncio.timeout(limit):
                return await awaitable
        except TimeoutError:
            raise CameraUnreachable(f"{what}: no answer within {limit:g} s") from None
        except zeep.exceptions.Fault as fault:
            message = stringify_onvif_error(fault)
            if is_auth_error(fault):
                raise CameraAuthError(f"{what}: not authorized ({message})") from None
            raise CameraFault(f"{what}: SOAP fault: {message}") from None
        except ONVIFAuthError as err:
            raise CameraAuthError(f"{what}: {err}") from None
        except (ONVIFTimeoutError, aiohttp.ClientError, OSError) as err:
            raise CameraUnreachable(f"{what}: {err or type(err).__name__}") from None
        except zeep.exceptions.TransportError as err:
            if err.status_code in (401, 403):
                raise CameraAuthError(f"{what}: HTTP {err.status_code}") from None
            raise CameraUnreachable(f"{what}: HTTP {err.status_code}") from None
        except (zeep.exceptions.Error, ONVIFError) as err:
            raise CameraBadAnswer(f"{what}: unreadable answer ({err})") from None
        except Exception as err:  # a camera's garbage must not end the adapter
            raise CameraBadAnswer(f"{what}: unreadable answer ({type(err).__name__}: {err})") \
                from None

    async def connect(self) -> CameraInfo:
        """Measure the clock offset, find the services, read identity, profiles and URIs."""
        devicemgmt = await self._follow_clock()
        await self.call("GetServices", self.camera.update_xaddrs())
        device = await self.call("GetDeviceInformation", devicemgmt.GetDeviceInformation())
        media = await self.call("media service", self.camera.create_media_service())
        profiles = tuple(_profile(p) for p in
                         await self.call("GetProfiles", media.GetProfiles()) or [])
        if not profiles:
            raise CameraFault("GetProfiles: the camera has no media profile")
        token = self.config.profile or profiles[0].token
        if token not in {p.token for p in profiles}:
            raise CameraFault(f"GetProfiles: no profile {token!r} on the camera "
                              f"(it has {', '.join(p.token for p in profiles)})")
        missing: list[str] = []
        snapshot = await self._uri("GetSnapshotUri", media.GetSnapshotUri({"ProfileToken": token}),
                                   missing)
        stream = await self._uri("GetStreamUri", media.GetStreamUri({
            "ProfileToken": token,
            "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}}),
            missing)
        self.info = CameraInfo(
            manufacturer=str(device.Manufacturer), model=str(device.Model),
            firmware=str(device.FirmwareVersion), serial=str(device.SerialNumber),
            clock_offset_s=self.offset.seconds, profiles=profiles, profile=token,
            snapshot_uri=snapshot, stream_uri=stream, events=EVENTS_NS in self.camera.xaddrs,
            missing=tuple(missing))
        return self.info

    async def _follow_clock(self) -> Any:
        """Measure the camera's clock offset (GetSystemDateAndTime) and keep it for the
        tokens; returns the device management service."""
        devicemgmt = await self.call("connect", self.camera.create_devicemgmt_service())
        try:
            answer = await self.call("GetSystemDateAndTime",
                                     devicemgmt.authless_GetSystemDateAndTime())
        except (CameraFault, CameraAuthError):  # a camera that wants credentials even here
            answer = await self.call("GetSystemDateAndTime", devicemgmt.GetSystemDateAndTime())
        self.offset.seconds = camera_time(answer) - self.clock.now()
        return devicemgmt

    async def _uri(self, what: str, awaitable: Awaitable[Any], missing: list[str]) -> str | None:
        """A media URI; a camera that faults on it, or answers with something unreadable,
        simply has none (why goes to `missing`; the adapter reports it once)."""
        try:
            answer = await self.call(what, awaitable)
        except (CameraFault, CameraBadAnswer) as err:
            log.debug("camera %s: %s", self.config.id, err)
            missing.append(f"{err.code}: {err}")
            return None
        uri = getattr(answer, "Uri", None)
        return str(uri) if uri else None

    async def check_alive(self) -> None:
        """A cheap round trip (GetSystemDateAndTime) that also follows the camera clock."""
        await self._follow_clock()

    async def snapshot(self) -> bytes:
        """One JPEG from the snapshot URI (digest or basic auth), checked to be whole."""
        if self.info is None or self.info.snapshot_uri is None:
            raise CameraFault("the camera offers no snapshot URI")
        timeout = self.settings.snapshot_timeout_s
        basic = self.config.snapshot_auth == "basic"
        data = await self.call("snapshot", self.camera.get_snapshot(
            self.info.profile, basic_auth=basic, timeout=timeout), limit_s=timeout + 1)
        if data is None:
            raise CameraUnreachable("snapshot: the camera answered with an HTTP error")
        check_jpeg(data)
        return bytes(data)

    async def close(self) -> None:
        try:
            async with asyncio.timeout(self.settings.request_timeout_s):
                await self.camera.close()
        except (TimeoutError, aiohttp.ClientError, OSError) as err:
            log.debug("camera %s: closing the ONVIF client failed: %s", self.config.id, err)


def camera_time(answer: Any) -> float:
    """Unix seconds of a GetSystemDateAndTime answer's UTC date and time."""
    utc = answer.UTCDateTime
    if utc is None:
        raise CameraFault("GetSystemDateAndTime: the camera gave no UTC time")
    try:
        moment = datetime(utc.Date.Year, utc.Date.Month, utc.Date.Day, utc.Time.Hour,
                          utc.Time.Minute, utc.Time.Second, tzinfo=UTC)
        return moment.timestamp()
    except (AttributeError, TypeError, ValueError, OverflowError) as err:
        raise CameraBadAnswer(f"GetSystemDateAndTime: not a UTC time ({err})") from None


def check_jpeg(data: bytes) -> None:
    """Raise `CorruptSnapshot` unless `data` starts and ends like a JPEG."""
    if len(data) < 128 or not data.startswith(b"\xff\xd8"):
        raise CorruptSnapshot(f"snapshot is not a JPEG ({len(data)} bytes)")
    if not data.rstrip(b"\x00\r\n").endswith(b"\xff\xd9"):
        raise CorruptSnapshot(f"snapshot JPEG is truncated or corrupt ({len(data)} bytes)")


def _profile(profile: Any) -> MediaProfile:
    encoder = getattr(profile, "VideoEncoderConfiguration", None)
    resolution = getattr(encoder, "Resolution", None)
    return MediaProfile(
        token=str(profile.token), name=str(getattr(profile, "Name", "") or ""),
        encoding=_optional_str(getattr(encoder, "Encoding", None)),
        width=getattr(resolution, "Width", None), height=getattr(resolution, "Height", None))


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)
