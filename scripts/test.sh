#!/usr/bin/env bash
# `make test`: the whole suite. PostgreSQL is started (and installed, when missing and run as root) by the
# test fixtures; Node tools, when a test needs them, by scripts of their own. pytest's exit code 5
# ("no tests collected") is a failure here, never a silent pass.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "make test: pytest collected no tests — treating as a failure" >&2
  exit 1
fi
exit "$status"
