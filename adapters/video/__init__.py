"""Camera analytics (视频分析) on snapshots: emergency exits kept clear (“三清”: exits,
evacuation routes and stairwells free of obstruction) and camera tampering, with
reference views taken on command and evidence frames for alerts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from adapters.base import Adapter, AdapterContext
from gateway.core.config import DeviceBase

if TYPE_CHECKING:
    from adapters.onvif.config import CameraConfig, OnvifSettings
    from adapters.video.adapter import VideoAnalyticsAdapter
    from adapters.video.camera import AnalyticsCamera
    from adapters.video.config import VideoSettings

__all__ = ["analytics_camera", "build_adapters", "find_video_adapter"]


def build_adapters(settings: VideoSettings, devices: Sequence[DeviceBase], ctx: AdapterContext,
                   onvif: OnvifSettings | None = None) -> list[Adapter]:
    """One `VideoAnalyticsAdapter` for every camera that has `analytics`, or none."""
    from adapters.onvif.config import CameraConfig
    from adapters.video.adapter import VideoAnalyticsAdapter

    cameras = [analytics_camera(device, ctx, onvif) for device in devices
               if isinstance(device, CameraConfig) and device.analytics is not None]
    if not cameras:
        return []
    return [VideoAnalyticsAdapter(cameras, settings, ctx)]


def analytics_camera(device: CameraConfig, ctx: AdapterContext,
                     onvif: OnvifSettings | None = None) -> AnalyticsCamera:
    """How to reach one camera's snapshots: the analytics' own URL and credentials, else
    the camera's (and its ONVIF GetSnapshotUri)."""
    from adapters.onvif.config import OnvifSettings
    from adapters.video.camera import AnalyticsCamera
    from adapters.video.snapshot import SnapshotCredentials

    analytics = device.analytics
    if analytics is None:
        raise ValueError(f"camera {device.id} has no analytics")
    password = analytics.password or device.password
    credentials = SnapshotCredentials(analytics.username or device.username,
                                      password.get_secret_value(),
                                      analytics.auth or device.snapshot_auth)
    settings = onvif or OnvifSettings()

    async def resolve_url() -> str:
        from adapters.onvif.client import CameraClient

        client = CameraClient(device, settings, ctx.clock)
        try:
            info = await client.connect()
        finally:
            await client.close()
        if info.snapshot_uri is None:
            raise LookupError("the camera offers no snapshot URI")
        return info.snapshot_uri

    return AnalyticsCamera(device.id, analytics, credentials, resolve_url)


def find_video_adapter(adapters: Sequence[Adapter]) -> VideoAnalyticsAdapter | None:
    """The analytics adapter among the running ones (for the API and CLI: references and
    evidence), or None when no camera has analytics."""
    from adapters.video.adapter import VideoAnalyticsAdapter

    return next((a for a in adapters if isinstance(a, VideoAnalyticsAdapter)), None)
