"""The idea channel: who may choose it, the new idea's card posted there (once), and Monday's digest."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.feature import (
    command,
    timed,
)
from bot.i18n import t
from bot.permissions import Refusal, Role
from bot.recurrence import Kind as RepeatKind
from bot.recurrence import Schedule, next_delivery
from bot.routes import Outcome, Say, normalize
from bot.timed import DueItem, RetryLater
from bot.turn import Turn
from cards import ideas as cards
from cards.base import card_message
from dialogs.ideas.base import (
    DIGEST,
    POST,
    IdeasBase,
)

DIGEST_AT = time(9, 0)
ORGANISATION_WORDS = frozenset({"全体", "ぜんたい", "organization", "organisation", "all"})


class IdeaChannel(IdeasBase):
    """Where ideas are shown, and the weekly digest."""

    @command("アイデア 投稿先", "idea channel", help="ideas.command.channel")
    async def set_channel(self, turn: Turn) -> Outcome:
        """This chat or channel receives the ideas of its team (a team owner or an admin may say so), or — with
        「全体」 — of the whole organisation (an admin)."""
        organisation = normalize(turn.text) in ORGANISATION_WORDS
        if turn.personal:
            raise Refusal("ideas.channel.not_personal")
        if organisation or not turn.conversation.team_id:
            await self.ctx.policy.require(turn, Role.ADMIN, refusal="ideas.channel.admins_only")
            scope, label = f"tenant:{turn.conversation.tenant_id}", t("ideas.channel.organisation", turn.lang)
        else:
            await self.ctx.policy.require(turn, Role.ADMIN | Role.TEAM_OWNER, refusal="ideas.channel.owners_only")
            scope, label = f"team:{turn.conversation.team_id}", t("ideas.channel.team", turn.lang)
        now = self.ctx.clock.now()
        await self.service.set_channel(scope, turn.place, turn.lang, turn.user_key, now)
        await self.ctx.timed.plan(DIGEST, scope, self.next_digest(now))
        return Say(card=cards.channel_card(turn.lang, label))

    @timed(POST)
    async def post_due(self, item: DueItem) -> None:
        """Put a new idea's card into its idea channel (once)."""
        idea = await self.service.idea(item.item)
        if idea is None or idea.activity_id is not None:
            return
        lang = str(item.payload.get("lang") or "ja")
        conversation = str(item.payload["conversation"])
        shown = card_message(self._card(idea, lang, await self._call_of(idea)))
        delivery = await self.ctx.sender.post(conversation, shown, once=f"{POST}:{idea.idea_id}")  # one card per idea
        if delivery.transient:
            raise RetryLater(f"idea card not posted: {delivery.error}")
        if delivery.sent and delivery.activity_id:
            await self.service.posted(idea, conversation, delivery.activity_id)

    # ---- the weekly digest -----------------------------------------------------------------------------------
    def next_digest(self, after: datetime) -> datetime:
        """Monday 9:00 Japan time, or the next working day when Monday is a holiday."""
        schedule = Schedule(RepeatKind.WEEKLY, DIGEST_AT, weekdays=(0,), working_days_only=True)
        following = next_delivery(schedule, after.astimezone(self.ctx.tz), quiet=None)
        assert following is not None
        return following

    @timed(DIGEST)
    async def digest_due(self, item: DueItem) -> datetime | None:
        channel = await self.service.channel_of(item.item)
        if channel is None:
            return None  # the scope has no idea channel any more
        conversation, lang = channel
        tenant = await self._tenant_of(item.item, conversation)
        since = item.occurrence - timedelta(days=7)
        digest = await self.service.digest(tenant, since)
        shown = cards.digest_card(lang, digest.count, digest.newest, digest.popular, tz=self.ctx.tz)
        delivery = await self.ctx.sender.post(conversation, card_message(shown), once=item.key)
        if delivery.transient:
            raise RetryLater(f"digest not delivered: {delivery.error}")
        return self.next_digest(item.occurrence)

    async def _tenant_of(self, scope: str, conversation: str) -> str | None:
        if scope.startswith("tenant:"):
            return scope.removeprefix("tenant:") or None
        record = await self.ctx.conversations.get(conversation)
        return record.tenant_id if record is not None else None
