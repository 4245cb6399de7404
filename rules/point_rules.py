"""Point rules: `point == value` on a kind of device raises one alert per device.

Compiled once into an index by device id, so an event only touches the rules that name
its device or its device's type.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gateway.alerts.model import AlertSpec, ClearSpec
from gateway.config.models import GatewayConfig, RuleConfig
from gateway.events import Event
from rules.engine import Outcome


@dataclass(frozen=True, slots=True)
class _Target:
    """A rule bound to one device, with the names its titles need."""

    rule: RuleConfig
    device_name: str
    zone_id: str
    zone_name: str
    location: str
    glob: re.Pattern[str] | None


class PointRuleEngine:
    def __init__(self, config: GatewayConfig) -> None:
        self._site = config.site.id
        self._tz = config.site.tz
        zones = {zone.id: zone for zone in config.zones}
        self._index: dict[str, dict[str, list[_Target]]] = {}
        self._globbed: dict[str, list[_Target]] = {}
        for device in config.devices:
            for rule in config.rules:
                if not config.applies(rule, device.id, device.type):
                    continue
                zone = zones[device.zone]
                target = _Target(rule, device.name, zone.id, zone.name,
                                 device.location or zone.name, _glob(rule.point))
                if target.glob:
                    self._globbed.setdefault(device.id, []).append(target)
                else:
                    self._index.setdefault(device.id, {}).setdefault(rule.point, []).append(
                        target)

    def on_event(self, event: Event) -> Sequence[Outcome]:
        targets = self._index.get(event.device_id, {}).get(event.point, [])
        globbed = self._globbed.get(event.device_id)
        if globbed:
            targets = targets + [t for t in globbed if t.glob and t.glob.fullmatch(event.point)]
        outcomes = (self._outcome(target, event) for target in targets)
        return [outcome for outcome in outcomes if outcome is not None]

    def _outcome(self, target: _Target, event: Event) -> Outcome | None:
        rule = target.rule
        key = f"{rule.id}:{event.device_id}"
        matched = ""
        if target.glob:
            key += f":{event.point}"
            found = target.glob.fullmatch(event.point)
            matched = ",".join(found.groups()) if found else ""
        if event.value != rule.equals:
            return ClearSpec(key=key, ts=event.ts)
        if (rule.days or rule.hours) and not rule.raises_at(
                datetime.fromtimestamp(event.ts, self._tz)):
            return None
        title = rule.title.format(device=target.device_name, zone=target.zone_name,
                                  location=target.location, point=event.point,
                                  value=event.value, match=matched)
        return AlertSpec(
            key=key, rule_id=rule.id, site=self._site, device_id=event.device_id,
            zone=target.zone_id, category=rule.category, severity=rule.severity, title=title,
            location=target.location, channels=rule.channels, latching=rule.latching,
            ts=event.ts,
        )


def _glob(point: str) -> re.Pattern[str] | None:
    """`zone.*.state` as a pattern whose groups are what each `*` matched."""
    if "*" not in point:
        return None
    return re.compile(re.escape(point).replace(r"\*", "(.+?)"))
