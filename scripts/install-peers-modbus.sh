#!/usr/bin/env bash
# Independent Modbus peers for the interop tests (tests/modbus/test_interop.py):
#   mbpoll         - a Modbus master that reads the fire-panel simulator
#   libmodbus-dev  - the libmodbus C library; the tests build a tiny server from
#                    tests/modbus/peers/libmodbus_server.c against it
#   gcc, pkg-config - to build that server
# Idempotent: does nothing (and asks no registry) when everything is installed.
set -euo pipefail

packages=(mbpoll libmodbus-dev gcc pkg-config)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "modbus peers: already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "modbus peers: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "modbus peers: installed ${missing[*]}"
