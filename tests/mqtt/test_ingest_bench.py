"""`python -m bench.ingest` runs end to end on a tiny workload and reports its figures."""

from __future__ import annotations

import json
from pathlib import Path

from bench.ingest import main
from tests.helpers import require_binary

KEYS = ("ingest_msgs_per_s", "raw_paho_msgs_per_s", "ratio", "messages", "devices",
        "rule_count", "events_dispatched", "alerts_raised")


def test_ingest_bench_reports_its_figures(tmp_path: Path) -> None:
    require_binary("mosquitto", "scripts/install.sh installs it")
    output = tmp_path / "ingest.json"
    lines: list[str] = []
    result = main(["--messages", "400", "--devices", "40", "--rounds", "1",
                   "--alarm-share", "0.05", "--json", str(output)], report=lines.append)
    assert json.loads(output.read_text()) == result
    assert all(key in result for key in KEYS), sorted(result)
    assert result["messages"] == 400 and result["devices"] == 40
    assert result["ingest_msgs_per_s"] > 0 and result["raw_paho_msgs_per_s"] > 0
    assert result["rule_count"] > 0 and result["malformed"] == 0
    assert result["events_dispatched"] > result["point_events"]  # and each device online
    assert result["alerts_raised"] >= 1
    assert any(line.startswith("ratio") for line in lines)
