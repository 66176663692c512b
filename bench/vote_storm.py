"""Vote storm: 5,000 people vote on one poll in one channel, 200 at a time, through HTTP + JWT into the bot.

    .venv/bin/python -m bench.vote_storm [-n 5000] [--concurrency 200] [--inbound 1000] [--quick]

The loopback Teams channel emulator runs as its own process with Teams' rate limits ON (it answers 429 when a
conversation gets more than Teams allows); the bot is `app.py` as its own process on a fresh SQLite database.
A short inbound phase (1:1 `help` messages, as bench.inbound) runs first on the same bot, as the baseline.
Then a lead posts a poll in a channel with the one-line form and every voter clicks once (Action.Execute).

Checks (exit 1 if any fails): every vote answered 200 with the voter's refreshed card in under 1 s; the ballots
and totals in the database are exactly the votes sent; the shared card was rewritten after the last vote
(`card_dirty` cleared); the emulator throttled nothing (shared-card updates kept the per-conversation limits).
Results: a table on stdout and `build/bench-vote-storm.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sqlite3
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.inbound import Emulator, bot_environment, machine
from bench.load import PhaseResult, accept_invoke, accept_message, message_bodies, run_load
from bench.processes import Children, free_port, supervised
from tests.teams_channel.activities import ActivityBuilder, Conversation
from tests.teams_channel.state import STATE_FILE, load_signer, load_state

ROOT = Path(__file__).resolve().parent.parent
RESULT_FILE = ROOT / "build" / "bench-vote-storm.json"
OPTIONS = ("和食", "洋食", "中華")
LATENCY_LIMIT_MS = 1000.0
SIGNED_TOKENS = 8


@dataclass
class Plan:
    voters: int
    concurrency: int
    inbound: int


@dataclass
class Outcome:
    phases: list[PhaseResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


def _post(url: str, bodies: list[bytes], tokens: list[str], name: str, check: Any, concurrency: int) -> PhaseResult:
    return asyncio.run(run_load(name, url, bodies, tokens, concurrency=concurrency, check=check))


def vote_bodies(builder: ActivityBuilder, channel: Conversation, poll_id: str, count: int) -> list[bytes]:
    """One click per voter, each a different person; voter i picks option i % 3."""
    return [
        json.dumps(
            builder.card_action(
                "poll.vote",
                {"poll_id": poll_id, "choice": i % len(OPTIONS)},
                conversation=channel,
                user=builder.user(f"voter {i:05d}"),
            )
        ).encode()
        for i in range(count)
    ]


def accept_vote(status: int, body: bytes) -> str | None:
    """200 with the voter's own card (a Notify would mean the vote was refused)."""
    problem = accept_invoke(status, body)
    if problem:
        return problem
    return None if json.loads(body).get("type") == "application/vnd.microsoft.card.adaptive" else "vote refused"


