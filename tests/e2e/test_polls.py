"""Polls end to end through the loopback Teams channel: created three ways, voted on with one click, one ballot
per person whatever the clicks do, anonymous ballots that name nobody, the creator's tools, deadlines across a
restart, reminders, repeats, and bad input that stores nothing."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from aiohttp import ClientSession
from sqlalchemy import func, select, text

from bot.i18n import t
from bot.polls.export import export_path
from bot.polls.model import Draft, Origin, Poll
from bot.polls.store import PollStore
from bot.polls.tables import poll_ballots, poll_choices, polls
from dialogs.polls import CLOSE, REMIND, REPEAT
from tests.cardcheck import assert_valid_card
from tests.support.bot import RunningBot, start_bot
from tests.support.cards import card_of, texts, visible_text
from tests.teams_channel.activities import Conversation, User
from tests.teams_channel.channel import TeamsChannel

TOKYO = ZoneInfo("Asia/Tokyo")
LUNCH = {"question": "今日のランチは?", "options": "和食\n洋食\n中華"}


class Room:
    """A conversation with the app installed and a team lead in it."""

    def __init__(self, bot: RunningBot, conversation: Conversation, lead: User) -> None:
        self.bot, self.conversation, self.lead = bot, conversation, lead

    @classmethod
    async def install(cls, bot: RunningBot, conversation: Conversation | None = None) -> Room:
        b = bot.channel.builder
        lead = b.user("佐藤 花子")
        conversation = conversation or Conversation.channel()
        assert (await bot.post(b.installation_update("add", conversation=conversation, user=lead)))[0] == 200
        bot.channel.reset()
        return cls(bot, conversation, lead)

    def _where(self, user: User | None, locale: str = "ja-JP") -> dict[str, Any]:
        return {"conversation": self.conversation, "user": user or self.lead, "locale": locale}

    async def _post(self, activity: dict[str, Any]) -> Any:
        status, body = await self.bot.post(activity)
        assert status == 200, body
        return body

    async def say(self, line: str, user: User | None = None, locale: str = "ja-JP") -> None:
        await self._post(self.bot.channel.builder.message(line, **self._where(user, locale)))

    async def submit(self, data: dict[str, Any], locale: str = "ja-JP") -> dict[str, Any]:
        return await self._post(
            self.bot.channel.builder.task_submit({"dialog": "createPoll", **data}, **self._where(None, locale))
        )

    async def click(
        self, verb: str, data: dict[str, Any], user: User | None = None, locale: str = "ja-JP"
    ) -> dict[str, Any]:
        return await self._post(self.bot.channel.builder.card_action(verb, data, **self._where(user, locale)))

    async def create(self, form: dict[str, Any] = LUNCH, locale: str = "ja-JP") -> Poll:
        preview = await self.submit({"step": "preview", **form}, locale)
        assert preview["task"]["type"] == "continue"
        post = next(
            a for a in preview["task"]["value"]["card"]["content"]["actions"] if a["data"].get("step") == "post"
        )
        closing = await self.submit(post["data"], locale)
        assert closing == {"task": {"type": "message", "value": t("polls.posted", locale[:2])}}
        return await latest_poll(self.bot)

    def posted(self) -> list[dict[str, Any]]:
        return self.bot.channel.activities_in(self.conversation.id)

    def shared_card(self, poll: Poll) -> dict[str, Any]:
        activity = self.bot.channel.activity(self.conversation.id, poll.activity_id or "")
        assert activity is not None
        card = card_of(activity)
        assert card is not None
        return card


async def latest_poll(bot: RunningBot) -> Poll:
    async with bot.platform.store.engine.connect() as conn:
        row = (await conn.execute(select(polls).order_by(polls.c.created_at.desc()).limit(1))).one()
    return Poll(**row._asdict())


async def count(bot: RunningBot, table: Any) -> int:
    async with bot.platform.store.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


SHOWN_COUNT = re.compile(r"(\d+)[^(]*\((\d+)%\)")  # 「3人(75%)」, "3 (75%)"


def result_rows(card: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Each option as the card shows it: its text, and the count and share written beside it."""
    rows = {}
    for element in card["body"]:
        columns = element.get("columns") or []
        if element["type"] != "ColumnSet" or len(columns) != 2 or not columns[0].get("items"):
            continue
        label, figures = texts(columns[0]["items"]), texts(columns[1]["items"])
        match = SHOWN_COUNT.fullmatch(figures[0]) if len(label) == 1 and len(figures) == 1 else None
        if match:
            rows[label[0]] = (int(match.group(1)), int(match.group(2)))
    return rows


def labels(node: Any) -> list[str]:
    """Every input's label on a card, however deep (folded sections included)."""
    if isinstance(node, list):
        return [label for item in node for label in labels(item)]
    if not isinstance(node, dict):
        return []
    own = [node["label"]] if isinstance(node.get("label"), str) else []
    return own + [label for key, value in node.items() if key != "fallback" for label in labels(value)]


def shown_totals(card: dict[str, Any]) -> dict[str, int]:
    """How many people chose each option, as the card says in words."""
    return {option: count for option, (count, _) in result_rows(card).items()}


