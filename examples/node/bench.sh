#!/usr/bin/env bash
# The Node kit's benchmarks (bench.js): a markdown table of the kit against
# Buffer's base64 and openid-client, measured in the same run. Starts the
# peers (tests/peers/up.sh) when they are not up. MAIL_OAUTH_WASM names a
# prebuilt component; without it tests/build-component.sh builds it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"
export MAIL_OAUTH_WASM="${MAIL_OAUTH_WASM:-$(bash "$repo/tests/build-component.sh")}"
bash install.sh
bash "$repo/tests/peers/up.sh" >/dev/null
exec node bench.js "$@"
