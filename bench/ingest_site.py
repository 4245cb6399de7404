"""The site `bench.ingest` runs: the school of config/school.yaml (its site, zones,
calendar and whatever else its rules may refer to) with many MQTT devices spread over its
zones in place of its own devices, and the school's whole rule pack, included as the school
includes it (rules about device types the bench site lacks select no device and cost
nothing).

Every MQTT device type the gateway knows is generated; panic buttons and gate sensors make
up most of the site. The channels the rules name become file channels in the work folder.
The gateway runs on a clock set to a fixed site time (`SITE_TIME`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

import yaml

from adapters.mqtt.config import MqttDeviceBase
from adapters.registry import DeviceConfig
from bench.mqtt_load import PREFIX
from gateway.app.config import GatewayConfig, load_config
from gateway.core.clock import SystemClock
from gateway.core.configfile import load_yaml

SCHOOL = Path(__file__).resolve().parent.parent / "config" / "school.yaml"
GATEWAY_CLIENT_ID = "bench-gateway"
OWN_SECTIONS = frozenset({"adapters", "devices", "channels", "rules", "store", "api", "plans"})
"""What the bench writes itself (or leaves out: the plans pin the school's own devices);
every other section of the school's config is kept."""
CHANNELS = ("police", "alert-log")
"""The channels the school's rules name; here, files in the work folder."""

WEIGHTS = {"panic_button": 4.0, "gate_sensor": 5.0}
"""Share of the site per device type."""
OTHER_WEIGHT = 0.25
"""Share of any other MQTT type (a canteen gas detector, an e-bike charging monitor)."""


@dataclass(frozen=True)
class BenchSite:
    config: GatewayConfig
    rule_files: tuple[str, ...]
    """The pack's files, as the school includes them."""


def mqtt_device_types() -> list[str]:
    union = get_args(DeviceConfig)[0]
    return [get_args(model.model_fields["type"].annotation)[0] for model in get_args(union)
            if issubclass(model, MqttDeviceBase)]


def rule_pack(school: Path = SCHOOL) -> list[Path]:
    """The files the school's config includes in its `rules:` list."""
    root = yaml.compose(school.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    for key, value in root.value if isinstance(root, yaml.MappingNode) else ():
        if key.value == "rules" and isinstance(value, yaml.SequenceNode):
            return [(school.parent / item.value).resolve() for item in value.value
                    if isinstance(item, yaml.ScalarNode) and item.tag == "!include"]
    return []


def school_sections() -> dict[str, Any]:
    """The school's config without the sections the bench writes itself."""
    data, _origins = load_yaml(SCHOOL)
    if not isinstance(data, dict) or not isinstance(data.get("zones"), list):
        raise ValueError(f"{SCHOOL} lists no zones")
    return {key: value for key, value in data.items() if key not in OWN_SECTIONS}


def device_counts(total: int, types: list[str]) -> dict[str, int]:
    """How many devices of each type make up `total`."""
    weights = {name: WEIGHTS.get(name, OTHER_WEIGHT) for name in types}
    scale = total / sum(weights.values())
    counts = {name: int(weight * scale) for name, weight in weights.items()}
    bulk = "gate_sensor" if "gate_sensor" in counts else types[0]
    counts[bulk] += total - sum(counts.values())
    return counts


def site_devices(counts: dict[str, int], zones: list[Any]) -> list[dict[str, Any]]:
    """`counts` MQTT devices spread over `zones`, each with a 60 s heartbeat."""
    devices: list[dict[str, Any]] = []
    for kind, count in counts.items():
        short = "".join(word[0] for word in kind.split("_"))
        for number in range(count):
            zone = zones[(number * 7 + len(devices)) % len(zones)]
            devices.append({"id": f"{short}-{number:04d}", "type": kind,
                            "name": f"{kind.replace('_', ' ')} {number}", "zone": zone["id"],
                            "location": f"{zone['name']}, point {number}",
                            "heartbeat_s": 60})
    return devices


def site_document(workdir: Path, broker_port: int, school: dict[str, Any],
                  devices: list[dict[str, Any]], channels: set[str]) -> dict[str, Any]:
    """The config document of the site, its rules apart (included as the school does)."""
    return {
        **school,
        "adapters": {"mqtt": {"port": broker_port, "client_id": GATEWAY_CLIENT_ID,
                              "topic_prefix": PREFIX}},
        "devices": devices,
        "channels": [{"type": "file", "id": name, "path": str(workdir / f"{name}.jsonl")}
                     for name in sorted(channels)],
        "store": {"path": str(workdir / "alerts.db")},
        "api": {"port": 0},
    }


def build_site(workdir: Path, broker_port: int, device_total: int, *,
               other_devices: Sequence[dict[str, Any]] = (),
               adapters: dict[str, Any] | None = None) -> BenchSite:
    """Write the site's config into `workdir` and load it: `device_total` MQTT devices,
    then `other_devices` as given, and the settings of further `adapters`."""
    school = school_sections()
    devices = site_devices(device_counts(device_total, mqtt_device_types()), school["zones"])
    pack = rule_pack()
    base = site_document(workdir, broker_port, school, [*devices, *other_devices],
                         set(CHANNELS))
    base["adapters"].update(adapters or {})
    includes = "".join(f"\n  - !include {json.dumps(str(path))}" for path in pack)
    path = workdir / "site.yaml"
    path.write_text(yaml.safe_dump(base, allow_unicode=True, sort_keys=False)
                    + f"rules:{includes}\n", encoding="utf-8")
    return BenchSite(load_config(path), tuple(p.name for p in pack))


SITE_TIME = "2026-03-11 10:00"
"""When the bench runs, in site time: a Wednesday morning in class hours of the spring
term, so that the rules' calendar windows (nights, class hours, peak hours) are the same on
every run, whenever it is started."""


class ShiftedClock(SystemClock):
    """The real clock, moved so that it starts at `start` (unix seconds)."""

    def __init__(self, start: float) -> None:
        self._offset = start - time.time()

    def now(self) -> float:
        return time.time() + self._offset


def site_instant(config: GatewayConfig, local: str) -> float:
    """Unix seconds of `local` (`YYYY-MM-DD HH:MM`) in the site's time zone."""
    return datetime.fromisoformat(local).replace(tzinfo=config.site.tz).timestamp()