def vote_button(card: dict[str, Any], option: str) -> dict[str, Any]:
    for element in card["body"]:
        for action in element.get("actions", []) if element["type"] == "ActionSet" else []:
            if action["title"].removeprefix("✓ ") == option:
                return action
    raise AssertionError(f"no button for {option!r}")


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
async def test_a_poll_made_in_the_dialog_is_previewed_posted_and_valid(bot: RunningBot, locale: str) -> None:
    room = await Room.install(bot)
    lang = locale[:2]
    await room.say("投票" if lang == "ja" else "poll", locale=locale)
    [entry] = room.posted()
    card = card_of(entry)
    assert card is not None
    [button] = card["actions"]
    assert button["data"] == {"msteams": {"type": "task/fetch"}, "dialog": "createPoll"}
    fetched = await room._post(bot.channel.builder.task_fetch(button["data"], **room._where(None, locale)))
    form = fetched["task"]["value"]["card"]["content"]
    assert {e.get("id") for e in form["body"]} >= {
        "question",
        "options",
        "multi",
        "anonymous",
        "visibility",
        "date",
        "time",
        "remind",
    }

    poll = await room.create(LUNCH, locale)
    assert (poll.question, poll.options, poll.multi, poll.anonymous) == (
        "今日のランチは?",
        ["和食", "洋食", "中華"],
        False,
        False,
    )
    posted = room.shared_card(poll)
    assert_valid_card(posted)
    assert "今日のランチは?" in texts(posted) and shown_totals(posted) == {"和食": 0, "洋食": 0, "中華": 0}
    assert t("polls.results.count", lang, count=0, share=0) in texts(posted)  # 「0人(0%)」: a count, not an axis
    assert not [element for element in posted["body"] if element["type"].startswith("Chart.")]


@pytest.mark.parametrize(
    "locale, line, expected",
    [
        ("ja-JP", "投票 今日のランチ? / 和食 / 洋食 / 中華", ("今日のランチ?", ["和食", "洋食", "中華"])),
        ("ja-JP", "poll 今日のランチ? ／ 和食 ／ 洋食 ／ 中華", ("今日のランチ?", ["和食", "洋食", "中華"])),
        ("en-US", "poll Lunch today? / Sushi / Pasta / Curry", ("Lunch today?", ["Sushi", "Pasta", "Curry"])),
        ("en-US", "POLL Lunch today? ／ Sushi ／ Pasta", ("Lunch today?", ["Sushi", "Pasta"])),
    ],
)
async def test_the_one_line_form_posts_the_poll_right_away(
    bot: RunningBot, locale: str, line: str, expected: tuple[str, list[str]]
) -> None:
    room = await Room.install(bot)
    await room.say(line, locale=locale)
    poll = await latest_poll(bot)
    assert (poll.question, poll.options, poll.lang) == (*expected, locale[:2])
    card = room.shared_card(poll)
    assert_valid_card(card)
    assert t("polls.meta.single", locale[:2]) in " ".join(texts(card))
    assert t("polls.button.manage", locale[:2]) in texts(card)


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
async def test_a_one_liner_with_one_option_says_what_to_fix_and_stores_nothing(bot: RunningBot, locale: str) -> None:
    room = await Room.install(bot)
    await room.say("poll Lunch? / Sushi", locale=locale)
    answer = visible_text(room.posted()[-1])
    assert (
        t("polls.error.too_few", locale[:2], min=2, count=1) in answer
        and t("polls.oneliner.usage", locale[:2]) in answer
    )
    assert await count(bot, polls) == 0


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
async def test_the_message_extension_opens_the_form_previews_and_the_bot_posts(bot: RunningBot, locale: str) -> None:
    room = await Room.install(bot)
    lang, where = locale[:2], room._where(None, locale)
    context = {"commandId": "createPoll", "commandContext": "compose", "context": {"theme": "default"}}
    fetched = await room._post(bot.channel.builder.invoke("composeExtension/fetchTask", context, **where))
    form = fetched["task"]["value"]["card"]["content"]
    assert fetched["task"]["type"] == "continue" and form["body"][0]["id"] == "question"
    assert form["body"][0]["label"] == t("polls.form.question", lang)
    assert fetched["task"]["value"]["title"] == t("polls.dialog.create", lang)
    preview = await room._post(
        bot.channel.builder.invoke(
            "composeExtension/submitAction", {**context, "data": {"step": "preview", **LUNCH}}, **where
        )
    )
    assert preview["task"]["value"]["title"] == t("polls.dialog.preview", lang)
    post = next(a for a in preview["task"]["value"]["card"]["content"]["actions"] if a["data"].get("step") == "post")
    assert post["title"] == t("polls.button.post", lang)
    assert await count(bot, polls) == 0  # a preview stores nothing
    done = await room._post(
        bot.channel.builder.invoke("composeExtension/submitAction", {**context, "data": post["data"]}, **where)
    )
    assert done == {}  # no response: the compose box's dialog closes (a submitAction has no "message" answer)
    poll = await latest_poll(bot)
    shared = room.shared_card(poll)
    assert_valid_card(shared)
    assert poll.lang == lang and t("polls.button.manage", lang) in texts(shared)


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
async def test_one_click_votes_and_the_voter_sees_their_choice_and_can_change_it(bot: RunningBot, locale: str) -> None:
    room = await Room.install(bot)
    lang = locale[:2]
    poll = await room.create(LUNCH, locale)
    voter = bot.channel.builder.user("鈴木 一郎")
    button = vote_button(room.shared_card(poll), "洋食")
    answer = await room.click(button["verb"], button["data"], voter, locale)
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    mine = answer["value"]
    assert t("polls.card.mine", lang, choices="洋食") in texts(mine) and vote_button(mine, "洋食")["title"] == "✓ 洋食"
    assert t("polls.card.change_hint.single", lang) in texts(mine)  # LUNCH has no deadline
    assert result_rows(mine)["洋食"] == (1, 100)
    assert_valid_card(mine)

    changed = await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 2}, voter, locale)
    assert t("polls.card.mine", lang, choices="中華") in texts(changed["value"])
    assert shown_totals(changed["value"]) == {"和食": 0, "洋食": 0, "中華": 1}
    assert await count(bot, poll_ballots) == 1
    await bot.platform.cards.flush()
    shared = room.shared_card(poll)
    assert shown_totals(shared) == {"和食": 0, "洋食": 0, "中華": 1}
    assert t("polls.results.ballots", lang, count=1) in texts(shared)  # the shared card speaks the poll's language
    assert t("polls.card.mine", lang, choices="中華") not in texts(shared)  # nobody's choice on the shared card


