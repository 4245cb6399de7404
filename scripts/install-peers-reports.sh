#!/usr/bin/env bash
# What the monthly reports need beside their Python packages (pyproject.toml):
#   libpango-1.0-0, libpangoft2-1.0-0 - WeasyPrint lays the PDF out with Pango
#   fonts-wqy-microhei                - the Chinese font of the PDF and its charts
# Idempotent: does nothing (and asks no registry) when everything is installed.
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei)
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
  echo "report peers: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "report peers: installed ${missing[*]}"
fi
echo "report peers: ready"
