#!/usr/bin/env bash
# Installs the test-time Node tools (tests/cardcheck/node: the Adaptive Cards renderer and the Teams manifest
# validator) exactly as pinned in its committed package-lock.json. Idempotent: a stamp holding the lock file's
# hash makes a second run a no-op. Missing node/npm is an error, never a silent skip — the card and manifest
# checks must not quietly disappear from `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=tests/cardcheck/node
stamp="$dir/node_modules/.installed-lock-sha256"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "node_tools: '$tool' is not installed; the card and manifest tests need Node.js 20 and npm" >&2
    exit 1
  fi
done
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  echo "node_tools: Node.js $(node --version) is too old; the card and manifest tests need Node.js 20" >&2
  exit 1
fi

want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

# One installer at a time (parallel test runs share the folder); re-check once we hold the lock.
mkdir -p .tmp
exec 9>.tmp/node_tools.lock
flock 9
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "node_tools: installing $dir (npm ci)" >&2
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
echo "$want" >"$stamp"