async def test_double_clicks_and_racing_clicks_leave_one_ballot(channel: TeamsChannel, database_url: str) -> None:
    bot = await start_bot(channel, database_url)
    try:
        await _racing_clicks(bot)
    finally:
        await bot.stop()


async def _racing_clicks(bot: RunningBot) -> None:
    """Runs on SQLite and on PostgreSQL (`database_url`): the unique (poll, voter) key holds on both."""
    room = await Room.install(bot)
    poll = await room.create({**LUNCH, "multi": "true", "max_choices": "2"})
    voter = bot.channel.builder.user("鈴木 一郎")
    same = [room.click("poll.vote", {"poll_id": poll.poll_id, "choices": "0"}, voter) for _ in range(5)]
    await asyncio.gather(*same)
    different = [
        room.click("poll.vote", {"poll_id": poll.poll_id, "choices": c}, voter) for c in ("0", "1", "1,2", "2")
    ]
    await asyncio.gather(*different)
    assert await count(bot, poll_ballots) == 1
    async with bot.platform.store.engine.connect() as conn:
        options = sorted(o for (o,) in await conn.execute(select(poll_choices.c.option)))
    assert options in ([0], [1], [1, 2], [2])  # exactly one of the racing ballots, whole
    tally = await bot.feature("polls").service.tally(poll)
    assert tally.ballots == 1 and sum(tally.counts) == len(options)


async def test_forged_closed_and_unknown_votes_change_nothing(bot: RunningBot) -> None:
    room = await Room.install(bot)
    poll = await room.create()
    voter = bot.channel.builder.user("鈴木 一郎")
    refused: list[tuple[dict[str, Any], str]] = [
        ({"poll_id": "0" * 32, "choice": 0}, "polls.vote.unknown"),
        ({"poll_id": "../../etc", "choice": 0}, "polls.vote.unknown"),
        ({"poll_id": poll.poll_id, "choice": 3}, "polls.vote.invalid"),
        ({"poll_id": poll.poll_id, "choice": -1}, "polls.vote.invalid"),
        ({"poll_id": poll.poll_id, "choices": "0,1"}, "polls.vote.invalid"),  # single-select
        ({"poll_id": poll.poll_id, "choice": "x"}, "polls.vote.invalid"),
    ]
    for data, key in refused:
        assert (await room.click("poll.vote", data, voter))["value"] == t(key), data
    assert await count(bot, poll_ballots) == 0
    await room.click("poll.close", {"poll_id": poll.poll_id})
    closed = await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 0}, voter)
    assert closed["value"] == t("polls.vote.closed") and await count(bot, poll_ballots) == 0


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
async def test_anonymous_ballots_store_no_ids_and_show_no_breakdown_below_five(bot: RunningBot, locale: str) -> None:
    room = await Room.install(bot)
    lang = locale[:2]
    poll = await room.create({**LUNCH, "anonymous": "true"}, locale)
    voters = [bot.channel.builder.user(f"職員 {i}") for i in range(5)]
    for voter in voters[:4]:
        answer = await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 0}, voter, locale)
    threshold = t("polls.results.threshold", lang, threshold=5)
    assert threshold in texts(answer["value"]) and not any(
        e["type"].startswith("Chart") for e in answer["value"]["body"]
    )
    await bot.platform.cards.flush()
    assert threshold in texts(room.shared_card(poll))

    answer = await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 1}, voters[4], locale)
    assert shown_totals(answer["value"]) == {"和食": 4, "洋食": 1, "中華": 0}
    assert t("polls.meta.anonymous", lang) in " ".join(texts(answer["value"]))

    async with bot.platform.store.engine.connect() as conn:
        dump = ""
        for table in (polls, poll_ballots, poll_choices):
            dump += repr((await conn.execute(select(table))).all())
        dump += repr((await conn.execute(text("SELECT * FROM poll_secrets"))).all())
    for voter in voters:
        assert voter.aad_object_id not in dump and voter.id not in dump and voter.name not in dump
    assert not re.search(r"(?<![\d:])29:", dump)  # no Teams user id (a time like 16:29:42 is not one)
    details = await room.click("poll.details", {"poll_id": poll.poll_id}, locale=locale)
    assert details["value"] == t("polls.details.anonymous", lang)


