#!/usr/bin/env bash
# The Python kit's benchmarks (bench.py): prints a markdown table of the kit
# against Python's own base64 and authlib, measured in the same run. Needs the
# peers (tests/peers/up.sh is called). MAIL_OAUTH_WASM names a prebuilt
# component; without it tests/build-component.sh builds it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"
export MAIL_OAUTH_WASM="${MAIL_OAUTH_WASM:-$(bash "$repo/tests/build-component.sh")}"
python=$(bash venv.sh)
bash "$repo/tests/peers/up.sh" >/dev/null
PYTHONPATH="$here" exec "$python" bench.py "$@"