def database_tallies(db: Path, poll_id: str) -> tuple[int, dict[int, int], bool]:
    """(ballots, votes per option, card still dirty) straight from the bot's database."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        ballots = conn.execute("SELECT count(*) FROM poll_ballots WHERE poll_id = ?", (poll_id,)).fetchone()[0]
        rows = conn.execute("SELECT option, count(*) FROM poll_choices WHERE poll_id = ? GROUP BY option", (poll_id,))
        counts = {int(option): int(n) for option, n in rows}
        dirty = bool(conn.execute("SELECT card_dirty FROM polls WHERE poll_id = ?", (poll_id,)).fetchone()[0])
    return ballots, counts, dirty


def the_poll(db: Path) -> str:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        (poll_id,) = conn.execute("SELECT poll_id FROM polls").fetchone()
    return str(poll_id)


def run(plan: Plan, children: Children, work: Path) -> Outcome:
    outcome = Outcome()
    state_dir = work / "emulator"
    python = sys.executable
    children.start("emulator", [python, "-m", "tests.teams_channel", "--state-dir", str(state_dir)], os.environ, ROOT)
    children.wait_for_file("emulator", state_dir / STATE_FILE)
    state = load_state(state_dir)
    sign = load_signer(state_dir)
    tokens = [sign() for _ in range(SIGNED_TOKENS)]
    emulator = Emulator(state)
    builder = ActivityBuilder(service_url=state["service_url"], app_id=state["app_id"], tenant_id=state["tenant_id"])
    port = free_port()
    children.start("bot", [python, "app.py"], bot_environment(state, work, port), ROOT)
    children.wait_healthy("bot", f"http://127.0.0.1:{port}/healthz")
    url = f"http://127.0.0.1:{port}/api/messages"

    # Baseline: 1:1 help messages, as bench.inbound measures them (after a warm-up).
    _post(url, message_bodies(builder, 100, "help", "warm"), tokens, "warm-up", accept_message, 24)
    inbound = _post(
        url, message_bodies(builder, plan.inbound, "help", "inbound"), tokens, "inbound", accept_message, 24
    )
    outcome.phases.append(inbound)

    # A lead installs the app in a channel and posts the poll with the one-line form.
    channel, lead = Conversation.channel(), builder.user("リーダー")
    setup = [
        json.dumps(builder.installation_update("add", conversation=channel, user=lead)).encode(),
        json.dumps(
            builder.message("poll 今日のランチ? / " + " / ".join(OPTIONS), conversation=channel, user=lead)
        ).encode(),
    ]
    for body in setup:
        _post(url, [body], tokens, "setup", accept_message, 1)
    db = work / "bench.db"
    poll_id = the_poll(db)
    emulator.reset()

    storm = _post(
        url, vote_bodies(builder, channel, poll_id, plan.voters), tokens, "vote storm", accept_vote, plan.concurrency
    )
    outcome.phases.append(storm)
    deadline = time.monotonic() + 30
    ballots, counts, dirty = database_tallies(db, poll_id)
    while dirty and time.monotonic() < deadline:  # the coalesced writer catches up at most every 3 s
        time.sleep(0.5)
        ballots, counts, dirty = database_tallies(db, poll_id)
    stats = emulator.stats()
    storm.emulator = stats
    children.check_alive("bot")

    expected = Counter(i % len(OPTIONS) for i in range(plan.voters))
    outcome.facts = {
        "poll_id": poll_id,
        "ballots": ballots,
        "counts": {OPTIONS[o]: counts.get(o, 0) for o in range(len(OPTIONS))},
        "expected": {OPTIONS[o]: expected[o] for o in range(len(OPTIONS))},
        "card_written_after_last_vote": not dirty,
        "connector_calls_during_storm": stats.get("calls"),
        "throttled": stats.get("throttled"),
        "max_ms": round(max(storm.latencies_ms, default=float("nan")), 1),
        "vote_over_inbound_throughput": round(storm.throughput / inbound.throughput, 2) if inbound.throughput else None,
    }
    problems = outcome.problems
    for phase in outcome.phases:
        if phase.errors:
            problems.append(f"{phase.name}: {phase.errors} failed requests {dict(phase.failures)}")
    if ballots != plan.voters or any(counts.get(o, 0) != n for o, n in expected.items()):
        problems.append(f"tallies differ from the votes sent: {ballots} ballots, {counts} vs {dict(expected)}")
    if dirty:
        problems.append("the shared card was not rewritten after the last vote within 30 s")
    if stats.get("throttled"):
        problems.append(f"the emulator throttled {stats['throttled']} connector calls (per-conversation limits)")
    if storm.latencies_ms and max(storm.latencies_ms) >= LATENCY_LIMIT_MS:
        slow = sum(1 for ms in storm.latencies_ms if ms >= LATENCY_LIMIT_MS)
        problems.append(f"{slow} of {plan.voters} votes took 1 s or more (max {max(storm.latencies_ms):.0f} ms)")
    if problems:
        problems.append(f"bot log (end):\n{children.log_tail('bot', 20)}")
    return outcome


def render(plan: Plan, outcome: Outcome) -> str:
    header = (
        f"{'phase':<12}{'requests':>9}{'seconds':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}"
    )
    lines = [header, "-" * len(header)]
    for p in outcome.phases:
        worst = max(p.latencies_ms, default=float("nan"))
        lines.append(
            f"{p.name:<12}{p.requests:>9}{p.seconds:>9.2f}{p.throughput:>9.1f}{p.percentile(50):>9.1f}"
            f"{p.percentile(99):>9.1f}{worst:>9.1f}{p.errors:>8}"
        )
    f = outcome.facts
    lines += [
        f"voters {plan.voters}, concurrency {plan.concurrency}, one poll in one channel (emulator rate limits ON)",
        f"ballots in the database: {f.get('ballots')}  totals {f.get('counts')}  expected {f.get('expected')}",
        f"shared card rewritten after the last vote: {f.get('card_written_after_last_vote')}",
        f"connector calls during the storm: {f.get('connector_calls_during_storm')}",
        f"throttled (429) by the emulator: {f.get('throttled')}",
        f"vote/inbound throughput ratio: {f.get('vote_over_inbound_throughput')}",
    ]
    return "\n".join(lines)


def write_json(plan: Plan, outcome: Outcome) -> None:
    data = {
        "benchmark": "vote_storm",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "plan": {"voters": plan.voters, "concurrency": plan.concurrency, "inbound": plan.inbound},
        "phases": [p.summary() for p in outcome.phases],
        "facts": outcome.facts,
        "valid": not outcome.problems,
        "problems": outcome.problems,
    }
    RESULT_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULT_FILE.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def parse_args(argv: list[str] | None) -> Plan:
    parser = argparse.ArgumentParser(prog="python -m bench.vote_storm", description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--voters", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--inbound", type=int, default=1000, help="baseline 1:1 messages before the storm")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 500 voters, 300 baseline messages")
    args = parser.parse_args(argv)
    if args.quick:
        args.voters, args.inbound = 500, 300
    return Plan(args.voters, args.concurrency, args.inbound)


def main(argv: list[str] | None = None) -> int:
    plan = parse_args(argv)
    outcome = supervised("bench-votes-", lambda children, work: run(plan, children, work))
    if isinstance(outcome, int):
        return outcome
    print(render(plan, outcome))
    write_json(plan, outcome)
    print(f"\nwritten {RESULT_FILE.relative_to(ROOT)}")
    if outcome.problems:
        print("vote storm FAILED:\n  " + "\n  ".join(outcome.problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