async def test_named_details_only_for_the_creator(bot: RunningBot) -> None:
    room = await Room.install(bot)
    poll = await room.create()
    voter = bot.channel.builder.user("鈴木 一郎")
    await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 1}, voter)
    refused = await room.click("poll.details", {"poll_id": poll.poll_id}, voter)
    assert refused["value"] == t("polls.creator_only")
    shown = await room.click("poll.details", {"poll_id": poll.poll_id})
    assert {"title": "洋食", "value": "鈴木 一郎"} in [
        f for e in shown["value"]["body"] if e["type"] == "FactSet" for f in e["facts"]
    ]
    assert_valid_card(shown["value"])


async def test_results_hidden_until_close_and_close_reopen_are_creator_only(bot: RunningBot) -> None:
    room = await Room.install(bot)
    poll = await room.create({**LUNCH, "visibility": "after_close"})
    voter = bot.channel.builder.user("鈴木 一郎")
    answer = await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 0}, voter)
    assert t("polls.results.hidden.after_close") in texts(answer["value"])
    assert (await room.click("poll.close", {"poll_id": poll.poll_id}, voter))["value"] == t("polls.creator_only")
    tools = await room.click("poll.close", {"poll_id": poll.poll_id})
    assert t("polls.button.reopen") in texts(tools["value"])
    await bot.platform.cards.flush()
    shared = room.shared_card(poll)
    assert t("polls.card.closed") in texts(shared) and shown_totals(shared)["和食"] == 1
    assert (await room.click("poll.reopen", {"poll_id": poll.poll_id}, voter))["value"] == t("polls.creator_only")
    await room.click("poll.reopen", {"poll_id": poll.poll_id})
    again = await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 2}, voter)
    assert t("polls.card.mine", choices="中華") in texts(again["value"])


async def test_the_deadline_closes_the_poll_across_a_restart(channel: TeamsChannel, sqlite_url: str) -> None:
    first = await start_bot(channel, sqlite_url)
    try:
        room = await Room.install(first)
        tomorrow = datetime.now(TOKYO) + timedelta(days=1)
        poll = await room.create({**LUNCH, "date": tomorrow.date().isoformat(), "time": "10:00"})
        assert await first.planned(CLOSE, poll.poll_id) == poll.deadline
        # The deadline passes while the bot is down: move it (and its timed work) into the past before stopping.
        past = datetime.now(UTC) - timedelta(seconds=1)
        await PollStore(first.platform.store.engine).change(poll.poll_id, deadline=past)
        await first.platform.timed.cancel(CLOSE, poll.poll_id)  # even a lost plan: start-up re-plans from the table
    finally:
        await first.stop()
    second = await start_bot(channel, sqlite_url)
    try:
        room.bot = second
        await channel.wait_for(lambda ch: ch.calls(operation="update"), timeout=10)
        assert (await latest_poll(second)).status == "closed"
        assert t("polls.card.closed") in texts(room.shared_card(poll))
    finally:
        await second.stop()


async def test_a_crash_mid_storm_leaves_a_dirty_card_that_start_up_rewrites(bot: RunningBot) -> None:
    room = await Room.install(bot)
    poll = await room.create()
    service = bot.feature("polls").service
    await service.vote(poll, "someone", "誰か", (2,), datetime.now(UTC))  # recorded, card never updated
    assert (await latest_poll(bot)).card_dirty
    await bot.feature("polls").start_up()  # what the bot does when it starts again
    await bot.platform.cards.flush()
    assert shown_totals(room.shared_card(poll))["中華"] == 1 and not (await latest_poll(bot)).card_dirty


async def test_non_voters_reminded_in_the_thread_and_in_personal_chats(bot: RunningBot) -> None:
    room = await Room.install(bot)
    poll = await room.create()
    b = bot.channel.builder
    voted, waiting, installed = b.user("鈴木 一郎"), b.user("田中 次郎"), b.user("高橋 三郎")
    crowd = [b.user(f"職員 {i:03}") for i in range(520)]  # more than one page of members
    channel = bot.channel
    channel.set_members([room.lead, voted, waiting, installed, *crowd], room.conversation.id)
    assert (await bot.post(b.installation_update("add", conversation=b.personal(installed), user=installed)))[0] == 200
    await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 0}, voted)

    assert (await room.click("poll.non_voters", {"poll_id": poll.poll_id}, voted))["value"] == t("polls.creator_only")
    shown = await room.click("poll.non_voters", {"poll_id": poll.poll_id})
    listing = "\n".join(texts(shown["value"]))
    assert t("polls.non_voters.title", count=522) in listing and "田中 次郎" in listing and "鈴木 一郎" not in listing
    assert len(channel.calls(operation="paged_members")) >= 2

    channel.set_members([room.lead, voted, waiting, installed], room.conversation.id)
    notice = await room.click("poll.remind_thread", {"poll_id": poll.poll_id})
    assert notice["value"] == t("polls.reminded.thread", count=2)
    reminder = room.posted()[-1]
    mentioned = {e["mentioned"]["id"] for e in reminder["entities"] if e["type"] == "mention"}
    assert mentioned == {waiting.id, installed.id} and "<at>田中 次郎</at>" in reminder["text"]

    notice = await room.click("poll.remind_personal", {"poll_id": poll.poll_id})
    assert notice["value"] == t("polls.reminded.personal", sent=1, unreachable=1)
    await bot.run_due()  # the reminders go out as timed work, after the click has its answer
    personal = card_of(channel.activities_in(b.personal(installed).id)[-1])  # after the welcome card
    assert personal is not None and t("polls.reminder.personal") in texts(personal)


