"""Idea box rows in and out as plain dataclasses, on SQLite and PostgreSQL alike.

Votes are toggled in one transaction keyed by (idea, voter): racing clicks of one person end as one vote or none,
and the idea's count is recounted from the votes, never incremented blindly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.ideas.model import Call, Comment, Idea, Status
from bot.ideas.tables import idea_calls, idea_channels, idea_comments, idea_votes, ideas
from bot.store.engine import insert_for

_IDEA_COLUMNS = tuple(field.name for field in fields(Idea))
OPEN_STATUSES = (Status.NEW, Status.REVIEWING, Status.ADOPTED)


def _idea(row: Any) -> Idea:
    return Idea(**{name: getattr(row, name) for name in _IDEA_COLUMNS})


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class IdeaStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert = insert_for(engine)

    # ---- ideas ---------------------------------------------------------------------------------------------
    async def add(self, idea: Idea) -> tuple[Idea, bool]:
        """Insert the idea unless one with its id is there; (the stored idea, whether it was inserted now)."""
        values = {name: getattr(idea, name) for name in _IDEA_COLUMNS}
        async with self._engine.begin() as conn:
            added = await conn.execute(self._insert(ideas).values(values).on_conflict_do_nothing())
            stored = await self._get(conn, idea.idea_id)
        assert stored is not None
        return stored, bool(added.rowcount)

    async def get(self, idea_id: str) -> Idea | None:
        async with self._engine.connect() as conn:
            return await self._get(conn, idea_id)

    @staticmethod
    async def _get(conn: AsyncConnection, idea_id: str) -> Idea | None:
        row = (await conn.execute(select(ideas).where(ideas.c.idea_id == idea_id))).first()
        return None if row is None else _idea(row)

    async def change(self, idea_id: str, *conditions: Any, **values: Any) -> Idea | None:
        """Update some columns where `conditions` hold; None if nothing matched."""
        async with self._engine.begin() as conn:
            changed = await conn.execute(update(ideas).where(ideas.c.idea_id == idea_id, *conditions).values(**values))
            return await self._get(conn, idea_id) if changed.rowcount else None

    async def move(self, idea_id: str, old_status: str, **values: Any) -> Idea | None:
        """Change an idea that is still in `old_status`; None if someone moved it first."""
        return await self.change(idea_id, ideas.c.status == old_status, **values)

    async def many(self, idea_ids: Sequence[str]) -> list[Idea]:
        if not idea_ids:
            return []
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(ideas).where(ideas.c.idea_id.in_(list(idea_ids))))
        found = {row.idea_id: _idea(row) for row in rows}
        return [found[idea_id] for idea_id in idea_ids if idea_id in found]

    async def searchable(self) -> list[tuple[str, str]]:
        """(id, text) of every idea people may still vote for (the similar-ideas index)."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(ideas.c.idea_id, ideas.c.title, ideas.c.body).where(ideas.c.status.in_(OPEN_STATUSES))
            )
        return [(row.idea_id, f"{row.title}\n{row.body}") for row in rows]

    async def changed_since(self, moment: datetime) -> list[Idea]:
        """Ideas added or changed after `moment` (another instance's new ideas reach this one's index)."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(ideas).where(ideas.c.updated_at > moment))
        return [_idea(row) for row in rows]

    async def top(self, tenant_id: str | None, since: datetime | None, limit: int) -> list[Idea]:
        """Most voted first (then newest), of ideas still open; `since` limits to ideas submitted after it."""
        query = select(ideas).where(ideas.c.tenant_id == tenant_id, ideas.c.status.in_(OPEN_STATUSES))
        if since is not None:
            query = query.where(ideas.c.created_at >= since)
        query = query.order_by(ideas.c.votes.desc(), ideas.c.created_at.desc()).limit(limit)
        async with self._engine.connect() as conn:
            return [_idea(row) for row in await conn.execute(query)]

    async def newest(self, tenant_id: str | None, since: datetime, limit: int) -> list[Idea]:
        query = (
            select(ideas)
            .where(ideas.c.tenant_id == tenant_id, ideas.c.created_at >= since)
            .order_by(ideas.c.created_at.desc())
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [_idea(row) for row in await conn.execute(query)]

    async def count_since(self, tenant_id: str | None, since: datetime) -> int:
        query = (
            select(func.count()).select_from(ideas).where(ideas.c.tenant_id == tenant_id, ideas.c.created_at >= since)
        )
        async with self._engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def owned(self, owner_tag: str, limit: int) -> list[Idea]:
        query = select(ideas).where(ideas.c.owner_tag == owner_tag).order_by(ideas.c.created_at.desc()).limit(limit)
        async with self._engine.connect() as conn:
            return [_idea(row) for row in await conn.execute(query)]

    async def search(self, tenant_id: str | None, words: Sequence[str], limit: int) -> list[Idea]:
        """Ideas whose title, body, category or tags hold every word (case as typed), newest first."""
        matches = [
            or_(
                ideas.c.title.like(_like(word), escape="\\"),
                ideas.c.body.like(_like(word), escape="\\"),
                ideas.c.category.like(_like(word), escape="\\"),
            )
            for word in words
        ]
        query = (
            select(ideas)
            .where(ideas.c.tenant_id == tenant_id, and_(*matches))
            .order_by(ideas.c.created_at.desc())
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [_idea(row) for row in await conn.execute(query)]

    async def waiting(self, tenant_id: str | None, limit: int) -> list[Idea]:
        """The reviewers' queue: new and under review, longest waiting first."""
        query = (
            select(ideas)
            .where(ideas.c.tenant_id == tenant_id, ideas.c.status.in_((Status.NEW, Status.REVIEWING)))
            .order_by(ideas.c.status_changed_at, ideas.c.idea_id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [_idea(row) for row in await conn.execute(query)]

    async def every(self, tenant_id: str | None) -> list[Idea]:
        """For the export: every idea of the tenant, oldest first."""
        query = select(ideas).where(ideas.c.tenant_id == tenant_id).order_by(ideas.c.created_at, ideas.c.idea_id)
        async with self._engine.connect() as conn:
            return [_idea(row) for row in await conn.execute(query)]

    async def in_call(self, call_id: str) -> list[Idea]:
        query = select(ideas).where(ideas.c.call_id == call_id).order_by(ideas.c.votes.desc(), ideas.c.created_at)
        async with self._engine.connect() as conn:
            return [_idea(row) for row in await conn.execute(query)]

    async def in_poll(self, poll_id: str) -> list[Idea]:
        async with self._engine.connect() as conn:
            return [_idea(row) for row in await conn.execute(select(ideas).where(ideas.c.poll_id == poll_id))]

    # ---- votes and comments -------------------------------------------------------------------------------
    async def toggle_vote(self, idea_id: str, voter_key: str, now: datetime) -> tuple[bool, int]:
        """Vote, or withdraw a vote already given; (voted now?, the idea's votes after)."""
        vote = self._insert(idea_votes).values(idea_id=idea_id, voter_key=voter_key, voted_at=now)
        async with self._engine.begin() as conn:
            added = (await conn.execute(vote.on_conflict_do_nothing().returning(idea_votes.c.voter_key))).first()
            if added is None:
                await conn.execute(
                    delete(idea_votes).where(idea_votes.c.idea_id == idea_id, idea_votes.c.voter_key == voter_key)
                )
            count = select(func.count()).select_from(idea_votes).where(idea_votes.c.idea_id == idea_id)
            votes = int((await conn.execute(count)).scalar_one())
            await conn.execute(update(ideas).where(ideas.c.idea_id == idea_id).values(votes=votes, updated_at=now))
        return added is not None, votes

    async def has_voted(self, idea_id: str, voter_key: str) -> bool:
        query = select(idea_votes.c.voter_key).where(
            idea_votes.c.idea_id == idea_id, idea_votes.c.voter_key == voter_key
        )
        async with self._engine.connect() as conn:
            return (await conn.execute(query)).first() is not None

    async def add_comment(self, comment: Comment, author_key: str) -> int:
        """Store a comment; the idea's comment count after it."""
        async with self._engine.begin() as conn:
            row = {**comment.__dict__, "author_key": author_key}
            await conn.execute(self._insert(idea_comments).values(row).on_conflict_do_nothing())
            count = select(func.count()).select_from(idea_comments).where(idea_comments.c.idea_id == comment.idea_id)
            comments = int((await conn.execute(count)).scalar_one())
            await conn.execute(
                update(ideas)
                .where(ideas.c.idea_id == comment.idea_id)
                .values(comments=comments, updated_at=comment.created_at)
            )
        return comments

    async def comments(self, idea_id: str) -> list[Comment]:
        query = (
            select(
                idea_comments.c.comment_id,
                idea_comments.c.idea_id,
                idea_comments.c.author_name,
                idea_comments.c.text,
                idea_comments.c.created_at,
            )
            .where(idea_comments.c.idea_id == idea_id)
            .order_by(idea_comments.c.created_at)
        )
        async with self._engine.connect() as conn:
            return [Comment(**row._asdict()) for row in await conn.execute(query)]

    # ---- calls and channels -------------------------------------------------------------------------------
    async def add_call(self, call: Call) -> Call:
        """Insert the call unless one with its id is there; the stored call either way."""
        async with self._engine.begin() as conn:
            await conn.execute(self._insert(idea_calls).values(**call.__dict__).on_conflict_do_nothing())
        stored = await self.call(call.call_id)
        assert stored is not None
        return stored

    async def call(self, call_id: str) -> Call | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(idea_calls).where(idea_calls.c.call_id == call_id))).first()
        return None if row is None else Call(**row._asdict())

    async def change_call(self, call_id: str, *conditions: Any, **values: Any) -> Call | None:
        async with self._engine.begin() as conn:
            changed = await conn.execute(
                update(idea_calls).where(idea_calls.c.call_id == call_id, *conditions).values(**values)
            )
        return await self.call(call_id) if changed.rowcount else None

    async def close_call(self, call_id: str) -> Call | None:
        """Close an open call; None if it was closed already."""
        return await self.change_call(call_id, idea_calls.c.status == "open", status="closed")

    async def open_calls(self) -> list[Call]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(idea_calls).where(idea_calls.c.status == "open"))
        return [Call(**row._asdict()) for row in rows]

    async def set_channel(self, scope: str, conversation_id: str, lang: str, set_by: str, now: datetime) -> None:
        values = {"scope": scope, "conversation_id": conversation_id, "lang": lang, "set_by": set_by, "updated_at": now}
        statement = self._insert(idea_channels).values(values)
        async with self._engine.begin() as conn:
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["scope"], set_={k: v for k, v in values.items() if k != "scope"}
                )
            )

    async def channel(self, scope: str) -> tuple[str, str] | None:
        """(conversation id, language) of the idea channel of a scope."""
        query = select(idea_channels.c.conversation_id, idea_channels.c.lang).where(idea_channels.c.scope == scope)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else (row.conversation_id, row.lang)

    async def channels(self) -> list[tuple[str, str, str]]:
        """(scope, conversation id, language) of every idea channel."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(idea_channels.c.scope, idea_channels.c.conversation_id, idea_channels.c.lang)
            )
        return [(row.scope, row.conversation_id, row.lang) for row in rows]
