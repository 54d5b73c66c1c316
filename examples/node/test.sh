#!/usr/bin/env bash
# Loads the mail-oauth component in Node through jco and checks the published
# SASL vectors. Runnable from any directory. MAIL_OAUTH_WASM names a prebuilt
# component; without it tests/build-component.sh builds it first.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"

if [[ -z "${MAIL_OAUTH_WASM:-}" ]]; then
  # The shipped component (size profile, wasm-opt), as the CLI embeds it.
  MAIL_OAUTH_WASM="$(bash "$repo/tests/build-component.sh")"
fi

# npm records what it installed in node_modules/.package-lock.json: reinstall
# when that is missing or older than the committed lockfile.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

rm -rf generated
npx --no-install jco transpile "$MAIL_OAUTH_WASM" --out-dir generated --quiet --no-typescript \
  --map 'mail-oauth:plugin/http@0.2.0=../http-host.js' \
  --map 'mail-oauth:plugin/transport@0.2.0=../transport-host.js'

node --test test.mjs
