#!/usr/bin/env bash
# Loads the mail-oauth component in Python through wasmtime-py and checks the
# published SASL vectors. Runnable from any directory. MAIL_OAUTH_WASM names a
# prebuilt component; without it tests/build-component.sh builds it first.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"

if [[ -z "${MAIL_OAUTH_WASM:-}" ]]; then
  # The shipped component (size profile, wasm-opt), as the CLI embeds it.
  export MAIL_OAUTH_WASM="$(bash "$repo/tests/build-component.sh")"
fi

# The stamp records that requirements.txt was installed into this venv.
if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
if [[ ! -f .venv/.installed || requirements.txt -nt .venv/.installed ]]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
  touch .venv/.installed
fi

.venv/bin/python -m unittest -v
