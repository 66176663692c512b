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


class IdeaBox:
    """The bot with an idea channel (the organisation's, in a team channel the admin chose)."""

    def __init__(self, bot: RunningBot, channel: Conversation) -> None:
        self.bot, self.channel = bot, channel
        self.chats: dict[str, Conversation] = {}

    @classmethod
    async def open(cls, bot: RunningBot, *, lang: str = "ja") -> IdeaBox:
        channel = Conversation.channel()
        b = bot.channel.builder
        assert (await bot.post(b.installation_update("add", conversation=channel, user=ADMIN)))[0] == 200
        box = cls(bot, channel)
        await box.say("アイデア 投稿先 全体" if lang == "ja" else "idea channel all", ADMIN, channel, f"{lang}-JP")
        bot.channel.reset()
        return box

    # ---- talking to the bot --------------------------------------------------------------------------------
    async def chat(self, user: User) -> Conversation:
        """The user's 1:1 chat with the bot (installed on first use)."""
        if user.id not in self.chats:
            conversation = self.bot.channel.builder.personal(user)
            b = self.bot.channel.builder
            assert (await self.bot.post(b.installation_update("add", conversation=conversation, user=user)))[0] == 200
            self.chats[user.id] = conversation
        return self.chats[user.id]

    async def _post(self, activity: Mapping[str, Any]) -> Any:
        status, body = await self.bot.post(activity)
        assert status == 200, body
        return body

    async def say(self, text: str, user: User, where: Conversation | None = None, locale: str = "ja-JP") -> None:
        where = where or await self.chat(user)
        await self._post(self.bot.channel.builder.message(text, conversation=where, user=user, locale=locale))

    async def fetch(
        self, dialog: str, user: User, where: Conversation | None = None, locale: str = "ja-JP", **data: Any
    ) -> dict[str, Any]:
        where = where or await self.chat(user)
        b = self.bot.channel.builder
        return await self._post(b.task_fetch({"dialog": dialog, **data}, conversation=where, user=user, locale=locale))

    async def submit(
        self, dialog: str, data: Mapping[str, Any], user: User, where: Conversation | None = None, locale: str = "ja-JP"
    ) -> dict[str, Any]:
        where = where or await self.chat(user)
        b = self.bot.channel.builder
        return await self._post(b.task_submit({"dialog": dialog, **data}, conversation=where, user=user, locale=locale))

    async def click(
        self,
        verb: str,
        data: Mapping[str, Any],
        user: User,
        where: Conversation | None = None,
        locale: str = "ja-JP",
        reply_to_id: str | None = None,
    ) -> dict[str, Any]:
        where = where or await self.chat(user)
        b = self.bot.channel.builder
        return await self._post(
            b.card_action(verb, dict(data), conversation=where, user=user, locale=locale, reply_to_id=reply_to_id)
        )

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

    def personal_messages(self, user: User) -> list[dict[str, Any]]:
        return self.bot.channel.activities_in(self.chats[user.id].id)


def form_of(answer: Mapping[str, Any]) -> dict[str, Any]:
    """The card a dialog answer shows."""
    assert answer["task"]["type"] == "continue", answer
    card: dict[str, Any] = answer["task"]["value"]["card"]["content"]
    return card


def button(card: Mapping[str, Any], title: str) -> dict[str, Any]:
    """The button titled `title` anywhere on a card."""
    found = _buttons(card, title)
    assert found, f"no button {title!r}"
    return found[0]


def _buttons(node: Any, title: str) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        here = [node] if node.get("title") == title and str(node.get("type", "")).startswith("Action.") else []
        return here + [found for value in node.values() for found in _buttons(value, title)]
    if isinstance(node, list):
        return [found for item in node for found in _buttons(item, title)]
    return []


def inputs(card: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every input of a card by its id."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input.") and "id" in node:
                found[node["id"]] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found