async def test_a_recurring_poll_is_planned_and_posts_a_fresh_copy(bot: RunningBot) -> None:
    room = await Room.install(bot)
    poll = await room.create()
    form = {"poll_id": poll.poll_id, "repeat_kind": "weekly", "repeat_weekday": "0", "repeat_at": "09:00"}
    assert (await room.click("poll.repeat", form, bot.channel.builder.user("x")))["value"] == t("polls.creator_only")
    await room.click("poll.repeat", form)
    monday = await bot.planned(REPEAT, poll.poll_id)
    assert monday is not None and (monday.weekday(), monday.hour) == (0, 9)

    await bot.run_timed(REPEAT, poll.poll_id, monday)
    fresh = await latest_poll(bot)
    assert fresh.poll_id != poll.poll_id and fresh.question == poll.question and fresh.is_open
    assert fresh.activity_id and fresh.activity_id != poll.activity_id
    assert_valid_card(room.shared_card(fresh))


async def test_the_close_job_ignores_a_poll_whose_deadline_was_dropped(bot: RunningBot) -> None:
    room = await Room.install(bot)
    poll = await room.create()
    await bot.run_timed(CLOSE, poll.poll_id, datetime.now(TOKYO))
    assert (await latest_poll(bot)).is_open


BAD_INPUT = [
    ("options", {"options": "和食"}, "polls.error.too_few", {"min": 2, "count": 1}),
    ("options", {"options": "\n".join(f"案{i}" for i in range(11))}, "polls.error.too_many", {"max": 10, "count": 11}),
    ("question", {"question": "  "}, "polls.error.question_empty", {}),
    ("options", {"options": "和食\n" + "あ" * 600}, "polls.error.option_long", {"max": 100, "length": 600}),
    ("date", {"date": "2020-01-01", "time": "10:00"}, "polls.error.past", {}),
    ("question", {"question": "\u200b\ufeff\u3000"}, "polls.error.question_empty", {}),
    ("options", {"options": "和食\n\u200b\u200d"}, "polls.error.too_few", {"min": 2, "count": 1}),
    ("options", {"options": "和食\n和\u200b食\n洋食"}, "polls.error.duplicate", {}),
    ("max_choices", {"multi": "true", "max_choices": "²"}, "polls.error.max_choices", {"count": 3}),
    ("max_choices", {"multi": "true", "max_choices": "①"}, "polls.error.max_choices", {"count": 3}),
    ("max_choices", {"multi": "true", "max_choices": "٢"}, "polls.error.max_choices", {"count": 3}),
    ("remind", {"date": "2099-01-05", "time": "10:00", "remind": "⁶⁰"}, "polls.error.remind", {}),
    ("remind", {"date": "2099-01-05", "time": "10:00", "remind": "٦٠"}, "polls.error.remind", {}),
]
BAD_INPUT_IDS = [
    "too_few",
    "too_many",
    "question_empty",
    "option_long",
    "past",
    "invisible",
    "invisible_option",
    "twins",
    "max_superscript",
    "max_circled",
    "max_arabic_indic",
    "remind_superscript",
    "remind_arabic_indic",
]


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
@pytest.mark.parametrize("field, bad, key, params", BAD_INPUT, ids=BAD_INPUT_IDS)
async def test_bad_input_reshows_the_form_with_the_problem_next_to_the_field(
    bot: RunningBot, locale: str, field: str, bad: dict[str, Any], key: str, params: dict[str, Any]
) -> None:
    room = await Room.install(bot)
    lang = locale[:2]
    for step in ("preview", "post"):
        body = await room.submit({"step": step, **LUNCH, **bad}, locale)
        assert body["task"]["type"] == "continue" and body["task"]["value"]["title"] == t("polls.dialog.create", lang)
        form = body["task"]["value"]["card"]["content"]["body"]
        position = next(i for i, element in enumerate(form) if element.get("id") == field)
        problem = form[position + 1]
        assert (problem["text"], problem["color"]) == (t(key, lang, **params), "Attention")
        assert form[0]["value"] == {**LUNCH, **bad}["question"]  # what the user typed is kept
    assert await count(bot, polls) == 0 and room.posted() == []


