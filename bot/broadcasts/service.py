"""The rules of broadcasting: who may address whom, when a second admin must approve, and how a broadcast moves
from draft to sent (or recalled).

    draft ─review→ resolving ─resolved→ ready ─confirm→ sending ─(all delivered)→ sent
                                          │  └─confirm (later)→ scheduled ─due→ sending
                                          └─confirm (large/everyone)→ pending_approval ─approve→ sending | scheduled
                                                                                        └─reject→ draft
    scheduled | sending | sent ─recall→ recalled

Each step is one conditional update on the status the caller saw, so two admins clicking at once, or a click
racing the scheduler, move a broadcast once; the loser gets None and tells its user the broadcast moved on.
The feature reaches the broadcasts' tables only through this service (and the outbox workers it makes).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ColumnElement

from bot.broadcasts.model import (
    DELIVERED,
    EDITABLE,
    Audience,
    AudienceKind,
    Broadcast,
    Content,
    Recipient,
    Row,
    RowState,
    Status,
    Tally,
)
from bot.broadcasts.store import BroadcastStore
from bot.broadcasts.tables import broadcasts
from bot.broadcasts.workers import Alive, Handle, OutboxWorkers, Settled
from bot.clock import Clock


@dataclass(frozen=True)
class Author:
    """The admin writing a broadcast, and where the bot tells them how it goes."""

    key: str
    name: str
    lang: str
    chat: str  # their 1:1 chat with the bot
    tenant_id: str | None
    service_url: str
    bot_id: str


class NotAllowed(Exception):
    """The rules refuse this (the message is a catalog key)."""


def _in(*statuses: Status) -> ColumnElement[bool]:
    return broadcasts.c.status.in_([status.value for status in statuses])


class BroadcastService:
    def __init__(
        self, engine: AsyncEngine, *, threshold: int, limits: Mapping[str, frozenset[str]] | None = None
    ) -> None:
        """`threshold`: above this many recipients a second admin approves (everyone always needs one).
        `limits`: author (Entra id) → the only audiences they may address ("team:<id>", "group:<id>")."""
        self._store = BroadcastStore(engine)
        self.threshold = threshold
        self._limits = {author.lower(): scopes for author, scopes in (limits or {}).items()}

    # ---- reading ---------------------------------------------------------------------------------------------
    async def broadcast(self, broadcast_id: str) -> Broadcast | None:
        return await self._store.get(broadcast_id)

    async def recent(self, tenant_id: str | None, statuses: Sequence[str], limit: int) -> list[Broadcast]:
        """A tenant's broadcasts in `statuses`, the most recently changed first."""
        return await self._store.recent(tenant_id, statuses, limit)

    async def in_status(self, statuses: Sequence[str]) -> list[Broadcast]:
        """Every tenant's broadcasts in `statuses` (start-up re-plans their timed work)."""
        return await self._store.in_status(statuses)

    async def tally(self, broadcast_id: str) -> Tally:
        return await self._store.tally(broadcast_id)

    async def rows(self, broadcast_id: str, *states: RowState) -> list[Row]:
        """The recipients' rows (in `states`, if any are given)."""
        return await self._store.rows(broadcast_id, *states)

    async def received(self, broadcast_id: str, user_key: str, place: str) -> Row | None:
        """How the broadcast went to someone clicking on it: to them in person, else to the channel they are in."""
        row = await self._store.row(broadcast_id, f"person:{user_key}")
        return row if row is not None else await self._store.row(broadcast_id, f"channel:{place}")

    # ---- governance ------------------------------------------------------------------------------------------
    def scopes(self, author_key: str) -> frozenset[str] | None:
        """The audiences an author is limited to ("team:<id>", "group:<id>"); None: no limit."""
        return self._limits.get(author_key.lower())

    def allowed(self, author_key: str, audience: Audience) -> bool:
        scopes = self.scopes(author_key)
        if scopes is None:
            return True
        if audience.kind == AudienceKind.EVERYONE:
            return False
        if audience.kind == AudienceKind.GROUP:
            return f"group:{audience.group.lower()}" in scopes
        return all(f"team:{team.lower()}" in scopes for team in audience.chosen_teams)

    def needs_approval(self, audience: Audience, recipients: int) -> bool:
        """二者承認: everyone, or more people than the threshold."""
        return audience.kind == AudienceKind.EVERYONE or recipients > self.threshold

    # ---- drafts ----------------------------------------------------------------------------------------------
    async def save(
        self,
        author: Author,
        content: Content,
        audience: Audience,
        send_at: datetime | None,
        now: datetime,
        broadcast: Broadcast | None = None,
    ) -> Broadcast | None:
        """A new draft, or the changed one (a counted one goes back to draft: its list must be made anew). None:
        it is no longer editable (sent for approval, or sent, meanwhile)."""
        if not self.allowed(author.key, audience):
            raise NotAllowed("broadcasts.error.audience_limited")
        if broadcast is None:
            draft = Broadcast(
                broadcast_id=uuid.uuid4().hex,
                tenant_id=author.tenant_id,
                author_key=author.key,
                author_name=author.name,
                author_lang=author.lang,
                author_chat=author.chat,
                service_url=author.service_url,
                bot_id=author.bot_id,
                status=Status.DRAFT.value,
                content=content,
                audience=audience,
                audience_label="",
                send_at=send_at,
                recipients=0,
                unreachable=0,
                needs_approval=False,
                approver_key=None,
                approver_name=None,
                approval_comment=None,
                version=1,
                report_activity=None,
                created_at=now,
                updated_at=now,
                started_at=None,
                finished_at=None,
            )
            return await self._store.add(draft)
        return await self._store.change(
            broadcast.broadcast_id,
            _in(*EDITABLE),
            content=content,
            audience=audience,
            send_at=send_at,
            status=Status.DRAFT.value,
            updated_at=now,
        )

    async def duplicate(self, broadcast: Broadcast, author: Author, now: datetime) -> Broadcast:
        copy = await self.save(author, broadcast.content, broadcast.audience, None, now)
        assert copy is not None  # a new draft is always saved
        return copy

    async def delete(self, broadcast: Broadcast) -> bool:
        return await self._store.delete(broadcast.broadcast_id, _in(*EDITABLE, Status.RESOLVING))

    # ---- counting, confirming, approving ---------------------------------------------------------------------
    async def review(self, broadcast: Broadcast, now: datetime) -> Broadcast | None:
        """Resolve the audience (timed work does it, after the click is answered)."""
        return await self._store.change(
            broadcast.broadcast_id, _in(*EDITABLE), status=Status.RESOLVING.value, updated_at=now
        )

    async def resolved(
        self, broadcast: Broadcast, recipients: Sequence[Recipient], label: str, now: datetime
    ) -> Broadcast | None:
        """The frozen list is made: the author sees its size and confirms."""
        await self._store.freeze(broadcast, recipients, now)
        return await self._store.change(
            broadcast.broadcast_id,
            _in(Status.RESOLVING),
            status=Status.READY.value,
            audience_label=label,
            recipients=len(recipients),
            unreachable=sum(not recipient.reachable for recipient in recipients),
            needs_approval=self.needs_approval(broadcast.audience, len(recipients)),
            updated_at=now,
        )

    async def confirm(self, broadcast: Broadcast, now: datetime) -> Broadcast | None:
        """The author confirms: to a second admin if it needs approval, else sent now or at its time."""
        if broadcast.needs_approval:
            return await self._store.change(
                broadcast.broadcast_id, _in(Status.READY), status=Status.PENDING.value, updated_at=now
            )
        return await self._go(broadcast, Status.READY, now)

    async def approve(self, broadcast: Broadcast, approver: Author, comment: str, now: datetime) -> Broadcast | None:
        if approver.key == broadcast.author_key:
            raise NotAllowed("broadcasts.approval.not_own")
        decided = await self._store.change(
            broadcast.broadcast_id,
            _in(Status.PENDING),
            approver_key=approver.key,
            approver_name=approver.name,
            approval_comment=comment,
            updated_at=now,
        )
        return None if decided is None else await self._go(decided, Status.PENDING, now)

    async def reject(self, broadcast: Broadcast, approver: Author, comment: str, now: datetime) -> Broadcast | None:
        if approver.key == broadcast.author_key:
            raise NotAllowed("broadcasts.approval.not_own")
        return await self._store.change(
            broadcast.broadcast_id,
            _in(Status.PENDING),
            status=Status.DRAFT.value,
            approver_key=approver.key,
            approver_name=approver.name,
            approval_comment=comment,
            updated_at=now,
        )

    async def back_to_draft(self, broadcast: Broadcast, seen: Status) -> Broadcast | None:
        """Its audience could not be resolved, or resolved to nobody: the author edits it again."""
        return await self._store.change(broadcast.broadcast_id, _in(seen), status=Status.DRAFT.value)

    async def _go(self, broadcast: Broadcast, seen: Status, now: datetime) -> Broadcast | None:
        if broadcast.send_at is not None and broadcast.send_at > now:
            return await self._store.change(
                broadcast.broadcast_id, _in(seen), status=Status.SCHEDULED.value, updated_at=now
            )
        return await self.start(broadcast, now, seen)

    # ---- sending ---------------------------------------------------------------------------------------------
    async def start(self, broadcast: Broadcast, now: datetime, seen: Status = Status.SCHEDULED) -> Broadcast | None:
        """Sending starts: the held list becomes the outbox workers' work."""
        started = await self._store.change(
            broadcast.broadcast_id, _in(seen), status=Status.SENDING.value, started_at=now, updated_at=now
        )
        if started is not None:
            await self._store.release_held(broadcast.broadcast_id, now)
        return started

    def workers(self, owner: str, alive: Alive, handle: Handle, settled: Settled, clock: Clock) -> OutboxWorkers:
        """This instance's outbox workers (`bot.broadcasts.workers`), on the broadcasts' tables."""
        return OutboxWorkers(self._store, owner, alive, handle, settled, clock)

    async def report_posted(self, broadcast: Broadcast, activity: str) -> Broadcast | None:
        """The author's report card is in their chat: it is updated from now on."""
        return await self._store.change(broadcast.broadcast_id, report_activity=activity)

    async def finish_if_done(self, broadcast: Broadcast, now: datetime) -> Broadcast | None:
        """Sent, once no recipient waits any more (the instance whose update wins reports it)."""
        if await self._store.open_rows(broadcast.broadcast_id):
            return None
        return await self._store.change(
            broadcast.broadcast_id, _in(Status.SENDING), status=Status.SENT.value, finished_at=now, updated_at=now
        )

    async def edit(self, broadcast: Broadcast, content: Content, now: datetime) -> Broadcast | None:
        """Correct a delivered broadcast: a new card version, which every delivered card gets."""
        changed = await self._store.change(
            broadcast.broadcast_id,
            _in(*DELIVERED, Status.SCHEDULED),
            content=replace(content, ack=broadcast.content.ack, deadline=broadcast.content.deadline),
            version=broadcasts.c.version + 1,
            updated_at=now,
        )
        if changed is not None:
            await self._store.want_version(broadcast.broadcast_id, changed.version, now)
        return changed

    async def recall(self, broadcast: Broadcast, now: datetime) -> Broadcast | None:
        """Nothing more goes out, and every delivered card says it was recalled."""
        recalled = await self._store.change(
            broadcast.broadcast_id,
            _in(*DELIVERED, Status.SCHEDULED),
            status=Status.RECALLED.value,
            version=broadcasts.c.version + 1,
            finished_at=now,
            updated_at=now,
        )
        if recalled is not None:
            await self._store.cancel_unsent(broadcast.broadcast_id, now)
            await self._store.want_version(broadcast.broadcast_id, recalled.version, now)
        return recalled

    # ---- acknowledgements and reminders ----------------------------------------------------------------------
    async def acknowledge(self, broadcast_id: str, user_key: str, name: str, segment: str, now: datetime) -> datetime:
        """「確認しました」, recorded once per person: when they first clicked."""
        return await self._store.acknowledge(broadcast_id, user_key, name, segment, now)

    async def acknowledged_at(self, broadcast_id: str, user_key: str) -> datetime | None:
        return await self._store.acknowledged_at(broadcast_id, user_key)

    async def acknowledgements(self, broadcast_id: str) -> dict[str, datetime]:
        """user key → when they acknowledged."""
        return await self._store.acknowledgements(broadcast_id)

    async def remind(self, broadcast_id: str, now: datetime) -> int:
        """One reminder for each person who got the broadcast and has not acknowledged it (the workers send them);
        how many."""
        return await self._store.due_reminders(broadcast_id, now)
