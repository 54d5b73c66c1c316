#!/usr/bin/env bash
# Builds the shipped component and prints its path: the artifacts crate
# (tests/artifacts/build.rs) runs `cargo build --profile component` for
# wasm32-wasip2, then Binaryen's `wasm-opt -Oz` on its main core module,
# spliced back in place (tests/optimize; about a fifth smaller). The CLI
# embeds, and `cargo test` loads, this same file.
# Installs the wasm32-wasip2 target when missing, and the `binaryen` Debian
# package when wasm-opt is missing and we are root; without wasm-opt the
# component is left unoptimized (it works the same) with a warning. From any cwd.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH="$HOME/.cargo/bin:$PATH" ;; esac
rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
if ! command -v wasm-opt >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q --no-install-recommends binaryen
fi
cargo run -q -p mail-oauth-artifacts --bin component-path
