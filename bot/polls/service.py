"""What a team lead can do with polls, and how votes are taken.

The service knows when things are due (`remind_at`, `next_repeat`), not how the bot wakes up for them: the
feature plans the timed work (`polls.close` at the deadline, `polls.remind` before it, `polls.repeat` for a
recurring poll). Votes go through a group commit: concurrent clicks become one transaction (`PollStore.record`).
The feature reaches the polls' tables only through this service.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.anonymity import key_id, purpose_key
from bot.ids import fresh_id
from bot.polls.ballots import BallotKeys, anonymous_voter_key, legacy_key
from bot.polls.model import REFRESHED_VOTERS, Draft, Origin, Poll, Problem, Status, Tally, Vote, VoteResult
from bot.polls.store import PollStore
from bot.recurrence import Kind, Schedule, next_delivery
from bot.store.batching import GroupCommit

LEGACY_SECRET, LEGACY_KEY_ID = "ballots", "legacy-key-id"  # names of the legacy ballot key's rows in poll_secrets


class PollService:
    def __init__(self, engine: AsyncEngine, tz: ZoneInfo, *, keys: BallotKeys, anonymity_key: bytes) -> None:
        self._store = PollStore(engine)
        self.tz = tz
        self.keys = keys
        self.export_key = purpose_key(anonymity_key, "poll-export")  # signs download links
        self._ticket_key = purpose_key(anonymity_key, "poll-reminder")
        self._votes: GroupCommit[tuple[Vote, datetime], VoteResult] = GroupCommit(self._record)

    # ---- creating ------------------------------------------------------------------------------------------
    def sketch(self, origin: Origin, draft: Draft, poll_id: str = "") -> Poll:
        """The poll a draft makes (for the preview, and what `create` stores)."""
        return Poll(
            poll_id=poll_id or fresh_id(),
            tenant_id=origin.tenant_id,
            conversation_id=origin.conversation_id,
            conversation_type=origin.conversation_type,
            service_url=origin.service_url,
            creator_key=origin.user_key,
            lang=origin.lang,
            question=draft.question,
            options=list(draft.options),
            multi=draft.multi,
            max_choices=draft.max_choices if draft.multi else None,
            anonymous=draft.anonymous,
            visibility=draft.visibility.value,
            deadline=draft.deadline,
            remind_before=draft.remind_before if draft.deadline else None,
            status=Status.OPEN.value,
            activity_id=None,
            card_dirty=False,
            recurrence=None,
            ballot_key_id=self.keys.current_id,
        )

    async def create(self, origin: Origin, draft: Draft, poll_id: str) -> Poll:
        """Store a new poll (its card is posted by the caller, who then calls `posted`); a poll with this id made
        before (the same turn run again) is returned as it is."""
        return await self._store.add(self.sketch(origin, draft, poll_id))

    async def posted(self, poll: Poll, activity_id: str | None) -> Poll:
        """The card is in the conversation: remember which message it is."""
        return await self._store.change(poll.poll_id, activity_id=activity_id) or poll

    @staticmethod
    def remind_at(poll: Poll) -> datetime | None:
        """When the reminder before the deadline is due (None: the poll has none)."""
        if poll.deadline is None or not poll.remind_before:
            return None
        return poll.deadline - timedelta(minutes=poll.remind_before)

    async def discard(self, poll: Poll) -> None:
        """The card could not be posted: forget the poll."""
        await self._store.remove(poll.poll_id)

    @staticmethod
    def copy_draft(poll: Poll, now: datetime) -> Draft:
        """A fresh copy of `poll` for a recurring run: same question and rules, the same time to answer."""
        deadline = None
        if poll.deadline is not None and poll.created_at is not None:
            deadline = now + (poll.deadline - poll.created_at)
        return replace(poll.draft(), deadline=deadline)

    # ---- voting --------------------------------------------------------------------------------------------
    def voter_key(self, poll: Poll, user_key: str) -> str | None:
        """Who a ballot is filed under: the person (named polls) or the keyed hash (anonymous polls); None when the
        anonymous poll's key is gone (see `bot.polls.ballots`)."""
        if not poll.anonymous:
            return user_key
        key = self.keys.for_poll(poll.ballot_key_id)
        return None if key is None else anonymous_voter_key(key, poll.poll_id, user_key)

    async def vote(
        self, poll: Poll, user_key: str, name: str, choices: tuple[int, ...], now: datetime, teams_id: str | None = None
    ) -> VoteResult:
        """Record a ballot (replacing this person's earlier one); anonymous polls never keep `user_key`, `name` or
        `teams_id`."""
        key = self.voter_key(poll, user_key)
        if key is None:
            return VoteResult(Problem.KEY_CHANGED)
        if poll.anonymous:
            vote = Vote(poll.poll_id, key, None, choices)
        else:
            vote = Vote(poll.poll_id, key, name, choices, voter_id=teams_id or None)
        return await self._votes.submit((vote, now))

    async def _record(self, batch: list[tuple[Vote, datetime]]) -> list[VoteResult]:
        return await self._store.record([vote for vote, _ in batch], max(now for _, now in batch))

    def ticket(self, poll_id: str, user_key: str) -> str:
        """What a personal reminder's vote buttons carry: proof that this person was sent this poll in their 1:1
        chat, so a vote from there counts although it is not the poll's own conversation."""
        return hmac.new(self._ticket_key, f"{poll_id}:{user_key}".encode(), hashlib.sha256).hexdigest()

    def ticket_valid(self, poll_id: str, user_key: str, ticket: object) -> bool:
        return (
            isinstance(ticket, str) and ticket.isascii() and hmac.compare_digest(ticket, self.ticket(poll_id, user_key))
        )

    async def ballot_of(self, poll: Poll, user_key: str) -> tuple[int, ...]:
        key = self.voter_key(poll, user_key)
        return () if key is None else await self._store.ballot(poll.poll_id, key)

    # ---- reading -------------------------------------------------------------------------------------------
    async def poll(self, poll_id: str) -> Poll | None:
        """The poll an id of the bot's own names (its timed work, its shared card); `find` checks an id that comes
        from a click or a link."""
        return await self._store.get(poll_id)

    async def tally(self, poll: Poll) -> Tally:
        return await self._store.tally(poll)

    async def named_ballots(self, poll: Poll) -> list[tuple[str, str, int]]:
        """(voter key, name, option) of every choice, for the creator's details and the export of a named poll."""
        return await self._store.named_ballots(poll.poll_id)

    async def voted(self, poll: Poll) -> set[str]:
        """Who has voted: user keys in a named poll (to find the members who have not)."""
        return await self._store.voter_keys(poll.poll_id)

    async def refreshed_for(self, poll: Poll) -> list[str]:
        """Whom Teams refreshes the card for in a chat of more than 60 (`cards.polls.refresh_for`): a named poll's
        voters; nobody is listed for an anonymous poll (who voted stays unknown)."""
        return [] if poll.anonymous else await self._store.voter_ids(poll.poll_id, REFRESHED_VOTERS)

    async def card_shown(self, poll_id: str, version: int) -> None:
        """Teams has the shared card that shows `version` of the votes: it is clean, unless a vote came since."""
        await self._store.shown(poll_id, version)

    # ---- the creator's tools -------------------------------------------------------------------------------
    async def find(self, poll_id: object) -> Poll | None:
        return await self._store.get(poll_id) if isinstance(poll_id, str) and len(poll_id) == 32 else None

    @staticmethod
    def is_creator(poll: Poll, user_key: str) -> bool:
        return poll.creator_key == user_key

    async def close(self, poll: Poll, now: datetime) -> Poll | None:
        """Close an open poll (None if it was already closed)."""
        return await self._store.set_status(poll.poll_id, Status.OPEN, Status.CLOSED, closed_at=now)

    async def reopen(self, poll: Poll) -> Poll | None:
        """Reopen a closed poll; a passed deadline is dropped (the creator closes it by hand from now on)."""
        deadline = (
            poll.deadline if poll.deadline is not None and poll.closed_at and poll.deadline > poll.closed_at else None
        )
        return await self._store.set_status(poll.poll_id, Status.CLOSED, Status.OPEN, closed_at=None, deadline=deadline)

    async def save_recurrence(self, poll: Poll, recurrence: dict[str, Any] | None) -> Poll | None:
        """Repeat `poll` weekly or monthly at a time (None stops it)."""
        return await self._store.change(poll.poll_id, recurrence=recurrence)

    def next_repeat(self, poll: Poll, after: datetime) -> datetime | None:
        """When a recurring poll is posted again: its weekday or day of the month, on a working day (a holiday
        moves it to the next working day), in the bot's zone."""
        schedule = repeat_schedule(poll.recurrence)
        return None if schedule is None else next_delivery(schedule, after.astimezone(self.tz), quiet=None)

    # ---- start-up --------------------------------------------------------------------------------------------
    async def open_with_deadline(self) -> list[Poll]:
        return await self._store.open_with_deadline()

    async def recurring(self) -> list[Poll]:
        return await self._store.recurring()

    async def dirty(self) -> list[Poll]:
        """Polls whose shared card may not show the latest totals (a crash mid-storm)."""
        return await self._store.dirty()

    async def load_legacy_key(self, app_password: str) -> None:
        """Find the ballot key of polls opened before the anonymity key existed: kept only while the app password
        still makes the key whose fingerprint was stored when it was first seen (see `bot.polls.ballots`)."""
        secret = await self._store.secret(LEGACY_SECRET)
        if secret is None:
            return  # a deployment that never had legacy polls
        legacy = legacy_key(app_password, bytes.fromhex(secret))
        first_seen = await self._store.remember(LEGACY_KEY_ID, key_id(legacy))
        self.keys = BallotKeys(self.keys.current, legacy if first_seen == key_id(legacy) else None)


def repeat_schedule(recurrence: dict[str, Any] | None) -> Schedule | None:
    """The recurrence model of a poll's stored repeat rule."""
    if not recurrence:
        return None
    at = time.fromisoformat(str(recurrence["at"]).zfill(5))
    if recurrence["kind"] == "weekly":
        return Schedule(Kind.WEEKLY, at, weekdays=(int(recurrence["weekday"]),), working_days_only=True)
    return Schedule(Kind.MONTHLY, at, day=int(recurrence["day"]), working_days_only=True)