async def test_the_export_route_serves_the_csv_only_with_a_fresh_signature(bot: RunningBot) -> None:
    room = await Room.install(bot)
    poll = await room.create()
    await room.click(
        "poll.vote", {"poll_id": poll.poll_id, "choice": 0}, bot.channel.builder.user("=cmd|' /C calc'!A0")
    )
    assert (await room.click("poll.export", {"poll_id": poll.poll_id}))["value"] == t("polls.export.unavailable")
    base = bot.url  # the bot serves the download itself
    key = bot.feature("polls").service.export_key
    async with ClientSession() as http:
        async with http.get(base + export_path(key, poll.poll_id, datetime.now(UTC))) as response:
            assert response.status == 200 and response.content_type == "text/csv"
            body = await response.read()
            disposition = response.headers["Content-Disposition"]
        asked = poll.created_at.astimezone(TOKYO).date().isoformat() if poll.created_at else ""
        saved_as = unquote(disposition.split("filename*=UTF-8''")[1])
        assert saved_as == f"今日のランチは_{asked}.csv" and f'filename="poll_{asked}.csv"' in disposition
        expired = export_path(key, poll.poll_id, datetime.now(UTC) - timedelta(minutes=11))
        async with http.get(base + expired) as response:
            assert response.status == 403
    assert body.startswith("\ufeff".encode()) and "'=cmd|' /C calc'!A0,和食" in body.decode("utf-8")


async def test_a_limit_typed_in_full_width_digits_is_read(bot: RunningBot) -> None:
    """Japanese IMEs type ０-９: 「２」 is 2."""
    room = await Room.install(bot)
    poll = await room.create({**LUNCH, "multi": "true", "max_choices": "２"})
    assert poll.max_choices == 2


@pytest.mark.parametrize("expires", ["¹⁷⁹⁹⁹⁹⁹⁹⁹⁹", "١٧٩٩٩٩٩٩٩٩", "①"])
async def test_an_export_link_with_other_digits_says_it_is_invalid(bot: RunningBot, expires: str) -> None:
    room = await Room.install(bot)
    poll = await room.create()
    async with (
        ClientSession() as http,
        http.get(
            f"{bot.url}/polls/{poll.poll_id}/export.csv", params={"expires": expires, "sig": "²" * 64}
        ) as response,
    ):
        assert response.status == 403
        assert await response.text() == t("polls.export.link_expired")


async def test_the_submit_fallback_counts_the_vote_without_showing_it_to_everybody(bot: RunningBot) -> None:
    room = await Room.install(bot)
    poll = await room.create()
    fallback = vote_button(room.shared_card(poll), "和食")["fallback"]
    assert fallback["type"] == "Action.Submit" and fallback["data"]["via"] == "submit"
    voter = bot.channel.builder.user("鈴木 一郎")
    click = bot.channel.builder.message(
        None, value=fallback["data"], reply_to_id=poll.activity_id, **room._where(voter)
    )
    await room._post(click)
    await bot.platform.cards.flush()
    shared = room.shared_card(poll)
    assert shown_totals(shared)["和食"] == 1 and t("polls.card.mine", choices="和食") not in texts(shared)
    assert len(room.posted()) == 1  # the poll itself: no per-voter message in the channel


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
async def test_control_characters_reshow_the_form_without_them_and_store_nothing(bot: RunningBot, locale: str) -> None:
    room = await Room.install(bot)
    lang = locale[:2]
    body = await room.submit(
        {"step": "preview", **LUNCH, "question": "ランチ\x1b[31m?", "options": "和食\n洋\x07食"}, locale
    )
    assert body["task"]["type"] == "continue" and body["task"]["value"]["title"] == t("polls.dialog.create", lang)
    form = body["task"]["value"]["card"]["content"]["body"]
    assert form[0]["value"] == "ランチ[31m?" and form[1] == {**form[1], "text": t("polls.error.control", lang)}
    options = next(element for element in form if element.get("id") == "options")
    assert options["value"] == "和食\n洋食"
    assert await count(bot, polls) == 0 and room.posted() == []
    # What the form shows now is clean: sent as it is, it goes through.
    poll = await room.create({"question": form[0]["value"], "options": options["value"]}, locale)
    assert (poll.question, poll.options) == ("ランチ[31m?", ["和食", "洋食"])


