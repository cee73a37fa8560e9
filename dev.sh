#!/usr/bin/env bash
# One entry point for a fresh Debian/Ubuntu machine:
#   ./dev.sh chat     console chat on the embedded defaults (demo metrics, in-memory context, SQLite)
#   ./dev.sh test     install the test services and a C compiler, and run ruff, mypy strict, the import contracts
#                     and the whole test suite
#   ./dev.sh lint     ruff + mypy + import contracts only
# Everything is installed into ./.venv; system packages come from apt (as root or with sudo).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

VENV=${VENV:-.venv}
PY=${PYTHON:-python3}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing system packages: ${missing[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_python() {
  if ! command -v "$PY" >/dev/null 2>&1 || ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    apt_install python3 python3-venv python3-pip
  fi
}

ensure_venv() {
  local extras=$1 stamp="$VENV/.installed-$1"
  ensure_python
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
    if [ "$extras" = dev ]; then
      "$VENV/bin/python" -m pip install -q -e '.[dev]'
    else
      "$VENV/bin/python" -m pip install -q -e .
    fi
    touch "$stamp"
  fi
}

ensure_services() {
  # Real services for the integration tests; the harness starts each on a spare loopback port.
  apt_install redis-server prometheus prometheus-alertmanager postgresql
}

ensure_compiler() {
  # A C compiler and the Python headers: a test builds the parser with mypyc, as the image does.
  command -v gcc >/dev/null 2>&1 || apt_install gcc libc6-dev
  local include
  include=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
  [ -f "$include/Python.h" ] || apt_install python3-dev
}

cmd=${1:-chat}
shift || true
case "$cmd" in
  chat)
    ensure_venv base
    exec "$VENV/bin/smartcloudops" chat "$@"
    ;;
  lint)
    ensure_venv dev
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check . || true
    "$VENV/bin/mypy"
    "$VENV/bin/lint-imports"
    ;;
  test)
    ensure_venv dev
    ensure_services
    ensure_compiler
    "$VENV/bin/ruff" check .
    "$VENV/bin/mypy"
    "$VENV/bin/lint-imports"
    exec "$VENV/bin/pytest" "$@"
    ;;
  *)
    echo "usage: ./dev.sh [chat|test|lint] [args...]" >&2
    exit 2
    ;;
esac
