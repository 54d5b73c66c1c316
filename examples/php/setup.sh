#!/usr/bin/env bash
# Installs what the PHP kit needs, idempotently (each step skipped when its
# result is present): PHP 8.2 CLI with curl (Debian 12's php8.2-cli ships
# FFI and OpenSSL) and SQLite for admin/ (php8.2-sqlite3), run as root
# through apt-get; and the wasmtime C library,
# target/release/libmail_oauth_wasmtime_capi.so, built from
# examples/php/native with its `capi` feature (cmake is needed by the wasmtime-c-api-impl crate's
# build script to install its headers). Prints the library's path (the
# callers export it as MAIL_OAUTH_WASMTIME_LIB). CARGO_TARGET_DIR is honoured.
# MAIL_OAUTH_WASMTIME_LIB, when set, names a library built elsewhere.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
[ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH="$HOME/.cargo/bin:$PATH" ;; esac

apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "setup.sh: need root (or sudo) to install $*" >&2; exit 2; }
    sudo=sudo
  fi
  if [ ! -e /tmp/.mail-oauth-php-apt-updated ]; then
    $sudo apt-get update -qq >/dev/null && touch /tmp/.mail-oauth-php-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

modules=$(command -v php >/dev/null && php -m 2>/dev/null || true)
if ! grep -qx curl <<<"$modules" || ! grep -qx FFI <<<"$modules"; then
  echo "setup.sh: installing php8.2-cli php8.2-curl" >&2
  apt_install php8.2-cli php8.2-curl
fi
# SQLite through PDO, for the admin app's store (admin/src/Store.php).
if ! grep -qx pdo_sqlite <<<"$modules"; then
  echo "setup.sh: installing php8.2-sqlite3" >&2
  apt_install php8.2-sqlite3
fi

target=${CARGO_TARGET_DIR:-$ROOT/target}
case "$target" in /*) ;; *) target=$ROOT/$target ;; esac
lib=${MAIL_OAUTH_WASMTIME_LIB:-$target/release/libmail_oauth_wasmtime_capi.so}
# Absent, or built without the `capi` feature (by a workspace-wide build): empty.
if [ ! -e "$lib" ] || ! grep -q wasmtime_component_linker_new "$lib"; then
  [ -n "${MAIL_OAUTH_WASMTIME_LIB:-}" ] && { echo "setup.sh: MAIL_OAUTH_WASMTIME_LIB=$lib does not exist" >&2; exit 2; }
  command -v cmake >/dev/null || { echo "setup.sh: installing cmake" >&2; apt_install cmake; }
  echo "setup.sh: building the wasmtime C library (cargo build --release -p mail-oauth-wasmtime-capi --features capi)" >&2
  (cd "$ROOT" && cargo build --release -q -p mail-oauth-wasmtime-capi --features capi)
fi
echo "$lib"
