"""ONVIF adapter: IP cameras (视频监控) — events by PullPoint subscription, device
information, media profiles, snapshot and stream URIs, availability supervision.

The ONVIF client library is imported only when adapters are built (it configures
logging when imported), so reading the config does not pull it in."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.base import Adapter, AdapterContext
from adapters.onvif.config import CameraConfig, OnvifSettings
from gateway.core.config import DeviceBase

__all__ = ["CameraConfig", "OnvifSettings", "build_adapters"]


def build_adapters(settings: OnvifSettings, devices: Sequence[DeviceBase],
                   ctx: AdapterContext) -> list[Adapter]:
    """One adapter (one task) per camera, so that one camera never delays another."""
    from adapters.onvif.adapter import CameraAdapter

    return [CameraAdapter(device, settings, ctx) for device in devices
            if isinstance(device, CameraConfig)]
