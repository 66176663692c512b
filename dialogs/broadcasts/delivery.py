"""What an outbox worker does for one row, through the one sender: post the card, update it to its latest version
(an edit, the recall), or remind — and, for a person the bot has no chat with, open one or install the app for
them first (Graph `installedApps`). Each outcome is written back by `bot.broadcasts.workers`; see
`bot.broadcasts.outbox` for why a recipient never gets a broadcast twice.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from bot.broadcasts.model import Broadcast, Remind, Row, RowState, Status
from bot.broadcasts.outbox import (
    Action,
    action_of,
    ended,
    later,
    ledger_key,
    posted,
    reminded,
    unchanged,
    updated,
)
from bot.broadcasts.service import BroadcastService
from bot.connector import ConnectorError
from bot.context import Context
from bot.graph import GraphError, GraphNotFound, GraphPermissionError
from bot.sender import Delivery
from bot.store.conversations import ConversationRecord
from cards.base import Card, card_message
from cards.broadcasts import broadcast_card, reminder_card

log = logging.getLogger(__name__)

FRESH_SECONDS = 0.5  # a broadcast read for one row serves the others this long (50 rows a second); a recall
# therefore stops the posts waiting for their slot within half a second
NOT_INSTALLED = "the app is not installed for them, and the bot may not install it (no Graph)"


class _Later(Exception):
    """The recipient can't be reached right now (Teams or Graph failed): try again later."""


