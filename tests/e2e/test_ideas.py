"""The idea box end to end through the loopback Teams channel: submitted three ways, similar ideas first, votes,
comments, review that tells the submitter, anonymity that holds, and bad input that stores nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.i18n import t
from bot.ideas.model import BODY_MAX, TITLE_MAX
from bot.ideas.tables import idea_comments, idea_votes, ideas
from tests.cardcheck import assert_valid_card
from tests.support.bot import RunningBot, start_bot
from tests.support.cards import card_of, texts, visible_text
from tests.support.ideas import ADMIN, MODERATOR, PAPERLESS, REVIEWER, ROLES, IdeaBox
from tests.support.talk import button, form_of, inputs
from tests.teams_channel.activities import Conversation, User
from tests.teams_channel.channel import TeamsChannel

LOCALES = ["ja-JP", "en-US"]


@pytest.fixture
async def box(channel: TeamsChannel, sqlite_url: str) -> AsyncIterator[IdeaBox]:
    running = await start_bot(channel, sqlite_url, **ROLES)
    try:
        yield await IdeaBox.open(running)
    finally:
        await running.stop()


async def count(bot: RunningBot, table: Any) -> int:
    async with bot.platform.store.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


def staff(bot: RunningBot, name: str = "山田 太郎") -> User:
    return bot.channel.builder.user(name)


# ---- submitting -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("locale", LOCALES)
async def test_an_idea_from_the_dialog_is_posted_to_the_idea_channel_as_a_card(box: IdeaBox, locale: str) -> None:
    lang, user = locale[:2], staff(box.bot)
    await box.say("アイデア" if lang == "ja" else "idea", user, locale=locale)
    [entry] = box.personal_messages(user)[-1:]
    entry_card = card_of(entry)
    assert entry_card is not None and t("ideas.entry.title", lang) in texts(entry_card)
    new = button(entry_card, t("ideas.button.new", lang))
    fetched = await box.fetch(new["data"]["dialog"], user, locale=locale)
    form = form_of(fetched)
    assert_valid_card(form)
    assert fetched["task"]["value"]["title"] == t("ideas.dialog.submit", lang)
    fields = inputs(form)
    assert {"title", "body", "category", "tags", "identity"} <= fields.keys()
    assert [choice["value"] for choice in fields["category"]["choices"]] == [
        "業務改善",
        "デジタル化",
        "働き方",
        "都民サービス",
        "その他",
        "アナログ規制",
    ]
    answer = await box.submit(
        "ideas.submit", {"step": "check", **PAPERLESS, "tags": "会議、ペーパーレス"}, user, locale=locale
    )
    assert answer == {"task": {"type": "message", "value": t("ideas.posted", lang)}}
    idea = await box.latest()
    assert (idea.title, idea.category, idea.tags, idea.status) == (
        PAPERLESS["title"],
        "業務改善",
        ["会議", "ペーパーレス"],
        "new",
    )
    assert (idea.author_name, idea.identity) == ("山田 太郎", "named")
    shared = await box.posted(idea)
    assert_valid_card(shared)
    shown = texts(shared)
    assert PAPERLESS["title"] in shown and PAPERLESS["body"] in shown
    assert f"業務改善 · {t('ideas.status.new', 'ja')}" in shown
    assert any(line.startswith("山田 太郎 · ") for line in shown)
    assert t("ideas.button.vote", "ja") in shown  # the channel's language, whoever submitted
    assert t("ideas.button.comments", "ja", count=0) in shown


@pytest.mark.parametrize("locale", LOCALES)
async def test_turn_this_message_into_an_idea_prefills_the_form_from_the_message(box: IdeaBox, locale: str) -> None:
    lang, user = locale[:2], staff(box.bot)
    b = box.bot.channel.builder
    message = {
        "id": "1700000000000",
        "body": {"contentType": "html", "content": "<p>受付の&amp;予約を</p><p>オンラインにしたい</p>"},
        "from": {"user": {"displayName": "鈴木 一郎"}},
    }
    value = {
        "commandId": "ideas.fromMessage",
        "commandContext": "message",
        "messagePayload": message,
        "context": {"theme": "default"},
    }
    fetched = await box._post(
        b.invoke("composeExtension/fetchTask", value, conversation=box.channel, user=user, locale=locale)
    )
    form = form_of(fetched)
    assert fetched["task"]["value"]["title"] == t("ideas.dialog.submit", lang)
    fields = inputs(form)
    assert fields["body"]["value"] == "受付の&予約を\nオンラインにしたい"
    assert fields["title"]["value"] == "受付の&予約を"
    data = {
        "step": "check",
        "title": "受付予約のオンライン化",
        "body": fields["body"]["value"],
        "category": "都民サービス",
    }
    done = await box._post(
        b.invoke(
            "composeExtension/submitAction",
            {"commandId": "ideas.fromMessage", "commandContext": "message", "data": data},
            conversation=box.channel,
            user=user,
            locale=locale,
        )
    )
    assert done == {}  # a message extension's dialog closes with no response; the idea's card is the result
    idea = await box.latest()
    assert "受付予約のオンライン化" in texts(await box.posted(idea))
    assert (idea.title, idea.body, idea.category) == (
        "受付予約のオンライン化",
        "受付の&予約を\nオンラインにしたい",
        "都民サービス",
    )


@pytest.mark.parametrize("locale", LOCALES)
async def test_digital_service_feedback_asks_which_service_and_how_satisfied(box: IdeaBox, locale: str) -> None:
    lang, user = locale[:2], staff(box.bot)
    await box.say("改善" if lang == "ja" else "feedback", user, locale=locale)
    entry = card_of(box.personal_messages(user)[-1])
    assert entry is not None
    fetched = await box.fetch(button(entry, t("ideas.button.feedback", lang))["data"]["dialog"], user, locale=locale)
    fields = inputs(form_of(fetched))
    assert {"service", "satisfaction"} <= fields.keys() and "category" not in fields
    assert [choice["value"] for choice in fields["satisfaction"]["choices"]] == ["5", "4", "3", "2", "1"]
    form = {"title": "申請画面の入力が多い", "body": "住所を二度入れる。", "service": "電子申請サービス"}
    seven = await box.submit("ideas.feedback", {**form, "satisfaction": "7"}, user, locale=locale)
    assert t("ideas.error.satisfaction", lang) in texts(form_of(seven))
    assert inputs(form_of(seven))["service"]["value"] == "電子申請サービス"  # what was typed stays
    assert await count(box.bot, ideas) == 0
    idea = await box.propose(user, {**form, "satisfaction": "2"}, dialog="ideas.feedback", locale=locale)
    assert (idea.kind, idea.service, idea.satisfaction) == ("feedback", "電子申請サービス", 2)
    shown = texts(await box.posted(idea))
    assert t("ideas.kind.feedback", "ja") in " ".join(shown) and "電子申請サービス" in shown


async def test_an_analog_regulation_report_names_the_rule_and_the_act(box: IdeaBox) -> None:
    user = staff(box.bot)
    report = {
        "title": "掲示板への書面掲示をやめる",
        "body": "告示を庁舎の掲示板に貼る義務。",
        "category": "アナログ規制",
    }
    missing = await box.submit("ideas.submit", report, user)
    assert t("ideas.error.analog") in texts(form_of(missing))
    full = {
        **report,
        "rule": "東京都公告式条例",
        "clause": "第2条",
        "act": "posting",
        "replacement": "ウェブサイト掲載",
    }
    idea = await box.propose(user, full)
    assert idea.analog == {
        "rule": "東京都公告式条例",
        "clause": "第2条",
        "act": "posting",
        "replacement": "ウェブサイト掲載",
    }
    shown = texts(await box.posted(idea))
    assert t("ideas.act.posting") in shown and "東京都公告式条例 第2条" in shown


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("title", "", "ideas.error.title_empty"),
        ("title", "   \u3000 ", "ideas.error.title_empty"),
        ("title", "長" * (TITLE_MAX + 1), "ideas.error.title_long"),
        ("body", "本" * 3000, "ideas.error.body_long"),
        ("category", "存在しない分類", "ideas.error.category"),
        ("identity", "nobody", "ideas.error.identity"),
        ("title", {"$ne": 1}, "ideas.error.title_empty"),
    ],
)
async def test_bad_input_is_answered_in_the_form_and_nothing_is_stored(
    box: IdeaBox, field: str, value: Any, error: str
) -> None:
    user = staff(box.bot)
    for locale in LOCALES:
        answer = await box.submit("ideas.submit", {**PAPERLESS, field: value}, user, locale=locale)
        shown = texts(form_of(answer))
        params = {
            "max": TITLE_MAX if field == "title" else BODY_MAX,
            "length": len(value) if isinstance(value, str) else 0,
        }
        assert t(error, locale[:2], **params) in shown
        typed = inputs(form_of(answer))
        assert typed["body"]["value"] == (value if field == "body" else PAPERLESS["body"])  # nothing typed is lost
        if field == "title" and isinstance(value, str):
            assert typed["title"]["value"] == value
    assert await count(box.bot, ideas) == 0


async def test_personal_data_is_pointed_out_before_anyone_can_read_it(box: IdeaBox) -> None:
    user = staff(box.bot)
    form = {**PAPERLESS, "body": "詳しくは０９０－１２３４－５６７８か taro@example.jp まで。"}
    warned = form_of(await box.submit("ideas.submit", form, user))
    assert "personal_ok" in inputs(warned)
    warning = " ".join(texts(warned))
    assert t("ideas.personal.phone") in warning and t("ideas.personal.email") in warning
    assert await count(box.bot, ideas) == 0
    await box.propose(user, {**form, "personal_ok": "true"})
    assert await count(box.bot, ideas) == 1


# ---- similar ideas first ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("locale", LOCALES)
async def test_similar_ideas_are_shown_first_and_backing_one_stores_no_second_copy(box: IdeaBox, locale: str) -> None:
    lang, first, second = locale[:2], staff(box.bot, "鈴木 一郎"), staff(box.bot, "田中 次郎")
    original = await box.propose(
        first,
        {
            "title": "打ち合わせの議事録を自動で作る",
            "body": "会議の録音から議事録を作成したい。",
            "category": "デジタル化",
        },
    )
    for other in ("庁舎の自転車置き場を増やす", "ラジオ体操の時間を作る"):
        await box.propose(first, {"title": other, "body": other, "category": "働き方"})
    paraphrase = {
        "title": "打合せ記録の自動作成",
        "body": "打合せの議事録を録音から自動で作れるように",
        "category": "デジタル化",
    }
    answer = await box.submit("ideas.submit", paraphrase, second, locale=locale)
    similar = form_of(answer)
    assert answer["task"]["value"]["title"] == t("ideas.dialog.similar", lang)
    shown = texts(similar)
    assert shown[2] == original.title, "the paraphrased idea is the first suggestion"
    assert not {"庁舎の自転車置き場を増やす", "ラジオ体操の時間を作る"} & set(shown), (
        "unrelated ideas are not suggested"
    )
    back = button(similar, t("ideas.button.back_this", lang))
    assert back["data"]["idea_id"] == original.idea_id
    backed = await box.submit("ideas.submit", back["data"], second, locale=locale)
    assert backed == {"task": {"type": "message", "value": t("ideas.backed", lang, votes=1)}}
    assert await count(box.bot, ideas) == 3 and (await box.idea(original.idea_id)).votes == 1
    again = await box.submit("ideas.submit", back["data"], second, locale=locale)  # a second click keeps the vote
    assert again["task"]["value"] == t("ideas.backed", lang, votes=1)
    edit = await box.submit(
        "ideas.submit", button(similar, t("ideas.button.edit", lang))["data"], second, locale=locale
    )
    assert inputs(form_of(edit))["title"]["value"] == paraphrase["title"]
    post = await box.submit(
        "ideas.submit", button(similar, t("ideas.button.post_anyway", lang))["data"], second, locale=locale
    )
    assert post["task"]["value"] == t("ideas.posted", lang)
    assert (await box.latest()).title == paraphrase["title"]


# ---- votes and comments -----------------------------------------------------------------------------------------
async def test_a_vote_toggles_and_the_shared_card_shows_the_count(box: IdeaBox) -> None:
    idea = await box.propose(staff(box.bot))
    await box.posted(idea)
    voter = staff(box.bot, "高橋 三郎")
    card_id = (await box.idea(idea.idea_id)).activity_id
    mine = await box.click("ideas.vote", {"idea_id": idea.idea_id}, voter, box.channel, reply_to_id=card_id)
    assert t("ideas.card.you_voted") in texts(mine["value"]) and t("ideas.button.unvote") in texts(mine["value"])
    assert t("ideas.card.counts", votes=1, comments=0) in texts(await box.posted(idea))
    withdrawn = await box.click("ideas.vote", {"idea_id": idea.idea_id}, voter, box.channel, reply_to_id=card_id)
    assert t("ideas.card.you_voted") not in texts(withdrawn["value"])
    assert t("ideas.card.counts", votes=0, comments=0) in texts(await box.posted(idea))
    assert await count(box.bot, idea_votes) == 0


async def test_racing_votes_are_counted_exactly(box: IdeaBox) -> None:
    idea = await box.propose(staff(box.bot))
    await box.posted(idea)
    crowd = [staff(box.bot, f"職員 {n:02}") for n in range(40)]
    clicks = [box.click("ideas.vote", {"idea_id": idea.idea_id}, person, box.channel) for person in crowd]
    # one impatient person clicks three times at once: their vote ends given or not, never counted twice
    impatient = staff(box.bot, "急ぐ 人")
    clicks += [box.click("ideas.vote", {"idea_id": idea.idea_id}, impatient, box.channel) for _ in range(3)]
    await asyncio.gather(*clicks)
    stored = await box.idea(idea.idea_id)
    rows = await count(box.bot, idea_votes)
    assert stored.votes == rows and rows in (40, 41)
    assert t("ideas.card.counts", votes=rows, comments=0) in texts(await box.posted(idea))


async def test_comments_are_added_in_a_dialog_and_counted_on_the_card(box: IdeaBox) -> None:
    idea = await box.propose(staff(box.bot))
    shared = await box.posted(idea)
    commenter = staff(box.bot, "伊藤 四郎")
    opened = await box.fetch("ideas.comments", commenter, box.channel, idea_id=idea.idea_id)
    assert t("ideas.comments.none") in texts(form_of(opened))
    assert button(shared, t("ideas.button.comments", count=0))["data"]["dialog"] == "ideas.comments"
    empty = await box.submit("ideas.comments", {"idea_id": idea.idea_id, "comment": "  "}, commenter, box.channel)
    assert t("ideas.error.comment_empty") in texts(form_of(empty))
    listed = await box.submit(
        "ideas.comments", {"idea_id": idea.idea_id, "comment": "賛成です。=1+1"}, commenter, box.channel
    )
    assert "賛成です。=1+1" in texts(form_of(listed)) and t("ideas.comments.title", count=1) in texts(form_of(listed))
    assert t("ideas.button.comments", count=1) in texts(await box.posted(idea))
    assert await count(box.bot, idea_comments) == 1


@pytest.mark.parametrize(
    "forged",
    [
        {"idea_id": "0" * 32},
        {"idea_id": "../../etc/passwd"},
        {"idea_id": ["x"]},
        {},
    ],
)
async def test_a_forged_idea_id_gets_a_clear_answer_and_changes_nothing(box: IdeaBox, forged: dict[str, Any]) -> None:
    idea = await box.propose(staff(box.bot))
    user = staff(box.bot, "偽造 者")
    unknown = t("ideas.unknown")
    assert (await box.click("ideas.vote", forged, user, box.channel))["value"] == unknown
    assert (await box.fetch("ideas.comments", user, box.channel, **forged))["task"]["value"] == unknown
    assert (await box.submit("ideas.comments", {**forged, "comment": "x"}, user, box.channel))["task"][
        "value"
    ] == unknown
    assert (await box.click("ideas.review", {**forged}, REVIEWER, box.channel))["value"] == unknown
    assert await count(box.bot, idea_votes) == 0 and await count(box.bot, idea_comments) == 0
    assert (await box.idea(idea.idea_id)).status == "new"


async def test_an_idea_of_another_tenant_cannot_be_voted_for(box: IdeaBox) -> None:
    idea = await box.propose(staff(box.bot))
    outsider = box.bot.channel.builder.user("外部 者", tenant_id="99999999-0000-4000-8000-000000000000")
    b = box.bot.channel.builder
    where = Conversation.personal(outsider, app_id=b.app_id, tenant_id=outsider.tenant_id)
    answer = await box._post(
        b.card_action(
            "ideas.vote", {"idea_id": idea.idea_id}, conversation=where, user=outsider, tenant_id=outsider.tenant_id
        )
    )
    assert answer["value"] == t("ideas.unknown")
    assert (await box.idea(idea.idea_id)).votes == 0


# ---- finding ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("locale", LOCALES)
async def test_top_ideas_mine_and_search(box: IdeaBox, locale: str) -> None:
    lang = locale[:2]
    author, other = staff(box.bot, "佐々木 五郎"), staff(box.bot, "渡辺 六郎")
    popular = await box.propose(author, {"title": "押印を廃止する", "body": "電子決裁にする", "category": "デジタル化"})
    quiet = await box.propose(other, {"title": "窓口の待ち時間を表示", "body": "番号表示", "category": "都民サービス"})
    for n in range(3):
        await box.click("ideas.vote", {"idea_id": popular.idea_id}, staff(box.bot, f"賛成 {n}"), box.channel)
    await box.say("人気のアイデア" if lang == "ja" else "top ideas", author, locale=locale)
    top = texts(card_of(box.personal_messages(author)[-1]))
    assert t("ideas.top.title", lang, period=t("ideas.period.week", lang)) in top
    assert top.index(popular.title) < top.index(quiet.title)
    await box.say("自分のアイデア" if lang == "ja" else "my ideas", author, locale=locale)
    mine = texts(card_of(box.personal_messages(author)[-1]))
    assert popular.title in mine and quiet.title not in mine
    await box.say("自分のアイデア" if lang == "ja" else "my ideas", author, box.channel, locale=locale)
    assert t("ideas.mine.personal_only", lang) in visible_text(box.bot.channel.activities_in(box.channel.id)[-1])
    await box.say("アイデア 検索 押印" if lang == "ja" else "idea search 押印", other, locale=locale)
    found = texts(card_of(box.personal_messages(other)[-1]))
    assert popular.title in found and quiet.title not in found
    await box.say("アイデア 100%_" if lang == "ja" else "idea 100%_", other, locale=locale)  # LIKE wildcards are text
    assert t("ideas.search.empty", lang) in texts(card_of(box.personal_messages(other)[-1]))


# ---- help ---------------------------------------------------------------------------------------------------------
async def test_reviewers_see_their_commands_in_help_and_staff_do_not(box: IdeaBox) -> None:
    someone = staff(box.bot)
    await box.say("ヘルプ", someone)
    await box.say("ヘルプ", REVIEWER)
    staff_help = "\n".join(texts(card_of(box.personal_messages(someone)[-1])))
    reviewer_help = "\n".join(texts(card_of(box.personal_messages(REVIEWER)[-1])))
    assert t("ideas.command.review") in reviewer_help and t("ideas.command.export") in reviewer_help
    assert t("ideas.command.review") not in staff_help and t("ideas.command.idea") in staff_help


# ---- review, and telling the submitter ---------------------------------------------------------------------------
async def review(box: IdeaBox, idea_id: str, status: str, answer: str = "", who: User = REVIEWER) -> dict[str, Any]:
    """What a reviewer's click on the queue card sends: the idea's own inputs, named apart from the others'."""
    data = {"idea_id": idea_id, f"status_{idea_id}": status, f"answer_{idea_id}": answer}
    return await box.click("ideas.review", data, who)


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_review_updates_the_card_and_tells_the_submitter_with_the_reason(box: IdeaBox, locale: str) -> None:
    lang, author = locale[:2], staff(box.bot, "小林 七子")
    await box.chat(author)
    idea = await box.propose(author, locale=locale)
    await box.posted(idea)
    await box.say("レビュー" if lang == "ja" else "review", REVIEWER, locale=locale)
    queue = card_of(box.personal_messages(REVIEWER)[-1])
    assert queue is not None
    assert_valid_card(queue)
    form = inputs(queue)
    assert form[f"status_{idea.idea_id}"]["choices"][0]["value"] == "reviewing"
    assert t("ideas.button.reveal", lang) not in texts(queue), "a named idea has no one to reveal"

    refused = await review(box, idea.idea_id, "declined")
    assert refused["value"] == t("ideas.review.reason_required", "ja")
    assert (await box.idea(idea.idea_id)).status == "new"
    assert (await review(box, idea.idea_id, "done"))["value"] == t("ideas.review.not_allowed", "ja")

    before = len(box.personal_messages(author))
    saved = await review(box, idea.idea_id, "declined", "予算の都合で、今年度は見送ります。")
    assert saved["value"] == t("ideas.review.saved", "ja", status=t("ideas.status.declined", "ja"))
    await box.bot.run_due()
    [note] = box.personal_messages(author)[before:]
    shown = texts(card_of(note))
    assert t("ideas.notify.title", lang, status=t("ideas.status.declined", lang)) in shown
    assert "予算の都合で、今年度は見送ります。" in shown and idea.title in shown
    shared = texts(await box.posted(idea))
    assert any(t("ideas.status.declined", "ja") in line for line in shared)
    assert "予算の都合で、今年度は見送ります。" in shared
    assert (await box.click("ideas.vote", {"idea_id": idea.idea_id}, staff(box.bot), box.channel))["value"] == t(
        "ideas.vote.closed"
    )


