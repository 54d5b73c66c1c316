#!/usr/bin/env bash
# The Node kit's tests: eslint, the unit and fault tests (test/kit.test.js),
# the admin app's store and sentences (test/admin.test.js),
# the end-to-end journey against the real peers (test/e2e.test.js;
# tests/peers/up.sh starts them when they are not up). Installs the kit's
# packages with `npm ci` when missing. Runnable from any directory.
# MAIL_OAUTH_WASM names a prebuilt component; without it
# tests/build-component.sh builds it first.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"
if [[ -z "${MAIL_OAUTH_WASM:-}" ]]; then
  MAIL_OAUTH_WASM="$(bash "$repo/tests/build-component.sh")"
fi
export MAIL_OAUTH_WASM
bash install.sh
npx --no-install eslint .
bash "$repo/tests/peers/up.sh" >/dev/null
node --test --test-concurrency=1 test/kit.test.js test/admin.test.js test/e2e.test.js
