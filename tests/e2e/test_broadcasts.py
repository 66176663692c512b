"""お知らせ配信 end to end through the loopback Teams channel: draft, preview, count, 二者承認, sending, the report,
acknowledgements and the reminder, correction and recall of every delivered card, schedules that outlive a restart,
people the bot can't reach, and everything a non-admin or a forged click might try."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from bot.broadcasts.model import BODY_MAX, RowState, Status
from bot.feature import declared_routes
from bot.i18n import t
from bot.store.conversations import ConversationRecord
from cards.broadcasts import moment_text
from dialogs.broadcasts import Broadcasts
from tests.cardcheck import assert_valid_card
from tests.support.bot import TOKYO, start_bot
from tests.support.broadcasts import ADMIN, ROLES, SECOND, Newsroom, form, offered_audiences, visible_ids
from tests.support.cards import card_of, texts, visible_text
from tests.support.talk import button, form_of, inputs
from tests.teams_channel.activities import Conversation, User
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
    # Waiting for the second admin, the broadcast stays in its author's 「お知らせ」, and is the approver's to approve.
    await newsroom.say("お知らせ", ADMIN)
    mine = newsroom.last_card(ADMIN)
    assert_valid_card(mine)
    assert _section_of(mine, NOTICE_TITLE) == t("broadcasts.overview.asked")
    await newsroom.say("お知らせ", SECOND)
    theirs = newsroom.last_card(SECOND)
    assert _section_of(theirs, NOTICE_TITLE) == t("broadcasts.overview.waiting") == "あなたが承認するもの"
    assert t("broadcasts.overview.asked") not in texts(theirs)

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
    assert "送信: 承認と同時に開始" in texts(decision[0])  # not 「確定後すぐ」: sending began with the approval
    actions = [entry.action for entry in await newsroom.audit()]
    assert "broadcasts.approve" in actions and "broadcasts.send" in actions


NOTICE_TITLE = form()["title"]
OVERVIEW_SECTIONS = ("drafts", "asked", "waiting", "sent")


def _section_of(overview: dict[str, Any], title: str) -> str | None:
    """The heading of the 「お知らせ」 section a broadcast is listed under (as read from top to bottom)."""
    headings = {t(f"broadcasts.overview.{name}") for name in OVERVIEW_SECTIONS}
    section = None
    for text in texts(overview):
        if text in headings:
            section = text
        elif text == title:
            return section
    return None


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
    acks = await newsroom.bot.feature("broadcasts").service.acknowledgements(sent.broadcast_id)
    assert list(acks) == [reader.aad_object_id]  # one record
    shown = t("broadcasts.card.acknowledged", at=moment_text(acks[reader.aad_object_id], "ja"))
    assert shown in texts(first["value"]) and shown in texts(second["value"]), "the card shows the first click's time"
    assert t("broadcasts.button.ack") not in texts(first["value"])
    await newsroom.click("broadcasts.report", ids, ADMIN)
    await newsroom.bot.platform.cards.flush()
    report = texts(_report(newsroom))
    assert t("broadcasts.report.acknowledged_share", count=1, share="33.3 %") in report
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
    assert "group" not in offered_audiences(fetched), "Entra groups need Graph"
    staff = await newsroom.staff(2)
    outsider = User("未導入 三郎")  # in the team, never installed the app, and Teams won't let the bot open a chat
    team = await newsroom.team("総務部", [*staff, outsider])
    newsroom.bot.channel.block_conversation(newsroom.bot.channel.opened_chat(outsider))  # the app is not theirs
    sent = await newsroom.send(form(audience="teams", teams=team.team_id))
    rows = {row.aad_id: row for row in await newsroom.rows(sent.broadcast_id)}
    assert rows[outsider.aad_object_id].state == RowState.NOT_INSTALLED
    assert [rows[person.aad_object_id].state for person in staff] == [RowState.SENT, RowState.SENT]


async def test_the_form_shows_only_what_the_chosen_audience_needs(newsroom: Newsroom) -> None:
    """全員 shows no channel or team picker: each audience's button shows its own picker and the buttons that send
    the form as that audience; a saved draft opens with its audience shown."""
    staff = await newsroom.staff(1)
    await newsroom.team("総務部", staff)
    fetched = form_of(await newsroom.fetch("broadcasts.compose", ADMIN))
    assert_valid_card(fetched)
    assert offered_audiences(fetched) == ["channels", "everyone", "teams"]
    assert {"audience_none", "submit_none"} <= visible_ids(fetched)
    assert not {"channels", "teams", "group"} & visible_ids(fetched)
    everyone = next(
        button["data"]
        for button in _elements(fetched)
        if button.get("type") == "Action.Submit" and button["data"].get("audience") == "everyone"
    )
    saved = await newsroom.submit("broadcasts.compose", {**everyone, "step": "save", **form()}, ADMIN)
    assert saved["task"]["value"] == t("broadcasts.saved")
    draft = await newsroom.latest()
    reopened = form_of(await newsroom.fetch("broadcasts.compose", ADMIN, broadcast_id=draft.broadcast_id))
    assert {"audience_everyone", "submit_everyone"} <= visible_ids(reopened)
    assert not {"channels", "teams", "group", "audience_none", "audience_teams"} & visible_ids(reopened)
    assert t("broadcasts.form.audience_chosen", audience=t("broadcasts.audience.everyone")) in texts(reopened)


# ---- bad input says what to fix ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "where", "error"),
    [
        ({"title": ""}, "title", "broadcasts.error.title_empty"),
        ({"title": " \u3000\u200b"}, "title", "broadcasts.error.title_empty"),
        ({"body": "本" * 17_000}, "body", "broadcasts.error.body_long"),  # 50 KB
        ({"image_url": "javascript:alert(1)"}, "image_url", "broadcasts.error.image_url"),
        ({"image_url": "http://example.org/a.png"}, "image_url", "broadcasts.error.image_url"),
        ({"image_url": "https://exa mple.org/a.png"}, "image_url", "broadcasts.error.image_url"),
        ({"ack": "true", "deadline_date": "2020-01-01"}, "deadline", "broadcasts.error.deadline_past"),
        ({"ack": "true"}, "deadline", "broadcasts.error.deadline"),
        ({"send_date": "2020-01-01"}, "send_at", "broadcasts.error.send_past"),
        ({"audience": "teams", "teams": ""}, "teams", "broadcasts.error.audience_empty"),
        ({"audience": ""}, "audience", "broadcasts.error.audience_empty"),
        ({"audience": "teams", "teams": "19:forged@thread.tacv2"}, "teams", "broadcasts.error.audience_unknown"),
    ],
)
async def test_bad_input_says_what_to_fix_and_keeps_what_was_typed(
    newsroom: Newsroom, fields: dict[str, str], where: str, error: str
) -> None:
    staff = await newsroom.staff(1)
    team = await newsroom.team("総務部", staff)
    good = form(audience="teams", teams=team.team_id, link_title="規程", link_url="https://example.org/rules")
    typed = {**good, **fields}
    for locale in ("ja-JP", "en-US"):
        lang = locale[:2]
        answer = await newsroom.compose(typed, locale=locale)
        shown = form_of(answer)
        assert_valid_card(shown)
        params = {"max": BODY_MAX, "length": 17_000} if error.endswith("body_long") else {}
        message = t(error, lang, **params)
        said = texts(shown)
        assert message in said, f"{error} not shown"
        field_ids = [element.get("id") for element in _elements(shown)]
        assert said.index(message) > 0 and where in {*field_ids, "deadline", "send_at"}
        assert inputs(shown)["link_url"]["value"] == "https://example.org/rules"  # nothing typed is lost
    assert await newsroom.bot.feature("broadcasts").service.recent(None, list(Status), 10) == []


def _elements(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node, *(found for value in node.values() for found in _elements(value))]
    if isinstance(node, list):
        return [found for item in node for found in _elements(item)]
    return []


# ---- admins only -----------------------------------------------------------------------------------------------------
ADMIN_VERBS = [
    "broadcasts.confirm",
    "broadcasts.approval",
    "broadcasts.approve",
    "broadcasts.reject",
    "broadcasts.duplicate",
    "broadcasts.delete",
    "broadcasts.report",
    "broadcasts.unreachable",
    "broadcasts.recall",
    "broadcasts.export",
]


def test_every_card_action_of_broadcasts_is_listed_here() -> None:
    routes = declared_routes([Broadcasts])
    assert set(routes.verbs()) == {*ADMIN_VERBS, "broadcasts.ack", "broadcasts.read"}
    assert routes.dialogs() == ["broadcasts.compose", "broadcasts.edit"]


async def test_staff_get_a_polite_refusal_for_every_admin_command_and_action(newsroom: Newsroom) -> None:
    [someone, other] = await newsroom.staff(2)
    team = await newsroom.team("総務部", [someone, other])
    sent = await newsroom.send(form(audience="teams", teams=team.team_id, ack="true", deadline_date=days_ahead()))
    await newsroom.compose(form(audience="everyone"), step="save")
    draft = await newsroom.latest()
    refusal = t("broadcasts.admins_only")
    for typed in ("お知らせ", "broadcast", "ＢＲＯＡＤＣＡＳＴ"):
        await newsroom.say(typed, someone)
        assert newsroom.personal_messages(someone)[-1]["text"] == refusal
    for locale in ("ja-JP", "en-US"):
        lang = locale[:2]
        for verb in ADMIN_VERBS:
            for data in ({"broadcast_id": sent.broadcast_id, "confirm": "1"}, {"broadcast_id": draft.broadcast_id}, {}):
                answer = await newsroom.click(verb, data, someone, locale=locale)
                assert answer["value"] == t("broadcasts.admins_only", lang), (verb, data)
        for name in ("broadcasts.compose", "broadcasts.edit"):
            fetched = await newsroom.fetch(name, someone, locale=locale, broadcast_id=sent.broadcast_id)
            assert fetched["task"] == {"type": "message", "value": t("broadcasts.admins_only", lang)}
            forged = {**form(audience="everyone"), "broadcast_id": draft.broadcast_id, "step": "review"}
            submitted = await newsroom.submit(name, forged, someone, locale=locale)
            assert submitted["task"]["value"] == t("broadcasts.admins_only", lang)
    assert (await newsroom.broadcast(draft.broadcast_id)).status == Status.DRAFT
    assert (await newsroom.broadcast(sent.broadcast_id)).status == Status.SENT
    assert {entry.actor_key for entry in await newsroom.audit()} <= {ADMIN.aad_object_id, "bot"}  # nothing they did
    help_text = "\n".join(texts(card_of(await _help(newsroom, someone))))
    assert t("broadcasts.command.broadcast") not in help_text
    assert t("broadcasts.command.broadcast") in "\n".join(texts(card_of(await _help(newsroom, ADMIN))))


async def _help(newsroom: Newsroom, user: User) -> dict[str, Any]:
    await newsroom.say("ヘルプ", user)
    return newsroom.personal_messages(user)[-1]


async def test_forged_clicks_by_recipients_change_nothing(newsroom: Newsroom) -> None:
    [reader, outsider] = await newsroom.staff(2)
    team = await newsroom.team("総務部", [reader])
    sent = await newsroom.send(form(audience="teams", teams=team.team_id, ack="true", deadline_date=days_ahead()))
    await newsroom.compose(form(audience="everyone", ack="true", deadline_date=days_ahead()), step="save")
    draft = await newsroom.latest()
    cases: list[tuple[User, dict[str, Any], str]] = [
        (outsider, {"broadcast_id": sent.broadcast_id}, "broadcasts.not_recipient"),  # it did not reach them
        (reader, {"broadcast_id": draft.broadcast_id}, "broadcasts.unknown"),  # a draft is nobody's to read yet
        (reader, {"broadcast_id": "0" * 32}, "broadcasts.unknown"),
        (reader, {"broadcast_id": ["x"]}, "broadcasts.unknown"),
        (reader, {"broadcast_id": sent.broadcast_id, "preview": "1"}, "broadcasts.preview.no_effect"),
    ]
    for user, data, key in cases:
        for verb in ("broadcasts.ack", "broadcasts.read"):
            assert (await newsroom.click(verb, data, user))["value"] == t(key), (verb, data)
    assert await newsroom.bot.feature("broadcasts").service.acknowledgements(sent.broadcast_id) == {}
    b = newsroom.bot.channel.builder
    stranger = b.user("外部 者", tenant_id="99999999-0000-4000-8000-000000000000")
    where = Conversation.personal(stranger, app_id=b.app_id, tenant_id=stranger.tenant_id)
    elsewhere = b.card_action(
        "broadcasts.ack",
        {"broadcast_id": sent.broadcast_id},
        conversation=where,
        user=stranger,
        tenant_id=stranger.tenant_id,
    )
    assert (await newsroom._post(elsewhere))["value"] == t("broadcasts.unknown")  # another tenant's broadcast


# ---- readers' languages ------------------------------------------------------------------------------------------
async def test_each_reader_sees_their_language_and_can_switch_to_plain_japanese(newsroom: Newsroom) -> None:
    japanese = await newsroom.staff(1, prefix="職員")
    english = await newsroom.staff(1, prefix="Staff", locale="en-US")
    team = await newsroom.team("総務部", [*japanese, *english])
    versions = form(
        audience="teams",
        teams=team.team_id,
        plain="12月1日から あたらしい きまりに なります。",
        title_en="New telework policy",
        body_en="The new policy applies from **1 December**.",
    )
    sent = await newsroom.send(versions)
    [ja_card] = newsroom.received(japanese[0])
    [en_card] = newsroom.received(english[0])
    assert NOTICE_TITLE in texts(ja_card) and versions["body"] in texts(ja_card)
    assert "New telework policy" in texts(en_card) and versions["body_en"] in texts(en_card)
    plain = button(ja_card, t("broadcasts.button.view.plain"))
    answer = await newsroom.click("broadcasts.read", plain["data"], japanese[0])
    assert versions["plain"] in texts(answer["value"]) and t("broadcasts.button.view.ja") in texts(answer["value"])
    original = await newsroom.click("broadcasts.read", {"broadcast_id": sent.broadcast_id, "view": "ja"}, english[0])
    assert versions["body"] in texts(original["value"])
    assert t("broadcasts.button.ack", "en") not in texts(en_card)  # no acknowledgement was asked for


# ---- the CSV export --------------------------------------------------------------------------------------------------
async def test_the_csv_lists_every_recipient_excel_safe_and_the_export_is_audited(
    channel: TeamsChannel, sqlite_url: str
) -> None:
    bot = await start_bot(channel, sqlite_url, **ROLES, PUBLIC_BASE_URL="https://openflat.example.org")
    try:
        newsroom = Newsroom(bot)
        await newsroom.chat(ADMIN)
        await _export(newsroom)
    finally:
        await bot.stop()


async def test_without_a_public_url_the_export_says_why(newsroom: Newsroom) -> None:
    [reader] = await newsroom.staff(1)
    team = await newsroom.team("総務部", [reader])
    sent = await newsroom.send(form(audience="teams", teams=team.team_id))
    answer = await newsroom.click("broadcasts.export", {"broadcast_id": sent.broadcast_id}, ADMIN)
    assert answer["value"] == t("broadcasts.export.unavailable")


async def _export(newsroom: Newsroom) -> None:
    people = [User('=HYPERLINK("http://evil")'), User("山田 太郎")]
    for person in people:
        await newsroom.chat(person)
    team = await newsroom.team("総務部", people)
    newsroom.bot.channel.block_conversation(newsroom.chats[people[1].id].id)
    sent = await newsroom.send(form(audience="teams", teams=team.team_id, ack="true", deadline_date=days_ahead()))
    await newsroom.click("broadcasts.ack", {"broadcast_id": sent.broadcast_id}, people[0])
    await newsroom.click("broadcasts.export", {"broadcast_id": sent.broadcast_id}, ADMIN)
    shown = button(newsroom.last_card(ADMIN), t("download.button"))["url"]
    link = newsroom.bot.url + shown.removeprefix("https://openflat.example.org")  # the bot serves the download
    async with aiohttp.ClientSession() as http, http.get(link) as response:
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/csv")
        raw = await response.read()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [
        t(f"broadcasts.export.{name}")
        for name in ("recipient", "kind", "segment", "state", "reason", "sent_at", "acknowledged_at", "entra_id")
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil")' in by_name, "a name that is a formula is neutralised"
    assert by_name['\'=HYPERLINK("http://evil")'][3] == t("broadcasts.state.sent")
    assert by_name['\'=HYPERLINK("http://evil")'][6]  # acknowledged, with its time
    assert by_name["山田 太郎"][3] == t("broadcasts.state.not_installed")
    [export] = [entry for entry in await newsroom.audit() if entry.action == "broadcasts.export"]
    assert (export.actor_name, export.subject, export.details) == (ADMIN.name, sent.broadcast_id, {"rows": 2})
    query = dict(part.split("=", 1) for part in urlsplit(link).query.split("&"))
    edited = link.replace(query["broadcast"], "0" * 32)
    async with aiohttp.ClientSession() as http, http.get(edited) as response:
        assert response.status == 403  # a link can't be edited into another broadcast's


# ---- governance ------------------------------------------------------------------------------------------------------
async def test_more_than_the_threshold_needs_approval_and_a_rejection_goes_back_with_its_reason(
    newsroom: Newsroom,
) -> None:
    staff = await newsroom.staff(9)  # the threshold is 8
    team = await newsroom.team("総務部", staff)
    await newsroom.compose(form(audience="teams", teams=team.team_id))
    broadcast = await newsroom.latest()
    confirm = await newsroom.counted()
    assert t("broadcasts.button.approval", count="9") in texts(confirm)
    await newsroom.confirm(broadcast.broadcast_id)
    await newsroom.bot.run_due()
    no_reason = await newsroom.click("broadcasts.reject", {"broadcast_id": broadcast.broadcast_id}, SECOND)
    assert no_reason["value"] == t("broadcasts.approval.reason_required")
    rejected = await newsroom.click(
        "broadcasts.reject", {"broadcast_id": broadcast.broadcast_id, "comment": "対象が広すぎます"}, SECOND
    )
    assert t("broadcasts.approval.rejected") in texts(rejected["value"])
    await newsroom.bot.run_due()
    told = newsroom.last_card(ADMIN)
    assert t("broadcasts.decision.rejected", name=SECOND.name) in texts(told) and "対象が広すぎます" in texts(told)
    assert (await newsroom.broadcast(broadcast.broadcast_id)).status == Status.DRAFT
    assert not any(newsroom.received(person) for person in staff)
    assert [entry.action for entry in await newsroom.audit()] == ["broadcasts.reject"]


async def test_an_author_limited_by_configuration_is_offered_and_allowed_only_their_teams(
    channel: TeamsChannel, sqlite_url: str
) -> None:
    limited = User("広報 担当", aad_object_id="0b0e0000-0000-4000-8000-00000000b003")
    settings = {"ADMIN_AAD_OBJECT_IDS": f"{ADMIN.aad_object_id},{limited.aad_object_id}"}
    bot = await start_bot(channel, sqlite_url, **settings)
    try:
        room = Newsroom(bot)
        await room.chat(limited)
        staff = await room.staff(2)
        own = await room.team("広報課", staff[:1])
        other = await room.team("総務部", staff[1:])
        limits = f'{{"{limited.aad_object_id.upper()}": ["team:{own.team_id}"]}}'
        await bot.stop()
        bot = await start_bot(channel, sqlite_url, **settings, BROADCAST_AUTHOR_LIMITS=limits)
        room.bot = bot
        fetched = form_of(await room.fetch("broadcasts.compose", limited))
        fields = inputs(fetched)
        assert offered_audiences(fetched) == ["channels", "teams"]
        assert [c["value"] for c in fields["teams"]["choices"]] == [own.team_id]
        for forged in ({"audience": "everyone"}, {"audience": "teams", "teams": other.team_id}):
            shown = form_of(await room.compose(form(**forged), user=limited))
            assert any(
                t(key) in texts(shown)
                for key in ("broadcasts.error.audience_limited", "broadcasts.error.audience_unknown")
            )
        sent = await room.send(form(audience="teams", teams=own.team_id), user=limited)
        assert sent.recipients == 1 and room.received(staff[0]) and not room.received(staff[1])
    finally:
        await bot.stop()


# ---- another feature opens a draft --------------------------------------------------------------------------------
async def test_a_draft_can_be_opened_prefilled_by_another_feature(newsroom: Newsroom) -> None:
    """The idea box's 「この採用を全体に知らせる」 opens the dialog with the adopted idea and its answer."""
    data = {"prefill_title": "採用: 会議資料のペーパーレス化", "prefill_body": "来年度から全庁で実施します。" * 1000}
    fetched = form_of(await newsroom.fetch("broadcasts.compose", ADMIN, None, "ja-JP", **data))
    fields = inputs(fetched)
    assert fields["title"]["value"] == data["prefill_title"]
    assert fields["body"]["value"] == data["prefill_body"][:BODY_MAX]
    someone = (await newsroom.staff(1))[0]
    refused = await newsroom.fetch("broadcasts.compose", someone, None, "ja-JP", **data)
    assert refused["task"]["value"] == t("broadcasts.admins_only")


