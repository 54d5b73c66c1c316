#!/usr/bin/env bash
# The Python kit's conformance runner (../../shared/conformance/FORMAT.md), as
# `bash examples/conformance.sh python ARGS...` calls it: makes the venv if
# needed, then runs conformance.py with the same flags. Relative paths are the
# caller's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python=$(bash "$here/venv.sh")
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" exec "$python" "$here/conformance.py" "$@"
