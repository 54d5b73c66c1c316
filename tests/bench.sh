#!/usr/bin/env bash
# THE benchmark command (issue #4): builds the component, brings the loopback
# peers up (the refresh comparison talks to the local OpenID provider), then
# runs the performance suite, tests/benches/suite.rs, which prints every
# figure next to a baseline measured in the same run and ends with one table
#   measure | figure | baseline | ratio | goal | met?
# Nothing asserts a target. Peers this script started are stopped at the end;
# a stack that was already up is left alone. From any cwd; the suite itself
# takes ~15 s on 2 cores once built (the first build of the bench, minutes).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH="$HOME/.cargo/bin:$PATH" ;; esac
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

echo "=== bench: component (wasm32-wasip2, --profile component, wasm-opt)"
tests/build-component.sh

echo "=== bench: peers up"
up_out=$(tests/peers/up.sh) || { echo "$up_out"; exit 1; }
echo "$up_out"
if ! grep -q "already up" <<<"$up_out"; then
  # We started the stack, we stop it (a running stack is left alone).
  trap 'echo; echo "=== bench: peers down"; tests/peers/down.sh' EXIT
fi

echo "=== bench: suite"
cargo bench -p mail-oauth-tests --bench suite

echo "=== bench: the CLI's first run (embedded precompiled component) against its warm run"
cargo bench -p mail-oauth-tests --bench cli_first_run
