#!/usr/bin/env bash
# Installs the independent ONVIF peers the interop tests (tests/onvif) run against:
#   - npm `onvif` and `node-onvif` into tests/onvif/peers/node_modules (versions pinned by
#     tests/onvif/peers/package-lock.json), and npm `onvif` 0.8.1 once more as `onvif-0.8.1`
#     for the real-camera replies recorded in its server mock-up (test/serverMockup/*.xml)
#   - PyPI `ipycam` into its own virtualenv var/peers/ipycam-venv, never the project's venv
# Idempotent and fast when everything is already there. Only registry packages are fetched.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peers="$root/tests/onvif/peers"
venv="$root/var/peers/ipycam-venv"
ipycam_version="1.3.0"

if [ ! -f "$peers/node_modules/onvif/package.json" ] \
        || [ ! -f "$peers/node_modules/node-onvif/package.json" ] \
        || [ ! -f "$peers/node_modules/onvif-0.8.1/test/serverMockup/GetSnapshotUri.xml" ]; then
    command -v npm >/dev/null || { echo "npm is needed: apt-get install nodejs npm" >&2; exit 1; }
    (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error)
fi

ready="$venv/.ipycam-$ipycam_version-ready"
if [ ! -f "$ready" ]; then
    if [ ! -x "$venv/bin/python" ]; then
        mkdir -p "$(dirname "$venv")"
        if ! python3 -m venv "$venv"; then
            apt-get install -y -q python3-venv >/dev/null
            python3 -m venv "$venv"
        fi
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check "ipycam==$ipycam_version"
    if ! "$venv/bin/python" -c "import ipycam" >/dev/null 2>&1; then
        # ipycam's opencv-python needs the GL and GLib runtime libraries
        apt-get update -q >/dev/null
        apt-get install -y -q libgl1 libglib2.0-0 >/dev/null
        "$venv/bin/python" -c "import ipycam"
    fi
    touch "$ready"
fi
echo "ONVIF peers ready: npm onvif, node-onvif, onvif-0.8.1 (recorded replies) in" \
    "$peers/node_modules; ipycam in $venv"