@pytest.mark.parametrize(
    "line, key, params",
    [
        ("投票 \u200b\ufeff / 和食 / 洋食", "polls.error.question_empty", {}),
        ("投票 ランチ? / 和食 / 和\u200b食", "polls.error.duplicate", {}),
        ("投票 ランチ? / 和食 / \u200b\u200d", "polls.error.too_few", {"min": 2, "count": 1}),
        ("投票 ランチ\x07? / 和食 / 洋食", "polls.oneliner.control", {}),
    ],
    ids=["invisible_question", "twins", "invisible_option", "control"],
)
async def test_a_one_liner_with_invisible_or_control_characters_says_what_to_fix(
    bot: RunningBot, line: str, key: str, params: dict[str, Any]
) -> None:
    room = await Room.install(bot)
    await room.say(line)
    [answer] = room.posted()
    assert t(key, **params) in visible_text(answer) and t("polls.oneliner.usage") in visible_text(answer)
    assert await count(bot, polls) == 0


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
async def test_the_reminder_before_the_deadline_mentions_who_has_not_voted(bot: RunningBot, locale: str) -> None:
    room = await Room.install(bot)
    lang = locale[:2]
    day = (datetime.now(TOKYO) + timedelta(days=2)).date()
    poll = await room.create({**LUNCH, "date": day.isoformat(), "time": "10:00", "remind": "60"}, locale)
    deadline = datetime(day.year, day.month, day.day, 10, 0, tzinfo=TOKYO)
    assert poll.deadline == deadline and poll.remind_before == 60
    remind_at = await bot.planned(REMIND, poll.poll_id)
    assert remind_at == deadline - timedelta(minutes=60)
    assert (remind_at.date(), remind_at.hour, remind_at.minute) == (day, 9, 0)  # 09:00 Tokyo, an hour before 10:00

    b = bot.channel.builder
    voted, waiting, late = b.user("鈴木 一郎"), b.user("田中 次郎"), b.user("高橋 三郎")
    bot.channel.set_members([room.lead, voted, waiting, late], room.conversation.id)
    await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 0}, voted, locale)
    before = len(room.posted())
    await bot.run_timed(REMIND, poll.poll_id, remind_at)
    [reminder] = room.posted()[before:]
    mentioned = {e["mentioned"]["id"] for e in reminder["entities"] if e["type"] == "mention"}
    assert mentioned == {waiting.id, late.id}  # not the voter, not the creator
    assert reminder["text"].endswith(t("polls.reminder.thread", lang, people="", question=poll.question).strip())
    assert t("polls.reminder.person", lang, name="<at>田中 次郎</at>") in reminder["text"]
    assert "鈴木 一郎" not in reminder["text"]
    if lang == "ja":  # names first, each with さん, then the request
        expected = "<at>田中 次郎</at>さん、<at>高橋 三郎</at>さん 「今日のランチは?」への回答をお願いします。"
        assert reminder["text"] == expected


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
async def test_the_reminder_of_an_anonymous_poll_names_nobody(bot: RunningBot, locale: str) -> None:
    room = await Room.install(bot)
    lang = locale[:2]
    day = (datetime.now(TOKYO) + timedelta(days=2)).date()
    form = {**LUNCH, "anonymous": "true", "date": day.isoformat(), "time": "10:00", "remind": "1440"}
    poll = await room.create(form, locale)
    remind_at = await bot.planned(REMIND, poll.poll_id)
    assert remind_at == datetime(day.year, day.month, day.day, 10, 0, tzinfo=TOKYO) - timedelta(days=1)

    b = bot.channel.builder
    voted, waiting = b.user("鈴木 一郎"), b.user("田中 次郎")
    bot.channel.set_members([room.lead, voted, waiting], room.conversation.id)
    await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 0}, voted, locale)
    before = len(room.posted())
    await bot.run_timed(REMIND, poll.poll_id, remind_at)
    [reminder] = room.posted()[before:]
    assert visible_text(reminder).strip() == t("polls.reminder.deadline", lang, question=poll.question)
    assert not reminder.get("entities")
    for person in (voted, waiting):  # who voted (or not) is exactly what an anonymous poll keeps to itself
        assert person.name not in repr(reminder) and person.id not in repr(reminder)


async def test_the_privacy_threshold_comes_from_the_setting(channel: TeamsChannel, sqlite_url: str) -> None:
    bot = await start_bot(channel, sqlite_url, POLL_PRIVACY_THRESHOLD="3")
    try:
        assert bot.feature("polls").threshold == 3
        room = await Room.install(bot)
        poll = await room.create({**LUNCH, "anonymous": "true"})
        voters = [bot.channel.builder.user(f"職員 {i}") for i in range(3)]
        below = t("polls.results.threshold", threshold=3)
        for voter in voters[:2]:
            answer = await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 1}, voter)
        assert below in texts(answer["value"]) and not any(
            e["type"].startswith("Chart") for e in answer["value"]["body"]
        )
        tools = await room.click("poll.manage", {"poll_id": poll.poll_id})
        assert below in texts(tools["value"])  # the creator too
        await bot.platform.cards.flush()
        assert below in texts(room.shared_card(poll))

        answer = await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 0}, voters[2])
        assert shown_totals(answer["value"]) == {"和食": 1, "洋食": 2, "中華": 0}  # 3 ballots: shown, not at 5
        await bot.platform.cards.flush()
        assert shown_totals(room.shared_card(poll)) == {"和食": 1, "洋食": 2, "中華": 0}
        view = await room.click("poll.view", {"poll_id": poll.poll_id}, voters[0])
        assert shown_totals(view["value"])["洋食"] == 2
    finally:
        await bot.stop()


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
async def test_a_reminder_longer_than_the_time_left_is_refused_under_its_field(bot: RunningBot, locale: str) -> None:
    room = await Room.install(bot)
    lang = locale[:2]
    soon = datetime.now(TOKYO) + timedelta(minutes=40)  # a 1-hour reminder would be 20 minutes ago
    form = {**LUNCH, "date": soon.date().isoformat(), "time": f"{soon:%H:%M}", "remind": "60"}
    for step in ("preview", "post"):
        body = await room.submit({"step": step, **form}, locale)
        assert body["task"]["type"] == "continue" and body["task"]["value"]["title"] == t("polls.dialog.create", lang)
        fields = body["task"]["value"]["card"]["content"]["body"]
        position = next(i for i, element in enumerate(fields) if element.get("id") == "remind")
        problem = fields[position + 1]
        assert (problem["text"], problem["color"]) == (t("polls.error.remind_too_late", lang), "Attention")
    assert await count(bot, polls) == 0 and room.posted() == []
    assert await bot.platform.timed.items(REMIND) == []