# ---- clicks are answered at once; the fan-out comes after ------------------------------------------------------------
async def test_clicks_are_answered_within_a_second_however_large_the_audience(newsroom: Newsroom) -> None:
    records = [
        ConversationRecord(
            conversation_id=f"a:1bulk{n:05d}",
            conversation_type="personal",
            service_url=newsroom.bot.channel.service_url,
            bot_id=f"28:{newsroom.bot.channel.app_id}",
            tenant_id=newsroom.bot.channel.tenant_id,
            user_id=f"29:bulk{n:05d}",
            user_aad_id=f"00000000-0000-4000-8000-{n:012d}",
            locale="ja-JP",
        )
        for n in range(3000)
    ]
    await newsroom.bot.platform.store.conversations.touch_many(records)
    await newsroom.compose(form(audience="everyone"))
    broadcast = await newsroom.latest()
    await newsroom.counted()
    await newsroom.confirm(broadcast.broadcast_id)
    await newsroom.bot.run_due()
    started = time.monotonic()
    approved = await newsroom.click("broadcasts.approve", {"broadcast_id": broadcast.broadcast_id}, SECOND)
    answered = time.monotonic() - started
    assert t("broadcasts.confirm.started", count="3,002") in texts(approved["value"])
    assert answered < 1.0, f"the approval of 3,002 took {answered:.2f} s to answer"
    sent_so_far = len(newsroom.bot.channel.calls(operation="send"))
    assert sent_so_far < 3000, "the fan-out happened after the answer"
    started = time.monotonic()
    recalled = await newsroom.click(
        "broadcasts.recall", {"broadcast_id": broadcast.broadcast_id, "confirm": "1"}, ADMIN
    )
    assert time.monotonic() - started < 1.0 and t("broadcasts.report.title") in texts(recalled["value"])