class Deliveries:
    def __init__(self, ctx: Context, service: BroadcastService) -> None:
        self._ctx = ctx
        self._service = service
        self._fresh: dict[str, tuple[float, Broadcast | None]] = {}
        self._cards: dict[tuple[str, int, str], dict[str, Any]] = {}  # one activity per version and language

    async def handle(self, row: Row) -> dict[str, Any]:
        now = self._ctx.clock.now()
        action = action_of(row)
        if action is None:
            return unchanged(now)
        broadcast = await self._broadcast(row.broadcast_id, row.want)
        if broadcast is None:
            return (
                ended(RowState.CANCELLED, "the broadcast was deleted", now)
                if action == Action.POST
                else {
                    "shown": row.want,
                    "remind": Remind.NO.value,
                    "updated_at": now,
                }
            )
        try:
            if action == Action.POST:
                return await self._post(row, broadcast, now)
            if action == Action.UPDATE:
                return await self._update(row, broadcast, now)
            return await self._remind(row, broadcast, now)
        except _Later as error:
            return later(row, action, str(error), now)

    async def _broadcast(self, broadcast_id: str, version: int) -> Broadcast | None:
        """The broadcast, as read at most a second ago — unless the row wants a newer version than that."""
        fresh = self._fresh.get(broadcast_id)
        if fresh is not None and fresh[0] > time.monotonic() and (fresh[1] is None or fresh[1].version >= version):
            return fresh[1]
        found = await self._service.broadcast(broadcast_id)
        self._fresh[broadcast_id] = (time.monotonic() + FRESH_SECONDS, found)
        return found

    def _activity(self, broadcast: Broadcast, lang: str) -> dict[str, Any]:
        key = (broadcast.broadcast_id, broadcast.version, lang)
        if key not in self._cards:
            if len(self._cards) > 64:
                self._cards.clear()
            self._cards[key] = card_message(broadcast_card(broadcast, lang, tz=self._ctx.tz))
        return self._cards[key]

    # ---- posting ---------------------------------------------------------------------------------------------
    async def _post(self, row: Row, broadcast: Broadcast, now: datetime) -> dict[str, Any]:
        if broadcast.status != Status.SENDING:
            return ended(RowState.CANCELLED, f"not sent: the broadcast is {broadcast.status}", now)
        conversation, installed, reason = await self._reach(row, broadcast)
        if conversation is None:
            return ended(RowState.NOT_INSTALLED, reason, now)
        once = ledger_key(row, Action.POST)
        activity = self._activity(broadcast, row.lang)

        async def still_sending() -> bool:  # asked when the tenant's slot comes: a recall meanwhile stops it
            current = await self._broadcast(row.broadcast_id, 0)
            return current is not None and current.status == Status.SENDING

        delivery = await self._ctx.sender.post(conversation, activity, once=once, wanted=still_sending)
        if delivery.error == "withdrawn":
            return ended(RowState.CANCELLED, "recalled before it went out", now)
        if delivery.sent:
            return {
                **posted(broadcast.version, delivery.activity_id, now, installed=installed),
                "conversation_id": conversation,
            }
        return self._failed(row, Action.POST, delivery, now)

    def _failed(self, row: Row, action: Action, delivery: Delivery, now: datetime) -> dict[str, Any]:
        reason = f"{delivery.code or ''} {delivery.error_code or ''} {delivery.error or ''}".strip()
        if delivery.transient:
            return later(row, action, reason, now)
        if action == Action.REMIND:
            return {"remind": Remind.FAILED.value, "reason": reason[:2000], "updated_at": now}
        if delivery.status == "skipped" or delivery.code in (403, 404):
            return ended(RowState.NOT_INSTALLED, reason, now)  # removed, blocked, or the chat is gone
        return ended(RowState.FAILED, reason, now)

    async def _reach(self, row: Row, broadcast: Broadcast) -> tuple[str | None, bool, str]:
        """Where to post: the recipient's chat; else one opened now (a team the bot shares with them), else one
        the bot gets by installing the app for them (Graph). (chat, installed it, why not)."""
        if row.conversation_id:
            if not row.person and await self._ctx.conversations.get(row.conversation_id) is None:
                await self._remember(row.conversation_id, row, broadcast)  # a channel the bot has not posted in yet
            return row.conversation_id, False, ""
        if not row.aad_id:
            return None, False, NOT_INSTALLED
        chats = await self._ctx.conversations.people(broadcast.tenant_id, [row.aad_id])
        if chats:
            return chats[0].conversation_id, False, ""
        if row.user_id:
            opened = await self._open(row, broadcast)
            if opened is not None:
                return opened, False, ""
        return await self._install(row, broadcast)

    async def _open(self, row: Row, broadcast: Broadcast) -> str | None:
        try:
            chat = await self._ctx.sender.open_personal_chat(
                service_url=broadcast.service_url,
                tenant_id=broadcast.tenant_id or "",
                bot_id=broadcast.bot_id,
                user_id=row.user_id or "",
            )
        except ConnectorError as error:
            if error.status in (403, 404):
                return None  # the app is not installed for them
            raise _Later(f"no 1:1 chat opened: {error}") from error
        await self._remember(chat, row, broadcast)
        return chat

    async def _install(self, row: Row, broadcast: Broadcast) -> tuple[str | None, bool, str]:
        graph, app = self._ctx.graph, self._ctx.settings.teams_app_id
        if graph is None or not app or not row.aad_id:
            return None, False, NOT_INSTALLED
        try:
            await graph.install_app_for_user(row.aad_id, app)
            chat = await graph.personal_chat_with_app(row.aad_id, app)
        except GraphPermissionError as error:
            return None, False, f"the bot may not install the app (Graph permission): {error}"
        except GraphNotFound as error:
            return None, False, f"not installed: {error}"
        except GraphError as error:
            raise _Later(f"Graph failed: {error}") from error
        if chat is None:
            raise _Later("the app is being installed")
        await self._remember(chat, row, broadcast)
        log.info("installed the app for %s to deliver broadcast %s", row.aad_id, row.broadcast_id)
        return chat, True, ""

    async def _remember(self, chat: str, row: Row, broadcast: Broadcast) -> None:
        """A chat opened or got by installing, or a channel of a team the bot is in: the sender posts only where the
        bot knows it may."""
        record = ConversationRecord(
            conversation_id=chat,
            conversation_type="personal" if row.person else "channel",
            team_id=row.team_id,
            service_url=broadcast.service_url,
            bot_id=broadcast.bot_id,
            tenant_id=broadcast.tenant_id,
            user_id=row.user_id,
            user_aad_id=row.aad_id,
        )
        await self._ctx.conversations.touch_many([record])

    # ---- updating and reminding ------------------------------------------------------------------------------
    async def _update(self, row: Row, broadcast: Broadcast, now: datetime) -> dict[str, Any]:
        assert row.conversation_id is not None and row.activity_id is not None  # action_of checked it
        acked = await self._service.acknowledged_at(row.broadcast_id, row.aad_id) if row.person and row.aad_id else None
        shown: Card = broadcast_card(broadcast, row.lang, acked_at=acked, tz=self._ctx.tz)
        delivery = await self._ctx.sender.update_card(row.conversation_id, row.activity_id, shown)
        if delivery.sent:
            return updated(broadcast.version, now)
        if delivery.transient:
            return later(row, Action.UPDATE, delivery.error or "", now)
        return {"shown": broadcast.version, "reason": f"card not updated: {delivery.error}"[:2000], "updated_at": now}

    async def _remind(self, row: Row, broadcast: Broadcast, now: datetime) -> dict[str, Any]:
        acked = row.aad_id and await self._service.acknowledged_at(row.broadcast_id, row.aad_id)
        if acked or broadcast.recalled or row.conversation_id is None:
            return {"remind": Remind.NO.value, "updated_at": now}  # acknowledged meanwhile: nothing to remind of
        once = ledger_key(row, Action.REMIND)
        shown = card_message(reminder_card(broadcast, row.lang, self._ctx.tz))
        delivery = await self._ctx.sender.post(row.conversation_id, shown, once=once)
        return reminded(now) if delivery.sent else self._failed(row, Action.REMIND, delivery, now)
