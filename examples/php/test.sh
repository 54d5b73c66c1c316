#!/usr/bin/env bash
# The PHP kit's tests (CI runs this with MAIL_OAUTH_WASM set and the peers
# up, tests/peers/up.sh): installs what the kit needs (setup.sh), `php -l` on
# every PHP file, the unit tests (tests/unit.php: policy, values, redaction,
# errors, and the imports on faults from local servers of its own), then the
# end-to-end journey against the peers (tests/e2e.php), then the admin
# app's own tests (admin/tests/store.php), each printing
# `N passed, M failed`. Exit status 0 exactly when every part passed.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
[ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH="$HOME/.cargo/bin:$PATH" ;; esac

MAIL_OAUTH_WASMTIME_LIB=$(bash "$HERE/setup.sh")
export MAIL_OAUTH_WASMTIME_LIB
if [ -z "${MAIL_OAUTH_WASM:-}" ]; then
  MAIL_OAUTH_WASM=$(cd "$ROOT" && bash tests/build-component.sh)
fi
export MAIL_OAUTH_WASM

echo "== php -l"
find "$HERE" -name '*.php' -not -path '*/native/*' -print0 | sort -z | xargs -0 -n1 php -l | grep -v '^No syntax errors' || true
find "$HERE" -name '*.php' -not -path '*/native/*' -print0 | xargs -0 -n1 php -l >/dev/null

describe=$(mktemp)
trap 'rm -f "$describe"' EXIT
bash "$ROOT/examples/conformance.sh" rust --describe --component "$MAIL_OAUTH_WASM" >"$describe"
export MAIL_OAUTH_DESCRIBE=$describe

status=0
echo "== unit tests"
php "$HERE/tests/unit.php" || status=1
echo "== end to end, against the peers"
php "$HERE/tests/e2e.php" || status=1
echo "== the admin app: store, sessions, callback (admin/tests/store.php)"
php "$HERE/admin/tests/store.php" || status=1
exit $status
