"""Where the bot may speak: conversation references kept current from the activities Teams sends.

`observe` runs on every turn, so it writes only when something the sender needs changed (a new
conversation, a moved service URL, a new locale); the in-process cache keeps the hot path free of writes.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.store.batching import GroupCommit
from bot.store.conversations import ConversationRecord, ConversationStore
from bot.turn import Conversation
from bot.wire import to_json


def _channel_data(activity: Activity) -> dict[str, Any]:
    return activity.channel_data if isinstance(activity.channel_data, dict) else {}


def tenant_of(activity: Activity) -> str:
    """Teams names the tenant in channelData.tenant.id; the conversation carries it too."""
    tenant = _channel_data(activity).get("tenant")
    if isinstance(tenant, dict) and tenant.get("id"):
        return str(tenant["id"]).lower()
    conversation_tenant = getattr(activity.conversation, "tenant_id", None) if activity.conversation else None
    return str(conversation_tenant or "").lower()


def _team_and_channel(activity: Activity) -> tuple[str | None, str | None]:
    data = _channel_data(activity)
    team, channel = data.get("team"), data.get("channel")
    return (
        team.get("id") if isinstance(team, dict) else None,
        channel.get("id") if isinstance(channel, dict) else None,
    )


def conversation_of(activity: Activity) -> Conversation:
    """Where an activity happened, without serializing anything (this runs on every turn)."""
    team_id, channel_id = _team_and_channel(activity)
    return Conversation(
        conversation_id=activity.conversation.id,
        conversation_type=activity.conversation.conversation_type or "personal",
        tenant_id=tenant_of(activity),
        service_url=activity.service_url or "",
        team_id=team_id,
        channel_id=channel_id,
    )


def record_from_activity(activity: Activity, locale: str) -> ConversationRecord:
    """The conversation an activity came from, as the store keeps it."""
    team_id, _ = _team_and_channel(activity)
    conversation = activity.conversation
    conversation_type = (conversation.conversation_type if conversation else None) or "personal"
    personal = conversation_type == "personal"
    sender = activity.from_property
    reference = to_json(TurnContext.get_conversation_reference(activity))
    reference.pop("activityId", None)
    return ConversationRecord(
        conversation_id=conversation.id,
        conversation_type=conversation_type,
        tenant_id=tenant_of(activity),
        service_url=activity.service_url or "",
        channel_id=activity.channel_id or "msteams",
        bot_id=activity.recipient.id if activity.recipient else "",
        bot_name=(activity.recipient.name or "") if activity.recipient else "",
        team_id=team_id,
        user_id=sender.id if personal and sender else None,
        user_aad_id=getattr(sender, "aad_object_id", None) if personal and sender else None,
        locale=locale,
        reference=reference,
    )


SEEN_LIMIT = 100_000  # conversations remembered per process (least recently seen forgotten first)
RECHECK_SECONDS = 600.0  # even an unchanged conversation is written again this often (e.g. to lift a 403 mark)


class ConversationDirectory:
    """The store's conversations, with a write-avoiding cache for the per-turn `observe`."""

    def __init__(self, store: ConversationStore, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._clock = clock
        self._seen: OrderedDict[str, tuple[tuple[str, str, str], float]] = OrderedDict()
        self._touches: GroupCommit[ConversationRecord, None] = GroupCommit(self._touch_batch)

    async def _touch_batch(self, records: list[ConversationRecord]) -> list[None]:
        await self._store.touch_many(records)
        return [None] * len(records)

    @staticmethod
    def _fingerprint(record: ConversationRecord) -> tuple[str, str, str]:
        return (record.service_url, record.locale or "", record.bot_id)

    async def observe(self, activity: Activity, locale: str) -> None:
        """Keep the stored reference current; a conversation seen unchanged costs no write and no serializing."""
        bot_id = activity.recipient.id if activity.recipient else ""
        fingerprint = (activity.service_url or "", locale, bot_id)
        conversation_id = activity.conversation.id
        seen = self._seen.get(conversation_id)
        if seen is not None and seen[0] == fingerprint and self._clock() < seen[1]:
            self._seen.move_to_end(conversation_id)
            return
        await self._touches.submit(record_from_activity(activity, locale))
        self._remember(conversation_id, fingerprint)

    def _remember(self, conversation_id: str, fingerprint: tuple[str, str, str]) -> None:
        self._seen[conversation_id] = (fingerprint, self._clock() + RECHECK_SECONDS)
        self._seen.move_to_end(conversation_id)
        while len(self._seen) > SEEN_LIMIT:
            self._seen.popitem(last=False)

    async def install(self, record: ConversationRecord) -> bool:
        """True when this is a new install (the caller welcomes); False on Teams' repeat events."""
        first = await self._store.install(record)
        self._remember(record.conversation_id, self._fingerprint(record))
        return first

    async def remove(self, conversation_id: str) -> None:
        self._seen.pop(conversation_id, None)
        await self._store.remove(conversation_id)

    async def personal_chats(self, aad_ids: list[str], tenant_id: str | None) -> dict[str, str]:
        """The 1:1 chat with the bot of each of these people who has one (aad id → conversation id)."""
        return await self._store.personal_chats(aad_ids, tenant_id)
