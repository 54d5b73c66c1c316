#!/usr/bin/env bash
# THE test command (README, .ci/run): installs what is missing, starts the
# loopback test peers, then runs every check of the workspace:
#   cargo fmt --check; the component (tests/build-component.sh: wasm32-wasip2, --profile component,
#   then wasm-opt -Oz on its core module); the module layering; clippy (native and
#   wasm32-wasip2, -D warnings); the CLI build; cargo test --workspace (unit
#   tests, guest natively, integration tests against the real peers);
#   examples/*/test.sh (the Node, Python and PHP kits: lint, unit and fault
#   tests, the end-to-end journey against the peers); the browser journey of
#   both admin apps in headless Chromium (tests/browser/run.sh); every host's
#   conformance runner on the public vectors and on a live file; each fuzz
#   target for 20 s (tests/fuzz/run.sh);
#   the Windows cross-build (tests/windows.sh).
# Runs as root on a fresh Debian machine; every install step is skipped when
# its result is already there. Exits non-zero when any step failed. From any cwd.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH="$HOME/.cargo/bin:$PATH" ;; esac
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

START=$(date +%s)
elapsed() { echo "$(($(date +%s) - START))s"; }
say() { printf '\n=== run-all [%s] %s\n' "$(elapsed)" "$*"; }

# ---------------------------------------------------------------- toolchain and peers
say "toolchain"
command -v cargo >/dev/null || { echo "run-all: cargo/rustup not found (install rustup first)" >&2; exit 1; }
rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
for c in clippy rustfmt; do
  rustup component list --installed | grep -q "^$c" || rustup component add "$c"
done
if ! command -v node >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends nodejs npm
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "run-all: node >= 20 is required by oidc-provider 9 (found $(node --version))" >&2
  exit 1
fi
# examples/python/test.sh makes a venv: Debian splits venv/ensurepip out of python3.
if [ -e examples/python/test.sh ] && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends python3 python3-venv
fi
# tests/build-component.sh runs Binaryen's wasm-opt on the built component.
if ! command -v wasm-opt >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends binaryen
fi
echo "cargo $(cargo --version | cut -d' ' -f2), node $(node --version), $(wasm-opt --version)"

say "peers: install"
tests/peers/install.sh
say "peers: up"
up_out=$(tests/peers/up.sh) || { echo "$up_out"; exit 1; }
echo "$up_out"
if ! grep -q "already up" <<<"$up_out"; then
  # We started the stack, we stop it (a developer's running stack is left alone).
  trap 'echo; echo "=== run-all: peers down"; tests/peers/down.sh' EXIT
fi

# ---------------------------------------------------------------- checks
LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mail-oauth-run-all.XXXXXX")
failed=()
passed=()
step() { # name command...: runs it, records the outcome, never stops the script
  local name=$1 t0=$SECONDS; shift
  say "$name: $*"
  if "$@"; then
    passed+=("$name"); echo "--- $name ok ($((SECONDS - t0))s)"
  else
    failed+=("$name"); echo "--- $name FAILED ($((SECONDS - t0))s)"
  fi
}
cargo_test() { # keeps cargo test's output for the totals below
  cargo test --workspace 2>&1 | tee "$LOG_DIR/cargo-test.log"
}
examples() {
  local t n=0 bad=0
  # The component built by the component step, wherever the target dir is.
  MAIL_OAUTH_WASM=$(tests/build-component.sh)
  export MAIL_OAUTH_WASM
  for t in examples/*/test.sh; do
    [ -e "$t" ] || continue
    n=$((n + 1)); echo "--- $t"
    bash "$t" || { bad=$((bad + 1)); echo "--- $t FAILED"; }
  done
  [ $n -gt 0 ] || echo "(no examples/*/test.sh yet)"
  [ $bad = 0 ]
}

step fmt cargo fmt --all --check
step component tests/build-component.sh          # the shipped component, through the artifacts crate
step layers python3 tests/layers.py              # no module cycles, in the guest or the host crates
step clippy cargo clippy --workspace --all-targets -- -D warnings
step clippy-wasm cargo clippy -p mail-oauth-guest -p mail-oauth-hostile --target wasm32-wasip2 -- -D warnings
step cli-build cargo build -p mail-oauth-cli     # target/debug/mail-oauth, used by the CLI tests
step example-multi-tenant cargo run -q -p mail-oauth-runtime --example multi_tenant
step cargo-test cargo_test
step examples examples
# Every fuzz target for about 20 s (tests/fuzz/run.sh: nightly, cargo-fuzz;
# two at a time), from the committed seeds: a smoke run, the long runs are in
# the README's security section.
step fuzz bash tests/fuzz/run.sh -t 20
# Both reference admin apps in headless Chromium (tests/browser/CONTRACT.md); it restarts
# the AS once, so nothing else runs beside it.
step browser-node bash tests/browser/run.sh node
step browser-php bash tests/browser/run.sh php
# Every host's runner on the public vectors, then on a live file of its own
# (tests/conformance/live.py: tokens from the running AS; refresh tokens are
# single-use, so one file per run).
conformance_live() { # HOST
  local file rc=0
  file=$(mktemp "${TMPDIR:-/tmp}/mail-oauth-live.XXXXXX.json")
  # shellcheck disable=SC2046 # live.py --flags prints one flag or value per word
  python3 tests/conformance/live.py "$file" &&
    bash examples/conformance.sh "$1" $(python3 tests/conformance/live.py --flags) \
      --component "$(tests/build-component.sh)" "$file" || rc=$?
  rm -f "$file"
  return $rc
}
for host in rust node python php; do
  step "conformance-$host" bash examples/conformance.sh "$host" --component "$(tests/build-component.sh)" tests/conformance/vectors.json
  step "conformance-live-$host" conformance_live "$host"
done
step windows tests/windows.sh                    # cross-build for x86_64-pc-windows-gnu, run under wine

# ---------------------------------------------------------------- summary
tests_passed=0 tests_failed=0
if [ -f "$LOG_DIR/cargo-test.log" ]; then
  read -r tests_passed tests_failed < <(awk '
    /^test result: / { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } }
    END { print p + 0, f + 0 }' "$LOG_DIR/cargo-test.log")
fi
rm -rf "$LOG_DIR"
echo
echo "run-all: steps ok: ${passed[*]:-none}; steps failed: ${failed[*]:-none}; $(elapsed)"
echo "tests: $tests_passed passed, $tests_failed failed"
[ ${#failed[@]} = 0 ]
