#!/usr/bin/env bash
# The PHP kit's benchmarks (not tests): bench.php against the local peers,
# started by tests/peers/up.sh (idempotent); prints a markdown table. Uses
# MAIL_OAUTH_WASM, else builds the component (tests/build-component.sh).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
[ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH="$HOME/.cargo/bin:$PATH" ;; esac
MAIL_OAUTH_WASMTIME_LIB=$(bash "$HERE/setup.sh")
export MAIL_OAUTH_WASMTIME_LIB
bash "$ROOT/tests/peers/up.sh" >/dev/null
if [ -z "${MAIL_OAUTH_WASM:-}" ]; then
  MAIL_OAUTH_WASM=$(cd "$ROOT" && bash tests/build-component.sh)
fi
export MAIL_OAUTH_WASM
exec php "$HERE/bench.php"
