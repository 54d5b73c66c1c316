#!/usr/bin/env bash
# The GLPI-style admin app on the PHP kit (examples/php/README.md, "The
# GLPI-style admin app"; the page is tests/browser/CONTRACT.md):
#
#   bash examples/php/admin/serve.sh --port PORT [--allow-loopback] [--ca-file PEM]
#       [--data-dir DIR] [--public-url URL]
#
# Serves `php -S 127.0.0.1:PORT router.php` with FFI through `ffi.preload`
# and the kit's classes in `opcache.preload` (the php-fpm route of the kit's
# README: only the kit's preloaded code can use FFI, and only the declared
# functions; no page can FFI::cdef), the options passed to the router in
# the environment. Prints `listening on http://127.0.0.1:PORT/` once the
# app answers; php replaces this shell (exec), so a signal to this pid
# reaches php itself. MAIL_OAUTH_WASM names the component (default
# target/artifacts/mail_oauth_guest.wasm, built by tests/build-component.sh),
# MAIL_OAUTH_WASMTIME_LIB the wasmtime C library (default: what setup.sh
# finds or builds), MAIL_OAUTH_ADMIN_KEY the storage key (64 hex digits;
# default DATA_DIR/key).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)

usage() { echo "usage: serve.sh --port PORT [--allow-loopback] [--ca-file PEM] [--data-dir DIR] [--public-url URL]" >&2; exit 2; }
port="" loopback=0 ca="" data="$HERE/data" public=""
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=${2:-}; shift 2 || usage ;;
    --allow-loopback) loopback=1; shift ;;
    --ca-file) ca=${2:-}; shift 2 || usage ;;
    --data-dir) data=${2:-}; shift 2 || usage ;;
    --public-url) public=${2:-}; shift 2 || usage ;;
    *) usage ;;
  esac
done
[[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || usage
if [ -n "$ca" ]; then
  [ -r "$ca" ] || { echo "serve.sh: cannot read the CA file $ca" >&2; exit 2; }
  ca=$(cd "$(dirname "$ca")" && pwd)/$(basename "$ca")
fi

# PHP with FFI, curl, sodium and SQLite, and the wasmtime C library.
MAIL_OAUTH_WASMTIME_LIB=$(bash "$HERE/../setup.sh")
export MAIL_OAUTH_WASMTIME_LIB
if [ -z "${MAIL_OAUTH_WASM:-}" ]; then
  for candidate in "$ROOT/target/artifacts/mail_oauth_guest.wasm" "$ROOT/target/wasm32-wasip2/component/mail_oauth_guest.wasm"; do
    [ -f "$candidate" ] && { MAIL_OAUTH_WASM=$candidate; break; }
  done
fi
[ -f "${MAIL_OAUTH_WASM:-}" ] || { echo "serve.sh: no component: build it with tests/build-component.sh or set MAIL_OAUTH_WASM" >&2; exit 2; }
export MAIL_OAUTH_WASM

mkdir -p "$data"
chmod 700 "$data"
data=$(cd "$data" && pwd)
# The kit's C declarations with the library's absolute path, for ffi.preload.
header="$data/mail-oauth-wasmtime.h"
php "$HERE/../ffi-header.php" "$MAIL_OAUTH_WASMTIME_LIB" >"$header.tmp"
mv "$header.tmp" "$header"

export MAIL_OAUTH_ADMIN_PORT=$port MAIL_OAUTH_ADMIN_DATA_DIR=$data MAIL_OAUTH_ADMIN_ALLOW_LOOPBACK=$loopback
export MAIL_OAUTH_ADMIN_CA_FILE=$ca MAIL_OAUTH_ADMIN_PUBLIC_URL=${public:-http://127.0.0.1:$port}

# Ready means the app itself answers (its redirect of `/`), not merely that
# something holds the port; the watcher ends with php.
(
  while kill -0 $$ 2>/dev/null; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && timeout 5 cat <&3) 2>/dev/null \
      | grep -qi '^Location: /front/oauthimap.php'; then
      echo "listening on http://127.0.0.1:$port/"
      exit 0
    fi
    sleep 0.1
  done
) &

# Errors go to stderr, never to the page. The server's own lines pass through
# a filter: its per-connection noise dropped, and any query string cut off a
# logged URL (a callback's query holds the authorization code). php's -q would
# silence the app's error_log too.
# ffi.enable=preload allows the FFI API (FFI::scope, FFI::addr, ...) outside
# the `cli` SAPI only to preloaded code: the kit's classes are preloaded
# (preload.php), as under php-fpm; opcache.preload_user is required as root.
exec php -d ffi.enable=preload -d ffi.preload="$header" \
  -d opcache.enable=1 -d opcache.preload="$HERE/../preload.php" -d opcache.preload_user="$(id -un)" \
  -d display_errors=0 -d log_errors=1 -d error_log= \
  -S "127.0.0.1:$port" -t "$HERE" "$HERE/router.php" \
  2> >(exec sed -u -E '/ (Accepted|Closing)$/d; s#(/[^ ?]*)\?[^ ]*#\1?[query not logged]#g' >&2)
