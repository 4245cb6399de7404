#!/usr/bin/env bash
# What the monthly reports need beside their Python packages (pyproject.toml):
#   libpango-1.0-0, libpangoft2-1.0-0 - WeasyPrint lays the PDF out with Pango
#   fonts-wqy-microhei                - the Chinese font of the PDF and its charts
# Idempotent: does nothing (and asks no registry) when everything is installed.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib/debian.sh"
ensure_debian_packages "report peers" libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei
echo "report peers: ready"
