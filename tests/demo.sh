#!/usr/bin/env bash
# THE demo (README "main job"): the `mail-oauth` CLI's whole journey, unattended,
# against the real OpenID provider on 127.0.0.1:10090:
#   authorize (loopback redirect, RFC 8252; a scripted browser plays the user)
#   -> token -> xoauth2 -> refresh -> revoke
# Builds the CLI (release; it carries the component, size profile), starts the provider
# (tests/peers/up.sh --as-only) and stops it again on exit if it started it.
# Runs from any cwd. Needs what tests/run-all.sh installs (Rust + wasm32-wasip2, node >= 20).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH="$HOME/.cargo/bin:$PATH" ;; esac
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
AS=http://127.0.0.1:10090
say() { printf '\n=== demo: %s\n' "$*"; }

say "build the CLI (release), which builds and embeds the component (wasm32-wasip2, size profile, wasm-opt)"
cargo build --release -p mail-oauth-cli
CLI=$TARGET/release/mail-oauth
say "build the scripted browser (tests/src/bin/play-browser.rs)"
cargo build -p mail-oauth-tests --bin play-browser
PLAY_BROWSER=$TARGET/debug/play-browser
for f in "$CLI" "$PLAY_BROWSER"; do
  [ -e "$f" ] || { echo "demo: $f was not built" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mail-oauth-demo.XXXXXX")
STORE=$WORK/store
mkdir -p "$STORE"
BG_PIDS=()
STARTED_PEERS=0
cleanup() {
  local p
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ "$STARTED_PEERS" = 1 ] && tests/peers/down.sh
  rm -rf "$WORK"
}
trap cleanup EXIT

say "start the OpenID provider"
up_out=$(tests/peers/up.sh --as-only)
echo "$up_out"
grep -q "already up" <<<"$up_out" || STARTED_PEERS=1

# ---------------------------------------------------------------------------
# The CLI's part: everything above is infrastructure. `authorize --json`
# prints one JSON line (authorization_url, redirect_uri), then waits on its
# loopback listener for the browser. Background pids go in BG_PIDS so the
# trap ends them.
run_cli_flow() {
  local cli=("$CLI" --store "$STORE" --allow-loopback)

  say "mail-oauth authorize (loopback listener; play-browser completes login + consent)"
  "${cli[@]}" authorize --account demo --issuer "$AS" --client-id mail-public \
    --scope openid --scope email --scope mail --scope offline_access \
    --login-hint alice@example.test --no-browser --timeout 60 --json \
    > "$WORK/authorize.out" 2> "$WORK/authorize.err" &
  local auth_pid=$!
  BG_PIDS+=("$auth_pid")
  # The callback carries the (single-use) authorization code: keep it off the screen.
  "$PLAY_BROWSER" --url-file "$WORK/authorize.out" --timeout 60 | sed 's/code=[^&]*/code=[redacted]/'
  if ! wait "$auth_pid"; then
    echo "demo: authorize failed:" >&2; cat "$WORK/authorize.err" >&2; return 1
  fi
  tail -n +2 "$WORK/authorize.out"

  say "mail-oauth token (a fresh access token, usable as a password command)"
  local token
  token=$("${cli[@]}" token --account demo)
  echo "${token:0:12}… (${#token} chars)"

  say "mail-oauth xoauth2 (SASL XOAUTH2 initial response for IMAP/SMTP)"
  "${cli[@]}" xoauth2 --account demo | base64 -d | tr '\001' '|' | sed 's/Bearer [^|]*/Bearer <token>/'
  echo

  say "mail-oauth token --force-refresh (refresh; the provider rotates the refresh token)"
  local refreshed
  refreshed=$("${cli[@]}" token --account demo --force-refresh)
  [ "$refreshed" != "$token" ] || { echo "demo: refresh returned the same token" >&2; return 1; }
  echo "new access token ${refreshed:0:12}…"

  say "mail-oauth revoke"
  "${cli[@]}" revoke --account demo

  say "after revoke, the grant is dead: token --force-refresh exits 3 (authorize again)"
  local status=0
  "${cli[@]}" token --account demo --force-refresh || status=$?
  [ "$status" = 3 ] || { echo "demo: expected exit 3 after revoke, got $status" >&2; return 1; }
}

run_cli_flow
say "done: authorize -> token -> xoauth2 -> refresh -> revoke all succeeded"
