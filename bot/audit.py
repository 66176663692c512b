"""The audit log: who changed, revealed or exported what, when — for admins to read and export.

Features record their consequential actions (a status change, a reveal of a pseudonym, an export, a broadcast
sent or recalled). Rows are only ever added; reading them is itself not logged, exporting them is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.csv_export import csv_bytes
from bot.ids import fresh_id
from bot.store.engine import insert_for
from bot.store.tables import audit_log


@dataclass(frozen=True)
class AuditEntry:
    entry_id: str
    at: datetime
    feature: str
    action: str
    actor_key: str
    actor_name: str
    subject: str
    details: dict[str, Any]


class AuditLog:
    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    async def record(
        self,
        feature: str,
        action: str,
        actor_key: str,
        actor_name: str,
        subject: str,
        details: Mapping[str, Any],
        *,
        entry_id: str | None = None,
    ) -> AuditEntry:
        """Add an entry; an `entry_id` already recorded (the same turn run again, `Turn.new_id`) adds nothing."""
        entry = AuditEntry(
            entry_id or fresh_id(),
            self._clock.now(),
            feature,
            action,
            actor_key,
            actor_name[:256],
            subject[:512],
            dict(details),
        )
        async with self._engine.begin() as conn:
            await conn.execute(insert_for(self._engine)(audit_log).values(**entry.__dict__).on_conflict_do_nothing())
        return entry

    async def entries(self, *, limit: int | None = None, feature: str | None = None) -> list[AuditEntry]:
        """Newest first."""
        query = select(audit_log).order_by(audit_log.c.at.desc(), audit_log.c.entry_id)
        if feature is not None:
            query = query.where(audit_log.c.feature == feature)
        if limit is not None:
            query = query.limit(limit)
        async with self._engine.connect() as conn:
            rows = await conn.execute(query)
        return [AuditEntry(**row._asdict()) for row in rows]

    async def count(self) -> int:
        async with self._engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(audit_log))).scalar_one())


def audit_csv(entries: Sequence[AuditEntry], say: Callable[[str], str], tz: ZoneInfo) -> bytes:
    """Every entry, oldest first, for admins (see `bot.csv_export`); `say("audit.export.at")` names the columns."""
    columns = ("at", "feature", "action", "actor_name", "actor_key", "subject", "details")
    rows: list[Sequence[object]] = [[say(f"audit.export.{name}") for name in columns]]
    for entry in sorted(entries, key=lambda entry: (entry.at, entry.entry_id)):
        details = json.dumps(entry.details, ensure_ascii=False, sort_keys=True)
        at = entry.at.astimezone(tz).isoformat(timespec="seconds")
        rows.append([at, entry.feature, entry.action, entry.actor_name, entry.actor_key, entry.subject, details])
    return csv_bytes(rows)
