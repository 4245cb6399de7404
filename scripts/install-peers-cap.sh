#!/usr/bin/env bash
# Installs the independent CAP 1.2 parser the CAP tests read every message back with
# (tests/forwarding/conftest.py, tests/forwarding/test_cap_peer.py):
#   - npm `@dec112/cap-ts` into tests/forwarding/peers/node_modules (versions pinned by
#     tests/forwarding/peers/package-lock.json; `tslib`, which cap-ts needs but does not
#     declare, is pinned beside it)
# Idempotent and fast when it is already there. Only registry packages are fetched.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peers="$root/tests/forwarding/peers"

if [ ! -f "$peers/node_modules/@dec112/cap-ts/package.json" ] \
        || [ ! -f "$peers/node_modules/tslib/package.json" ]; then
    command -v npm >/dev/null || { echo "npm is needed: apt-get install nodejs npm" >&2; exit 1; }
    (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error)
fi
node -e 'require(process.argv[1])' "$peers/node_modules/@dec112/cap-ts" \
    || { echo "@dec112/cap-ts does not load in $peers" >&2; exit 1; }
echo "CAP peer ready: npm @dec112/cap-ts in $peers/node_modules"