async def test_staff_cannot_review_and_two_reviewers_at_once_move_it_once(box: IdeaBox) -> None:
    someone = staff(box.bot)
    idea = await box.propose(someone)
    assert (await review(box, idea.idea_id, "reviewing", who=someone))["value"] == t("ideas.reviewers_only")
    await box.say("レビュー", someone)
    assert t("ideas.reviewers_only") in visible_text(box.personal_messages(someone)[-1])
    answers = await asyncio.gather(
        review(box, idea.idea_id, "reviewing", "見ます"), review(box, idea.idea_id, "adopted", "採用", who=ADMIN)
    )
    # Each reviewer decided on the idea as they saw it: the second either finds it moved on (and is told), or saw
    # it after the first's change; never two changes from one starting point.
    moved_on = [answer for answer in answers if answer["value"] == t("ideas.review.changed_meanwhile")]
    changes = [entry for entry in await box.audit() if entry.action == "ideas.status"]
    assert len(changes) == 2 - len(moved_on) >= 1
    assert {entry.details["from"] for entry in changes} == ({"new"} if moved_on else {"new", "reviewing"})


@pytest.mark.parametrize("locale", LOCALES)
async def test_an_admin_who_adopts_an_idea_may_announce_it_and_nobody_else_may(box: IdeaBox, locale: str) -> None:
    """「この採用を全体に知らせる」: the adopting admin's own copy of the idea, in their 1:1 chat, opens the broadcast
    dialog prefilled; the shared card, a reviewer who is not an admin, and staff never get the button, and a
    forged click is politely refused."""
    lang, answer = locale[:2], "来年度から全庁で実施します。"
    announce = t("ideas.button.announce", lang)
    first = await box.propose(staff(box.bot))
    second = await box.propose(staff(box.bot, "佐々木 四郎"), {**PAPERLESS, "title": "押印を廃止する"})

    await box.chat(REVIEWER)
    before = len(box.personal_messages(REVIEWER))
    saved = await review(box, first.idea_id, "adopted", answer)  # a reviewer, not an admin
    assert saved["value"] == t("ideas.review.saved", "ja", status=t("ideas.status.adopted", "ja"))
    assert box.personal_messages(REVIEWER)[before:] == []
    assert t("ideas.button.announce", "ja") not in texts(await box.posted(first))

    await box.chat(ADMIN)
    before = len(box.personal_messages(ADMIN))
    data = {"idea_id": second.idea_id, f"status_{second.idea_id}": "adopted", f"answer_{second.idea_id}": answer}
    saved = await box.click("ideas.review", data, ADMIN, locale=locale)
    assert saved["value"] == t("ideas.review.saved", lang, status=t("ideas.status.adopted", lang))
    [offered] = box.personal_messages(ADMIN)[before:]
    own = card_of(offered)
    assert own is not None
    assert_valid_card(own)
    assert second.title in texts(own) and answer in texts(own)
    opening = button(own, announce)["data"]
    assert opening["dialog"] == "broadcasts.compose"
    prefill = {name: opening[name] for name in ("prefill_title", "prefill_body")}
    fetched = await box.fetch(opening["dialog"], ADMIN, locale=locale, **prefill)
    assert fetched["task"]["value"]["title"] == t("broadcasts.dialog.compose", lang)
    fields = inputs(form_of(fetched))
    assert fields["title"]["value"] == t("ideas.announce.title", lang, title=second.title)
    assert fields["body"]["value"] == answer

    shared = await box.posted(second)
    assert t("ideas.status.adopted", "ja") in " ".join(texts(shared))
    assert t("ideas.button.announce", "ja") not in texts(shared), "the channel's card is everyone's"
    for someone in (staff(box.bot), REVIEWER):
        forged = await box.fetch(opening["dialog"], someone, locale=locale, **prefill)
        assert forged["task"]["value"] == t("broadcasts.admins_only", lang)


