"""The scheduler against real job stores: jobs survive a restart, and missed runs run once after it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.scheduler import Scheduler, create_scheduler, get_runtime, set_runtime
from bot.settings import Settings

TOKYO = ZoneInfo("Asia/Tokyo")
RECORD = f"{__name__}:record_run"
RUNS: list[str] = []
RAN = asyncio.Event()


async def record_run(label: str) -> None:
    """Job function: importable by "module:function", as a persistent store requires."""
    RUNS.append(label)
    RAN.set()


async def record_via_runtime(label: str) -> None:
    get_runtime(list).append(label)
    RAN.set()


@pytest.fixture(autouse=True)
def _clean_state() -> Iterator[None]:
    global RAN
    RUNS.clear()
    RAN = asyncio.Event()
    yield
    set_runtime(None)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def job_store(request: pytest.FixtureRequest, tmp_path) -> Iterator[tuple[str, str]]:
    """(sync URL, table name) of the job store; PostgreSQL gets its own table so tests never see others' jobs."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}", "apscheduler_jobs"
        return
    async_url = request.getfixturevalue("postgres_url")  # the throwaway server: never a silent skip
    url, table = Settings(database_url=async_url).sync_database_url, f"apscheduler_jobs_{uuid4().hex[:8]}"
    yield url, table
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))
    engine.dispose()


@pytest.fixture
def sqlite_sync_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
async def make() -> AsyncIterator[Callable[..., Scheduler]]:
    """Build schedulers (one per simulated process) and shut any still running down at the end."""
    made: list[Scheduler] = []

    def build(url: str, tablename: str = "apscheduler_jobs", *, start: bool = True) -> Scheduler:
        scheduler = Scheduler(create_scheduler(url, "Asia/Tokyo", tablename=tablename))
        if start:
            scheduler.start()
        made.append(scheduler)
        return scheduler

    yield build
    for scheduler in made:
        await scheduler.shutdown()


async def first_run() -> None:
    async with asyncio.timeout(1.0):
        await RAN.wait()


async def test_job_survives_restart(make, job_store) -> None:
    url, table = job_store
    run_at = datetime.now(TOKYO).replace(microsecond=0) + timedelta(hours=1)
    first = make(url, table)
    await first.add_at("reminder:1", RECORD, run_at, {"label": "later"})
    await first.shutdown()

    second = make(url, table)  # a new process on the same database
    job = second.get("reminder:1")
    assert job is not None
    assert (job.func_ref, job.kwargs, job.next_run_time) == (RECORD, {"label": "later"}, run_at)
    assert second.job_ids() == ["reminder:1"]
    assert RUNS == []


async def test_job_due_during_downtime_runs_once_after_restart(make, sqlite_sync_url) -> None:
    first = make(sqlite_sync_url)
    await first.add_at("close-poll:7", RECORD, datetime.now(TOKYO) + timedelta(seconds=0.1), {"label": "due"})
    await first.shutdown()
    # Down past APScheduler's default 1 s grace, which would drop the run as "missed".
    await asyncio.sleep(1.25)
    assert RUNS == []

    second = make(sqlite_sync_url)
    await first_run()
    await asyncio.sleep(0.2)
    assert RUNS == ["due"]
    assert second.get("close-poll:7") is None  # a date job is done after its one run


async def test_cron_that_missed_many_runs_runs_once(make, job_store) -> None:
    url, table = job_store
    first = Scheduler(create_scheduler(url, tablename=table))
    first._aps.start(paused=True)  # stored but not processed: the process is "down" from here
    await first.add_cron("tick", RECORD, hour="*", minute="*", kwargs={"label": "tick"})
    first._aps.modify_job("tick", next_run_time=datetime.now(TOKYO) - timedelta(minutes=10))  # 10 missed runs
    await first.shutdown()

    second = make(url, table)
    await first_run()
    await asyncio.sleep(0.2)
    assert RUNS == ["tick"]
    job = second.get("tick")
    assert job is not None and job.next_run_time is not None
    assert job.next_run_time > datetime.now(TOKYO)


async def test_cron_runs_in_tokyo_time(make, sqlite_sync_url) -> None:
    scheduler = make(sqlite_sync_url)
    job = await scheduler.add_cron("daily-tip", RECORD, hour=9, minute=0, kwargs={"label": "tip"})
    run = job.next_run_time
    assert run is not None
    assert (run.hour, run.minute, run.utcoffset()) == (9, 0, timedelta(hours=9))
    assert await scheduler.state() == {"running": True, "processing": True, "jobs": 1, "next_run_time": run.isoformat()}


async def test_add_replaces_and_remove_is_idempotent(make, sqlite_sync_url) -> None:
    scheduler = make(sqlite_sync_url)
    later = datetime.now(TOKYO) + timedelta(hours=1)
    await scheduler.add_at("x", RECORD, later, {"label": "a"})
    await scheduler.add_at("x", RECORD, later, {"label": "b"})
    job = scheduler.get("x")
    assert job is not None and job.kwargs == {"label": "b"}
    assert await scheduler.remove("x") is True
    assert await scheduler.remove("x") is False
    assert scheduler.job_ids() == []


async def test_rejects_what_would_break_after_restart(make, sqlite_sync_url) -> None:
    scheduler = make(sqlite_sync_url)
    later = datetime.now(TOKYO) + timedelta(hours=1)
    with pytest.raises(ValueError, match="timezone-aware"):
        await scheduler.add_at("x", RECORD, later.replace(tzinfo=None), {})
    with pytest.raises(TypeError):
        await scheduler.add_at("x", RECORD, later, {"when": later})  # not JSON-able
    with pytest.raises(ValueError, match=r"package\.module:function"):
        await scheduler.add_at("x", "record_run", later, {})
    assert scheduler.job_ids() == []


async def test_job_reaches_app_services_through_runtime(make, sqlite_sync_url) -> None:
    services: list[str] = []
    set_runtime(services)
    scheduler = make(sqlite_sync_url)
    await scheduler.add_at("now", f"{__name__}:record_via_runtime", datetime.now(TOKYO), {"label": "hi"})
    await first_run()
    assert services == ["hi"]


def test_runtime_must_be_set_and_of_the_expected_type() -> None:
    with pytest.raises(RuntimeError, match="set_runtime"):
        get_runtime()
    set_runtime("not a list")
    with pytest.raises(TypeError, match="expected list"):
        get_runtime(list)
    assert get_runtime() == "not a list"


async def test_a_writer_only_instance_stores_jobs_for_the_processing_one(sqlite_sync_url: str) -> None:
    """RUN_SCHEDULER=false: features can still schedule; only the deployment's one processing scheduler runs jobs."""
    writer = Scheduler(create_scheduler(sqlite_sync_url))
    writer.start(process_jobs=False)
    assert writer.running and not writer.processing
    when = datetime.now(ZoneInfo("Asia/Tokyo")) - timedelta(seconds=1)
    await writer.add_at("from-writer", f"{__name__}:record_run", when, {"label": "from-writer"})
    await asyncio.sleep(0.3)
    assert RUNS.count("from-writer") == 0  # a writer never runs jobs
    await writer.shutdown()

    processor = Scheduler(create_scheduler(sqlite_sync_url))
    processor.start()
    await asyncio.sleep(0.3)
    await processor.shutdown()
    assert RUNS.count("from-writer") == 1
