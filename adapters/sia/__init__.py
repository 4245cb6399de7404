"""SIA DC-09 receiver adapter: alarm panels (报警控制器) reporting SIA DC-03 or Contact ID
events over IP, the way they report to an alarm receiving centre."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.base import Adapter, AdapterContext
from adapters.sia.adapter import SiaAdapter
from adapters.sia.config import PanelZone, SiaPanelConfig, SiaSettings, reference_errors
from gateway.core.config import DeviceBase

__all__ = ["PanelZone", "SiaAdapter", "SiaPanelConfig", "SiaSettings", "build_adapters",
           "reference_errors"]


def build_adapters(settings: SiaSettings, devices: Sequence[DeviceBase],
                   ctx: AdapterContext) -> list[Adapter]:
    """One receiver for the `sia_panel` devices among `devices`; none if none."""
    panels = [device for device in devices if isinstance(device, SiaPanelConfig)]
    if not panels:
        return []
    return [SiaAdapter(settings, panels, ctx)]
