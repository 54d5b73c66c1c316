#!/usr/bin/env bash
# Builds the shipped component: `cargo build --profile component` for
# wasm32-wasip2, then Binaryen's `wasm-opt -Oz` on its main core module,
# spliced back in place (guest/src/optimize.rs; about a fifth smaller).
# Installs the `binaryen` Debian package when wasm-opt is missing and we are
# root; otherwise leaves the component unoptimized (it works the same) and
# says so. Prints the component's path. From any cwd.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH="$HOME/.cargo/bin:$PATH" ;; esac
rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
WASM=${CARGO_TARGET_DIR:-$ROOT/target}/wasm32-wasip2/component/mail_oauth_guest.wasm

cargo build -p mail-oauth-guest --target wasm32-wasip2 --profile component
if ! command -v wasm-opt >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q --no-install-recommends binaryen
fi
STAMP=$WASM.optimized   # the sha256 of the file this script last wrote
if command -v wasm-opt >/dev/null; then
  # cargo leaves a fresh build's file alone, so a second run would optimize
  # the optimized file again (and change its bytes, and so every cache key).
  if [ -f "$STAMP" ] && [ "$(sha256sum <"$WASM")" = "$(cat "$STAMP")" ]; then
    echo "build-component: $WASM is already optimized" >&2
  else
    cargo run -q -p mail-oauth-optimize --bin optimize-component -- "$WASM" "$WASM"
    sha256sum <"$WASM" >"$STAMP"
  fi
else
  echo "build-component: wasm-opt not found (Debian package binaryen): $WASM left unoptimized" >&2
fi
echo "$WASM"
