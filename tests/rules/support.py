"""A small school for rule tests, and a driver that feeds the engine events on a scripted
clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from gateway.app.config import GatewayConfig, load_config
from gateway.core.alerts import AlertSpec, ClearSpec
from gateway.core.events import Event, PointValue, Quality
from rules.compiled import CompiledRuleEngine
from rules.engine import ModeLookup, Outcome
from rules.timers import MemoryHeldLog

TZ = ZoneInfo("Asia/Shanghai")

SITE = """\
site: {{id: s1, name: School One, timezone: Asia/Shanghai}}
zones:
  - {{id: gate, name: Main gate, tags: [perimeter]}}
  - {{id: a1, name: Building A 1F, tags: [teaching]}}
  - {{id: a2, name: Building A 2F, tags: [teaching]}}
  - {{id: roof, name: Rooftop, tags: [rooftop]}}
  - {{id: dorm, name: Dormitory, tags: [boarding]}}
  - {{id: ebike, name: E-bike charging, tags: [charging]}}
  - {{id: canteen, name: Canteen}}
  - {{id: lab, name: Chemistry lab}}
devices:
  - {{id: gs-main, type: gate_sensor, name: Main gate, zone: gate, tags: [gate]}}
  - {{id: gs-east, type: gate_sensor, name: East gate, zone: gate, tags: [gate]}}
  - {{id: gs-roof, type: gate_sensor, name: Roof door, zone: roof}}
  - {{id: gs-dorm, type: gate_sensor, name: Dorm door, zone: dorm}}
  - {{id: gs-chem, type: gate_sensor, name: Chemical cabinet, zone: lab, tags: [chemicals]}}
  - {{id: pb-a1-1, type: panic_button, name: A101 alarm, zone: a1}}
  - {{id: pb-a1-2, type: panic_button, name: A102 alarm, zone: a1}}
  - {{id: pb-a2-1, type: panic_button, name: A201 alarm, zone: a2}}
  - {{id: cm-1, type: charging_monitor, name: Charging monitor, zone: ebike,
     location: Dormitory charging shelter}}
  - {{id: gas-1, type: gas_detector, name: Kitchen gas detector, zone: canteen}}
  - id: fp-a
    type: fire_panel
    name: Building A panel
    zone: a1
    connection: {{host: 127.0.0.1, port: 1}}
    counts: {{zones: 4}}
  - id: gc-main
    type: gate_controller
    name: Main gate controller
    zone: gate
    connection: {{host: 127.0.0.1, port: 2}}
    counts: {{gates: 2, bollards: 2, lanes: 1}}
{more_devices}
channels:
  - {{type: file, id: log, path: {tmp}/alerts.jsonl}}
  - {{type: police_http, id: police, url: "http://127.0.0.1:9/alerts", secret: s}}
calendar:
  terms:
    - {{name: spring-2026, start: 2026-02-24, end: 2026-07-10}}
    - {{name: autumn-2026, start: 2026-09-01, end: 2027-01-22}}
  windows:
    class-hours: {{days: [school], hours: ["08:00-12:00", "14:00-17:30"]}}
    peak-hours: {{days: [school], hours: ["07:00-08:00", "17:00-18:30"]}}
    outside-class-hours: {{not: class-hours}}
    night:
      hours: ["22:00-06:00"]
      zones: [{{tags: [boarding], hours: ["21:30-06:00"]}}]
rules:
{rules}
store: {{path: {tmp}/gateway.db}}
api: {{token: test-token-0001}}
"""


def site_config(tmp_path: Path, rules: str, more_devices: str = "") -> GatewayConfig:
    path = tmp_path / "gateway.yaml"
    path.write_text(SITE.format(rules=rules, more_devices=more_devices, tmp=tmp_path))
    return load_config(path)


def local(text: str) -> float:
    """`2026-10-14 21:58` (Shanghai) as unix seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ).timestamp()


@dataclass
class Driver:
    """Feeds an engine events in time order and keeps every outcome."""

    engine: CompiledRuleEngine
    held: MemoryHeldLog
    outcomes: list[Outcome] = field(default_factory=list)

    @classmethod
    def start(cls, config: GatewayConfig, at: str, modes: ModeLookup | None = None,
              held: MemoryHeldLog | None = None) -> Driver:
        log = held or MemoryHeldLog()
        engine = CompiledRuleEngine(config, modes=modes, held_log=log)
        driver = cls(engine, log)
        driver.outcomes += engine.start(local(at), list(log.held.values()))
        return driver

    def send(self, at: str, device: str, point: str, value: PointValue,
             quality: Quality = Quality.GOOD) -> list[Outcome]:
        found = self.engine.on_event(Event("s1", device, point, value, local(at), quality))
        self.outcomes += found
        return found

    def tick(self, at: str) -> list[Outcome]:
        found = list(self.engine.on_time(local(at)))
        self.outcomes += found
        return found

    def raised(self) -> list[AlertSpec]:
        return [o for o in self.outcomes if isinstance(o, AlertSpec)]

    def cleared(self) -> list[ClearSpec]:
        return [o for o in self.outcomes if isinstance(o, ClearSpec)]

    def timeline(self) -> list[tuple[str, str, str]]:
        """(site-local time, raised|cleared, key) in order."""
        return [(datetime.fromtimestamp(o.ts, TZ).strftime("%m-%d %H:%M:%S"),
                 "raised" if isinstance(o, AlertSpec) else "cleared", o.key)
                for o in self.outcomes]


def rule(text: str) -> str:
    """Indent one rule (YAML flow or block) as an item of the `rules:` list."""
    lines = text.strip("\n").splitlines()
    return "\n".join(["  - " + lines[0], *("    " + line for line in lines[1:])])