async def test_an_anonymous_idea_names_nobody_yet_its_submitter_hears_back(box: IdeaBox) -> None:
    author = staff(box.bot, "匿名 希望")
    chat = await box.chat(author)
    idea = await box.propose(author, {**PAPERLESS, "identity": "anonymous"})
    shared = await box.posted(idea)
    async with box.bot.platform.store.engine.connect() as conn:
        rows = [
            row._asdict() for table in (ideas, idea_votes, idea_comments) for row in await conn.execute(select(table))
        ]
    stored = json.dumps(rows, default=str, ensure_ascii=False)
    for secret in (author.name, author.aad_object_id, author.id, chat.id, "匿名"):
        assert secret not in stored, f"{secret!r} is stored in plain"
    assert author.name not in " ".join(texts(shared)) and t("ideas.card.anonymous") in " ".join(texts(shared))
    await box.say("レビュー", REVIEWER)
    assert author.name not in " ".join(texts(card_of(box.personal_messages(REVIEWER)[-1])))
    await review(box, idea.idea_id, "adopted", "来年度から実施します。")
    await box.bot.run_due()
    note = texts(card_of(box.personal_messages(author)[-1]))
    assert t("ideas.notify.still_private") in note and "来年度から実施します。" in note
    await box.say("自分のアイデア", author)
    assert idea.title in texts(card_of(box.personal_messages(author)[-1]))  # only the author finds it as theirs
    await box.say("自分のアイデア", REVIEWER)
    assert idea.title not in texts(card_of(box.personal_messages(REVIEWER)[-1]))


