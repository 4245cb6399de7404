"""Building small gateways for tests."""

from __future__ import annotations

from pathlib import Path

from gateway.app.config import GatewayConfig, load_config

SCHOOL = """\
site: {id: s1, name: School One, timezone: Asia/Shanghai}
zones:
  - {id: gate, name: Main gate}
  - {id: a3, name: Building A 3F, building: A, floor: 3F}
devices:
  - {id: pb-1, type: panic_button, name: Guard room alarm, zone: gate, heartbeat_s: 60}
  - {id: pb-2, type: panic_button, name: A301 alarm, zone: a3, location: Room A301}
  - {id: gs-1, type: gate_sensor, name: Main gate, zone: gate}
channels:
  - type: file
    id: log
    path: {log}
rules:
  - {id: panic, select: {type: panic_button}, when: {point: pressed}, severity: critical,
     category: panic, title: "Alarm {device}", channels: [log], latching: true}
  - {id: forced, select: {type: gate_sensor}, when: {point: forced}, severity: high,
     category: intrusion, title: "Forced {device}", channels: [log]}
  - {id: offline, select: {}, when: {availability: offline},
     severity: warning, category: device_health, title: "Offline {device}"}
store: {url: "{db}"}
api: {token: operator-token, token_role: supervisor}
"""


def school_config(tmp_path: Path, extra: str = "", store: str | None = None,
                  rules: str = "") -> GatewayConfig:
    """The school above (with `rules`, YAML list items, before its own); its store at
    `store` (a URL), or in an SQLite file in `tmp_path`."""
    path = tmp_path / "gateway.yaml"
    path.write_text(SCHOOL.replace("{log}", str(tmp_path / "alerts.jsonl"))
                    .replace("{db}", store or f"sqlite:///{tmp_path / 'gw.db'}")
                    .replace("rules:\n", "rules:\n" + rules) + extra)
    return load_config(path)
