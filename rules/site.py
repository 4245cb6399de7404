"""What the rules need to know of a site: a read-only view that the gateway's whole config
satisfies, so that rules never depend on the config of the layers beside them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from gateway.core.config import DeviceBase
from gateway.core.site import SiteConfig, ZoneConfig
from rules.calendar_config import CalendarConfig
from rules.config import RuleConfig


class RuleSite(Protocol):
    @property
    def site(self) -> SiteConfig: ...

    @property
    def zones(self) -> Sequence[ZoneConfig]: ...

    @property
    def devices(self) -> Sequence[DeviceBase]: ...

    @property
    def calendar(self) -> CalendarConfig: ...

    @property
    def rules(self) -> Sequence[RuleConfig]: ...
