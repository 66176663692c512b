"""Per-user settings that follow the user across conversations (keyed by the AAD object id, not a chat)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.store.engine import insert_for
from bot.store.tables import user_preferences, utcnow


@dataclass
class UserPreferences:
    user_aad_id: str
    tenant_id: str | None = None
    locale: str | None = None
    prefs: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


def _tenant(tenant_id: str | None) -> dict[str, str]:
    # An activity without tenant information must not erase the one we know.
    return {} if tenant_id is None else {"tenant_id": tenant_id}


class Preferences:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert = insert_for(engine)

    async def get(self, user_aad_id: str) -> UserPreferences | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(user_preferences).where(user_preferences.c.user_aad_id == user_aad_id))
            ).first()
        return None if row is None else UserPreferences(**row._asdict())

    async def locales_changed_since(self, since: datetime | None) -> list[tuple[str, str | None, datetime]]:
        """(user, chosen locale or None, updated_at) of rows changed after `since` (all rows with a locale if None)."""
        table = user_preferences
        query = select(table.c.user_aad_id, table.c.locale, table.c.updated_at)
        query = query.where(table.c.locale.is_not(None)) if since is None else query.where(table.c.updated_at > since)
        async with self._engine.connect() as conn:
            return [(row.user_aad_id, row.locale, row.updated_at) for row in (await conn.execute(query)).all()]

    async def _ensure_row(self, conn: AsyncConnection, user_aad_id: str, tenant_id: str | None) -> None:
        # A write first: on SQLite it takes the write lock before we read, on PostgreSQL the row then exists to lock.
        await conn.execute(
            self._insert(user_preferences)
            .values(user_aad_id=user_aad_id, tenant_id=tenant_id, prefs={}, updated_at=utcnow())
            .on_conflict_do_nothing()
        )

    async def set_locale(self, user_aad_id: str, tenant_id: str | None, locale: str | None) -> None:
        """Remember the user's chosen language; None goes back to following the Teams client locale."""
        async with self._engine.begin() as conn:
            await self._ensure_row(conn, user_aad_id, tenant_id)
            await conn.execute(
                update(user_preferences)
                .where(user_preferences.c.user_aad_id == user_aad_id)
                .values(locale=locale, updated_at=utcnow(), **_tenant(tenant_id))
            )

    async def update(self, user_aad_id: str, tenant_id: str | None, **prefs: Any) -> UserPreferences:
        """Merge `prefs` into the stored ones; concurrent updates of different keys both survive."""
        by_id = user_preferences.c.user_aad_id == user_aad_id
        async with self._engine.begin() as conn:
            await self._ensure_row(conn, user_aad_id, tenant_id)
            current = (await conn.execute(select(user_preferences.c.prefs).where(by_id).with_for_update())).scalar_one()
            await conn.execute(
                update(user_preferences)
                .where(by_id)
                .values(prefs={**current, **prefs}, updated_at=utcnow(), **_tenant(tenant_id))
            )
            row = (await conn.execute(select(user_preferences).where(by_id))).one()
        return UserPreferences(**row._asdict())
