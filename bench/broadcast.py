"""A broadcast (お知らせ配信) to 10,000 people, measured: the rate against Teams' per-tenant ceiling, and nothing lost
or doubled when the bot is killed mid-way or when two instances share the outbox.

    .venv/bin/python -m bench.broadcast [--recipients 10000] [--ceiling 50] [--only NAME]

Three runs through real bot processes and the loopback Teams channel, which enforces the per-conversation limits
and a per-tenant ceiling of `--ceiling` calls per second (answering 429 beyond it) and injects 429s of its own
(Retry-After 1 s):
1. `steady`: SQLite, one instance, three 429s spread over the run;
2. `sigkill`: SQLite, SIGKILL at 40 % and a restart (as a supervisor would);
3. `two_instances`: two instances on one PostgreSQL sharing the outbox, one killed with SIGKILL at 50 %.
Each reports messages per second as a share of the ceiling (from the first delivery to the last, so the kill's
restart counts against it), lost and duplicated deliveries (the channel counts them per recipient), the busiest
second at Teams, the bot's CPU per delivered message and its peak RSS. `make test` runs the same small
(tests/e2e/test_broadcast_outbox.py). Writes build/bench-broadcast.json; exits 1 if anything was lost, doubled,
left unresolved or over the ceiling.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

from bench.inbound import machine
from bench.processes import with_teams_and_postgres
from tests.support.broadcast_load import LoadResult, broadcast_under_load
from tests.teams_channel.channel import TeamsChannel

ROOT = Path(__file__).resolve().parent.parent
RESULT_FILE = ROOT / "build" / "bench-broadcast.json"
RUNS = ("steady", "sigkill", "two_instances")


async def _run(channel: TeamsChannel, postgres: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"machine": machine(), "runs": {}, "problems": []}
    shape: dict[str, dict[str, Any]] = {
        "steady": {"database_url": f"sqlite+aiosqlite:///{work / 'steady.db'}", "injected_429": 3},
        "sigkill": {"database_url": f"sqlite+aiosqlite:///{work / 'sigkill.db'}", "kill_at": 0.4, "injected_429": 2},
        "two_instances": {"database_url": postgres, "instances": 2, "kill_at": 0.5, "injected_429": 2},
    }
    for name in args.only or RUNS:
        (work / name).mkdir()
        result = await broadcast_under_load(
            channel, work=work / name, recipients=args.recipients, ceiling=args.ceiling, **shape[name]
        )
        report["runs"][name] = asdict(result)
        report["problems"] += [f"{name}: {problem}" for problem in _problems(result)]
        _print(name, result)
    return report


def _problems(result: LoadResult) -> list[str]:
    checks = {
        "lost": result.lost,
        "duplicates": result.duplicates,
        "unresolved outbox rows": result.unresolved,
        "calls over the tenant ceiling": result.tenant_throttled,
    }
    found = [f"{what} {count}" for what, count in checks.items() if count]
    if result.busiest_second > result.ceiling:
        found.append(f"{result.busiest_second} calls in one second (ceiling {result.ceiling})")
    return found


def _print(name: str, r: LoadResult) -> None:
    killed = f", killed after {r.killed_after}" if r.killed_after is not None else ""
    print(
        f"{name}: {r.recipients} recipients, {r.instances} instance(s){killed}: delivered {r.delivered} in "
        f"{r.seconds:.1f} s = {r.rate:.2f}/s = {r.share_of_ceiling:.3f} of the {r.ceiling}/s ceiling; lost {r.lost}, "
        f"duplicates {r.duplicates}, unresolved {r.unresolved}, unconfirmed {r.unconfirmed}; busiest second "
        f"{r.busiest_second}, refused for the ceiling {r.tenant_throttled}; {r.injected_429} injected 429s, sent "
        f"while paused {r.sent_while_paused}; CPU {r.cpu_ms_per_message:.2f} ms/message, peak RSS "
        f"{r.peak_rss_mb:.0f} MB; slowest admin answer {r.answer_seconds * 1000:.0f} ms",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--ceiling", type=int, default=50)
    parser.add_argument("--only", action="append", choices=RUNS)
    args = parser.parse_args()
    report = with_teams_and_postgres("broadcast", partial(_run, args=args), RESULT_FILE)
    print("problems:", report["problems"] or "none")
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