async def test_a_pseudonym_is_revealed_only_by_a_moderator_with_a_reason_and_audited(box: IdeaBox) -> None:
    author = staff(box.bot, "仮名 希望")
    idea = await box.propose(author, {**PAPERLESS, "identity": "pseudonymous"})
    assert idea.pseudonym and idea.author_name is None and idea.author_key is None
    again = await box.propose(
        author, {"title": "別の提案", "body": "本文", "category": "働き方", "identity": "pseudonymous"}
    )
    assert again.pseudonym == idea.pseudonym, "one person, one pseudonym"
    assert t("ideas.card.pseudonym", code=idea.pseudonym) in " ".join(texts(await box.posted(idea)))

    await box.say("レビュー", REVIEWER)
    assert t("ideas.button.reveal") not in texts(card_of(box.personal_messages(REVIEWER)[-1]))
    await box.say("レビュー", MODERATOR)
    moderators_queue = card_of(box.personal_messages(MODERATOR)[-1])
    assert t("ideas.button.reveal") in texts(moderators_queue)
    reason = {f"reason_{idea.idea_id}": "嫌がらせの疑い"}
    refused = await box.click("ideas.reveal", {"idea_id": idea.idea_id, **reason}, REVIEWER)
    assert refused["value"] == t("ideas.reveal.moderators_only")
    no_reason = await box.click("ideas.reveal", {"idea_id": idea.idea_id}, MODERATOR)
    assert no_reason["value"] == t("ideas.reveal.reason_required")
    assert not [e for e in await box.audit() if e.action == "ideas.reveal"]
    revealed = await box.click("ideas.reveal", {"idea_id": idea.idea_id, **reason}, MODERATOR)
    assert author.name in texts(revealed["value"]) and t("ideas.reveal.logged") in texts(revealed["value"])
    [entry] = [e for e in await box.audit() if e.action == "ideas.reveal"]
    assert (entry.actor_name, entry.subject, entry.details["reason"]) == (
        MODERATOR.name,
        idea.idea_id,
        "嫌がらせの疑い",
    )
    named = await box.propose(staff(box.bot), {"title": "記名の提案", "body": "", "category": "その他"})
    impossible = await box.click("ideas.reveal", {"idea_id": named.idea_id, f"reason_{named.idea_id}": "x"}, MODERATOR)
    assert impossible["value"] == t("ideas.reveal.impossible")


