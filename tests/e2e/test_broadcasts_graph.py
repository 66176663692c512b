"""Broadcasts to an Entra group (members of nested groups too, read from the loopback Graph), and people who don't
have the app: with Graph's permission the bot installs itself for them and then delivers; without it, the report
says who was not reached and why."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.broadcasts.model import RowState
from bot.i18n import t
from tests.graph_emulator import DEFAULT_TEAMS_APP_ID, LEAST_PRIVILEGED, GraphEmulator
from tests.support.bot import start_bot
from tests.support.broadcasts import ADMIN, ROLES, Newsroom, form, offered_audiences
from tests.support.cards import texts
from tests.support.talk import form_of
from tests.teams_channel.activities import User
from tests.teams_channel.channel import TeamsChannel


@pytest.fixture
async def newsroom(channel: TeamsChannel, graph: GraphEmulator, sqlite_url: str) -> AsyncIterator[Newsroom]:
    running = await start_bot(channel, sqlite_url, **graph.env(), **ROLES)
    try:
        room = Newsroom(running)
        await room.chat(ADMIN)
        yield room
    finally:
        await running.stop()


async def organisation(newsroom: Newsroom, graph: GraphEmulator) -> tuple[list[User], list[User], str]:
    """A department (an Entra group with a nested section): two people have the app, two never installed it."""
    with_app = await newsroom.staff(2)
    without = [User("未導入 一郎"), User("未導入 二郎")]
    for person in (*with_app, *without):
        graph.add_user(person.name, user_id=person.aad_object_id)
    section = graph.add_group([without[1].aad_object_id], "係")
    department = graph.add_group([*(p.aad_object_id for p in (*with_app, without[0])), section], "総務部")
    return with_app, without, department


async def test_the_bot_installs_itself_for_group_members_without_the_app_then_delivers(
    newsroom: Newsroom, graph: GraphEmulator
) -> None:
    with_app, without, department = await organisation(newsroom, graph)
    fetched = form_of(await newsroom.fetch("broadcasts.compose", ADMIN))
    assert "group" in offered_audiences(fetched)
    await newsroom.compose(form(audience="group", group=department.upper()))
    broadcast = await newsroom.latest()
    confirm = await newsroom.counted()
    assert t("broadcasts.count", count="4") in texts(confirm)
    await newsroom.confirm(broadcast.broadcast_id)
    sent = await newsroom.delivered(broadcast.broadcast_id)
    rows = {row.aad_id: row for row in await newsroom.rows(sent.broadcast_id)}
    assert all(row.state == RowState.SENT for row in rows.values())
    for person in without:
        assert graph.installed(person.aad_object_id, DEFAULT_TEAMS_APP_ID)
        assert rows[person.aad_object_id].installed
        chat = rows[person.aad_object_id].conversation_id
        assert chat is not None and newsroom.posted_in(chat), "delivered into the chat the installation made"
    for person in with_app:
        assert not rows[person.aad_object_id].installed and len(newsroom.received(person)) == 1
    report = [
        card for card in newsroom.cards_in(newsroom.chats[ADMIN.id].id) if t("broadcasts.report.title") in texts(card)
    ]
    assert t("broadcasts.report.installed", count="2") in texts(report[-1])
    assert len(graph.calls("install_app")) == 2


async def test_without_the_install_permission_the_report_says_who_was_not_reached(
    newsroom: Newsroom, graph: GraphEmulator
) -> None:
    graph.grant(LEAST_PRIVILEGED - {"TeamsAppInstallation.ReadWriteSelfForUser.All"})
    with_app, without, department = await organisation(newsroom, graph)
    await newsroom.compose(form(audience="group", group=department))
    broadcast = await newsroom.latest()
    await newsroom.counted()
    await newsroom.confirm(broadcast.broadcast_id)
    sent = await newsroom.delivered(broadcast.broadcast_id)
    rows = {row.aad_id: row for row in await newsroom.rows(sent.broadcast_id)}
    for person in without:
        assert rows[person.aad_object_id].state == RowState.NOT_INSTALLED
        assert "Graph permission" in (rows[person.aad_object_id].reason or "")
    assert [rows[p.aad_object_id].state for p in with_app] == [RowState.SENT, RowState.SENT]
    await newsroom.click("broadcasts.unreachable", {"broadcast_id": sent.broadcast_id}, ADMIN)
    listed = texts(newsroom.last_card(ADMIN))
    assert all(f"{p.name} — {t('broadcasts.state.not_installed')}" in listed for p in without)
