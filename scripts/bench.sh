#!/usr/bin/env bash
# `make bench`: the inbound benchmark (our bot vs the stock botbuilder bot), the similar-ideas look-up, the poll
# vote storm, then a broadcast to 10,000 people (steady, SIGKILL mid-way, two instances on PostgreSQL). Exits
# non-zero if a run is invalid (a request failed, a reply did not reach the emulator, a vote storm or broadcast
# check failed) or the similar-ideas index misses its targets.
# Extra arguments go to bench.inbound.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m bench.inbound "$@"
.venv/bin/python -m bench.ideas_similar
.venv/bin/python -m bench.vote_storm
exec .venv/bin/python -m bench.broadcast
