#!/usr/bin/env bash
# Runs the conformance vectors (../shared/conformance/FORMAT.md) through one
# host's bindings:
#   examples/conformance.sh HOST [--live] [--allow TARGET]... [--allow-loopback] [--ca-file PEM] \
#       --component WASM VECTORS.json
#   examples/conformance.sh rust --describe --component WASM
# HOST is rust, node, python or php. For rust: builds the runner
# (tests/conformance, `mail-oauth-conformance`) and runs it with the same
# flags (`--describe` prints the WIT types of the component's functions as
# JSON). For node, python and php: examples/HOST/conformance.sh, the kit's
# runner, which installs what its kit needs first. Prints one JSON line per vector, then `N passed, M failed, K skipped`;
# exits 0 exactly when no vector failed. From any cwd; relative paths are
# taken from the caller's cwd.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH="$HOME/.cargo/bin:$PATH" ;; esac

usage() {
  echo "usage: $0 rust|node|python|php [--live] [--allow TARGET]... [--allow-loopback] [--ca-file PEM] --component WASM VECTORS.json" >&2
  exit 2
}
[ $# -ge 1 ] || usage
HOST=$1
shift

case "$HOST" in
  rust)
    # The runner is built in the workspace's target dir (shared with every
    # other crate, so wasmtime is built once); cargo prints where it is.
    exe=$(cd "$ROOT" && cargo build -q -p mail-oauth-conformance --message-format=json |
      sed -n 's/.*"executable":"\([^"]*mail-oauth-conformance\)".*/\1/p' | tail -n 1)
    [ -n "$exe" ] || { echo "conformance.sh: the runner did not build" >&2; exit 2; }
    exec "$exe" "$@"
    ;;
  node | python | php)
    runner="$ROOT/examples/$HOST/conformance.sh"
    [ -e "$runner" ] || { echo "conformance.sh: no $HOST runner ($runner)" >&2; exit 2; }
    exec bash "$runner" "$@"
    ;;
  *)
    usage
    ;;
esac
