"""What a feature handler sees of one Teams turn: who, where, what they typed or clicked, in which language.

Plain data, no Bot Framework types, so dialogs and their tests don't depend on botbuilder and a move to the
Teams SDK or the Agents SDK only rewrites `bot/handler.py`. What a handler may *use* (store, sender, timed work,
policy) is its feature's context, not the turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.ids import fresh_id, stable_id
from bot.places import place_id


@dataclass(frozen=True)
class Actor:
    """The person behind the activity. `aad_object_id` is the stable id across chats and apps."""

    id: str
    aad_object_id: str | None
    name: str


@dataclass(frozen=True)
class Conversation:
    """The conversation the activity came from: a 1:1 chat, a group chat, or one thread of a channel."""

    conversation_id: str
    conversation_type: str  # personal | groupChat | channel
    tenant_id: str
    service_url: str
    team_id: str | None = None
    channel_id: str | None = None


@dataclass
class Turn:
    actor: Actor
    conversation: Conversation
    lang: str
    locale: str
    text: str = ""  # the command's argument, or the whole text for the fallback handler
    data: dict[str, Any] = field(default_factory=dict)  # card data / invoke value
    activity_id: str | None = None
    reply_to_id: str | None = None  # the message a card click came from

    @property
    def user_key(self) -> str:
        """Who acted, as features store people: the Entra object id (stable across chats and apps), or the Teams
        id when Teams sent none."""
        return self.actor.aad_object_id or self.actor.id

    def new_id(self, purpose: str) -> str:
        """The id of the `purpose` thing this turn creates: the same when Teams re-sends the activity or a crashed
        turn is run again, so the thing is created once (`bot.ids`)."""
        if not self.activity_id:
            return fresh_id()
        return stable_id(purpose, self.conversation.conversation_id, self.activity_id)

    @property
    def place(self) -> str:
        """The chat or channel the turn happened in (every thread of a channel is the channel)."""
        return place_id(self.conversation.conversation_id)

    @property
    def personal(self) -> bool:
        return self.conversation.conversation_type == "personal"
