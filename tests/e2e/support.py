"""A whole gateway against a real broker, real device simulators and the police simulator."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import free_port

POLICE_SECRET = "e2e-shared-secret"


CLASSROOMS = "\n".join(
    f"  - {{id: pb-b-{room}, type: panic_button, name: B{room} classroom alarm, zone: bldg-a-3f}}"
    for room in range(101, 113))
"""Twelve more buttons, for alarms pressed at the same time."""


def gateway_yaml(tmp_path: Path, mqtt_port: int, police_url: str) -> Path:
    """The e2e site's config, its API on a free port."""
    path = tmp_path / "gateway.yaml"
    path.write_text(f"""\
site: {{id: xh-middle-school, name: Xinghai Boarding Middle School, timezone: Asia/Shanghai}}
zones:
  - {{id: main-gate, name: Main gate, building: Main gate}}
  - {{id: bldg-a-3f, name: Teaching building A 3F, building: A, floor: 3F}}
adapters:
  mqtt: {{host: 127.0.0.1, port: {mqtt_port}, client_id: campusgw-e2e, topic_prefix: campus/e2e}}
devices:
  - {{id: pb-guard-main, type: panic_button, name: Main gate guard room alarm, zone: main-gate}}
  - {{id: pb-a-301, type: panic_button, name: A301 classroom alarm, zone: bldg-a-3f,
     location: "Building A, room 301"}}
  - {{id: pb-a-302, type: panic_button, name: A302 classroom alarm, zone: bldg-a-3f}}
{CLASSROOMS}
  - {{id: gs-main, type: gate_sensor, name: Main gate, zone: main-gate}}
channels:
  - type: police_http
    id: police
    url: {police_url}
    secret: {POLICE_SECRET}
    timeout_s: 2
    retry: {{initial_s: 0.05, max_s: 0.5}}
rules:
  - {{id: panic-pressed, select: {{type: panic_button}}, when: {{point: pressed}},
     severity: critical,
     category: panic, title: "One-button alarm: {{device}}", channels: [police],
     latching: true}}
store: {{path: {tmp_path / "gateway.db"}}}
api: {{port: {free_port()}, token: e2e-token-0001}}
""")
    return path
