"""The rules `bench.ingest` runs: the rule pack that config/school.yaml includes, less the
rules about device types the bench site does not have.

Whatever the rule syntax, a rule names the device types it watches somewhere in its text,
so a rule is kept when every device type name written in it is one the site has. A pack
file whose rules all apply is included as it is (`!include`, by absolute path); one where
only some do is copied with just those into the work folder, and the copy included.

Should the pack not load (its syntax being changed, say), `FALLBACK_RULES` stand in and the
site says why, so the figures are never silently taken without the real rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import yaml

from adapters.registry import DeviceConfig
from gateway.config.loader import load_yaml

SCHOOL = Path(__file__).resolve().parent.parent / "config" / "school.yaml"

FALLBACK_RULES: tuple[dict[str, Any], ...] = (
    {"id": "panic-pressed", "select": {"type": "panic_button"},
     "when": {"point": "pressed", "equals": True}, "severity": "critical",
     "category": "panic", "title": "One-button alarm: {device} ({zone})",
     "channels": ["police", "alert-log"], "latching": True},
    {"id": "gate-sensor-forced", "select": {"type": "gate_sensor"},
     "when": {"point": "forced", "equals": True}, "severity": "high",
     "category": "intrusion", "title": "Forced open: {device} ({zone})",
     "channels": ["police", "alert-log"]},
)
"""Used only when the rule pack does not load."""


@dataclass(frozen=True)
class PackFile:
    path: Path
    """The pack's file."""
    include: Path
    """What the site includes: the file itself, or a copy with only the rules that apply."""
    rules: int
    total: int

    def describe(self) -> str:
        if self.rules == self.total:
            return self.path.name
        return f"{self.path.name} ({self.rules} of {self.total} rules)"


def device_types() -> dict[str, type]:
    """Every device type the gateway's config accepts, with its model."""
    union = get_args(DeviceConfig)[0]
    return {get_args(model.model_fields["type"].annotation)[0]: model
            for model in get_args(union)}


def rule_pack(school: Path = SCHOOL) -> list[Path]:
    """The files the school's config includes in its `rules:` list."""
    root = yaml.compose(school.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    for key, value in root.value if isinstance(root, yaml.MappingNode) else ():
        if key.value == "rules" and isinstance(value, yaml.SequenceNode):
            return [(school.parent / item.value).resolve() for item in value.value
                    if isinstance(item, yaml.ScalarNode) and item.tag == "!include"]
    return []


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)


def channel_names(data: Any) -> Iterator[str]:
    """Names listed under any `channels` key."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "channels" and isinstance(value, list):
                yield from (item for item in value if isinstance(item, str))
            else:
                yield from channel_names(value)
    elif isinstance(data, list):
        for item in data:
            yield from channel_names(item)


def select_rules(site_types: set[str], workdir: Path) -> tuple[list[PackFile], set[str]]:
    """The pack's files (or trimmed copies in `workdir`) for a site with these device
    types, and the channels their rules name."""
    known = set(device_types())
    absent = known - site_types
    files: list[PackFile] = []
    channels: set[str] = set()
    for path in rule_pack():
        data, _origins = load_yaml(path)
        rules = data if isinstance(data, list) else [data]
        kept = [rule for rule in rules if not set(_strings(rule)) & absent]
        if not kept:
            continue
        channels.update(channel_names(kept))
        include = path
        if len(kept) < len(rules):
            include = workdir / "rules" / path.name
            include.parent.mkdir(parents=True, exist_ok=True)
            include.write_text(yaml.safe_dump(kept, allow_unicode=True, sort_keys=False),
                               encoding="utf-8")
        files.append(PackFile(path, include, len(kept), len(rules)))
    return files, channels
