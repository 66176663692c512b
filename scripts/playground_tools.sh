#!/usr/bin/env bash
# Installs the Microsoft 365 Agents Playground (npm @microsoft/m365agentsplayground) exactly as pinned in
# playground/node/package-lock.json into .tmp/playground — an ignored folder: the Playground's licence allows
# evaluation use, not redistribution, so it is fetched on first use and never committed. Idempotent: a stamp holding
# the lock file's hash makes a second run a no-op. Missing node/npm is an error, never a silent skip.
set -euo pipefail
cd "$(dirname "$0")/.."
source=playground/node
dir=.tmp/playground
stamp="$dir/node_modules/.installed-lock-sha256"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "playground_tools: '$tool' is not installed; the Agents Playground needs Node.js 20 and npm" >&2
    exit 1
  fi
done

want=$(sha256sum "$source/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

# One installer at a time (parallel test runs share the folder); re-check once we hold the lock.
mkdir -p "$dir"
exec 9>.tmp/playground_tools.lock
flock 9
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "playground_tools: installing the Agents Playground into $dir (npm ci)" >&2
cp "$source/package.json" "$source/package-lock.json" "$dir/"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
echo "$want" >"$stamp"
