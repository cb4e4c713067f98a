#!/usr/bin/env bash
# Fails when the committed Studio build (dist/) or generated client (src/gen/) no longer match
# what the sources produce. CI runs this; the backend embeds dist/ as it is committed.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

npx buf generate ../proto --template buf.gen.yaml -o "$tmp/gen"
if ! diff -r src/gen "$tmp/gen/src/gen"; then
  echo "check-dist: src/gen is stale: run 'npm run gen' and commit src/gen" >&2
  exit 1
fi

npx tsc --noEmit
npx vite build --logLevel warn --outDir "$tmp/dist" --emptyOutDir
# The gzip copies are compared by what they hold (another zlib may compress the same bytes
# differently): the same set of copies, each unpacking to the file beside it.
if ! diff -r -x '*.gz' dist "$tmp/dist" || ! diff <(cd dist && find . -name '*.gz' | sort) <(cd "$tmp/dist" && find . -name '*.gz' | sort); then
  echo "check-dist: dist/ does not match the sources: run 'npm run build' in ui-shim and commit dist/" >&2
  exit 1
fi
while IFS= read -r copy; do
  if ! gunzip -c "$copy" | cmp -s - "${copy%.gz}"; then
    echo "check-dist: $copy does not unpack to ${copy%.gz}: run 'npm run build' in ui-shim and commit dist/" >&2
    exit 1
  fi
done < <(find dist -name '*.gz')
echo "check-dist: dist/ and src/gen/ match the sources"
