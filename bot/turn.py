"""What a feature handler sees of one Teams turn: who, where, what they typed or clicked, in which language.

Plain data, no Bot Framework types, so dialogs and their tests don't depend on botbuilder and a move to the
Teams SDK or the Agents SDK only rewrites `bot/handler.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.services import Services


@dataclass(frozen=True)
class Actor:
    """The person behind the activity. `aad_object_id` is the stable id across chats and apps."""

    id: str
    aad_object_id: str | None
    name: str


@dataclass(frozen=True)
class Place:
    """The conversation the activity came from."""

    conversation_id: str
    conversation_type: str  # personal | groupChat | channel
    tenant_id: str
    service_url: str
    team_id: str | None = None
    channel_id: str | None = None


@dataclass
class Turn:
    services: Services
    actor: Actor
    place: Place
    lang: str
    locale: str
    text: str = ""  # the command's argument, or the whole text for the fallback handler
    data: dict[str, Any] = field(default_factory=dict)  # card data / invoke value
    activity_id: str | None = None
    reply_to_id: str | None = None  # the message a card click came from
