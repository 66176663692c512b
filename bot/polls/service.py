"""What a team lead can do with polls, and how votes are taken.

Scheduler jobs (all persisted, all idempotent):
- `poll-close:<id>` at the deadline → `dialogs.polls_jobs:close_poll`; a deadline that passed while the bot was
  down runs right after start.
- `poll-remind:<id>` `remind_before` minutes before the deadline → `dialogs.polls_jobs:remind_before_deadline`,
  only while that moment is still ahead (a reminder planned in the past would fire at once).
- `poll-repeat:<id>` a weekly or monthly cron → `dialogs.polls_jobs:repeat_poll`, which posts a fresh copy.

Votes go through a group commit: concurrent clicks become one transaction (see `PollStore.record`).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.polls.ballots import anonymous_voter_key, purpose_key
from bot.polls.model import Draft, Origin, Poll, Status, Vote, VoteResult
from bot.polls.store import PollStore
from bot.store.batching import GroupCommit

if TYPE_CHECKING:
    from bot.scheduler import Scheduler

CLOSE_JOB = "dialogs.polls_jobs:close_poll"
REMIND_JOB = "dialogs.polls_jobs:remind_before_deadline"
REPEAT_JOB = "dialogs.polls_jobs:repeat_poll"


def close_job_id(poll_id: str) -> str:
    return f"poll-close:{poll_id}"


def remind_job_id(poll_id: str) -> str:
    return f"poll-remind:{poll_id}"


def repeat_job_id(poll_id: str) -> str:
    return f"poll-repeat:{poll_id}"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class PollService:
    def __init__(
        self,
        store: PollStore,
        scheduler: Scheduler,
        tz: ZoneInfo,
        *,
        ballot_key: bytes,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.store = store
        self.tz = tz
        self.clock = clock
        self._scheduler = scheduler
        self._ballot_key = ballot_key
        self._votes: GroupCommit[tuple[Vote, datetime], VoteResult] = GroupCommit(self._record)

    @property
    def export_key(self) -> bytes:
        """The key that signs export links (derived, so it can't stand in for the ballot key)."""
        return purpose_key(self._ballot_key, "export")

    # ---- creating ------------------------------------------------------------------------------------------
    @staticmethod
    def sketch(origin: Origin, draft: Draft) -> Poll:
        """The poll a draft makes (for the preview, and what `create` stores)."""
        return Poll(
            poll_id=uuid.uuid4().hex,
            tenant_id=origin.tenant_id,
            conversation_id=origin.conversation_id,
            conversation_type=origin.conversation_type,
            service_url=origin.service_url,
            creator_aad_id=origin.user_key,
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
        )

    async def create(self, origin: Origin, draft: Draft) -> Poll:
        """Store a new poll (its card is posted by the caller, who then calls `posted`)."""
        return await self.store.add(self.sketch(origin, draft))

    async def posted(self, poll: Poll, activity_id: str | None) -> Poll:
        """The card is in the conversation: remember it, and plan the deadline and the reminder."""
        saved = await self.store.change(poll.poll_id, activity_id=activity_id) or poll
        if saved.deadline is not None:
            await self._scheduler.add_at(
                close_job_id(saved.poll_id), CLOSE_JOB, saved.deadline, {"poll_id": saved.poll_id}
            )
            await self._plan_reminder(saved)
        return saved

    @staticmethod
    def remind_at(poll: Poll) -> datetime | None:
        """When the reminder before the deadline is due (None: the poll has none)."""
        if poll.deadline is None or not poll.remind_before:
            return None
        return poll.deadline - timedelta(minutes=poll.remind_before)

    async def _plan_reminder(self, poll: Poll) -> None:
        """Plan the reminder if it is still ahead; a moment already passed is never planned (it would fire at
        once and @mention everyone)."""
        remind_at = self.remind_at(poll)
        if remind_at is not None and remind_at > self.clock():
            await self._scheduler.add_at(remind_job_id(poll.poll_id), REMIND_JOB, remind_at, {"poll_id": poll.poll_id})

    async def discard(self, poll: Poll) -> None:
        """The card could not be posted: forget the poll."""
        await self.store.remove(poll.poll_id)

    def copy_draft(self, poll: Poll, now: datetime) -> Draft:
        """A fresh copy of `poll` for a recurring run: same question and rules, the same time to answer."""
        deadline = None
        if poll.deadline is not None and poll.created_at is not None:
            deadline = now + (poll.deadline - poll.created_at)
        return replace(poll.draft(), deadline=deadline)

    # ---- voting --------------------------------------------------------------------------------------------
    def voter_key(self, poll_id: str, user_key: str, *, anonymous: bool) -> str:
        return anonymous_voter_key(self._ballot_key, poll_id, user_key) if anonymous else user_key

    async def vote(self, poll: Poll, user_key: str, name: str, choices: tuple[int, ...], now: datetime) -> VoteResult:
        """Record a ballot (replacing this person's earlier one); anonymous polls never see `user_key`/`name`."""
        key = self.voter_key(poll.poll_id, user_key, anonymous=poll.anonymous)
        vote = Vote(poll.poll_id, key, None if poll.anonymous else name, choices)
        return await self._votes.submit((vote, now))

    async def _record(self, batch: list[tuple[Vote, datetime]]) -> list[VoteResult]:
        return await self.store.record([vote for vote, _ in batch], max(now for _, now in batch))

    def ticket(self, poll_id: str, user_key: str) -> str:
        """What a personal reminder's vote buttons carry: proof that this person was sent this poll in their 1:1
        chat, so a vote from there counts although it is not the poll's own conversation."""
        key = purpose_key(self._ballot_key, "reminder")
        return hmac.new(key, f"{poll_id}:{user_key}".encode(), hashlib.sha256).hexdigest()

    def ticket_valid(self, poll_id: str, user_key: str, ticket: object) -> bool:
        return (
            isinstance(ticket, str) and ticket.isascii() and hmac.compare_digest(ticket, self.ticket(poll_id, user_key))
        )

    async def ballot_of(self, poll: Poll, user_key: str) -> tuple[int, ...]:
        return await self.store.ballot(poll.poll_id, self.voter_key(poll.poll_id, user_key, anonymous=poll.anonymous))

    # ---- the creator's tools -------------------------------------------------------------------------------
    async def find(self, poll_id: object) -> Poll | None:
        return await self.store.get(poll_id) if isinstance(poll_id, str) and len(poll_id) == 32 else None

    @staticmethod
    def is_creator(poll: Poll, user_key: str) -> bool:
        return poll.creator_aad_id == user_key

    async def close(self, poll: Poll, now: datetime) -> Poll | None:
        """Close an open poll (None if it was already closed); its deadline and reminder jobs go."""
        closed = await self.store.set_status(poll.poll_id, Status.OPEN, Status.CLOSED, closed_at=now)
        if closed is not None:
            await self._scheduler.remove(close_job_id(poll.poll_id))
            await self._scheduler.remove(remind_job_id(poll.poll_id))
        return closed

    async def reopen(self, poll: Poll) -> Poll | None:
        """Reopen a closed poll; a passed deadline is dropped (the creator closes it by hand from now on). A kept
        deadline gets its close job back, and its reminder too while that is still ahead."""
        deadline = (
            poll.deadline if poll.deadline is not None and poll.closed_at and poll.deadline > poll.closed_at else None
        )
        reopened = await self.store.set_status(
            poll.poll_id, Status.CLOSED, Status.OPEN, closed_at=None, deadline=deadline
        )
        if reopened is not None and reopened.deadline is not None:
            await self._scheduler.add_at(
                close_job_id(poll.poll_id), CLOSE_JOB, reopened.deadline, {"poll_id": poll.poll_id}
            )
            await self._plan_reminder(reopened)
        return reopened

    async def set_recurrence(self, poll: Poll, recurrence: dict[str, Any] | None) -> None:
        """Repeat `poll` weekly or monthly at a time (None stops it); the cron job is the only state."""
        jobs = self._scheduler
        if recurrence is None:
            await jobs.remove(repeat_job_id(poll.poll_id))
            return
        hour, minute = (int(part) for part in str(recurrence["at"]).split(":"))
        timing: dict[str, Any] = {"hour": hour, "minute": minute}
        if recurrence["kind"] == "weekly":
            timing["day_of_week"] = int(recurrence["weekday"])
        else:
            timing["day"] = int(recurrence["day"])
        await jobs.add_cron(repeat_job_id(poll.poll_id), REPEAT_JOB, kwargs={"poll_id": poll.poll_id}, **timing)

    async def save_recurrence(self, poll: Poll, recurrence: dict[str, Any] | None) -> Poll | None:
        await self.set_recurrence(poll, recurrence)
        return await self.store.change(poll.poll_id, recurrence=recurrence)
