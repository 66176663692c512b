"""お知らせ配信 end to end through the loopback Teams channel: draft, preview, count, 二者承認, sending, the report,
acknowledgements and the reminder, correction and recall of every delivered card, schedules that outlive a restart,
people the bot can't reach, and everything a non-admin or a forged click might try."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.broadcasts.model import RowState, Status
from bot.i18n import t
from cards.broadcasts import moment_text
from tests.cardcheck import assert_valid_card
from tests.support.bot import TOKYO, start_bot
from tests.support.broadcasts import ADMIN, ROLES, SECOND, Newsroom, form
from tests.support.cards import texts, visible_text
from tests.support.talk import button, form_of, inputs
from tests.teams_channel.activities import User
from tests.teams_channel.channel import TeamsChannel


@pytest.fixture
async def newsroom(channel: TeamsChannel, sqlite_url: str) -> AsyncIterator[Newsroom]:
    running = await start_bot(channel, sqlite_url, **ROLES, BROADCAST_APPROVAL_THRESHOLD="8")
    try:
        room = Newsroom(running)
        await room.chat(ADMIN)
        await room.chat(SECOND)
        yield room
    finally:
        await running.stop()


def days_ahead(days: int = 2) -> str:
    """A date `days` ahead in Japan, as an Input.Date sends it."""
    return f"{datetime.now(TOKYO) + timedelta(days=days):%Y-%m-%d}"


# ---- draft → preview → approval → send → report ------------------------------------------------------------------
async def test_a_draft_is_previewed_approved_by_a_second_admin_sent_and_reported(newsroom: Newsroom) -> None:
    staff = await newsroom.staff(6)
    everyone = form(audience="everyone", ack="true", deadline_date=days_ahead())

    saved = await newsroom.compose(everyone, step="save")
    assert saved == {"task": {"type": "message", "value": t("broadcasts.saved")}}
    draft = await newsroom.latest()
    assert draft.status == Status.DRAFT

    await newsroom.say("お知らせ", ADMIN)
    overview = newsroom.last_card(ADMIN)
    assert_valid_card(overview)
    assert NOTICE_TITLE in texts(overview)
    opened = await newsroom.fetch("broadcasts.compose", ADMIN, broadcast_id=draft.broadcast_id)
    assert inputs(form_of(opened))["title"]["value"] == NOTICE_TITLE  # the draft, as saved

    previewed = form_of(await newsroom.compose({**everyone, "broadcast_id": draft.broadcast_id}, step="preview"))
    assert_valid_card(previewed)
    assert NOTICE_TITLE in texts(previewed) and t("broadcasts.button.ack") in texts(previewed)
    send_me = button(previewed, t("broadcasts.button.send_me"))["data"]
    assert (await newsroom.submit("broadcasts.compose", send_me, ADMIN))["task"]["value"] == t(
        "broadcasts.preview.sent"
    )
    await newsroom.bot.run_due()
    preview = newsroom.last_card(ADMIN)
    assert t("broadcasts.preview.banner") in texts(preview) and NOTICE_TITLE in texts(preview)
    assert all(not newsroom.received(person) for person in staff), "a preview goes to its author only"

    count = button(previewed, t("broadcasts.button.count"))["data"]
    assert (await newsroom.submit("broadcasts.compose", count, ADMIN))["task"]["value"] == t(
        "broadcasts.review.counting"
    )
    confirm = await newsroom.counted()
    assert_valid_card(confirm)
    recipients = len(staff) + 2  # everyone with the app: the admins too
    assert t("broadcasts.count", count=str(recipients)) in texts(confirm)
    assert t("broadcasts.confirm.needs_approval") in texts(confirm)

    asked = await newsroom.confirm(draft.broadcast_id)
    assert t("broadcasts.confirm.asked", count=1) in texts(asked["value"])
    await newsroom.bot.run_due()
    request = newsroom.last_card(SECOND)
    assert_valid_card(request)
    assert t("broadcasts.approval.title") in texts(request) and t("broadcasts.count", count=str(recipients)) in texts(
        request
    )
    assert NOTICE_TITLE in texts(request)  # the exact card
    assert not any(newsroom.received(person) for person in staff), "nothing goes out before the approval"

    own = await newsroom.click("broadcasts.approve", {"broadcast_id": draft.broadcast_id}, ADMIN)
    assert own["value"] == t("broadcasts.approval.not_own")
    approved = await newsroom.click(
        "broadcasts.approve", {"broadcast_id": draft.broadcast_id, "comment": "確認しました"}, SECOND
    )
    assert t("broadcasts.confirm.started", count=f"{recipients:,}") in texts(approved["value"])

    sent = await newsroom.delivered(draft.broadcast_id)
    assert sent.status == Status.SENT and sent.approver_name == SECOND.name
    for person in staff:
        [received] = newsroom.received(person)
        assert NOTICE_TITLE in texts(received) and t("broadcasts.button.ack") in texts(received)
    report = _report(newsroom)
    assert_valid_card(report)
    assert f"{recipients:,} (100.0 %)" in texts(report)
    decision = [
        card
        for card in newsroom.cards_in(newsroom.chats[ADMIN.id].id)
        if t("broadcasts.decision.approved", name=SECOND.name) in texts(card)
    ]
    assert decision and "確認しました" in texts(decision[0])
    actions = [entry.action for entry in await newsroom.audit()]
    assert "broadcasts.approve" in actions and "broadcasts.send" in actions


NOTICE_TITLE = form()["title"]


def _report(newsroom: Newsroom, user: User = ADMIN) -> dict[str, Any]:
    reports = [
        card for card in newsroom.cards_in(newsroom.chats[user.id].id) if t("broadcasts.report.title") in texts(card)
    ]
    assert reports, "no report card"
    return reports[-1]


# ---- acknowledgements, the reminder ---------------------------------------------------------------------------------
async def test_acknowledging_twice_records_once_and_the_card_shows_when(newsroom: Newsroom) -> None:
    staff = await newsroom.staff(3)
    team = await newsroom.team("総務部", staff)
    sent = await newsroom.send(form(audience="teams", teams=team.team_id, ack="true", deadline_date=days_ahead()))
    reader = staff[0]
    ids = {"broadcast_id": sent.broadcast_id}
    first = await newsroom.click("broadcasts.ack", ids, reader)
    newsroom.bot.clock.at = datetime.now(TOKYO) + timedelta(minutes=3)  # the second click comes later
    second = await newsroom.click("broadcasts.ack", ids, reader)
    newsroom.bot.clock.at = None
    acks = await newsroom.bot.feature("broadcasts").store.acknowledgements(sent.broadcast_id)
    assert list(acks) == [reader.aad_object_id]  # one record
    shown = t("broadcasts.card.acknowledged", at=moment_text(acks[reader.aad_object_id], "ja"))
    assert shown in texts(first["value"]) and shown in texts(second["value"]), "the card shows the first click's time"
    assert t("broadcasts.button.ack") not in texts(first["value"])
    await newsroom.click("broadcasts.report", ids, ADMIN)
    await newsroom.bot.platform.cards.flush()
    report = texts(_report(newsroom))
    assert "1 (33.3 %)" in report
    assert t("broadcasts.report.segment", name="総務部", acked=1, reached=3, share="33.3 %") in report


async def test_the_reminder_reaches_only_those_who_have_not_acknowledged(newsroom: Newsroom) -> None:
    staff = await newsroom.staff(4)
    team = await newsroom.team("情報システム部", staff)
    day = days_ahead()
    sent = await newsroom.send(form(audience="teams", teams=team.team_id, ack="true", deadline_date=day))
    for reader in staff[:2]:
        await newsroom.click("broadcasts.ack", {"broadcast_id": sent.broadcast_id}, reader)
    remind_at = await newsroom.bot.planned("broadcasts.remind", sent.broadcast_id)
    assert remind_at is not None and sent.content.deadline is not None
    assert remind_at == max(sent.content.deadline - timedelta(hours=24), remind_at)
    before = {person.id: len(newsroom.personal_messages(person)) for person in staff}
    await newsroom.drain(remind_at)
    for person in staff:
        new = newsroom.personal_messages(person)[before[person.id] :]
        if person in staff[:2]:
            assert new == [], f"{person.name} acknowledged and was reminded anyway"
        else:
            [reminder] = new
            assert t("broadcasts.remind.kind") in visible_text(reminder)
    summary = newsroom.last_card(ADMIN)
    assert t("broadcasts.summary.text", acked="2", reached="4", share="50.0 %", reminded="2") in texts(summary)
    await newsroom.drain(remind_at + timedelta(minutes=1))  # a second run reminds nobody again
    assert all(len(newsroom.personal_messages(p)) == before[p.id] + (p not in staff[:2]) for p in staff)


# ---- correcting and recalling every delivered card -----------------------------------------------------------------
async def test_a_correction_and_the_recall_reach_every_delivered_card(newsroom: Newsroom) -> None:
    staff = await newsroom.staff(5)
    team = await newsroom.team("総務部", staff)
    people = await newsroom.send(form(audience="teams", teams=team.team_id))
    posts = await newsroom.send(
        form(audience="channels", channels=",".join(f"{team.team_id}|{c}" for c in team.channels))
    )
    assert [len(newsroom.received(person)) for person in staff] == [1] * 5
    assert [len(newsroom.posted_in(channel)) for channel in team.channels] == [1, 1]

    for sent in (people, posts):
        fetched = await newsroom.fetch("broadcasts.edit", ADMIN, broadcast_id=sent.broadcast_id)
        assert inputs(form_of(fetched))["title"]["value"] == NOTICE_TITLE
        answer = await newsroom.submit(
            "broadcasts.edit",
            {"broadcast_id": sent.broadcast_id, "title": "【訂正】テレワーク規程", "body": "12月2日から"},
            ADMIN,
        )
        assert answer["task"]["value"] == t("broadcasts.edit.done")
        await newsroom.delivered(sent.broadcast_id)
    for shown in [
        *(newsroom.received(p)[0] for p in staff),
        *(newsroom.posted_in(c)[0] for c in team.channels),
    ]:
        assert "【訂正】テレワーク規程" in texts(shown) and "12月2日から" in texts(shown)
        assert any(t("broadcasts.card.corrected") in text for text in texts(shown))

    for sent in (people, posts):
        ask = await newsroom.click("broadcasts.recall", {"broadcast_id": sent.broadcast_id}, ADMIN)
        assert t("broadcasts.recall.question") in texts(ask["value"])  # asked once more
        assert (await newsroom.broadcast(sent.broadcast_id)).status == Status.SENT
        await newsroom.click("broadcasts.recall", {"broadcast_id": sent.broadcast_id, "confirm": "1"}, ADMIN)
        await newsroom.delivered(sent.broadcast_id)
    recalled = [*(newsroom.received(p)[0] for p in staff), *(newsroom.posted_in(c)[0] for c in team.channels)]
    assert len(recalled) == 7
    for shown in recalled:
        assert t("broadcasts.card.recalled") in texts(shown) and NOTICE_TITLE not in " ".join(texts(shown))
    reader = staff[0]
    late = await newsroom.click("broadcasts.ack", {"broadcast_id": people.broadcast_id}, reader)
    assert t("broadcasts.card.recalled") in texts(late["value"])
    actions = [entry.action for entry in await newsroom.audit()]
    assert actions.count("broadcasts.edit") == 2 and actions.count("broadcasts.recall") == 2


async def test_a_recall_while_sending_stops_what_has_not_gone_out(channel: TeamsChannel, sqlite_url: str) -> None:
    bot = await start_bot(channel, sqlite_url, **ROLES, TENANT_RATE_PER_SECOND="5")  # the recall comes mid-way
    try:
        newsroom = Newsroom(bot)
        await newsroom.chat(ADMIN)
        await _recall_mid_way(newsroom)
    finally:
        await bot.stop()


async def _recall_mid_way(newsroom: Newsroom) -> None:
    staff = await newsroom.staff(8)
    team = await newsroom.team("総務部", staff)
    await newsroom.compose(form(audience="teams", teams=team.team_id))
    broadcast = await newsroom.latest()
    await newsroom.counted()
    await newsroom.confirm(broadcast.broadcast_id)
    await newsroom.bot.channel.wait_for(lambda _: sum(len(newsroom.received(p)) for p in staff) >= 2, 10)
    await newsroom.click("broadcasts.recall", {"broadcast_id": broadcast.broadcast_id, "confirm": "1"}, ADMIN)
    await newsroom.delivered(broadcast.broadcast_id)
    rows = await newsroom.rows(broadcast.broadcast_id)
    cancelled = [row for row in rows if row.state == RowState.CANCELLED]
    assert cancelled and len(cancelled) < len(rows)
    for person in staff:  # whoever got it sees it recalled; the others never get it
        assert all(t("broadcasts.card.recalled") in texts(shown) for shown in newsroom.received(person))
    assert sum(len(newsroom.received(person)) for person in staff) == len(rows) - len(cancelled)


# ---- a schedule outlives a restart ---------------------------------------------------------------------------------
async def test_a_scheduled_broadcast_is_sent_at_its_time_after_a_restart(
    channel: TeamsChannel, sqlite_url: str
) -> None:
    bot = await start_bot(channel, sqlite_url, **ROLES)
    room = Newsroom(bot)
    await room.chat(ADMIN)
    staff = await room.staff(3)
    team = await room.team("総務部", staff)
    day = days_ahead(1)
    await room.compose(form(audience="teams", teams=team.team_id, send_date=day, send_time="09:30"))
    broadcast = await room.latest()
    confirm = await room.counted()
    assert t("broadcasts.button.schedule", count="3") in texts(confirm)
    answer = await room.confirm(broadcast.broadcast_id)
    assert broadcast.send_at is not None
    when = moment_text(broadcast.send_at, "ja")
    assert t("broadcasts.confirm.scheduled", when=when) in texts(answer["value"])
    await bot.stop()

    restarted = await start_bot(channel, sqlite_url, **ROLES)
    try:
        again = Newsroom(restarted)
        again.chats = room.chats
        assert await restarted.planned("broadcasts.start", broadcast.broadcast_id) == broadcast.send_at.astimezone(
            TOKYO
        )
        await again.drain(broadcast.send_at - timedelta(minutes=1))
        assert not any(again.received(person) for person in staff), "not before its time"
        await again.drain(broadcast.send_at)
        assert [len(again.received(person)) for person in staff] == [1, 1, 1]
        assert (await again.broadcast(broadcast.broadcast_id)).status == Status.SENT
    finally:
        await restarted.stop()


# ---- people the bot can't reach --------------------------------------------------------------------------------------
async def test_a_403_marks_the_recipient_not_installed_and_the_report_lists_them(newsroom: Newsroom) -> None:
    staff = await newsroom.staff(4)
    team = await newsroom.team("総務部", staff)
    blocked = staff[1]
    newsroom.bot.channel.block_conversation(newsroom.chats[blocked.id].id, "ConversationBlockedByUser")
    sent = await newsroom.send(form(audience="teams", teams=team.team_id))
    rows = {row.aad_id: row for row in await newsroom.rows(sent.broadcast_id)}
    assert rows[blocked.aad_object_id].state == RowState.NOT_INSTALLED
    assert "403" in (rows[blocked.aad_object_id].reason or "")
    report = texts(_report(newsroom))
    assert "1 (25.0 %)" in report and "3 (75.0 %)" in report
    listed = await newsroom.click("broadcasts.unreachable", {"broadcast_id": sent.broadcast_id}, ADMIN)
    assert listed["type"] == "application/vnd.microsoft.activity.message" or listed
    names = texts(newsroom.last_card(ADMIN))
    assert f"{blocked.name} — {t('broadcasts.state.not_installed')}" in names
    assert not any(f"{person.name} —" in " ".join(names) for person in staff if person != blocked)


async def test_without_graph_a_group_audience_is_refused_and_members_without_chats_are_reported(
    newsroom: Newsroom,
) -> None:
    fetched = form_of(await newsroom.fetch("broadcasts.compose", ADMIN))
    offered = [choice["value"] for choice in inputs(fetched)["audience"]["choices"]]
    assert "group" not in offered, "Entra groups need Graph"
    staff = await newsroom.staff(2)
    outsider = User("未導入 三郎")  # in the team, never installed the app, and Teams won't let the bot open a chat
    team = await newsroom.team("総務部", [*staff, outsider])
    newsroom.bot.channel.block_conversation(newsroom.bot.channel.opened_chat(outsider))  # the app is not theirs
    sent = await newsroom.send(form(audience="teams", teams=team.team_id))
    rows = {row.aad_id: row for row in await newsroom.rows(sent.broadcast_id)}
    assert rows[outsider.aad_object_id].state == RowState.NOT_INSTALLED
    assert [rows[person.aad_object_id].state for person in staff] == [RowState.SENT, RowState.SENT]
