#!/usr/bin/env bash
# The independent MQTT broker the interop tests (tests/mqtt/test_interop_aedes.py) run
# against: npm `aedes`, into tests/mqtt/peers/node_modules (version pinned by
# tests/mqtt/peers/package-lock.json).
# Idempotent: does nothing (and asks no registry) when it is installed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peers="$root/tests/mqtt/peers"

if [ ! -f "$peers/node_modules/aedes/package.json" ]; then
  command -v npm >/dev/null || { echo "npm is needed: apt-get install nodejs npm" >&2; exit 1; }
  echo "mqtt peers: installing npm aedes"
  (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "mqtt peers: ready"
