#!/usr/bin/env bash
# Runs the Studio browser tests: installs playwright-core and the client (npm ci in ui-shim,
# registry only), then drives /usr/bin/chromium (apt package `chromium`) against the server
# binary in WL_SERVER_BIN (default: target/debug/weightslab). Screenshots: artifacts/browser/.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
export WL_SERVER_BIN="${WL_SERVER_BIN:-$root/target/debug/weightslab}"
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM_BIN:-}" ]; then
  echo "browser tests need chromium: apt-get install chromium (or set CHROMIUM_BIN)" >&2
  exit 1
fi
(cd "$root/ui-shim" && npm ci --no-audit --no-fund)
cd "$root/ui-shim"
node --test --test-concurrency=1 ../tests/browser/
