"""The durable outbox with real bot processes: a broadcast survives SIGKILL mid-way (restarted on SQLite; the other
instance on PostgreSQL finishes it), nobody gets it twice, nobody is left out, a 429 pauses the whole tenant, and
two instances together stay within the tenant's ceiling. `make bench` runs the same with 10,000 recipients."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.broadcast_load import broadcast_under_load
from tests.teams_channel.channel import TeamsChannel

CEILING = 100  # per second: small runs stay short
IN_FLIGHT = 5  # sends already under way when a 429 is answered (the bot then pauses: not CEILING more that second)


@pytest.mark.timeout(240)
async def test_a_broadcast_at_the_ceiling_backs_off_on_429_and_reaches_everyone_once(
    channel: TeamsChannel, tmp_path: Path
) -> None:
    result = await broadcast_under_load(
        channel, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", tmp_path, recipients=400, ceiling=CEILING, injected_429=2
    )
    assert (result.lost, result.duplicates, result.unresolved) == (0, 0, 0)
    assert result.tenant_throttled == 0 and result.busiest_second <= CEILING
    assert result.injected_429 == 2
    assert all(sent <= IN_FLIGHT for sent in result.sent_while_paused), result.sent_while_paused
    assert result.answer_seconds < 1.0


@pytest.mark.timeout(240)
async def test_sigkill_mid_way_and_a_restart_lose_nothing_and_send_nothing_twice(
    channel: TeamsChannel, tmp_path: Path
) -> None:
    result = await broadcast_under_load(
        channel,
        f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        tmp_path,
        recipients=400,
        ceiling=CEILING,
        kill_at=0.4,
        injected_429=0,
    )
    assert result.killed_after is not None and result.killed_after < result.recipients
    assert (result.lost, result.duplicates, result.unresolved) == (0, 0, 0)
    assert result.tenant_throttled == 0


@pytest.mark.postgres
@pytest.mark.timeout(240)
async def test_two_instances_share_the_outbox_and_the_ceiling_and_outlive_each_other(
    channel: TeamsChannel, _postgres_database: str, tmp_path: Path
) -> None:
    result = await broadcast_under_load(
        channel, _postgres_database, tmp_path, recipients=600, ceiling=CEILING, instances=2, kill_at=0.5, injected_429=1
    )
    assert result.killed_after is not None and result.killed_after < result.recipients
    assert (result.lost, result.duplicates, result.unresolved) == (0, 0, 0)
    assert result.tenant_throttled == 0 and result.busiest_second <= CEILING, "two instances, one budget"
