#!/usr/bin/env bash
# `make bench`: the inbound benchmark (our bot vs the stock botbuilder bot), the similar-ideas look-up, then the
# poll vote storm. Exits non-zero if a run is invalid (a request failed, a reply did not reach the emulator, a vote
# storm check failed) or the similar-ideas index misses its targets.
# Extra arguments go to bench.inbound.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m bench.inbound "$@"
.venv/bin/python -m bench.ideas_similar
exec .venv/bin/python -m bench.vote_storm
