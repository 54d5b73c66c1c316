#!/usr/bin/env bash
# The Node kit's conformance runner (../../shared/conformance/FORMAT.md), as
# `bash examples/conformance.sh node ARGS...` calls it: installs the kit's
# packages when missing (npm ci), asks the Rust runner for the component's WIT
# types (`--describe`: the runner converts JSON with them), then runs
# conformance/runner.js with the same flags. Relative paths are the caller's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bash "$here/install.sh"
component=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [[ "${args[$i]}" == --component ]] && component="${args[$((i + 1))]:-}"
done
[[ -n "$component" ]] || { echo "conformance.sh: --component WASM is required" >&2; exit 2; }
types=$(mktemp "${TMPDIR:-/tmp}/mail-oauth-types.XXXXXX.json")
trap 'rm -f "$types"' EXIT
bash "$repo/examples/conformance.sh" rust --describe --component "$component" > "$types"
node "$here/conformance/runner.js" --types "$types" "$@"
