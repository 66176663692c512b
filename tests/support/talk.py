"""People talking to the bot through the loopback Teams channel: typing in their 1:1 chat (installed on first use),
opening and submitting dialogs, clicking card buttons — and reading what the bot answered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.support.bot import RunningBot
from tests.teams_channel.activities import Conversation, User


class Talk:
    def __init__(self, bot: RunningBot) -> None:
        self.bot = bot
        self.chats: dict[str, Conversation] = {}

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
