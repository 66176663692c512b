"""An upgrade loses no planned work: every job the APScheduler job store held, under every module path this
project ever pickled, becomes timed work in the bot's own table, at the same time, on SQLite and PostgreSQL."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import command
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import inspect

from bot.store.engine import create_engine
from bot.store.migrate import alembic_config, migrate
from bot.timed import TimedWorkStore

TOKYO = ZoneInfo("Asia/Tokyo")
DUE = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
# Every (job id, module path) pair the project has stored: the paths moved twice, the ids never did.
STORED_JOBS = [
    ("nudge:n-old", "bot.nudges.jobs:fire", "nudges.post", "n-old"),
    ("nudge:n-new", "dialogs.nudges_jobs:fire", "nudges.post", "n-new"),
    ("poll-close:p-old", "bot.polls.jobs:close_poll", "polls.close", "p-old"),
    ("poll-close:p-new", "dialogs.polls_jobs:close_poll", "polls.close", "p-new"),
    ("poll-remind:p-old", "bot.polls.jobs:remind_before_deadline", "polls.remind", "p-old"),
    ("poll-remind:p-new", "dialogs.polls_jobs:remind_before_deadline", "polls.remind", "p-new"),
    ("poll-repeat:p-old", "bot.polls.jobs:repeat_poll", "polls.repeat", "p-old"),
    ("poll-repeat:p-new", "dialogs.polls_jobs:repeat_poll", "polls.repeat", "p-new"),
    ("tips:daily:19:old@thread.tacv2", "bot.tips.jobs:post_tip_of_the_day", "tips.daily", "19:old@thread.tacv2"),
    ("tips:daily:19:new@thread.tacv2", "dialogs.tips_jobs:post_tip_of_the_day", "tips.daily", "19:new@thread.tacv2"),
]
PLATFORM_JOBS = [
    ("platform:wake-up", "bot.application:wake_up"),
    ("platform:purge-processed-activities", "bot.application:purge_processed_activities"),
]


def _job_state(job_id: str, func: str, due: datetime) -> bytes:
    """The pickle APScheduler 3.11 wrote for a job (Job.__getstate__)."""
    cron = job_id.startswith(("poll-repeat:", "tips:daily:", "platform:"))
    trigger = CronTrigger(hour=9, minute=30, timezone=TOKYO) if cron else DateTrigger(run_date=due, timezone=TOKYO)
    state = {
        "version": 1, "id": job_id, "func": func, "trigger": trigger, "executor": "default", "args": (),
        "kwargs": {}, "name": func.rpartition(":")[2], "misfire_grace_time": None, "coalesce": True,
        "max_instances": 1, "next_run_time": due,
    }  # fmt: skip
    return pickle.dumps(state, pickle.HIGHEST_PROTOCOL)


def _old_deployment(connection: sa.Connection) -> None:
    """A database at the last release before timed work, with its APScheduler job store filled."""
    command.upgrade(alembic_config(connection), "0004")
    jobs = sa.Table(
        "apscheduler_jobs",
        sa.MetaData(),
        sa.Column("id", sa.Unicode(191), primary_key=True),
        sa.Column("next_run_time", sa.Float(25), index=True),
        sa.Column("job_state", sa.LargeBinary, nullable=False),
    )
    jobs.create(connection)
    rows = [(job_id, func) for job_id, func, _, _ in STORED_JOBS] + PLATFORM_JOBS + [("mystery:1", "x.y:z")]
    connection.execute(
        jobs.insert(),
        [
            {"id": job_id, "next_run_time": DUE.timestamp(), "job_state": _job_state(job_id, func, DUE)}
            for job_id, func in rows
        ],
    )


async def test_every_stored_job_survives_the_upgrade_as_timed_work(database_url: str) -> None:
    fresh = database_url  # migrated to head by the fixture: go back to 0004 on a new database
    engine = create_engine(fresh)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: sync.execute(sa.text("DROP TABLE IF EXISTS alembic_version")))
            for table in reversed(await conn.run_sync(lambda sync: inspect(sync).get_table_names())):
                await conn.execute(sa.text(f'DROP TABLE "{table}"'))
            await conn.run_sync(_old_deployment)
    finally:
        await engine.dispose()

    await migrate(fresh)

    engine = create_engine(fresh)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        store = TimedWorkStore(engine)
        for _, _, name, item in STORED_JOBS:
            planned = await store.get(name, item)
            assert planned is not None, (name, item)
            assert planned.due_at == DUE and planned.occurrence == DUE and planned.attempts == 0
        # A job id the bot never planned is kept (and reported by /healthz), not dropped.
        assert await store.get("apscheduler.unknown", "mystery:1") is not None
        summary = await store.summary(["nudges.post", "polls.close", "polls.remind", "polls.repeat", "tips.daily"], DUE)
        assert summary["planned"] == len(STORED_JOBS) + 1 and summary["unhandled"] == 1
    finally:
        await engine.dispose()
    assert "apscheduler_jobs" not in tables  # the pickled store is gone: nothing can delete work at load any more
