"""`python -m bench.linkage` runs end to end on a tiny workload and reports its figures
(the figures themselves belong to the bench, not to a test)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.linkage import CHANNELS, main

KEYS = (*(f"{channel}_p99_ms" for channel in CHANNELS), "raw_rtt_p99_ms", "dc09_rx_per_s",
        "pysiaalarm_rx_per_s")


def test_linkage_bench_reports_its_figures(tmp_path: Path) -> None:
    output = tmp_path / "linkage.json"
    lines: list[str] = []
    result = main(["--alerts", "3", "--frames", "320", "--rounds", "1", "--json", str(output)],
                  report=lines.append)
    assert json.loads(output.read_text()) == result
    for key in KEYS:
        assert result[key] > 0, key
    for channel in CHANNELS:
        assert result[f"{channel}_p50_ms"] <= result[f"{channel}_p99_ms"]
    assert result["alerts_per_channel"] == 3
    assert [line.split()[0] for line in lines[2:6]] == list(CHANNELS)
    assert lines[-1].startswith("DC-09 frames received per second: gateway ")
