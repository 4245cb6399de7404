"""`python -m tests.fuzz TARGET --seconds N`: fuzz one parser with atheris (libFuzzer) for
N seconds, starting from its seeds and the corpus kept in var/fuzz/TARGET/; a crash is
saved there as `crash-*` and replayed by `python -m tests.fuzz TARGET FILE`.
`--list` names the targets."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from hashlib import sha1
from pathlib import Path

import atheris

TARGETS = {
    "mqtt": ("tests.fuzz.mqtt_payloads", "MQTT payloads into events"),
    "modbus": ("tests.fuzz.modbus_frames", "Modbus register codec and answer handling"),
    "onvif": ("tests.fuzz.onvif_replies", "ONVIF SOAP replies and what the adapter reads"),
    "config": ("tests.fuzz.config_files", "config files (YAML, includes, schema)"),
    "police": ("tests.fuzz.police_status", "the police status endpoint, signed"),
    "dc09": ("tests.fuzz.dc09_frames", "SIA DC-09 frames, the stream and the receiver"),
}
ROOT = Path(__file__).resolve().parents[2]
INSTRUMENTED = ["adapters", "gateway", "tests.fuzz"]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("target", nargs="?", choices=sorted(TARGETS))
    parser.add_argument("inputs", nargs="*", help="run these inputs once (a saved crash)")
    parser.add_argument("--seconds", type=int, default=60, help="how long to fuzz")
    parser.add_argument("--corpus", type=Path, help="corpus folder (var/fuzz/TARGET/corpus)")
    parser.add_argument("--list", action="store_true", help="name the targets")
    args = parser.parse_args(argv)
    if args.list or args.target is None:
        for name, (_, what) in sorted(TARGETS.items()):
            print(f"{name:8} {what}")
        return
    module_name = TARGETS[args.target][0]
    with atheris.instrument_imports(include=INSTRUMENTED):
        module = importlib.import_module(module_name)
    logging.disable(logging.CRITICAL)  # bad input is logged once per device: noise here
    one = module.target()
    home = ROOT / "var" / "fuzz" / args.target
    corpus = args.corpus or home / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    for seed in module.SEEDS:
        (corpus / f"seed-{sha1(seed).hexdigest()[:12]}").write_bytes(seed)
    flags = [f"-artifact_prefix={home}/", "-timeout=10", "-rss_limit_mb=2048",
             "-max_len=4096", "-print_final_stats=1"]
    if args.inputs:
        atheris.Setup([sys.argv[0], *flags, *args.inputs], one)
    else:
        atheris.Setup([sys.argv[0], *flags, f"-max_total_time={args.seconds}", str(corpus)],
                      one)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv[1:])
