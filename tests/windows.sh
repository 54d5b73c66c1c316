#!/usr/bin/env bash
# The Windows build (the WaveSoft CRM's users are on Windows): cross-builds
# the runtime, the account store and the CLI for x86_64-pc-windows-gnu with
# Debian's MinGW-w64, then runs `mail-oauth.exe --help` and `providers` (no
# network needed) under Debian's wine64 (with tests/wine/bcryptprimitives.c,
# which Wine 8.0 lacks).
# Installs the rustup target and, as root, the Debian packages when missing.
# The build must pass. The wine run is skipped, with a note, when wine does
# not install or start within a minute (a package mirror or sandbox issue,
# not a fault of ours); once wine starts, a failure of either command fails
# this script. From any cwd.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH="$HOME/.cargo/bin:$PATH" ;; esac
TARGET=x86_64-pc-windows-gnu
OUT=${CARGO_TARGET_DIR:-$ROOT/target}/$TARGET/debug
as_root_install() { # package...: apt-get install, as root only
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "$@"
}

rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"
command -v x86_64-w64-mingw32-gcc >/dev/null || as_root_install gcc-mingw-w64-x86-64 \
  || { echo "windows: x86_64-w64-mingw32-gcc is missing (Debian: gcc-mingw-w64-x86-64)" >&2; exit 1; }

echo "--- windows: cargo build --target $TARGET -p mail-oauth-runtime -p mail-oauth-store -p mail-oauth-cli"
LOG=$(mktemp)
cargo build --target "$TARGET" -p mail-oauth-runtime -p mail-oauth-store -p mail-oauth-cli 2>&1 | tee "$LOG"
# Code gated for Unix must leave nothing unused elsewhere (clippy runs natively only).
if grep -q '^warning' "$LOG"; then rm -f "$LOG"; echo "windows: the build has warnings" >&2; exit 1; fi
rm -f "$LOG"
EXE=$OUT/mail-oauth.exe
[ -f "$EXE" ] || { echo "windows: $EXE was not built" >&2; exit 1; }
echo "--- windows: built $EXE ($(stat -c %s "$EXE") bytes)"

# Debian's wine64 installs /usr/lib/wine/wine64 (the `wine` package adds
# the /usr/bin wrapper).
find_wine() { command -v wine64 || command -v wine || { [ -x /usr/lib/wine/wine64 ] && echo /usr/lib/wine/wine64; }; }
if ! find_wine >/dev/null; then
  t0=$SECONDS
  if ! timeout 60 bash -c "$(declare -f as_root_install); as_root_install wine64" >/dev/null; then
    echo "windows: wine64 did not install within a minute; the .exe was built but not run"
    exit 0
  fi
  echo "--- windows: wine64 installed in $((SECONDS - t0)) s"
fi
WINE=$(find_wine) || { echo "windows: wine64 installed but not found; the .exe was built but not run"; exit 0; }
WINESERVER=$(dirname "$WINE")/wineserver; [ -x "$WINESERVER" ] || WINESERVER=wineserver
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mail-oauth-wine.XXXXXX")
trap '"$WINESERVER" -k >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
export WINEPREFIX=$WORK/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
if ! timeout 60 "$WINE" wineboot --init >/dev/null 2>&1; then
  echo "windows: wine did not start within a minute; the .exe was built but not run"
  exit 0
fi
# Wine 8.0 lacks the bcryptprimitives.dll that Rust's std imports: give the
# prefix a stand-in (tests/wine/bcryptprimitives.c) when wine has none.
if [ ! -e "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ]; then
  x86_64-w64-mingw32-gcc -O2 -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
    tests/wine/bcryptprimitives.c -ladvapi32
fi
echo "--- windows: wine mail-oauth.exe --help"
help=$(timeout 60 "$WINE" "$EXE" --help | tr -d '\r')
head -3 <<<"$help"
grep -q '^Usage: mail-oauth' <<<"$help" || { echo "windows: unexpected --help output" >&2; exit 1; }
echo "--- windows: wine mail-oauth.exe providers (a fresh store, the embedded component)"
out=$(MAIL_OAUTH_HOME='C:\mail-oauth-test' timeout 60 "$WINE" "$EXE" --json providers | tr -d '\r')
ids=$(python3 -c 'import json,sys; print(" ".join(p["id"] for p in json.loads(sys.stdin.read())))' <<<"$out")
echo "providers: $ids"
[ "$ids" = "google microsoft yahoo aol fastmail yandex mail-ru comcast seznam" ] || { echo "windows: unexpected providers: $out" >&2; exit 1; }
if [ -d "$WINEPREFIX/drive_c/mail-oauth-test/cache" ]; then
  echo "windows: the embedded machine code did not fit; the component was compiled and cached"
else
  echo "windows: the component's machine code embedded at build time was used (nothing compiled)"
fi
