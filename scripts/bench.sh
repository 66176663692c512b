#!/usr/bin/env bash
# `make bench`: the inbound benchmark (our bot vs the stock botbuilder bot). Exits non-zero if the run is
# invalid (a request failed or a reply did not reach the emulator). Extra arguments go to bench.inbound.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m bench.inbound "$@"
