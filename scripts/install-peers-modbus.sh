#!/usr/bin/env bash
# Independent Modbus peers for the interop tests (tests/modbus/test_interop*.py):
#   mbpoll         - a Modbus master that reads the fire-panel simulator
#   libmodbus-dev  - the libmodbus C library; the tests build a tiny server from
#                    tests/modbus/peers/libmodbus_server.c against it
#   gcc, pkg-config - to build that server
#   npm modbus-serial - its ServerTCP, into tests/modbus/peers/node_modules (version pinned
#                    by tests/modbus/peers/package-lock.json)
# PyPI pyModbusTCP and uModbus come with the project's dev extras (pyproject.toml).
# Idempotent: does nothing (and asks no registry) when everything is installed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peers="$root/tests/modbus/peers"

. "$(dirname "${BASH_SOURCE[0]}")/lib/debian.sh"
ensure_debian_packages "modbus peers" mbpoll libmodbus-dev gcc pkg-config

if [ ! -f "$peers/node_modules/modbus-serial/package.json" ]; then
  command -v npm >/dev/null || { echo "npm is needed: apt-get install nodejs npm" >&2; exit 1; }
  echo "modbus peers: installing npm modbus-serial"
  (cd "$peers" && npm ci --omit=optional --no-audit --no-fund --loglevel=error)
fi
echo "modbus peers: ready"
