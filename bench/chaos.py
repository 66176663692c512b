"""Chaos, measured: the bot killed and stopped under load, and two instances sharing work, with their figures.

    .venv/bin/python -m bench.chaos [--voters 600] [--concurrency 50] [--items 150] [--shared-items 200]

1. kill -9 during a vote burst, on SQLite and on PostgreSQL: `--voters` people vote (`--concurrency` at once); the
   bot is killed with SIGKILL after 100, 300 and 450 answers and restarted; every vote Teams got no answer for is
   sent again (as Teams retries), and 50 answered ones too. Ballots must equal voters, exactly.
2. SIGTERM with `--items` nudges due and being posted (Teams answering in 250 ms): the time to exit, and after a
   restart, every nudge delivered exactly once.
3. Two instances on one PostgreSQL with `--shared-items` nudges due at the same minute; one killed with SIGKILL
   while all their posts are in Teams' hands: each nudge delivered once, and how long the survivor took.

The scenarios are the ones `make test` runs smaller (tests/support/chaos.py). Prints a report and writes it as JSON
to build/bench-chaos.json. Exits 1 if any scenario loses or doubles anything.
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
from tests.support.chaos import (
    idea_burst_with_kills,
    sigterm_with_due_work,
    two_instances_share_due_work,
    vote_burst_with_kills,
)
from tests.teams_channel.channel import TeamsChannel

ROOT = Path(__file__).resolve().parent.parent
RESULT_FILE = ROOT / "build" / "bench-chaos.json"
KILLS = (100, 300, 450)


async def _run(channel: TeamsChannel, postgres: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"machine": machine(), "problems": []}
    kills = tuple(point for point in KILLS if point < args.voters)
    for backend, url in (("sqlite", f"sqlite+aiosqlite:///{work / 'votes.db'}"), ("postgresql", postgres)):
        (work / backend).mkdir()
        burst = await vote_burst_with_kills(
            channel, url, work / backend, voters=args.voters, concurrency=args.concurrency, kill_after=kills
        )
        report[f"vote_burst_{backend}"] = asdict(burst)
        if burst.ballots != burst.voters or burst.counts != burst.expected:
            report["problems"].append(f"{backend}: {burst.ballots} ballots for {burst.voters} voters")
    (work / "ideas").mkdir()
    ideas = await idea_burst_with_kills(
        channel,
        f"sqlite+aiosqlite:///{work / 'ideas.db'}",
        work / "ideas",
        ideas=args.ideas,
        concurrency=args.concurrency,
        kill_after=tuple(point for point in KILLS if point < args.ideas),
    )
    report["idea_burst"] = {**asdict(ideas), "cards_per_idea": sorted(set(ideas.cards_per_idea.values()))}
    if ideas.stored != ideas.submitted or set(ideas.cards_per_idea.values()) != {1}:
        report["problems"].append(f"ideas: {ideas.stored} stored for {ideas.submitted}, cards {report['idea_burst']}")
    stop = await sigterm_with_due_work(channel, f"sqlite+aiosqlite:///{work / 'nudges.db'}", work, items=args.items)
    report["sigterm"] = {**asdict(stop), "per_room": sorted(set(stop.per_room.values()))}
    if stop.exit_seconds >= 10 or set(stop.per_room.values()) != {1}:
        deliveries = sorted(set(stop.per_room.values()))
        report["problems"].append(f"SIGTERM: exit after {stop.exit_seconds:.1f}s, deliveries per room {deliveries}")
    shared = await two_instances_share_due_work(channel, postgres, work, items=args.shared_items)
    report["two_instances"] = {**asdict(shared), "per_room": sorted(set(shared.per_room.values()))}
    if set(shared.per_room.values()) != {1} or shared.seconds_to_finish_after_kill >= 60:
        report["problems"].append(f"two instances: deliveries {sorted(set(shared.per_room.values()))}")
    return report


def _print(report: dict[str, Any]) -> None:
    for backend in ("sqlite", "postgresql"):
        burst = report[f"vote_burst_{backend}"]
        print(
            f"kill -9 in a vote burst ({backend}): {burst['voters']} voters, killed after "
            f"{burst['kills']['acknowledged_before_kills']} answers, {burst['kills']['retried']} deliveries retried, "
            f"{burst['duplicates_sent']} answered ones sent again → {burst['ballots']} ballots "
            f"(lost {burst['voters'] - burst['ballots']}), counts {burst['counts']} ({burst['seconds']:.1f} s)"
        )
    ideas = report["idea_burst"]
    print(
        f"kill -9 in an idea burst (sqlite): {ideas['submitted']} ideas, killed after "
        f"{ideas['kills']['acknowledged_before_kills']} answers, {ideas['kills']['retried']} retried → "
        f"{ideas['stored']} stored, cards per idea {ideas['cards_per_idea']} ({ideas['seconds']:.1f} s)"
    )
    stop = report["sigterm"]
    print(
        f"SIGTERM with {stop['items']} nudges due: {stop['delivered_before_stop']} posted before the signal, exit "
        f"{stop['exit_code']} after {stop['exit_seconds']:.2f} s; after a restart every room got {stop['per_room']} "
        f"(the rest within {stop['seconds_to_finish_after_restart']:.1f} s)"
    )
    shared = report["two_instances"]
    print(
        f"two instances, {shared['items']} nudges due at once, one killed after {shared['killed_after']} deliveries: "
        f"every room got {shared['per_room']}, "
        f"the survivor finished in {shared['seconds_to_finish_after_kill']:.1f} s, "
        f"leases left {shared['leases_left']}"
    )
    print("problems:", report["problems"] or "none")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voters", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--ideas", type=int, default=200)
    parser.add_argument("--items", type=int, default=150)
    parser.add_argument("--shared-items", type=int, default=200)
    args = parser.parse_args()
    report = with_teams_and_postgres("chaos", partial(_run, args=args), RESULT_FILE)
    _print(report)
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
