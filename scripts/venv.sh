#!/usr/bin/env bash
# Create .venv with python3.11 if missing; install the project only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
VENV=.venv
STAMP="$VENV/.cqpi-installed"

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "error: $PYTHON is not on PATH; cqpi needs Python 3.11." >&2
    exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating $VENV with $PYTHON"
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
        # Debian ships venv's ensurepip separately.
        rm -rf "$VENV"
        scripts/apt-ensure.sh python3.11-venv
        "$PYTHON" -m venv "$VENV"
    fi
fi

wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$wanted" ]; then
    echo "==> installing cqpi and its development tools into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[dev]"
    echo "$wanted" >"$STAMP"
fi
