#!/usr/bin/env bash
# The PHP kit's conformance runner (../shared/conformance/FORMAT.md):
#   bash examples/php/conformance.sh [--live] [--allow TARGET]... [--allow-loopback] [--ca-file PEM] \
#       --component WASM VECTORS.json
# Installs what the kit needs first (examples/php/setup.sh: Debian's php8.2-cli
# and php8.2-curl when php is missing, the wasmtime C library when it is not
# built), then runs conformance.php with the same flags. Relative paths are
# taken from the caller's cwd.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MAIL_OAUTH_WASMTIME_LIB=$(bash "$HERE/setup.sh")
export MAIL_OAUTH_WASMTIME_LIB
exec php "$HERE/conformance.php" "$@"