# ---- drafts: duplicate and delete --------------------------------------------------------------------------------
async def test_a_draft_is_duplicated_and_deleted_by_its_author_only(newsroom: Newsroom) -> None:
    await newsroom.compose(form(audience="everyone", title="年末年始の庁舎管理について"), step="save")
    draft = await newsroom.latest()
    ids = {"broadcast_id": draft.broadcast_id}

    copied = await newsroom.click("broadcasts.duplicate", ids, ADMIN)
    assert texts(copied["value"]).count("年末年始の庁舎管理について") == 2, "the overview shows both drafts"
    copy = await newsroom.latest()
    assert copy.broadcast_id != draft.broadcast_id and copy.status == Status.DRAFT
    assert (copy.content, copy.audience) == (draft.content, draft.audience)

    refused = await newsroom.click("broadcasts.delete", ids, SECOND)
    assert refused["value"] == t("broadcasts.not_author", name=ADMIN.name)
    assert (await newsroom.broadcast(draft.broadcast_id)).status == Status.DRAFT

    deleted = await newsroom.click("broadcasts.delete", ids, ADMIN)
    assert texts(deleted["value"]).count("年末年始の庁舎管理について") == 1
    assert await newsroom.bot.feature("broadcasts").service.broadcast(draft.broadcast_id) is None
    again = await newsroom.click("broadcasts.delete", ids, ADMIN)
    assert again["value"] == t("broadcasts.unknown"), "a deleted draft is gone, and the click says so"
