"""The school every fault test runs: one building, panic buttons, one latching panic rule
to one channel, so each press is its own alert."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def panic_school(path: Path, buttons: Sequence[str], channel: str, store: Path,
                 api: str = "{port: 0}", adapters: str = "") -> Path:
    """Write the site to `path`: `channel` is the YAML flow mapping of its one channel
    (its id must be `out`), `adapters` the YAML of the `adapters:` section if any."""
    devices = "\n".join(f"  - {{id: {b}, type: panic_button, name: Alarm {b}, zone: bldg}}"
                        for b in buttons)
    path.write_text(f"""\
site: {{id: faults-school, name: Faults School, timezone: Asia/Shanghai}}
zones:
  - {{id: bldg, name: Teaching building, building: A}}
{f"adapters:{chr(10)}  {adapters}{chr(10)}" if adapters else ""}devices:
{devices}
channels:
  - {channel}
rules:
  - {{id: panic, select: {{type: panic_button}}, when: {{point: pressed}}, severity: critical,
     category: panic, title: "Alarm {{device}}", channels: [out], latching: true}}
store: {{path: {store}}}
api: {api}
""")
    return path


def buttons(count: int) -> list[str]:
    return [f"pb-{n:04d}" for n in range(count)]
