"""Lose nothing: real bot processes killed with SIGKILL mid-burst, stopped with SIGTERM mid-work, and run as two
instances on one database. `make chaos` runs the same scenarios bigger and reports their figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.bot import process_environment
from tests.support.chaos import (
    idea_burst_with_kills,
    sigterm_with_due_work,
    two_instances_share_due_work,
    vote_burst_with_kills,
)
from tests.support.process import BotProcess, free_port
from tests.teams_channel.channel import TeamsChannel


@pytest.mark.timeout(240)
async def test_kill_9_during_a_vote_burst_loses_no_vote_and_counts_none_twice(
    channel: TeamsChannel, database_url: str, tmp_path: Path
) -> None:
    result = await vote_burst_with_kills(
        channel, database_url, tmp_path, voters=240, concurrency=50, kill_after=(40, 150)
    )
    assert len(result.kills.acknowledged_before_kills) == 2, "the bot was killed twice, mid-burst"
    assert result.kills.retried > 0  # votes were in flight at the kills, as in production
    assert result.ballots == result.voters  # ballots = voters, exactly
    assert result.counts == result.expected


@pytest.mark.timeout(240)
async def test_kill_9_during_a_burst_of_ideas_stores_each_once_and_posts_each_card_once(
    channel: TeamsChannel, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    result = await idea_burst_with_kills(channel, url, tmp_path, ideas=40, concurrency=20, kill_after=(15,))
    assert len(result.kills.acknowledged_before_kills) == 1 and result.kills.retried > 0
    assert result.stored == result.submitted
    assert set(result.cards_per_idea.values()) == {1}


@pytest.mark.timeout(240)
async def test_sigterm_stops_within_seconds_and_a_restart_delivers_the_rest_once(
    channel: TeamsChannel, tmp_path: Path
) -> None:
    result = await sigterm_with_due_work(channel, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", tmp_path, items=150)
    assert result.exit_code == 0 and result.exit_seconds < 10
    assert 10 <= result.delivered_before_stop < result.items  # it was stopped mid-work
    assert set(result.per_room.values()) == {1}  # every nudge delivered, none twice


@pytest.mark.postgres
@pytest.mark.timeout(240)
async def test_two_instances_on_postgresql_share_due_work_and_outlive_each_other(
    channel: TeamsChannel, _postgres_database: str, tmp_path: Path
) -> None:
    result = await two_instances_share_due_work(channel, _postgres_database, tmp_path, items=200)
    assert set(result.per_room.values()) == {1}  # 200 due at once: each delivered once
    assert result.killed_after < result.items and result.seconds_to_finish_after_kill < 60
    assert result.leases_left == 0


async def test_a_second_instance_on_one_sqlite_database_is_refused_with_a_clear_message(
    channel: TeamsChannel, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    first = BotProcess(process_environment(channel, url, free_port()), tmp_path / "first.log")
    try:
        first.wait_healthy()
        second = BotProcess(process_environment(channel, url, free_port()), tmp_path / "second.log")
        assert second.process.wait(timeout=60) == 2
        assert "SQLite serves one instance" in second.log() and "PostgreSQL" in second.log()
        second.stop()
    finally:
        assert first.stop() == 0
