"""Fault injection at length: the faults of `tests/faults/`, in real time and at full size.

    python -m bench.chaos [--only NAME ...] [--police-outage-s 600] [--alerts 1000]
                          [--kills 10] [--json PATH]

- `police`: the police receiver refuses connections for `--police-outage-s` (ten minutes)
  while `--alerts` alerts are raised; then it answers again. Target: every alert arrives
  once and in order, the last within 5 s of the receiver coming back.
- `gateway-kills`: `campusgw run` as a child process, killed with SIGKILL `--kills` times
  at random moments during presses and just after restarting with presses queued at the
  broker (the suite's `test_gateway_kills` with more kills).
- `broker-kills`: the broker killed (SIGKILL) and restarted while buttons are pressed.
- `disk-full`, `db-locked`: the store's file may not grow, or another process holds the
  database's write lock, for `--store-fault-s`, while alarms are raised.

Each prints what was lost (target: nothing), what was duplicated beyond what the receiver
deduplicates (target: nothing) and what came out of order. The suite runs the same faults
in a bounded form (`pytest tests/faults`); this is the long run before a release.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.faults.police_outage import police_outage
from tests.faults.store_faults import alarms_while
from tests.faults.tally import Tally

POLICE_WITHIN_S = 5.0
SCENARIOS = ("police", "disk-full", "db-locked", "broker-kills", "gateway-kills")

Scenario = Callable[[Path, argparse.Namespace], Awaitable[dict[str, Any]]]


async def police(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    result = await police_outage(folder, args.alerts, args.police_outage_s)
    total = result.wait_s + result.drain_s
    print(result.tally.describe(f"police receiver down {args.police_outage_s:g} s"))
    print(f"  first delivery {result.wait_s:.2f} s after it was back, all {args.alerts} "
          f"after {total:.2f} s (target {POLICE_WITHIN_S:g} s: "
          f"{'ok' if total <= POLICE_WITHIN_S else 'MISSES'})")
    return {**_figures(result.tally), "first_delivery_s": round(result.wait_s, 2),
            "all_delivered_s": round(total, 2)}


async def disk_full(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    return await _store_fault("disk_full", "disk full", folder, args)


async def db_locked(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    return await _store_fault("locked", "database locked", folder, args)


async def _store_fault(fault: str, name: str, folder: Path,
                       args: argparse.Namespace) -> dict[str, Any]:
    tally, problem = await alarms_while(fault, folder, args.alerts, args.store_fault_s)
    print(tally.describe(f"{name} for {args.store_fault_s:g} s"), f"(reported: {problem})")
    return {**_figures(tally), "reported": problem}


async def broker_kills(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    return await _suite_test("tests/faults/test_broker_restart.py", args, {"KILLS": args.kills})


async def gateway_kills(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    half = max(1, args.kills // 2)
    return await _suite_test("tests/faults/test_gateway_kills.py", args,
                             {"STEADY_KILLS": half, "RECONNECT_KILLS": half})


async def _suite_test(path: str, args: argparse.Namespace,
                      sizes: dict[str, int]) -> dict[str, Any]:
    """Run a test of the suite with more kills (its module constants overridden); its
    own assertions are the verdict and its printed line the figures."""
    overrides = ";".join(f"setattr(m, {name!r}, {value})" for name, value in sizes.items())
    module = path.removesuffix(".py").replace("/", ".")
    code = (f"import sys, pytest, {module} as m; {overrides}; "
            f"sys.exit(pytest.main(['-q', '-s', '-p', 'no:cacheprovider', {path!r}]))")
    began = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "CI": "true"})
    output, _ = await process.communicate()
    lines = output.decode(errors="replace").splitlines()
    for line in lines:
        if line.startswith(("seed ", "E ")) or " lost " in line:
            print(" ", line)
    passed = process.returncode == 0
    print(f"  {path}: {'passed' if passed else 'FAILED'} ({time.perf_counter() - began:.0f} s)")
    return {"passed": passed, "report": [line for line in lines if line.startswith("seed ")]}


def _figures(tally: Tally) -> dict[str, Any]:
    return {"expected": tally.expected, "lost": len(tally.lost),
            "duplicated": len(tally.duplicated), "out_of_order": tally.out_of_order,
            "receiver_deduplicated": tally.deduplicated, "clean": tally.clean}


RUNS: dict[str, Scenario] = {"police": police, "disk-full": disk_full, "db-locked": db_locked,
                             "broker-kills": broker_kills, "gateway-kills": gateway_kills}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in args.only or SCENARIOS:
        print(f"== {name}", flush=True)
        with tempfile.TemporaryDirectory(prefix=f"campusgw-chaos-{name}-") as folder:
            results[name] = await RUNS[name](Path(folder), args)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=SCENARIOS)
    parser.add_argument("--police-outage-s", type=float, default=600.0)
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--store-fault-s", type=float, default=30.0)
    parser.add_argument("--kills", type=int, default=10,
                        help="kills of each kind (at most 10: the site has 300 buttons)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    results = asyncio.run(run(args))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    clean = all(r.get("clean", r.get("passed")) for r in results.values())
    print("every fault: nothing lost, nothing duplicated" if clean else "SOME FAULT LOST OR "
          "DUPLICATED SOMETHING (see above)")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
