#!/usr/bin/env bash
# Makes examples/python/.venv with the kit's pinned requirements and its
# tests' (requirements-dev.txt: ruff, authlib for the benchmark), once and
# again when either file changes, and prints its python. Installs Debian's
# python3-venv first when the interpreter cannot make a venv.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2 && apt-get install -y -q --no-install-recommends python3-venv >&2
fi
[[ -x .venv/bin/python ]] || python3 -m venv .venv >&2
if [[ ! -f .venv/.installed || requirements.txt -nt .venv/.installed || requirements-dev.txt -nt .venv/.installed ]]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt >&2
  touch .venv/.installed
fi
echo "$here/.venv/bin/python"
