# Shared by scripts/app and scripts/test: make sure Python's venv works and .venv exists.
# Sourced, not run. Installs only what is missing; apt-get only when we are root.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${SSHDECK_VENV:-$ROOT/.venv}"

as_root_apt() {
  if [ "$(id -u)" = 0 ]; then
    if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq; _APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "Missing system packages: $*. Install them with: sudo apt-get install -y $*" >&2
    exit 1
  fi
}

if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    as_root_apt python3-venv
    "$PYTHON" -m venv "$VENV"
  fi
fi
