# Sourced by the install scripts: installs the Debian packages that are missing.
#   ensure_debian_packages LABEL PACKAGE...
# Does nothing (and asks no registry) when every package is installed; uses sudo when
# not run as root.

ensure_debian_packages() {
  local label="$1"
  shift
  local missing=() package
  for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$package")
    fi
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "$label: installing ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  echo "$label: installed ${missing[*]}"
}
