"""Poll rows in and out as plain dataclasses; ballots are written in batches (group commit).

Under a vote storm hundreds of turns each want one small write. `record` takes a batch of votes and writes
them in one transaction: the database's unique key (poll, voter) keeps one ballot per person, a repeated or
racing vote by the same person ends as their last choice, and the totals each voter sees are read in the same
transaction, after their vote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.polls.model import Poll, Problem, Status, Tally, Vote, VoteResult
from bot.polls.tables import poll_ballots, poll_choices, poll_secrets, polls
from bot.polls.tally import tally_of
from bot.store.engine import insert_for
from bot.store.tables import utcnow

_COLUMNS = tuple(field.name for field in fields(Poll))


def problem_with(poll: Poll | None, choices: Sequence[int], now: datetime) -> Problem | None:
    """Why this vote can't be taken (unknown poll, closed or past its deadline, options that don't exist)."""
    if poll is None:
        return Problem.UNKNOWN
    if not poll.is_open or (poll.deadline is not None and poll.deadline <= now):
        return Problem.CLOSED
    if not choices:
        return Problem.NONE_CHOSEN
    if len(set(choices)) != len(choices) or any(not 0 <= choice < len(poll.options) for choice in choices):
        return Problem.INVALID
    if len(choices) > poll.limit:
        return Problem.TOO_MANY
    return None


class PollStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert = insert_for(engine)

    # ---- polls ---------------------------------------------------------------------------------------------
    async def add(self, poll: Poll) -> Poll:
        """Insert the poll unless one with its id is there already; the stored poll either way."""
        now = utcnow()
        values = {name: getattr(poll, name) for name in _COLUMNS} | {"created_at": now, "updated_at": now}
        async with self._engine.begin() as conn:
            await conn.execute(self._insert(polls).values(values).on_conflict_do_nothing())
        stored = await self.get(poll.poll_id)
        assert stored is not None
        return stored

    async def get(self, poll_id: str) -> Poll | None:
        async with self._engine.connect() as conn:
            return await self._get(conn, poll_id)

    @staticmethod
    async def _get(conn: AsyncConnection, poll_id: str) -> Poll | None:
        row = (await conn.execute(select(polls).where(polls.c.poll_id == poll_id))).first()
        return None if row is None else Poll(**row._asdict())

    async def change(self, poll_id: str, *conditions: Any, **values: Any) -> Poll | None:
        """Update some columns (only where `conditions` hold); None if nothing matched."""
        async with self._engine.begin() as conn:
            changed = await conn.execute(
                update(polls).where(polls.c.poll_id == poll_id, *conditions).values(**values, updated_at=utcnow())
            )
            return await self._get(conn, poll_id) if changed.rowcount else None

    async def set_status(self, poll_id: str, old: Status, new: Status, **values: Any) -> Poll | None:
        """Move a poll from `old` to `new`; None if it was not in `old` (two closes: only one wins)."""
        return await self.change(poll_id, polls.c.status == old.value, status=new.value, **values)

    async def remove(self, poll_id: str) -> None:
        async with self._engine.begin() as conn:
            for table in (poll_choices, poll_ballots, polls):
                await conn.execute(delete(table).where(table.c.poll_id == poll_id))

    async def dirty(self) -> list[Poll]:
        """Polls whose shared card may not show the latest totals (a crash mid-storm)."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(polls).where(polls.c.card_dirty.is_(True)))
        return [Poll(**row._asdict()) for row in rows]

    async def shown(self, poll_id: str, version: int) -> None:
        """Teams has the shared card of `version`: it is clean, unless a vote came after that version."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(polls)
                .where(polls.c.poll_id == poll_id, polls.c.card_version == version)
                .values(card_dirty=False)
            )

    async def open_with_deadline(self) -> list[Poll]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(polls).where(polls.c.status == Status.OPEN, polls.c.deadline.is_not(None)))
        return [Poll(**row._asdict()) for row in rows]

    async def recurring(self) -> list[Poll]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(polls).where(polls.c.recurrence.is_not(None)))
        return [Poll(**row._asdict()) for row in rows if row.recurrence]

    # ---- ballots -------------------------------------------------------------------------------------------
    async def record(self, votes: Sequence[Vote], now: datetime) -> list[VoteResult]:
        """Write a batch of votes in one transaction; one result per vote, in order."""
        async with self._engine.begin() as conn:
            found = await conn.execute(select(polls).where(polls.c.poll_id.in_({vote.poll_id for vote in votes})))
            by_id = {row.poll_id: Poll(**row._asdict()) for row in found}
            problems = [problem_with(by_id.get(vote.poll_id), vote.choices, now) for vote in votes]
            # The last vote of a person wins; keys in a fixed order so concurrent batches lock rows alike.
            latest = {(v.poll_id, v.voter_key): v for v, p in zip(votes, problems, strict=True) if p is None}
            accepted = [latest[key] for key in sorted(latest)]
            if accepted:
                await self._write(conn, accepted)
            tallies = {poll_id: await self._tally(conn, poll_id) for poll_id in {v.poll_id for v in accepted}}
        return [
            VoteResult(problem) if problem else VoteResult(None, by_id[v.poll_id], tallies[v.poll_id], v.choices)
            for v, problem in zip(votes, problems, strict=True)
        ]

    async def _write(self, conn: AsyncConnection, votes: list[Vote]) -> None:
        ballot = self._insert(poll_ballots)
        await conn.execute(
            ballot.on_conflict_do_update(
                index_elements=["poll_id", "voter_key"],
                set_={"voter_name": ballot.excluded.voter_name, "voter_id": ballot.excluded.voter_id},
            ),
            [
                {"poll_id": v.poll_id, "voter_key": v.voter_key, "voter_name": v.voter_name, "voter_id": v.voter_id}
                for v in votes
            ],
        )
        await conn.execute(
            delete(poll_choices).where(
                poll_choices.c.poll_id == bindparam("p"), poll_choices.c.voter_key == bindparam("k")
            ),
            [{"p": v.poll_id, "k": v.voter_key} for v in votes],
        )
        await conn.execute(
            insert(poll_choices),
            [{"poll_id": v.poll_id, "voter_key": v.voter_key, "option": c} for v in votes for c in v.choices],
        )
        touched = {v.poll_id for v in votes}
        await conn.execute(
            update(polls)
            .where(polls.c.poll_id.in_(touched))
            .values(card_dirty=True, card_version=polls.c.card_version + 1)
        )

    async def tally(self, poll: Poll) -> Tally:
        async with self._engine.connect() as conn:
            return await self._tally(conn, poll.poll_id, len(poll.options))

    @staticmethod
    async def _tally(conn: AsyncConnection, poll_id: str, option_count: int | None = None) -> Tally:
        counts = await conn.execute(
            select(poll_choices.c.option, func.count())
            .where(poll_choices.c.poll_id == poll_id)
            .group_by(poll_choices.c.option)
        )
        by_option = {int(option): int(count) for option, count in counts}
        ballots = (
            await conn.execute(select(func.count()).select_from(poll_ballots).where(poll_ballots.c.poll_id == poll_id))
        ).scalar_one()
        if option_count is None:
            option_count = len(
                (await conn.execute(select(polls.c.options).where(polls.c.poll_id == poll_id))).scalar_one()
            )
        return tally_of(option_count, by_option, ballots)

    async def ballot(self, poll_id: str, voter_key: str) -> tuple[int, ...]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(poll_choices.c.option)
                .where(poll_choices.c.poll_id == poll_id, poll_choices.c.voter_key == voter_key)
                .order_by(poll_choices.c.option)
            )
        return tuple(int(option) for (option,) in rows)

    async def named_ballots(self, poll_id: str) -> list[tuple[str, str, int]]:
        """(voter key, name, option) of every choice; only meaningful for named polls."""
        query = (
            select(poll_ballots.c.voter_key, poll_ballots.c.voter_name, poll_choices.c.option)
            .join(
                poll_choices,
                and_(
                    poll_choices.c.poll_id == poll_ballots.c.poll_id,
                    poll_choices.c.voter_key == poll_ballots.c.voter_key,
                ),
            )
            .where(poll_ballots.c.poll_id == poll_id)
            .order_by(poll_choices.c.option, poll_ballots.c.voter_name)
        )
        async with self._engine.connect() as conn:
            rows = await conn.execute(query)
        return [(key, name or "", int(option)) for key, name, option in rows]

    async def voter_ids(self, poll_id: str, limit: int) -> list[str]:
        """Teams ids of up to `limit` people who voted in a named poll (anonymous ballots have none); read in key
        order, so the ballots' index answers it without sorting a large poll's ballots."""
        query = (
            select(poll_ballots.c.voter_id)
            .where(poll_ballots.c.poll_id == poll_id, poll_ballots.c.voter_id.is_not(None))
            .order_by(poll_ballots.c.voter_key)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [voter_id for (voter_id,) in await conn.execute(query)]

    async def voter_keys(self, poll_id: str) -> set[str]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(poll_ballots.c.voter_key).where(poll_ballots.c.poll_id == poll_id))
        return {key for (key,) in rows}

    # ---- the legacy ballot key ----------------------------------------------------------------------------------
    async def secret(self, name: str) -> str | None:
        async with self._engine.connect() as conn:
            return (await conn.execute(select(poll_secrets.c.secret).where(poll_secrets.c.name == name))).scalar()

    async def remember(self, name: str, value: str) -> str:
        """Store `value` under `name` unless something is stored already; returns what is stored."""
        async with self._engine.begin() as conn:
            await conn.execute(
                self._insert(poll_secrets).values(name=name, secret=value, created_at=utcnow()).on_conflict_do_nothing()
            )
            return (await conn.execute(select(poll_secrets.c.secret).where(poll_secrets.c.name == name))).scalar_one()
