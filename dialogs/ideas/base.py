"""The idea box's shared part: its settings, timed work names, roles, and the helpers every part uses."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from bot.anonymity import purpose_key
from bot.card_updates import CardView
from bot.context import Context
from bot.feature import (
    ComposeAction,
    Feature,
)
from bot.i18n import DEFAULT_LANGUAGE
from bot.ideas.model import (
    DEFAULT_CATEGORIES,
    Call,
    Idea,
)
from bot.ideas.privacy import Keys
from bot.ideas.service import IdeaService
from bot.ideas.tables import idea_calls, idea_channels, idea_comments, idea_votes, ideas
from bot.permissions import Refusal, Role
from bot.settings import EnvSettings, comma_ids
from bot.turn import Turn
from cards import idea_forms as forms_cards
from cards import ideas as cards

POST, NOTIFY, DIGEST, CALL_CLOSE, POLL_RESULT = (
    "ideas.post",
    "ideas.notify",
    "ideas.digest",
    "ideas.call_close",
    "ideas.poll_result",
)
REVIEWERS = Role.REVIEWER | Role.ADMIN
OVERSIGHT = REVIEWERS | Role.MODERATOR  # who sees the queue


class IdeaSettings(EnvSettings):
    categories: tuple[str, ...] = Field(
        DEFAULT_CATEGORIES,
        alias="IDEA_CATEGORIES",
        description="comma-separated idea categories (アナログ規制 is always offered besides)",
    )
    reviewers: frozenset[str] = Field(
        frozenset(),
        alias="IDEA_REVIEWER_AAD_OBJECT_IDS",
        description="comma-separated Entra object ids of idea reviewers (admins review too)",
    )
    moderators: frozenset[str] = Field(
        frozenset(),
        alias="IDEA_MODERATOR_AAD_OBJECT_IDS",
        description="comma-separated Entra object ids of moderators, who may reveal a pseudonymous submitter "
        "(each reveal is audited)",
    )

    @field_validator("categories", mode="before")
    @classmethod
    def _categories(cls, value: Any) -> tuple[str, ...]:
        found = (
            value if isinstance(value, tuple) else tuple(part.strip() for part in str(value).split(",") if part.strip())
        )
        if not found:
            raise ValueError("name at least one category")
        return tuple(dict.fromkeys(found))

    @field_validator("reviewers", "moderators", mode="before")
    @classmethod
    def _people(cls, value: Any) -> frozenset[str]:
        return comma_ids(value)


def scope_of(turn: Turn) -> str:
    """Where an idea from this turn goes: its team's idea channel if the team has one, else the organisation's."""
    return f"team:{turn.conversation.team_id}" if turn.conversation.team_id else f"tenant:{turn.conversation.tenant_id}"


def reach_of(turn: Turn) -> dict[str, str]:
    """What the bot needs to message this person 1:1 later (sealed before it is stored)."""
    return {
        "user_key": turn.user_key,
        "aad": turn.actor.aad_object_id or "",
        "user_id": turn.actor.id,
        "tenant": turn.conversation.tenant_id or "",
        "service_url": turn.conversation.service_url,
        "conversation": turn.conversation.conversation_id if turn.personal else "",
        "lang": turn.lang,  # the language they will be told in
    }


class IdeasBase(Feature):
    """What every part of the idea box shares: its settings, service and small helpers."""

    name = "ideas"
    introduction = "ideas.introduction"
    settings = IdeaSettings
    tables = (ideas, idea_votes, idea_comments, idea_calls, idea_channels)
    compose_actions = (
        ComposeAction(forms_cards.SUBMIT, "ideas.extension.title", "ideas.extension.description"),
        ComposeAction(forms_cards.FROM_MESSAGE, "ideas.message.title", "ideas.message.description", ("message",)),
    )

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        own = ctx.feature_settings(IdeaSettings)
        self.categories = own.categories
        ctx.policy.grant(Role.REVIEWER, own.reviewers)
        ctx.policy.grant(Role.MODERATOR, own.moderators)
        self.service = IdeaService(ctx.engine, Keys(ctx.anonymity_key), ctx.tz)
        self.export_key = purpose_key(ctx.anonymity_key, "ideas-export")

    # ---- small helpers ---------------------------------------------------------------------------------------
    async def _idea(self, turn: Turn) -> Idea:
        idea = await self.service.find(turn.data.get("idea_id"), turn.conversation.tenant_id)
        if idea is None:
            raise Refusal("ideas.unknown")
        return idea

    async def _require_reviewer(self, turn: Turn) -> None:
        await self.ctx.policy.require(turn, REVIEWERS, refusal="ideas.reviewers_only")

    def _card(
        self, idea: Idea, lang: str, call: Call | None = None, *, voted: bool = False, announce: bool = False
    ) -> dict[str, Any]:
        theme = call.theme if call else None
        return cards.idea_card(idea, lang, tz=self.ctx.tz, call_theme=theme, voted=voted, announce=announce)

    async def _call_of(self, idea: Idea) -> Call | None:
        return await self.service.call(idea.call_id) if idea.call_id else None

    def _update_card(self, idea: Idea, lang: str) -> None:
        """The shared card in the idea channel shows the idea's current state (coalesced like poll cards)."""
        if idea.conversation_id is None or idea.activity_id is None:
            return

        async def render() -> CardView:
            current = await self.service.idea(idea.idea_id) or idea
            return CardView(self._card(current, lang, await self._call_of(current)))

        self.ctx.cards.request(idea.conversation_id, idea.activity_id, render)

    async def _channel_lang(self, idea: Idea) -> str:
        """The language of the idea channel its card is in (the card speaks the channel's language)."""
        for _, channel, lang in await self.service.channels():
            if channel == idea.conversation_id:
                return lang
        return DEFAULT_LANGUAGE

    async def _open_call(self, call_id: object) -> Call | None:
        if not isinstance(call_id, str) or len(call_id) != 32:
            return None
        call = await self.service.call(call_id)
        return call if call is not None and call.is_open else None
