#!/usr/bin/env bash
# The Python kit's tests: ruff, the unit and fault tests (test_kit.py), and
# the end-to-end journey against the real peers (test_e2e.py; tests/peers/up.sh
# starts them when they are not up). Runnable from any directory.
# MAIL_OAUTH_WASM names a prebuilt component; without it
# tests/build-component.sh builds it first.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"
if [[ -z "${MAIL_OAUTH_WASM:-}" ]]; then
  MAIL_OAUTH_WASM="$(bash "$repo/tests/build-component.sh")"
fi
export MAIL_OAUTH_WASM
python=$(bash venv.sh)
"$(dirname "$python")/ruff" check --quiet .
"$(dirname "$python")/ruff" format --check --quiet . || { echo "test.sh: run ruff format in examples/python" >&2; exit 1; }
bash "$repo/tests/peers/up.sh" >/dev/null
PYTHONPATH="$here" "$python" -m unittest -v test_kit test_e2e
