"""What staff, reviewers and moderators can do with ideas, and the rules each action obeys.

The service knows nothing of Teams: the feature (`dialogs.ideas`) posts cards, notifies submitters and plans timed
work; it reaches the idea box's tables only through this service. Everything about who submitted goes through
`bot.ideas.privacy.Keys`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ideas.model import (
    NEXT_STATUSES,
    Call,
    Comment,
    Draft,
    Idea,
    Identity,
    Status,
    fiscal_year,
)
from bot.ideas.privacy import Keys
from bot.ideas.similar import SimilarIdeas
from bot.ideas.store import OPEN_STATUSES, IdeaStore

PERIODS = {"week": timedelta(days=7), "month": timedelta(days=30), "all": None}


class ReviewError(ValueError):
    """A review a reviewer can't make (the message key says why)."""


@dataclass(frozen=True)
class Period:
    name: str  # week | month | all
    since: datetime | None


@dataclass(frozen=True)
class Digest:
    """A week of a tenant's ideas, for the idea channel's Monday digest."""

    count: int  # submitted since the digest's start
    newest: list[Idea]
    popular: list[Idea]  # most backed of those still open


class IdeaService:
    def __init__(self, engine: AsyncEngine, keys: Keys, tz: ZoneInfo) -> None:
        self._store = IdeaStore(engine)
        self.keys = keys
        self.tz = tz
        self._index: SimilarIdeas | None = None
        self._synced_to = datetime.min.replace(tzinfo=UTC)
        self._loading = asyncio.Lock()

    # ---- submitting ----------------------------------------------------------------------------------------
    async def submit(
        self,
        idea_id: str,
        draft: Draft,
        user_key: str,
        name: str,
        tenant_id: str | None,
        reach: dict[str, str],
        now: datetime,
    ) -> tuple[Idea, bool]:
        """Store a new idea; who submitted is kept only as far as its identity choice allows. (The idea, whether it
        is new): the same `idea_id` again — the same turn run again — stores nothing more."""
        call_id = draft.call_id if draft.call_id and await self._call_open(draft.call_id, now) else None
        named = draft.identity == Identity.NAMED
        pseudonymous = draft.identity == Identity.PSEUDONYMOUS
        idea = Idea(
            idea_id=idea_id,
            tenant_id=tenant_id,
            kind=draft.kind.value,
            title=draft.title,
            body=draft.body,
            category=draft.category,
            tags=list(draft.tags),
            identity=draft.identity.value,
            author_key=user_key if named else None,
            author_name=name if named else None,
            pseudonym=self.keys.pseudonym(user_key) if pseudonymous else None,
            owner_tag=self.keys.owner_tag(user_key),
            sealed_reach=self.keys.seal(reach),
            sealed_identity=self.keys.seal({"user_key": user_key, "name": name}) if pseudonymous else None,
            service=draft.service,
            satisfaction=draft.satisfaction,
            analog=None if draft.analog is None else {**draft.analog.__dict__, "act": draft.analog.act.value},
            call_id=call_id,
            created_at=now,
            updated_at=now,
            status_changed_at=now,
        )
        stored, added = await self._store.add(idea)
        if added and self._index is not None:
            self._index.add(idea.idea_id, draft.text)
        return stored, added

    async def _call_open(self, call_id: str, now: datetime) -> bool:
        call = await self._store.call(call_id)
        return call is not None and call.is_open and call.deadline > now

    async def similar(self, text: str, tenant_id: str | None, limit: int = 3) -> list[Idea]:
        """Up to `limit` ideas of the tenant that look like `text` (and may still be voted for), best first."""
        index = await self._current_index()
        matches = index.query(text, limit=limit * 3)
        found = await self._store.many([match.idea_id for match in matches])
        return [idea for idea in found if idea.tenant_id == tenant_id and idea.status in OPEN_STATUSES][:limit]

    async def _current_index(self) -> SimilarIdeas:
        """The index, built on first use (off the event loop) and brought up to date with what other instances
        added or closed since."""
        async with self._loading:
            if self._index is None:
                started = datetime.now(UTC)
                ideas = await self._store.searchable()
                self._index = await asyncio.to_thread(_built, ideas)
                self._synced_to = started - timedelta(seconds=1)
                return self._index
            for idea in await self._store.changed_since(self._synced_to):
                self._synced_to = max(self._synced_to, idea.updated_at)
                if idea.status in OPEN_STATUSES and idea.idea_id not in self._index:
                    self._index.add(idea.idea_id, f"{idea.title}\n{idea.body}")
                elif idea.status not in OPEN_STATUSES and idea.idea_id in self._index:
                    self._index.remove(idea.idea_id)
            return self._index

    # ---- finding ---------------------------------------------------------------------------------------------
    async def find(self, idea_id: object, tenant_id: str | None) -> Idea | None:
        """The idea a button names, in the clicker's own tenant only."""
        if not isinstance(idea_id, str) or len(idea_id) != 32:
            return None
        idea = await self._store.get(idea_id)
        return idea if idea is not None and (idea.tenant_id or "") == (tenant_id or "") else None

    async def idea(self, idea_id: str) -> Idea | None:
        """The idea an id of the bot's own names (its timed work, its shared card); `find` checks a clicked one."""
        return await self._store.get(idea_id)

    async def search(self, tenant_id: str | None, words: Sequence[str], limit: int) -> list[Idea]:
        """The tenant's ideas that hold every word, newest first."""
        return await self._store.search(tenant_id, words, limit)

    def period(self, name: str, now: datetime) -> Period:
        span = PERIODS.get(name, PERIODS["week"])
        return Period(name if name in PERIODS else "week", None if span is None else now - span)

    async def top(self, tenant_id: str | None, period: Period, limit: int = 10) -> list[Idea]:
        return await self._store.top(tenant_id, period.since, limit)

    async def mine(self, user_key: str, limit: int = 20) -> list[Idea]:
        return await self._store.owned(self.keys.owner_tag(user_key), limit)

    def owns(self, idea: Idea, user_key: str) -> bool:
        return idea.owner_tag == self.keys.owner_tag(user_key)

    # ---- voting and comments -------------------------------------------------------------------------------
    async def vote(self, idea: Idea, user_key: str, now: datetime) -> tuple[bool, int]:
        """Toggle this person's vote; (voted now?, votes after)."""
        return await self._store.toggle_vote(idea.idea_id, self.keys.voter_key(idea.idea_id, user_key), now)

    async def has_voted(self, idea: Idea, user_key: str) -> bool:
        return await self._store.has_voted(idea.idea_id, self.keys.voter_key(idea.idea_id, user_key))

    async def comment(self, comment_id: str, idea: Idea, user_key: str, name: str, text: str, now: datetime) -> int:
        comment = Comment(comment_id, idea.idea_id, name, text, now)
        return await self._store.add_comment(comment, user_key)

    async def comments(self, idea: Idea) -> list[Comment]:
        return await self._store.comments(idea.idea_id)

    # ---- review ----------------------------------------------------------------------------------------------
    async def waiting(self, tenant_id: str | None, limit: int) -> list[Idea]:
        """The reviewers' queue: new and under review, longest waiting first."""
        return await self._store.waiting(tenant_id, limit)

    async def review(self, idea: Idea, status: Status, answer: str, now: datetime) -> Idea:
        """Move the idea to `status` with the reviewers' answer (a reason is required for 見送り), or — keeping its
        status — give it a new official answer. The same review again (a retried click) changes nothing."""
        if status == Status(idea.status):
            if not answer:
                raise ReviewError("ideas.review.answer_required")
            if answer == idea.answer:
                return idea
        elif status not in NEXT_STATUSES[Status(idea.status)]:
            raise ReviewError("ideas.review.not_allowed")
        if status == Status.DECLINED and not answer:
            raise ReviewError("ideas.review.reason_required")
        # Two reviewers at once: the first wins, the second is told the idea moved on.
        changed = await self._store.move(
            idea.idea_id,
            idea.status,
            status=status.value,
            answer=answer or idea.answer,
            status_changed_at=now,
            updated_at=now,
        )
        if changed is None:
            raise ReviewError("ideas.review.changed_meanwhile")
        return changed

    def reach(self, idea: Idea) -> dict[str, Any]:
        """How to message the submitter (decrypted in memory, never shown or logged)."""
        return self.keys.unseal(idea.sealed_reach)

    def reveal(self, idea: Idea) -> dict[str, Any]:
        """Who wrote a pseudonymous idea: for a moderator, audited by the caller."""
        if idea.sealed_identity is None:
            raise ReviewError("ideas.reveal.impossible")
        return self.keys.unseal(idea.sealed_identity)

    # ---- shortlist polls -------------------------------------------------------------------------------------
    async def shortlist(self, idea_ids: Sequence[str], tenant_id: str | None) -> list[Idea]:
        """The tenant's ideas among `idea_ids`, in that order: what a reviewer may put to a poll (an id of another
        tenant's idea finds nothing)."""
        return [idea for idea in await self._store.many(idea_ids) if idea.tenant_id == tenant_id]

    async def put_to_poll(self, idea: Idea, poll_id: str, option: int, now: datetime) -> Idea | None:
        """The idea is option `option` of a shortlist poll (its card says so; the result comes back later)."""
        return await self._store.change(idea.idea_id, poll_id=poll_id, poll_option=option, updated_at=now)

    async def in_poll(self, poll_id: str) -> list[Idea]:
        return await self._store.in_poll(poll_id)

    async def poll_result(self, idea: Idea, votes: int) -> Idea | None:
        """The shortlist poll closed with `votes` for this idea."""
        return await self._store.change(idea.idea_id, poll_votes=votes)

    # ---- idea channels ---------------------------------------------------------------------------------------
    async def set_channel(self, scope: str, conversation_id: str, lang: str, set_by: str, now: datetime) -> None:
        """Ideas of `scope` (`team:<id>` or `tenant:<id>`) are shown in this conversation, in `lang`."""
        await self._store.set_channel(scope, conversation_id, lang, set_by, now)

    async def channel_of(self, scope: str) -> tuple[str, str] | None:
        """(conversation id, language) of the scope's idea channel, if it has one."""
        return await self._store.channel(scope)

    async def channels(self) -> list[tuple[str, str, str]]:
        """(scope, conversation id, language) of every idea channel."""
        return await self._store.channels()

    async def posted(self, idea: Idea, conversation_id: str, activity_id: str) -> None:
        """The idea's card is in its idea channel: remember which message it is (its card is updated there)."""
        await self._store.change(idea.idea_id, conversation_id=conversation_id, activity_id=activity_id)

    async def digest(self, tenant_id: str | None, since: datetime, limit: int = 5) -> Digest:
        newest = await self._store.newest(tenant_id, since, limit)
        popular = await self._store.top(tenant_id, since, limit)
        return Digest(await self._store.count_since(tenant_id, since), newest, popular)

    # ---- calls -----------------------------------------------------------------------------------------------
    async def call(self, call_id: str) -> Call | None:
        return await self._store.call(call_id)

    async def open_calls(self) -> list[Call]:
        return await self._store.open_calls()

    async def in_call(self, call: Call) -> list[Idea]:
        """The ideas submitted to a call, most backed first."""
        return await self._store.in_call(call.call_id)

    async def call_posted(self, call: Call, activity_id: str) -> None:
        """The call's card is posted: remember which message it is (it is updated when the call closes)."""
        await self._store.change_call(call.call_id, activity_id=activity_id)

    async def open_call(
        self,
        call_id: str,
        tenant_id: str | None,
        theme: str,
        description: str,
        deadline: datetime,
        conversation_id: str,
        organiser_key: str,
        organiser_name: str,
        lang: str,
        now: datetime,
    ) -> Call:
        call = Call(
            call_id,
            tenant_id,
            theme,
            description,
            deadline,
            conversation_id,
            organiser_key,
            organiser_name,
            lang,
            "open",
            None,
            now,
        )
        return await self._store.add_call(call)

    async def close_call(self, call: Call) -> Call | None:
        """Close an open call (None if it was closed already: the deadline ran twice, or by hand)."""
        return await self._store.close_call(call.call_id)

    # ---- reports ---------------------------------------------------------------------------------------------
    async def every(self, tenant_id: str | None) -> list[Idea]:
        """For the export: every idea of the tenant, oldest first."""
        return await self._store.every(tenant_id)

    @staticmethod
    def by_category(ideas: Sequence[Idea]) -> list[tuple[str, int]]:
        return Counter(idea.category for idea in ideas).most_common()

    def fiscal_years(self, ideas: Sequence[Idea]) -> list[tuple[int, str, int]]:
        """(年度, status, count), oldest year first."""
        counted = Counter((fiscal_year(idea.created_at.astimezone(self.tz).date()), idea.status) for idea in ideas)
        return sorted((year, status, count) for (year, status), count in counted.items())


def _built(ideas: list[tuple[str, str]]) -> SimilarIdeas:
    index = SimilarIdeas()
    index.add_many(ideas)
    return index
