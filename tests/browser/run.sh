#!/usr/bin/env bash
# The browser journey of both reference admin apps (tests/browser/CONTRACT.md), in Debian's
# headless Chromium against the loopback peers: installs what is missing (chromium, the
# journey's npm packages from their lockfile, the Node kit's, the PHP kit's library),
# lints the journey, then runs it for each app named (default: node php).
#   bash tests/browser/run.sh [node] [php]
# Needs the peers (tests/peers/up.sh) and the component (tests/build-component.sh).
# It stops and restarts the peers' AS once (the "provider unreachable" path): run it
# alone, not beside other tests that use the AS.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
apps=("$@"); [ ${#apps[@]} -gt 0 ] || apps=(node php)

if ! [ -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends chromium
fi
if [[ ! -f "$HERE/node_modules/.package-lock.json" || "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
fi
bash examples/node/install.sh
examples/node/node_modules/.bin/eslint -c examples/node/eslint.config.js tests/browser/journey.mjs \
  examples/node/admin tests/peers/as/server.mjs tests/peers/as/state.mjs tests/peers/as/pages.mjs
export MAIL_OAUTH_WASM=${MAIL_OAUTH_WASM:-$(bash tests/build-component.sh)}

status=0
for app in "${apps[@]}"; do
  if [ "$app" = php ]; then bash examples/php/setup.sh >/dev/null; fi
  echo "--- journey $app"
  node "$HERE/journey.mjs" --app "$app" || status=1
done
exit $status