async def test_a_form_sent_without_its_empty_fields_says_what_is_missing(box: IdeaBox) -> None:
    """Teams leaves empty inputs out of a dialog's data: each missing field gets its own message."""
    user = staff(box.bot)
    idea = texts(form_of(await box.submit("ideas.submit", {"step": "check"}, user)))
    assert t("ideas.error.title_empty") in idea and t("ideas.error.invalid") not in idea
    feedback = texts(form_of(await box.submit("ideas.feedback", {"title": "遅い"}, user)))
    assert t("ideas.error.service_empty") in feedback and t("ideas.error.satisfaction") in feedback
    assert await count(box.bot, ideas) == 0


async def test_a_team_owner_chooses_the_teams_idea_channel_and_its_ideas_go_there(box: IdeaBox) -> None:
    b = box.bot.channel.builder
    team_channel = Conversation.channel()
    owner, member = b.user("佐藤 課長", user_role="owner"), b.user("鈴木 一郎")
    box.bot.channel.set_members([owner, member], team_channel.team_id)
    assert (await box.bot.post(b.installation_update("add", conversation=team_channel, user=owner)))[0] == 200
    await box.say("アイデア 投稿先", member, team_channel)
    assert t("ideas.channel.owners_only") in visible_text(box.bot.channel.activities_in(team_channel.id)[-1])
    await box.say("アイデア 投稿先 全体", owner, team_channel)
    assert t("ideas.channel.admins_only") in visible_text(box.bot.channel.activities_in(team_channel.id)[-1])
    await box.say("アイデア 投稿先", owner, team_channel)
    assert t("ideas.channel.set", scope=t("ideas.channel.team")) in texts(
        card_of(box.bot.channel.activities_in(team_channel.id)[-1])
    )
    answer = await box.submit("ideas.submit", {**PAPERLESS, "title": "チームの提案"}, member, team_channel)
    assert answer["task"]["value"] == t("ideas.posted")
    await box.bot.run_due()
    idea = await box.latest("チームの提案")
    assert idea.conversation_id == team_channel.id, "an idea from the team goes to the team's idea channel"
    elsewhere = await box.propose(b.user("本庁 職員"), {**PAPERLESS, "title": "全体の提案"})
    await box.bot.run_due()
    assert (await box.idea(elsewhere.idea_id)).conversation_id == box.channel.id


