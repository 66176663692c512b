"""The idea box over days and weeks: Monday's digest (not on a holiday), themed calls that close at their deadline
across a restart, a shortlist put to a quick poll whose result comes back to the ideas, and the exports reviewers
and admins download — each of them audited."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from aiohttp import ClientSession

from bot.i18n import t
from dialogs.ideas import CALL_CLOSE, DIGEST, POLL_RESULT
from tests.cardcheck import assert_valid_card
from tests.support.bot import RunningBot, start_bot
from tests.support.cards import card_of, texts, visible_text
from tests.support.ideas import ADMIN, PAPERLESS, REVIEWER, ROLES, IdeaBox
from tests.support.talk import button, form_of, inputs
from tests.teams_channel.channel import TeamsChannel

TOKYO = ZoneInfo("Asia/Tokyo")
PUBLIC = "https://bot.example.org"


@pytest.fixture
async def box(channel: TeamsChannel, sqlite_url: str) -> AsyncIterator[IdeaBox]:
    running = await start_bot(channel, sqlite_url, PUBLIC_BASE_URL=PUBLIC, **ROLES)
    try:
        yield await IdeaBox.open(running)
    finally:
        await running.stop()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TOKYO)


# ---- the weekly digest ----------------------------------------------------------------------------------------
async def test_the_digest_comes_on_monday_morning_and_on_tuesday_after_a_monday_holiday(box: IdeaBox) -> None:
    with box.bot.clock.stopped_at(at("2027-01-06 12:00")):  # a Wednesday
        await box.say("アイデア 投稿先 全体", ADMIN, box.channel)
    scope = f"tenant:{box.channel.tenant_id}"
    # 2027-01-11 is 成人の日 (the second Monday of January): the digest waits for the next working day
    assert await box.bot.planned(DIGEST, scope) == at("2027-01-12 09:00")
    with box.bot.clock.stopped_at(at("2027-01-08 10:00")):
        fresh = await box.propose(box.bot.channel.builder.user("中村 八郎"))
    with box.bot.clock.stopped_at(at("2026-12-20 10:00")):
        old = await box.propose(
            box.bot.channel.builder.user("中村 八郎"), {"title": "古い提案", "body": "", "category": "その他"}
        )
    box.bot.channel.reset()
    await box.bot.run_due(at("2027-01-12 09:00"))
    [digest] = [a for a in box.bot.channel.activities_in(box.channel.id) if t("ideas.digest.title") in visible_text(a)]
    digest_card = card_of(digest)
    assert digest_card is not None
    assert_valid_card(digest_card)
    shown = texts(digest_card)
    assert t("ideas.digest.count", count=1) in shown and fresh.title in shown and old.title not in shown
    assert await box.bot.planned(DIGEST, scope) == at("2027-01-18 09:00")


# ---- themed calls -------------------------------------------------------------------------------------------------
async def test_a_call_is_announced_collects_ideas_and_closes_at_its_deadline_across_a_restart(
    channel: TeamsChannel, sqlite_url: str
) -> None:
    first = await start_bot(channel, sqlite_url, **ROLES)
    try:
        box = await IdeaBox.open(first)
        await box.chat(REVIEWER)
        start = at("2027-02-01 10:00")
        with first.clock.stopped_at(start):
            await box.say("アイデア 募集", REVIEWER, box.channel)
            entry = card_of(first.channel.activities_in(box.channel.id)[-1])
            assert entry is not None
            opened = await box.fetch(button(entry, t("ideas.button.call_new"))["data"]["dialog"], REVIEWER, box.channel)
            assert {"theme", "description", "date", "time"} <= inputs(form_of(opened)).keys()
            past = await box.submit(
                "ideas.call", {"theme": "あったらいいな", "date": "2027-01-31", "time": "17:00"}, REVIEWER, box.channel
            )
            assert t("ideas.error.deadline_past") in texts(form_of(past))
            form = {"theme": "あったらいいな", "description": "都民サービスの夢", "date": "2027-02-05", "time": "17:00"}
            done = await box.submit("ideas.call", form, REVIEWER, box.channel)
            assert done["task"]["value"] == t("ideas.call.opened")
        [announcement] = [
            a for a in first.channel.activities_in(box.channel.id) if t("ideas.call.label") in visible_text(a)
        ]
        call_card = card_of(announcement)
        assert call_card is not None
        assert_valid_card(call_card)
        submit = button(call_card, t("ideas.button.call_submit"))
        call_id = submit["data"]["call_id"]
        assert await first.planned(CALL_CLOSE, call_id) == at("2027-02-05 17:00")
        author = first.channel.builder.user("松本 九郎")
        with first.clock.stopped_at(start + timedelta(hours=1)):
            form_for_call = form_of(await box.fetch("ideas.submit", author, box.channel, call_id=call_id))
            assert t("ideas.form.for_call", theme="あったらいいな") in texts(form_for_call)
            idea = await box.propose(author, {**PAPERLESS, "call_id": call_id})
            assert t("ideas.card.call", theme="あったらいいな") in texts(await box.posted(idea))
        assert idea.call_id == call_id
    finally:
        await first.stop()

    second = await start_bot(channel, sqlite_url, **ROLES)  # the deadline passes while the bot is down
    try:
        box.bot = second
        before = len(box.personal_messages(REVIEWER))
        await second.run_due(at("2027-02-05 17:00"))
        [summary] = box.personal_messages(REVIEWER)[before:]
        shown = texts(card_of(summary))
        assert t("ideas.call.summary_count", count=1) in shown and "あったらいいな" in shown
        assert any(PAPERLESS["title"] in line for line in shown)
        announced = second.channel.activity(box.channel.id, announcement["id"])
        assert announced is not None
        closed = texts(card_of(announced))
        assert any(line.startswith(t("ideas.call.closed", deadline="", count=1)[:4]) for line in closed)
        assert t("ideas.button.call_submit") not in closed, "a closed call takes no more ideas"
        late_author = second.channel.builder.user("遅れた 人")
        with second.clock.stopped_at(at("2027-02-06 09:00")):
            answer = await box.submit(
                "ideas.submit",
                {"title": "遅れた提案", "body": "", "category": "その他", "call_id": call_id},
                late_author,
            )
        assert answer["task"]["value"] == t("ideas.posted_late")
        assert (await box.latest()).call_id is None
    finally:
        await second.stop()


# ---- shortlist → quick poll → result on each idea -----------------------------------------------------------------
async def test_a_shortlist_goes_to_a_quick_poll_and_its_result_comes_back_to_each_idea(box: IdeaBox) -> None:
    author = box.bot.channel.builder.user("木村 十子")
    titles = ["押印の廃止", "会議の30分化", "ペーパーレス会議"]
    found = [await box.propose(author, {"title": title, "body": "", "category": "業務改善"}) for title in titles]
    await box.say("レビュー", REVIEWER, box.channel)
    [queue] = [
        card_of(a) for a in box.bot.channel.activities_in(box.channel.id) if t("ideas.queue.title") in visible_text(a)
    ]
    assert queue is not None
    choices = inputs(queue)["ideas"]["choices"]
    assert {choice["value"] for choice in choices} == {idea.idea_id for idea in found}
    chosen = ",".join(idea.idea_id for idea in found)
    assert (await box.click("ideas.shortlist", {"ideas": chosen}, author, box.channel))["value"] == t(
        "ideas.reviewers_only"
    )
    one = await box.click("ideas.shortlist", {"ideas": found[0].idea_id}, REVIEWER, box.channel)
    assert one["value"] == t("ideas.shortlist.too_few")
    posted = await box.click("ideas.shortlist", {"ideas": chosen}, REVIEWER, box.channel)
    assert posted["value"] == t("ideas.shortlist.posted", count=3)
    polls = box.bot.feature("polls").service
    poll_ids = {(await box.idea(idea.idea_id)).poll_id for idea in found}
    assert len(poll_ids) == 1
    poll = await polls.poll(poll_ids.pop())
    assert poll is not None and list(poll.options) == titles and poll.deadline is not None
    assert t("ideas.card.in_poll") in texts(await box.posted(found[0]))
    voters = [box.bot.channel.builder.user(f"投票者 {n}") for n in range(3)]
    for voter, choice in zip(voters, (1, 1, 2), strict=True):
        await box.click("poll.vote", {"poll_id": poll.poll_id, "choice": choice}, voter, box.channel)
    assert await box.bot.planned(POLL_RESULT, poll.poll_id) == (poll.deadline + timedelta(minutes=1)).astimezone(TOKYO)
    await box.bot.run_due(poll.deadline + timedelta(minutes=2))
    results = [(await box.idea(idea.idea_id)).poll_votes for idea in found]
    assert results == [0, 2, 1]
    assert t("ideas.card.poll_result", votes=2) in texts(await box.posted(found[1]))


# ---- exports and the audit log ------------------------------------------------------------------------------------
async def _download(bot: RunningBot, link: str) -> tuple[int, str]:
    parts = urlsplit(link)
    async with ClientSession() as http, http.get(f"{bot.url}{parts.path}?{parts.query}") as response:
        return response.status, (await response.read()).decode("utf-8")


def _link(card: dict[str, object] | None, lang: str = "ja") -> str:
    assert card is not None
    assert_valid_card(card)
    url = button(card, t("download.button", lang))["url"]
    assert isinstance(url, str) and url.startswith(PUBLIC)
    return url


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
async def test_the_reviewers_csv_names_no_anonymous_submitter_and_counts_by_fiscal_year(
    box: IdeaBox, locale: str
) -> None:
    lang = locale[:2]
    named, hidden, masked = (box.bot.channel.builder.user(name) for name in ("記名 太郎", "匿名 花子", "仮名 次郎"))
    with box.bot.clock.stopped_at(at("2026-03-31 18:00")):  # 2025年度
        await box.propose(named, {"title": '=HYPERLINK("http://x")', "body": "", "category": "働き方"})
    with box.bot.clock.stopped_at(at("2026-04-01 09:00")):  # 2026年度
        await box.propose(hidden, {**PAPERLESS, "identity": "anonymous"})
        pseudo = await box.propose(
            masked,
            {
                "title": "窓口の書面掲示",
                "body": "",
                "category": "アナログ規制",
                "identity": "pseudonymous",
                "rule": "公告式条例",
                "clause": "第2条",
                "act": "posting",
                "replacement": "ウェブ掲載",
            },
        )
        await box.propose(
            named,
            {"title": "申請が難しい", "body": "", "service": "電子申請", "satisfaction": "1"},
            dialog="ideas.feedback",
        )
    await box.say("アイデア 書き出し", named, locale=locale)
    assert t("ideas.reviewers_only", lang) in visible_text(box.personal_messages(named)[-1])
    await box.say("アイデア 書き出し" if lang == "ja" else "idea export", REVIEWER, locale=locale)
    link = _link(card_of(box.personal_messages(REVIEWER)[-1]), lang)
    status, body = await _download(box.bot, link)
    assert status == 200 and body.startswith("\ufeff")
    assert "匿名 花子" not in body and hidden.aad_object_id not in body
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    header = rows[0]
    assert header[:3] == [t(f"ideas.export.{name}", lang) for name in ("id", "fiscal_year", "submitted")]
    by_title = {row[5]: dict(zip(header, row, strict=True)) for row in rows[1:5]}
    author = t("ideas.export.author", lang)
    assert by_title['\'=HYPERLINK("http://x")'][author] == "記名 太郎", "a formula is neutralised"
    assert by_title[PAPERLESS["title"]][author] == ""
    assert by_title["窓口の書面掲示"][author] == pseudo.pseudonym
    assert by_title["申請が難しい"][t("ideas.export.satisfaction", lang)] == "1"
    counts = rows.index([t("ideas.export.counts", lang)])
    new = t("ideas.status.new", lang)
    assert rows[counts + 2 : counts + 4] == [["2025", new, "1"], ["2026", new, "3"]]
    analog = rows.index([t("ideas.export.analog", lang)])
    assert rows[analog + 2] == [
        t("ideas.act.posting", lang),
        "公告式条例",
        "第2条",
        "ウェブ掲載",
        "窓口の書面掲示",
        new,
    ]
    [entry] = [e for e in await box.audit() if e.action == "ideas.export"]
    assert (entry.actor_name, entry.details) == (REVIEWER.name, {"ideas": 4})
    edited = link.replace("tenant=", "tenant=x")
    assert (await _download(box.bot, edited))[0] == 403


async def test_admins_read_and_export_the_audit_log_and_the_export_is_itself_audited(box: IdeaBox) -> None:
    idea = await box.propose(box.bot.channel.builder.user("記名 太郎"))
    data = {"idea_id": idea.idea_id, f"status_{idea.idea_id}": "reviewing", f"answer_{idea.idea_id}": "検討します"}
    await box.click("ideas.review", data, REVIEWER)
    someone = box.bot.channel.builder.user("一般 職員")
    await box.say("監査ログ", someone)
    assert t("audit.admins_only") in visible_text(box.personal_messages(someone)[-1])
    assert (await box.click("audit.export", {}, someone))["value"] == t("audit.admins_only")
    await box.say("監査ログ", ADMIN)
    log = card_of(box.personal_messages(ADMIN)[-1])
    assert log is not None
    assert_valid_card(log)
    assert any(t("audit.action.ideas.status") in line for line in texts(log))
    answer = await box.click("audit.export", {}, ADMIN)
    status, body = await _download(box.bot, _link(answer["value"]))
    assert status == 200 and body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    actions = [row[2] for row in rows[1:]]
    assert actions == ["ideas.status", "audit.export"], "the export is in the file it wrote"
    assert rows[1][3] == REVIEWER.name and '"to": "reviewing"' in rows[1][6]
