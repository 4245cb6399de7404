#!/usr/bin/env bash
# Installs everything the gateway, its demo and its tests need, on a fresh Debian machine
# or an existing checkout (idempotent: fast when everything is there).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need_apt+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need_apt+=(mosquitto-clients)  # the independent publisher of the fault tests
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-venv)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)  # the console's browser tests
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || need_apt+=(fonts-wqy-microhei)  # zh-CN
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing system packages: ${need_apt[*]} (install them as root)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install -q -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import gateway, adapters, rules, simulators" # the install worked

# The console (console/, TypeScript + Vite) is built into gateway/app/web/dist, which the
# gateway serves; rebuilt only when a source or the lockfile is newer than the built page.
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing system packages: nodejs npm (install them as root)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
built=gateway/app/web/dist/index.html
if [ ! -d console/node_modules ] || [ console/package-lock.json -nt console/node_modules/.package-lock.json ]; then
  (cd console && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
if [ ! -f "$built" ] || [ -n "$(find console/src console/index.html console/docs.html \
     console/package-lock.json console/vite.config.ts console/tsconfig.json -newer "$built" -print -quit)" ]; then
  (cd console && npm run build --silent >/dev/null)
fi

for peers in scripts/install-peers-*.sh; do
  [ -e "$peers" ] || continue
  bash "$peers"
done
echo "installed: .venv ready ($(.venv/bin/python --version)), console built (node $(node --version))"
