"""The idea box as people use it through the loopback Teams channel: staff in their 1:1 chats, a team channel
that is the organisation's idea channel, a reviewer, a moderator and an admin (roles from configuration)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from bot.audit import AuditEntry, AuditLog
from bot.i18n import t
from bot.ideas.model import Idea
from bot.ideas.tables import ideas
from tests.support.bot import RunningBot
from tests.support.cards import card_of
from tests.support.talk import Talk, button, form_of
from tests.teams_channel.activities import Conversation, User

REVIEWER = User("審査 担当", aad_object_id="0a0e0000-0000-4000-8000-00000000a001")
MODERATOR = User("監察 担当", aad_object_id="0a0e0000-0000-4000-8000-00000000a002")
ADMIN = User("管理 者", aad_object_id="0a0e0000-0000-4000-8000-00000000a003")
ROLES = {
    "IDEA_REVIEWER_AAD_OBJECT_IDS": REVIEWER.aad_object_id,
    "IDEA_MODERATOR_AAD_OBJECT_IDS": MODERATOR.aad_object_id,
    "ADMIN_AAD_OBJECT_IDS": ADMIN.aad_object_id,
}
PAPERLESS = {
    "title": "会議資料をペーパーレスにする",
    "body": "紙の資料をやめ、Teamsで事前に共有します。",
    "category": "業務改善",
}


class IdeaBox(Talk):
    """The bot with an idea channel (the organisation's, in a team channel the admin chose)."""

    def __init__(self, bot: RunningBot, channel: Conversation) -> None:
        super().__init__(bot)
        self.channel = channel

    @classmethod
    async def open(cls, bot: RunningBot, *, lang: str = "ja") -> IdeaBox:
        channel = Conversation.channel()
        b = bot.channel.builder
        assert (await bot.post(b.installation_update("add", conversation=channel, user=ADMIN)))[0] == 200
        box = cls(bot, channel)
        await box.say("アイデア 投稿先 全体" if lang == "ja" else "idea channel all", ADMIN, channel, f"{lang}-JP")
        bot.channel.reset()
        return box

    # ---- submitting --------------------------------------------------------------------------------------
    async def propose(
        self, user: User, form: Mapping[str, Any] = PAPERLESS, *, dialog: str = "ideas.submit", locale: str = "ja-JP"
    ) -> Idea:
        """Submit through the dialog as a person would: past the similar ideas, if any, with "post anyway"."""
        answer = await self.submit(dialog, {"step": "check", **form}, user, locale=locale)
        if answer["task"]["type"] == "continue":
            post = button(form_of(answer), t("ideas.button.post_anyway", locale[:2]))
            answer = await self.submit(dialog, post["data"], user, locale=locale)
        assert answer["task"]["type"] == "message", answer
        return await self.latest(str(form["title"]))

    async def latest(self, title: str | None = None) -> Idea:
        """The newest idea (titled `title`)."""
        query = select(ideas).order_by(ideas.c.created_at.desc()).limit(1)
        if title is not None:
            query = query.where(ideas.c.title == title.strip())
        async with self.bot.platform.store.engine.connect() as conn:
            row = (await conn.execute(query)).one()
        return Idea(**row._asdict())

    async def idea(self, idea_id: str) -> Idea:
        found: Idea | None = await self.bot.feature("ideas").service.idea(idea_id)
        assert found is not None
        return found

    async def posted(self, idea: Idea) -> dict[str, Any]:
        """The idea's card in the idea channel, once the bot has posted it."""
        await self.bot.run_due()
        current = await self.idea(idea.idea_id)
        assert current.activity_id is not None, "the idea's card was not posted"
        await self.bot.platform.cards.flush()
        activity = self.bot.channel.activity(self.channel.id, current.activity_id)
        assert activity is not None
        shown = card_of(activity)
        assert shown is not None
        return shown

    async def audit(self) -> list[AuditEntry]:
        return await AuditLog(self.bot.platform.store.engine, self.bot.clock).entries()
