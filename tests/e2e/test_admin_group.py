"""ADMIN_GROUP_ID: members of an Entra group (nested groups count) are admins, asked of the loopback Graph."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.graph_emulator import GraphEmulator
from tests.support.bot import RunningBot, start_bot
from tests.support.cards import card_of
from tests.teams_channel.activities import Conversation, User
from tests.teams_channel.channel import TeamsChannel

ADMIN_ONLY = "ヒント 評価"  # the tips ratings: admins only


async def ask(bot: RunningBot, user: User) -> dict[str, Any]:
    """The bot's answer to `user` asking for something only admins may see, in their 1:1 chat."""
    activity = bot.channel.builder.message(ADMIN_ONLY, user=user, conversation=Conversation.personal(user))
    before = len(bot.channel.activities_in(activity["conversation"]["id"]))
    assert (await bot.post(activity))[0] == 200
    [answer] = bot.channel.activities_in(activity["conversation"]["id"])[before:]
    return answer


def people(graph: GraphEmulator, *names: str) -> list[User]:
    """Teams users who are also in the directory under the same Entra object id."""
    users = [User(name=name) for name in names]
    for user in users:
        graph.add_user(user.name, user_id=user.aad_object_id)
    return users


async def test_members_of_the_admin_group_are_admins(
    channel: TeamsChannel, graph: GraphEmulator, sqlite_url: str
) -> None:
    head, deputy, staff = people(graph, "局長 花子", "課長 次郎", "職員 三郎")
    section = graph.add_group([deputy.aad_object_id], "課長会")
    admins = graph.add_group([head.aad_object_id, section], "管理者")
    bot = await start_bot(channel, sqlite_url, **graph.env(), ADMIN_GROUP_ID=admins)
    try:
        assert card_of(await ask(bot, head)) is not None
        assert card_of(await ask(bot, deputy)) is not None  # through the nested group
        refusal = await ask(bot, staff)
        assert card_of(refusal) is None and "管理者のみ" in refusal["text"]
        await ask(bot, head)  # asked again: the answer is remembered for a while
        assert len(graph.calls("check_member_groups")) == 3
    finally:
        await bot.stop()


async def test_without_graph_permission_only_listed_admins_are_admins(
    channel: TeamsChannel, graph: GraphEmulator, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    graph.grant(set())  # admin consent never given
    listed, grouped = people(graph, "管理 花子", "管理 次郎")
    admins = graph.add_group([grouped.aad_object_id])
    environment = {**graph.env(), "ADMIN_GROUP_ID": admins, "ADMIN_AAD_OBJECT_IDS": listed.aad_object_id}
    bot = await start_bot(channel, sqlite_url, **environment)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.permissions"):
            assert "管理者のみ" in (await ask(bot, grouped))["text"]
        assert "Authorization_RequestDenied" in caplog.text
        assert card_of(await ask(bot, listed)) is not None  # ADMIN_AAD_OBJECT_IDS needs no Graph
        assert [call.status for call in graph.calls()] == [403]
    finally:
        await bot.stop()
