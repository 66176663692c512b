"""APScheduler 3 wiring: persistent jobs on the bot's own database, behind a small typed facade.

Features schedule work through `Scheduler` and never import APScheduler, so the library can be swapped
(APScheduler 4, a queue) in one place.

Rules that follow from a persistent job store:
- A job names an importable module-level function as "package.module:function", and its kwargs are JSON-able
  plain data: the job is pickled into the database and run later, possibly by a process that did not create it.
- Live objects (the sender, the store) reach a job through `set_runtime` / `get_runtime`, set by the app
  before `Scheduler.start()` (jobs that fell due while the bot was down run right after start).
- Exactly ONE scheduler per deployment: APScheduler 3 cannot share a job store, and two processes on one store
  run every job twice. Extra app instances set `RUN_SCHEDULER=false` (see docs/OPERATIONS.md).
- A job that fell due while the bot was down runs once after restart: `misfire_grace_time=None` (APScheduler's
  default of 1 s would drop it) and `coalesce=True` (a cron job that missed N runs runs once, not N times).
- Delivery is at most once: a date job leaves the store when it is handed to the executor, so a crash
  mid-job loses it. Jobs must be idempotent and record their own progress when that matters.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, overload

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from bot.settings import Settings

T = TypeVar("T")

JOB_DEFAULTS: dict[str, Any] = {
    # None = no deadline: the executor only drops a run when `misfire_grace_time is not None` and it is late.
    "misfire_grace_time": None,
    "coalesce": True,
    "max_instances": 1,
}


def create_scheduler(
    database_url_sync: str, timezone: str = "Asia/Tokyo", *, tablename: str = "apscheduler_jobs"
) -> AsyncIOScheduler:
    """An asyncio scheduler whose jobs live in `tablename` on the bot's database (a synchronous SQLAlchemy URL)."""
    return AsyncIOScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=database_url_sync, tablename=tablename)},
        job_defaults=JOB_DEFAULTS,
        timezone=timezone,
    )


_runtime: object | None = None


def set_runtime(runtime: object | None) -> None:
    """Register the running app's services for job functions (None clears it, e.g. at shutdown or in tests)."""
    global _runtime
    _runtime = runtime


@overload
def get_runtime() -> object: ...
@overload
def get_runtime(expected: type[T]) -> T: ...
def get_runtime(expected: type[Any] = object) -> Any:
    """The object given to `set_runtime`, checked against `expected` so a job fails loudly, not half-way."""
    if _runtime is None:
        raise RuntimeError("No scheduler runtime: the app must call bot.scheduler.set_runtime() before start().")
    if not isinstance(_runtime, expected):
        raise TypeError(f"Scheduler runtime is {type(_runtime).__name__}, expected {expected.__name__}.")
    return _runtime


@dataclass(frozen=True)
class JobInfo:
    """What the bot may know about a stored job, without APScheduler types."""

    id: str
    func_ref: str
    next_run_time: datetime | None
    kwargs: dict[str, Any]


class Scheduler:
    """The bot's only door to APScheduler: add, inspect and remove persistent jobs."""

    def __init__(self, aps: AsyncIOScheduler) -> None:
        self._aps = aps

    @classmethod
    def from_settings(cls, settings: Settings) -> Scheduler:
        return cls(create_scheduler(settings.sync_database_url, settings.tz))

    @property
    def running(self) -> bool:
        return self._aps.running

    @property
    def processing(self) -> bool:
        """False on a writer-only instance: it stores jobs for the deployment's one processing scheduler."""
        return self._aps.state == STATE_RUNNING

    def start(self, *, process_jobs: bool = True) -> None:
        """Start (call from the event loop, after `set_runtime`); overdue jobs run right away.

        With `process_jobs=False` (every instance but one, `RUN_SCHEDULER=false`) jobs are written to the shared
        job store but never run here, so features can schedule from any instance.
        """
        self._aps.start(paused=not process_jobs)

    async def shutdown(self) -> None:
        """Stop processing and release the job store. Jobs still running are cancelled; stored jobs stay."""
        if not self._aps.running:
            return
        self._aps.shutdown(wait=False)
        # AsyncIOScheduler.shutdown only queues itself with call_soon_threadsafe; the ready queue is FIFO,
        # so one yield lets it run before we return.
        await asyncio.sleep(0)

    async def add_at(
        self, job_id: str, func_ref: str, run_at: datetime, kwargs: dict[str, Any] | None = None
    ) -> JobInfo:
        """Run `func_ref(**kwargs)` once at `run_at` (timezone-aware); replaces a job with the same id."""
        if run_at.tzinfo is None or run_at.utcoffset() is None:
            raise ValueError(f"run_at must be timezone-aware, got naive {run_at!r}")
        return await self._add(job_id, func_ref, DateTrigger(run_date=run_at, timezone=self._aps.timezone), kwargs)

    async def add_cron(
        self,
        job_id: str,
        func_ref: str,
        *,
        hour: int | str,
        minute: int | str,
        day_of_week: int | str | None = None,
        day: int | str | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> JobInfo:
        """Run `func_ref(**kwargs)` on a cron schedule in the bot's timezone; replaces a job with the same id."""
        trigger = CronTrigger(day_of_week=day_of_week, day=day, hour=hour, minute=minute, timezone=self._aps.timezone)
        return await self._add(job_id, func_ref, trigger, kwargs)

    async def remove(self, job_id: str) -> bool:
        """Remove a job; False if there was none (removing is idempotent)."""
        try:
            await asyncio.to_thread(self._aps.remove_job, job_id)
        except JobLookupError:
            return False
        return True

    def get(self, job_id: str) -> JobInfo | None:
        job = self._aps.get_job(job_id)
        return None if job is None else _info(job)

    def job_ids(self) -> list[str]:
        return [job.id for job in self._aps.get_jobs()]

    async def state(self) -> dict[str, Any]:
        """Health summary for /healthz: running, job count, earliest next run time (ISO 8601).

        Reading every stored job is a synchronous database query: it runs off the event loop."""
        return await asyncio.to_thread(self._state)

    def _state(self) -> dict[str, Any]:
        jobs = self._aps.get_jobs()
        next_runs = [job.next_run_time for job in jobs if job.next_run_time is not None]
        return {
            "running": self.running,
            "processing": self.processing,
            "jobs": len(jobs),
            "next_run_time": min(next_runs).isoformat() if next_runs else None,
        }

    async def _add(self, job_id: str, func_ref: str, trigger: Any, kwargs: dict[str, Any] | None) -> JobInfo:
        if ":" not in func_ref:
            raise ValueError(f"func_ref must be 'package.module:function', got {func_ref!r}")
        kwargs = dict(kwargs or {})
        json.dumps(kwargs)  # TypeError now, not a pickled live object that breaks after a restart
        # The job store writes through a synchronous engine: off the loop, so a write waiting for SQLite's lock
        # can't freeze the turn that holds it (APScheduler's add_job is thread-safe; it wakes the loop itself).
        job = await asyncio.to_thread(
            self._aps.add_job, func_ref, trigger, id=job_id, kwargs=kwargs, replace_existing=True
        )
        return _info(job)


def _info(job: Any) -> JobInfo:
    # A job added before start() has no next_run_time attribute yet.
    return JobInfo(job.id, job.func_ref, getattr(job, "next_run_time", None), dict(job.kwargs))
