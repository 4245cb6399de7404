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

packages=(mbpoll libmodbus-dev gcc pkg-config)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
  fi
  echo "modbus peers: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "modbus peers: installed ${missing[*]}"
fi

if [ ! -f "$peers/node_modules/modbus-serial/package.json" ]; then
  command -v npm >/dev/null || { echo "npm is needed: apt-get install nodejs npm" >&2; exit 1; }
  echo "modbus peers: installing npm modbus-serial"
  (cd "$peers" && npm ci --omit=optional --no-audit --no-fund --loglevel=error)
fi
echo "modbus peers: ready"
