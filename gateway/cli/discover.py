"""`campusgw discover`: find the ONVIF cameras on the network with WS-Discovery, say what
each one is, and print the config that adds it to a site."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
import yaml

from adapters.onvif.config import CameraConfig, OnvifSettings
from adapters.onvif.discovery import (
    WSD_GROUP,
    WSD_PORT,
    DiscoveredDevice,
    DiscoveryClient,
    DiscoveryCounters,
    DiscoveryOptions,
)
from gateway.core.clock import Clock, SystemClock

PASSWORD_REFERENCE = "${CAMPUSGW_CAMERA_PASSWORD}"
"""What the snippet says instead of the password: the config reads it from there."""
DEFAULT_SERVICE_PATH = "/onvif/device_service"
UNASSIGNED_ZONE = "unassigned"
REPEAT_AFTER_S = 0.25
"""The probe is sent again after this long (SOAP over UDP: a multicast may be lost)."""
IDENTIFY_AT_ONCE = 16
"""Cameras identified at the same time."""
IDENTIFY_SETTINGS = OnvifSettings(request_timeout_s=5.0, snapshot_timeout_s=5.0)


@dataclass(frozen=True)
class Identity:
    """What a camera said about itself over ONVIF, with the credentials given."""

    manufacturer: str
    model: str
    firmware: str
    serial: str
    profiles: int
    snapshot_auth: str | None
    """The HTTP authentication its snapshots accept (`digest` or `basic`), if any."""


@dataclass(frozen=True)
class Found:
    """A discovered device, identified over ONVIF or with the reason it could not be."""

    device: DiscoveredDevice
    identity: Identity | None = None
    problem: str | None = None


async def discover(options: DiscoveryOptions, seconds: float, clock: Clock,
                   credentials: tuple[str, str] | None = None, expect: int | None = None
                   ) -> tuple[list[Found], DiscoveryCounters]:
    """Probe, listen for `seconds` on `clock` (or until `expect` devices answered), then
    identify each device found when `credentials` are given (one device failing does not
    stop the others)."""
    async with DiscoveryClient(options) as client:
        probe = client.probe()
        first = min(REPEAT_AFTER_S, seconds)
        await client.collect(clock, first, expect)
        if expect is None or len(client.devices) < expect:
            client.probe(probe)
            await client.collect(clock, seconds - first, expect)
        devices = [d for d in client.devices.values() if d.device_service]
        counters = client.counters
    if credentials is None:
        return [Found(d) for d in devices], counters
    at_once = asyncio.Semaphore(IDENTIFY_AT_ONCE)

    async def identified(device: DiscoveredDevice) -> Found:
        async with at_once:
            return await identify(device, *credentials, clock)

    return list(await asyncio.gather(*(identified(d) for d in devices))), counters


async def identify(device: DiscoveredDevice, username: str, password: str,
                   clock: Clock) -> Found:
    """Connect as the adapter would (clock, services, device information, profiles) and
    find which HTTP authentication its snapshots take."""
    from adapters.onvif.client import CameraClient
    from adapters.onvif.errors import CameraAuthError, CameraError

    config = camera_config(device, username, password)
    client = CameraClient(config, IDENTIFY_SETTINGS, clock)
    try:
        info = await client.connect()
        auth: str | None = None
        if info.snapshot_uri is not None:
            for scheme in ("digest", "basic"):
                client.config = config.model_copy(update={"snapshot_auth": scheme})
                try:
                    await client.snapshot()
                except CameraAuthError:
                    continue
                except CameraError:
                    break
                auth = scheme
                break
    except CameraError as err:
        return Found(device, problem=f"{err.code}: {err}")
    finally:
        await client.close()
    return Found(device, Identity(info.manufacturer, info.model, info.firmware, info.serial,
                                  len(info.profiles), auth))


def camera_config(device: DiscoveredDevice, username: str, password: str,
                  taken: Sequence[str] = ()) -> CameraConfig:
    """The `camera` device config of a discovered device (its zone still to be chosen)."""
    xaddr = urlsplit(device.device_service or "")
    entry: dict[str, Any] = {
        "id": device_id(device, taken), "type": "camera",
        "name": device.name or device.hardware or xaddr.hostname or device.address,
        "zone": UNASSIGNED_ZONE, "location": device.location or "",
        "host": xaddr.hostname or device.sender, "port": xaddr.port or 80,
        "device_service_path": xaddr.path or DEFAULT_SERVICE_PATH,
        "username": username, "password": password}
    return CameraConfig.model_validate(entry)


def device_id(device: DiscoveredDevice, taken: Sequence[str] = ()) -> str:
    """`cam-<name>` in lower-case ASCII (`cam-<host>-<n>` for names that have none),
    made unique against `taken`."""
    slug = re.sub(r"[^a-z0-9]+", "-", (device.name or "").lower()).strip("-")
    if not slug:
        host = urlsplit(device.device_service or "").hostname or device.sender
        slug = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")
    base = candidate = f"cam-{slug}"
    number = 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def config_snippet(found: Sequence[Found], username: str) -> str:
    """The `devices:` entries that add every found camera to a site's config: the password
    by reference, the zone to be chosen, `snapshot_auth` when it is not digest."""
    entries: list[dict[str, Any]] = []
    for item in found:
        config = camera_config(item.device, username, PASSWORD_REFERENCE,
                               [e["id"] for e in entries])
        entry: dict[str, Any] = {"id": config.id, "type": "camera", "name": config.name,
                                 "zone": config.zone}
        if config.location:
            entry["location"] = config.location
        entry |= {"host": config.host, "port": config.port}
        if config.device_service_path != DEFAULT_SERVICE_PATH:
            entry["device_service_path"] = config.device_service_path
        entry |= {"username": username, "password": PASSWORD_REFERENCE}
        if item.identity is not None and item.identity.snapshot_auth == "basic":
            entry["snapshot_auth"] = "basic"
        entries.append(entry)
    body = yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=100)
    lines = ["devices:", f"  # zone: {UNASSIGNED_ZONE} is a placeholder: give each camera "
                         "the id of the zone it watches"]
    lines += [f"  {line}" for line in body.splitlines()]
    return "\n".join(lines) + "\n"


def describe(item: Found) -> list[str]:
    """What `campusgw discover` says about one device."""
    device = item.device
    lines = [f"{device.name or device.address}  ({device.address}, from {device.sender})",
             f"  XAddrs: {' '.join(device.xaddrs)}",
             f"  types:  {' '.join(device.type_names) or '-'}"]
    lines += [f"  scope:  {scope}" for scope in device.scopes]
    if item.identity is not None:
        i = item.identity
        auth = f"snapshots with {i.snapshot_auth} authentication" if i.snapshot_auth \
            else "no snapshots"
        lines.append(f"  model:  {i.manufacturer} {i.model}, firmware {i.firmware}, serial "
                     f"{i.serial}; {i.profiles} profiles, {auth}")
    elif item.problem is not None:
        lines.append(f"  not identified: {item.problem}")
    return lines


def command(
    seconds: Annotated[float, typer.Option(min=0.1, help="How long to wait for answers.")] = 3.0,
    expect: Annotated[int | None, typer.Option(
        min=1, help="Stop waiting once this many devices answered.")] = None,
    interface: Annotated[str, typer.Option(
        help="Local address to probe from: the multicast goes out on its interface "
             "(default: the interface the routing table picks).")] = "0.0.0.0",
    to: Annotated[list[str] | None, typer.Option(
        "--to", help="Also probe this host (or host:port) directly, for networks that do not "
                     "carry multicast; repeatable.")] = None,
    group: Annotated[str, typer.Option(help="WS-Discovery multicast group.")] = WSD_GROUP,
    port: Annotated[int, typer.Option(help="WS-Discovery UDP port.")] = WSD_PORT,
    username: Annotated[str | None, typer.Option(
        help="ONVIF user: identify each camera (model, profiles, snapshots).")] = None,
    password: Annotated[str, typer.Option(
        envvar="CAMPUSGW_CAMERA_PASSWORD",
        help="ONVIF password (better given by the environment variable).")] = "",
) -> None:
    """List the ONVIF cameras on the network (WS-Discovery) and print their config."""
    options = DiscoveryOptions(group=group, port=port, interface=interface,
                               unicast=tuple(to or ()))
    credentials = (username, password) if username else None
    found, counters = asyncio.run(discover(options, seconds, SystemClock(), credentials,
                                           expect))
    for item in found:
        typer.echo("\n".join(describe(item)) + "\n")
    ignored = f", {counters.malformed} unreadable ignored" if counters.malformed else ""
    typer.echo(f"{len(found)} ONVIF device(s) found in {seconds:g} s{ignored}", err=True)
    if found:
        typer.echo("\n" + config_snippet(found, username or "admin"), nl=False)