async def test_a_reviewer_answers_without_moving_the_idea_and_the_submitter_hears_it(box: IdeaBox) -> None:
    author = staff(box.bot, "回答 待ち")
    await box.chat(author)
    idea = await box.propose(author)
    await box.say("レビュー", REVIEWER)
    queue = card_of(box.personal_messages(REVIEWER)[-1])
    assert queue is not None
    keep = inputs(queue)[f"status_{idea.idea_id}"]["choices"][-1]
    assert keep == {"title": t("ideas.review.keep", status=t("ideas.status.new")), "value": "new"}
    assert (await review(box, idea.idea_id, "new"))["value"] == t("ideas.review.answer_required")
    before = len(box.personal_messages(author))
    await review(box, idea.idea_id, "new", "来週の会議で取り上げます。")
    await review(box, idea.idea_id, "new", "来週の会議で取り上げます。")  # the same answer again: nothing new
    await box.bot.run_due()
    [note] = box.personal_messages(author)[before:]
    assert "来週の会議で取り上げます。" in texts(card_of(note))
    assert (await box.idea(idea.idea_id)).status == "new"


@pytest.mark.parametrize(
    ("typed", "period"), [("人気のアイデア 今月", "month"), ("top ideas all time", "all"), ("top ideas", "week")]
)
async def test_top_ideas_takes_the_period_in_words(box: IdeaBox, typed: str, period: str) -> None:
    user = staff(box.bot)
    locale = "en-US" if typed.startswith("top") else "ja-JP"
    await box.say(typed, user, locale=locale)
    lang = locale[:2]
    shown = texts(card_of(box.personal_messages(user)[-1]))
    assert t("ideas.top.title", lang, period=t(f"ideas.period.{period}", lang)) in shown