async def test_a_reminder_already_due_is_never_planned(bot: RunningBot) -> None:
    """A poll published with its reminder moment behind it (a recurring copy, an old client…) gets its close but
    no reminder: a reminder in the past would run at once and @mention everyone."""
    room = await Room.install(bot)
    await room.create()  # the room's first poll gives an origin to copy
    template = await latest_poll(bot)
    b = bot.channel.builder
    bot.channel.set_members([room.lead, b.user("田中 次郎")], room.conversation.id)
    before = len(room.posted())
    deadline = datetime.now(UTC) + timedelta(minutes=10)
    draft = Draft(template.question, tuple(template.options), deadline=deadline, remind_before=60)
    origin = Origin(
        template.creator_key,
        template.tenant_id,
        template.conversation_id,
        template.conversation_type,
        template.service_url,
        "ja",
    )
    fresh = await bot.feature("polls").publish(origin, draft, "f" * 32)
    assert fresh is not None
    assert [item.item for item in await bot.platform.timed.items(CLOSE)] == [fresh.poll_id]
    assert await bot.platform.timed.items(REMIND) == []
    await bot.run_due()
    assert len(room.posted()) == before + 1  # the poll's card, and no reminder


async def test_reopening_plans_the_reminder_again_while_it_is_ahead(bot: RunningBot) -> None:
    room = await Room.install(bot)
    day = (datetime.now(TOKYO) + timedelta(days=2)).date()
    poll = await room.create({**LUNCH, "date": day.isoformat(), "time": "10:00", "remind": "60"})
    assert await bot.planned(REMIND, poll.poll_id) is not None
    await room.click("poll.close", {"poll_id": poll.poll_id})
    assert await bot.planned(REMIND, poll.poll_id) is None
    await room.click("poll.reopen", {"poll_id": poll.poll_id})
    deadline = datetime(day.year, day.month, day.day, 10, 0, tzinfo=TOKYO)
    assert await bot.planned(REMIND, poll.poll_id) == deadline - timedelta(minutes=60)
    assert await bot.planned(CLOSE, poll.poll_id) == deadline


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
async def test_an_expired_export_link_says_so_in_the_polls_language(bot: RunningBot, locale: str) -> None:
    room = await Room.install(bot)
    poll = await room.create(LUNCH, locale)
    key = bot.feature("polls").service.export_key
    expired = export_path(key, poll.poll_id, datetime.now(UTC) - timedelta(minutes=11))
    forged = export_path(b"not the key", poll.poll_id, datetime.now(UTC))
    async with ClientSession() as http:
        for path in (expired, forged):
            async with http.get(bot.url + path) as response:
                assert response.status == 403
                assert await response.text() == t("polls.export.link_expired", locale[:2])


async def test_cards_read_and_label_times_in_the_bots_zone(channel: TeamsChannel, sqlite_url: str) -> None:
    """With TZ=America/New_York the form says so, the deadline typed as 10:00 is 10:00 New York time and every
    card shows it as such, named with its zone (no 日本時間 anywhere)."""
    bot = await start_bot(channel, sqlite_url, TZ="America/New_York")
    try:
        zone = ZoneInfo("America/New_York")
        room = await Room.install(bot)
        for locale in ("ja-JP", "en-US"):
            fetched = await room._post(
                bot.channel.builder.task_fetch({"dialog": "createPoll"}, **room._where(None, locale))
            )
            form = fetched["task"]["value"]["card"]["content"]
            hint = t("polls.form.deadline_hint", locale[:2], zone=t("polls.zone.other", locale[:2], city="New York"))
            assert hint in texts(form) and "日本時間" not in repr(form) and "Japan" not in repr(form)
            assert "America/New_York" not in "\n".join(texts(form))  # a place people know, not a zone id
        day = (datetime.now(zone) + timedelta(days=2)).date()
        poll = await room.create({**LUNCH, "date": day.isoformat(), "time": "10:00"})
        assert poll.deadline == datetime(day.year, day.month, day.day, 10, 0, tzinfo=zone)
        shown = "\n".join(texts(room.shared_card(poll)))
        assert "10:00 (New Yorkの現地時間)" in shown
        tools = await room.click("poll.manage", {"poll_id": poll.poll_id})
        assert "10:00 (New Yorkの現地時間)" in "\n".join(texts(tools["value"]))
        assert "日本時間" not in repr(tools["value"])
        assert_valid_card(tools["value"])
    finally:
        await bot.stop()


async def test_in_tokyo_the_cards_keep_saying_japan_time(bot: RunningBot) -> None:
    room = await Room.install(bot)
    fetched = await room._post(bot.channel.builder.task_fetch({"dialog": "createPoll"}, **room._where(None)))
    assert "時刻は日本時間です。締切を過ぎると自動で締め切ります。" in texts(
        fetched["task"]["value"]["card"]["content"]
    )
    poll = await room.create()
    tools = await room.click("poll.manage", {"poll_id": poll.poll_id})
    assert "時刻(日本時間)" in labels(tools["value"])
