"""Nudges end to end: a team lead sets one up in a Teams dialog, the scheduler job posts it through the sender,
and pausing, editing, deleting, snoozing, quiet hours and restarts behave as a team would expect."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.i18n import t
from bot.nudges.model import Nudge
from bot.nudges.tables import nudges
from bot.recurrence import next_delivery
from dialogs.nudges import POST
from tests.support.bot import RunningBot, start_bot
from tests.support.cards import card_of, texts, visible_text
from tests.teams_channel.activities import Conversation, User
from tests.teams_channel.channel import TeamsChannel

TOKYO = ZoneInfo("Asia/Tokyo")
WEEKLY = {"text": "今週の学びを1つ共有しましょう", "kind": "weekly", "time": "16:00", "weekdays": "4"}


class Room:
    """A conversation with the app installed and a team lead in it, driving the nudge dialog and buttons."""

    def __init__(self, bot: RunningBot, conversation: Conversation, lead: User) -> None:
        self.bot, self.conversation, self.lead = bot, conversation, lead

    @classmethod
    async def install(cls, bot: RunningBot, conversation: Conversation | None = None, lead: User | None = None) -> Room:
        b = bot.channel.builder
        lead = lead or b.user("佐藤 花子")
        conversation = conversation or Conversation.channel()
        assert (await bot.post(b.installation_update("add", conversation=conversation, user=lead)))[0] == 200
        bot.channel.reset()
        return cls(bot, conversation, lead)

    def _where(self, user: User | None) -> dict[str, Any]:
        return {"conversation": self.conversation, "user": user or self.lead}

    async def fetch(self, data: dict[str, Any], user: User | None = None) -> dict[str, Any]:
        status, body = await self.bot.post(self.bot.channel.builder.task_fetch(data, **self._where(user)))
        assert status == 200
        return body

    async def submit(self, data: dict[str, Any], user: User | None = None, locale: str = "ja-JP") -> dict[str, Any]:
        activity = self.bot.channel.builder.task_submit(data, locale=locale, **self._where(user))
        status, body = await self.bot.post(activity)
        assert status == 200
        return body

    async def click(self, verb: str, nudge_id: str, user: User | None = None) -> dict[str, Any]:
        activity = self.bot.channel.builder.card_action(verb, {"nudge_id": nudge_id}, **self._where(user))
        status, body = await self.bot.post(activity)
        assert status == 200
        return body

    async def say(self, text: str) -> None:
        assert (await self.bot.post(self.bot.channel.builder.message(text, **self._where(None))))[0] == 200

    async def create(self, form: dict[str, Any]) -> Nudge:
        assert (await self.fetch({"dialog": "nudge.create"}))["task"]["type"] == "continue"
        body = await self.submit({"dialog": "nudge.create", **form})
        assert body == {"task": {"type": "message", "value": t("nudges.saved")}}
        [nudge] = await self.bot.feature("nudges").service.in_conversation(self.conversation.id)
        return nudge

    def posted(self) -> list[str]:
        return [visible_text(activity) for activity in self.bot.channel.activities_in(self.conversation.id)]


def in_reading_order(body: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A form's elements as they are read, the fields inside its folding parts (containers) in place."""
    return [found for element in body for found in [element, *in_reading_order(element.get("items", []))]]


async def due_of(bot: RunningBot, nudge: Nudge) -> datetime:
    """When the nudge's timed work (`nudges.post` of the nudge, in the database) is due next, in Tokyo time."""
    due = await bot.planned(POST, nudge.nudge_id)
    assert due is not None and due.utcoffset() == timedelta(hours=9)
    return due


async def stored_nudges(bot: RunningBot) -> int:
    async with bot.platform.store.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(nudges))).scalar_one()


async def test_a_nudge_made_in_the_dialog_is_confirmed_scheduled_and_posted(bot: RunningBot) -> None:
    room = await Room.install(bot)
    form = (await room.fetch({"dialog": "nudge.create"}))["task"]["value"]
    elements = in_reading_order(form["card"]["content"]["body"])
    inputs = {element.get("id") for element in elements if element["type"].startswith("Input.")}
    assert inputs == {"template", "text", "time", "weekdays", "day", "date", "working_days"}
    shown = {element["id"] for element in elements if element.get("isVisible") is True}
    assert shown == {"kind_weekly", "save_weekly"}  # 曜日 shows; 日 and 日付 wait for 毎月 or 1回だけ
    saves = [e for e in elements if e["type"] == "ActionSet" and e["actions"][0]["title"] == t("nudges.button.save")]
    assert [save["actions"][0]["data"]["kind"] for save in saves] == ["daily", "weekly", "monthly", "once"]
    before = datetime.now(TOKYO)
    nudge = await room.create(WEEKLY)
    [confirmation] = room.posted()
    assert t("nudges.confirm.created") in confirmation and "毎週 金 16:00" in confirmation

    due = await due_of(bot, nudge)  # the real timed work, in the database
    assert due == next_delivery(nudge.schedule, before)
    assert (due.weekday(), due.hour, due.minute) == (4, 16, 0)

    await bot.run_timed(POST, nudge.nudge_id, due)
    posted = bot.channel.activities_in(room.conversation.id)[-1]
    assert WEEKLY["text"] in texts(card_of(posted)) and "ナッジ · 毎週 金 16:00" in visible_text(posted)
    assert (await due_of(bot, nudge)) == due + timedelta(days=7)


async def test_a_21_00_nudge_waits_for_the_end_of_quiet_hours(bot: RunningBot) -> None:
    room = await Room.install(bot)
    nudge = await room.create({**WEEKLY, "kind": "daily", "time": "21:00"})
    planned = await due_of(bot, nudge)
    assert planned is not None and (planned.hour, planned.minute) == (8, 0)  # shifted, not dropped

    nine_pm = (planned - timedelta(days=1)).replace(hour=21)
    await bot.run_timed(POST, nudge.nudge_id, nine_pm)  # e.g. a run that fell due during the night
    assert len(room.posted()) == 1  # the confirmation only
    assert (await due_of(bot, nudge)) == planned

    await bot.run_timed(POST, nudge.nudge_id, planned)
    assert len(room.posted()) == 2 and WEEKLY["text"] in room.posted()[-1]
    assert (await due_of(bot, nudge)) == planned + timedelta(days=1)


async def test_paused_nudges_post_nothing_until_resumed(bot: RunningBot) -> None:
    room = await Room.install(bot)
    nudge = await room.create(WEEKLY)
    body = await room.click("nudge.pause", nudge.nudge_id)
    assert body["type"] == "application/vnd.microsoft.card.adaptive"  # the list card refreshes in place
    shown = "\n".join(texts(body["value"]))
    assert t("nudges.status.paused") in shown and t("nudges.button.resume") in shown

    due = await due_of(bot, nudge)
    await bot.run_timed(POST, nudge.nudge_id, due)
    assert len(room.posted()) == 1
    assert (await due_of(bot, nudge)) == due + timedelta(days=7)  # the job keeps running

    body = await room.click("nudge.resume", nudge.nudge_id)
    assert t("nudges.button.pause") in "\n".join(texts(body["value"]))
    resumed = await due_of(bot, nudge)
    await bot.run_timed(POST, nudge.nudge_id, resumed)
    assert len(room.posted()) == 2 and WEEKLY["text"] in room.posted()[-1]


async def test_edit_opens_the_form_prefilled_and_changes_text_and_schedule(bot: RunningBot) -> None:
    room = await Room.install(bot)
    nudge = await room.create(WEEKLY)
    form = (await room.fetch({"dialog": "nudge.edit", "nudge_id": nudge.nudge_id}))["task"]["value"]
    assert form["title"] == t("nudges.dialog.edit")
    elements = in_reading_order(form["card"]["content"]["body"])
    values = {e["id"]: e.get("value") for e in elements if "id" in e}
    assert (values["text"], values["time"], values["weekdays"]) == (WEEKLY["text"], "16:00", "4")
    assert {e["id"] for e in elements if e.get("isVisible") is True} == {"kind_weekly", "save_weekly"}

    edited = {"text": "今日の気づきを一言どうぞ", "kind": "daily", "time": "12:15", "working_days": "true"}
    body = await room.submit({"dialog": "nudge.edit", "nudge_id": nudge.nudge_id, **edited})
    assert body["task"]["type"] == "message"
    assert t("nudges.confirm.updated") in room.posted()[-1]
    [changed] = await bot.feature("nudges").service.in_conversation(room.conversation.id)
    assert (changed.nudge_id, changed.text, changed.kind, changed.working_days_only) == (
        nudge.nudge_id,
        edited["text"],
        "daily",
        True,
    )
    run = await due_of(bot, changed)
    assert (run.hour, run.minute) == (12, 15)


async def test_delete_asks_first_then_removes_the_row_and_the_job_and_says_so(bot: RunningBot) -> None:
    room = await Room.install(bot)
    nudge = await room.create(WEEKLY)
    asked = await room.click("nudge.delete", nudge.nudge_id)
    shown = texts(asked["value"])
    assert t("nudges.delete.question") in shown and t("nudges.button.delete_confirmed") in shown
    assert t("nudges.button.cancel") in shown and t("nudges.button.pause") not in shown
    assert await stored_nudges(bot) == 1 and await bot.planned(POST, nudge.nudge_id) is not None
    assert room.bot.channel.calls(operation="update") == []  # only the clicker sees the question

    body = await room.click("nudge.delete_confirmed", nudge.nudge_id)
    shown = texts(body["value"])
    assert t("nudges.deleted", text=WEEKLY["text"]) in shown and t("nudges.list.empty") in shown
    assert "ナッジ「今週の学びを1つ共有しましょう」を削除しました。" in shown
    assert await stored_nudges(bot) == 0
    assert await bot.planned(POST, nudge.nudge_id) is None


async def test_cancelling_a_delete_keeps_the_nudge(bot: RunningBot) -> None:
    room = await Room.install(bot)
    nudge = await room.create(WEEKLY)
    await room.click("nudge.delete", nudge.nudge_id)
    body = await room.click("nudge.list", nudge.nudge_id)
    assert t("nudges.button.pause") in texts(body["value"]) and await stored_nudges(bot) == 1


async def test_the_list_command_shows_the_conversations_nudges_with_their_buttons(bot: RunningBot) -> None:
    room = await Room.install(bot)
    await room.create(WEEKLY)
    await room.say("ナッジ 一覧")
    listing = room.posted()[-1]
    assert WEEKLY["text"] in listing and "次回" in listing
    for button in ("nudges.button.pause", "nudges.button.edit", "nudges.button.delete"):
        assert t(button) in listing


async def test_forged_ids_and_other_peoples_nudges_change_nothing(bot: RunningBot) -> None:
    room = await Room.install(bot)
    nudge = await room.create(WEEKLY)
    other_room = await Room.install(bot)
    member = bot.channel.builder.user("鈴木 一郎")

    forged = await room.click("nudge.delete", "0" * 32)
    assert forged["value"] == t("nudges.unknown")
    elsewhere = await other_room.click("nudge.pause", nudge.nudge_id)
    assert elsewhere["value"] == t("nudges.unknown")
    for verb in ("nudge.delete", "nudge.delete_confirmed"):
        not_theirs = await room.click(verb, nudge.nudge_id, user=member)
        assert not_theirs["value"] == t("nudges.not_allowed")
    opened = await room.fetch({"dialog": "nudge.edit", "nudge_id": "x"})
    assert opened == {"task": {"type": "message", "value": t("nudges.unknown")}}

    [unchanged] = await bot.feature("nudges").service.in_conversation(room.conversation.id)
    assert unchanged.paused is False and await due_of(bot, unchanged)


async def test_a_team_owner_may_mute_a_channel_nudge_but_not_delete_it(bot: RunningBot) -> None:
    room = await Room.install(bot)
    nudge = await room.create(WEEKLY)
    owner, member = bot.channel.builder.user("佐藤 課長", user_role="owner"), bot.channel.builder.user("鈴木 一郎")
    bot.channel.set_members([room.lead, owner, member], room.conversation.team_id)

    assert (await room.click("nudge.pause", nudge.nudge_id, user=member))["value"] == t("nudges.not_allowed")
    muted = await room.click("nudge.pause", nudge.nudge_id, user=owner)
    assert muted["type"] == "application/vnd.microsoft.card.adaptive"
    [paused] = await bot.feature("nudges").service.in_conversation(room.conversation.id)
    assert paused.paused
    assert (await room.click("nudge.delete", nudge.nudge_id, user=owner))["value"] == t("nudges.not_allowed")
    assert (await room.click("nudge.resume", nudge.nudge_id, user=owner))["type"].endswith("card.adaptive")
    [resumed] = await bot.feature("nudges").service.in_conversation(room.conversation.id)
    assert not resumed.paused and await due_of(bot, resumed)


async def test_a_snoozed_user_gets_nothing_in_their_personal_chat_for_a_week(bot: RunningBot) -> None:
    user = bot.channel.builder.user("田中 次郎")
    room = await Room.install(bot, bot.channel.builder.personal(user), user)
    nudge = await room.create({**WEEKLY, "kind": "daily", "time": "09:00"})
    await room.say("ナッジ 停止")
    assert "まで、このチャットへのナッジを止めます" in room.posted()[-1]
    before = len(room.posted())

    tomorrow = await due_of(bot, nudge)
    await bot.run_timed(POST, nudge.nudge_id, tomorrow)
    assert len(room.posted()) == before

    await bot.run_timed(POST, nudge.nudge_id, tomorrow + timedelta(days=7))  # 09:00, after the snooze ended
    assert len(room.posted()) == before + 1 and WEEKLY["text"] in room.posted()[-1]


async def test_snoozing_is_only_for_personal_chats(bot: RunningBot) -> None:
    room = await Room.install(bot)
    await room.say("nudge snooze")
    assert t("nudges.snooze_personal_only") in room.posted()[-1]


async def test_nudges_survive_a_restart(channel: TeamsChannel, sqlite_url: str) -> None:
    first = await start_bot(channel, sqlite_url)
    try:
        room = await Room.install(first)
        nudge = await room.create(WEEKLY)
        planned = await due_of(first, nudge)
    finally:
        await first.stop()

    second = await start_bot(channel, sqlite_url)  # a new process on the same database
    try:
        assert (await due_of(second, nudge)) == planned
        room.bot = second
        await second.run_timed(POST, nudge.nudge_id, planned)
        assert WEEKLY["text"] in room.posted()[-1]
    finally:
        await second.stop()


BAD_INPUT = [
    ("text", {"text": ""}, "nudges.error.text_empty", {}),
    ("text", {"text": "\u200b\ufeff\n\u200d "}, "nudges.error.text_empty", {}),
    ("text", {"text": "あ" * 5000}, "nudges.error.text_long", {"max": 500, "length": 5000}),
    ("time", {"time": "25:61"}, "nudges.error.time", {}),
    ("date", {"kind": "once", "date": "2020-01-01"}, "nudges.error.past", {}),
    ("weekdays", {"kind": "weekly", "weekdays": ""}, "nudges.error.weekdays", {}),
    ("day", {"kind": "monthly", "day": "32"}, "nudges.error.day", {}),
    # Digits Python's isdigit()/int() take but nobody means as a number here.
    ("day", {"kind": "monthly", "day": "²"}, "nudges.error.day", {}),
    ("day", {"kind": "monthly", "day": "①"}, "nudges.error.day", {}),
    ("day", {"kind": "monthly", "day": "١٥"}, "nudges.error.day", {}),
    ("weekdays", {"kind": "weekly", "weekdays": "٣"}, "nudges.error.weekdays", {}),
    ("time", {"time": "١٠:٠٠"}, "nudges.error.time", {}),
]


@pytest.mark.parametrize("lang, locale", [("ja", "ja-JP"), ("en", "en-US")])
@pytest.mark.parametrize(
    "field, bad, key, params", BAD_INPUT, ids=[f"{i}-{case[2].split('.')[-1]}" for i, case in enumerate(BAD_INPUT)]
)
async def test_bad_input_reshows_the_form_with_the_problem_next_to_the_field(
    bot: RunningBot, lang: str, locale: str, field: str, bad: dict[str, Any], key: str, params: dict[str, Any]
) -> None:
    room = await Room.install(bot)
    body = await room.submit({"dialog": "nudge.create", **WEEKLY, **bad}, locale=locale)
    assert body["task"]["type"] == "continue" and body["task"]["value"]["title"] == t("nudges.dialog.create", lang)
    form = in_reading_order(body["task"]["value"]["card"]["content"]["body"])
    position = next(i for i, element in enumerate(form) if element.get("id") == field)
    problem = form[position + 1]
    assert (problem["text"], problem["color"]) == (t(key, lang, **params), "Attention")
    assert form[next(i for i, e in enumerate(form) if e.get("id") == "text")].get("value") == str(
        {**WEEKLY, **bad}["text"]
    )  # what the user typed is kept
    assert await stored_nudges(bot) == 0
    assert await bot.platform.timed.items(POST) == []
    assert room.posted() == []


async def test_a_day_typed_in_full_width_digits_is_read(bot: RunningBot) -> None:
    """Japanese IMEs type ０-９: 「１５」 is the 15th."""
    room = await Room.install(bot)
    nudge = await room.create({**WEEKLY, "kind": "monthly", "day": "１５"})
    assert nudge.schedule.day == 15


async def test_the_nudge_command_opens_the_dialog_and_a_template_prefills_the_form(bot: RunningBot) -> None:
    room = await Room.install(bot)
    await room.say("ナッジ")
    entry = card_of(bot.channel.activities_in(room.conversation.id)[-1])
    assert entry is not None
    [new] = [a for a in entry["actions"] if a["title"] == t("nudges.button.new")]
    assert new["type"] == "Action.Submit"
    assert new["data"] == {"msteams": {"type": "task/fetch"}, "dialog": "nudge.create"}

    body = await room.submit({"dialog": "nudge.create", "apply_template": True, "template": "learned", "text": ""})
    form = in_reading_order(body["task"]["value"]["card"]["content"]["body"])
    values = {element["id"]: element.get("value") for element in form if "id" in element}
    assert values["text"] == t("nudges.template.learned.text")
    assert (values["weekdays"], values["time"], values["working_days"]) == ("4", "16:00", "true")
    shown = {element["id"] for element in form if element.get("isVisible") is True}
    assert shown == {"kind_weekly", "save_weekly"}  # the template's repeat, and only its fields
    assert await stored_nudges(bot) == 0


async def test_the_real_timer_runs_the_due_work_and_it_plans_the_next_run(bot: RunningBot) -> None:
    room = await Room.install(bot)
    nudge = await room.create(WEEKLY)
    soon = datetime.now(TOKYO) + timedelta(seconds=0.2)
    await bot.platform.timed.plan(POST, nudge.nudge_id, soon)  # what the timer finds in the table, it runs

    async def replanned() -> datetime | None:  # it ran once it points past `soon` (posted, or at night shifted)
        due = await bot.planned(POST, nudge.nudge_id)
        return due if due is not None and due > soon else None

    await bot.channel.wait_for(lambda _: replanned())
    [current] = await bot.feature("nudges").service.in_conversation(room.conversation.id)
    assert current.next_run_at == (await due_of(bot, nudge))
    assert current.next_run_at is not None and current.next_run_at > soon


OTHER_TENANT = "99999999-8888-4777-8666-555555555555"


@pytest.mark.parametrize("where", ["thread", "same id, other tenant", "other tenant", "1:1"])
async def test_a_nudge_answers_only_in_its_own_chat_and_tenant(bot: RunningBot, where: str) -> None:
    room = await Room.install(bot)
    nudge = await room.create(WEEKLY)
    lead = room.lead
    if where == "thread":
        conversation = replace(room.conversation, id=f"{room.conversation.id};messageid=1700000000000")
    elif where == "same id, other tenant":
        conversation = replace(room.conversation, tenant_id=OTHER_TENANT)
    elif where == "other tenant":
        conversation = Conversation.group_chat(tenant_id=OTHER_TENANT)
        lead = User(lead.name, lead.aad_object_id, tenant_id=OTHER_TENANT)
    else:
        conversation = bot.channel.builder.personal(lead)
    elsewhere = Room(bot, conversation, lead)
    answer = await elsewhere.click("nudge.pause", nudge.nudge_id)
    [stored] = await bot.feature("nudges").service.in_conversation(room.conversation.id)
    if where == "thread":  # a reply thread of the nudge's channel is the same place
        assert answer["type"] == "application/vnd.microsoft.card.adaptive" and stored.paused
        return
    assert answer["value"] == t("nudges.unknown") and not stored.paused
    assert (await elsewhere.fetch({"dialog": "nudge.edit", "nudge_id": nudge.nudge_id}))["task"]["value"] == t(
        "nudges.unknown"
    )
    assert (await elsewhere.click("nudge.delete", nudge.nudge_id))["value"] == t("nudges.unknown")
    listing = await elsewhere.click("nudge.list", "")
    assert WEEKLY["text"] not in repr(listing)
    assert await stored_nudges(bot) == 1


@pytest.mark.parametrize("lang, locale", [("ja", "ja-JP"), ("en", "en-US")])
async def test_control_characters_reshow_the_form_without_them(bot: RunningBot, lang: str, locale: str) -> None:
    room = await Room.install(bot)
    body = await room.submit({"dialog": "nudge.create", **WEEKLY, "text": "今週の\x1b学び\x07"}, locale=locale)
    assert body["task"]["type"] == "continue"
    form = body["task"]["value"]["card"]["content"]["body"]
    position = next(i for i, element in enumerate(form) if element.get("id") == "text")
    assert form[position]["value"] == "今週の学び"
    assert (form[position + 1]["text"], form[position + 1]["color"]) == (t("nudges.error.control", lang), "Attention")
    assert await stored_nudges(bot) == 0 and room.posted() == []


JUNK = [["x"], {"a": 1}, 99, 1.5, True, None]


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
@pytest.mark.parametrize("junk", JUNK, ids=["list", "dict", "number", "fraction", "boolean", "null"])
async def test_every_nudge_verb_answers_junk_data_with_a_notice(bot: RunningBot, junk: Any, locale: str) -> None:
    room = await Room.install(bot)
    nudge = await room.create(WEEKLY)
    lang = locale[:2]
    cases = [
        ("nudge.pause", {"nudge_id": junk}, "nudges.unknown"),
        ("nudge.resume", {"nudge_id": junk}, "nudges.unknown"),
        ("nudge.delete", {"nudge_id": junk}, "nudges.unknown"),
        ("nudge.delete_confirmed", {"nudge_id": junk}, "nudges.unknown"),
        ("nudge.snooze", {"nudge_id": junk}, "nudges.snooze_personal_only"),  # reads no data; a channel can't snooze
    ]
    # nudge.list reads no data at all: whatever it is sent, it answers with the list.
    assert {verb for verb, _, _ in cases} | {"nudge.list"} == {
        verb for verb in bot.platform.routes.verbs() if verb.startswith("nudge.")
    }
    for verb, data, key in cases:
        activity = bot.channel.builder.card_action(verb, data, locale=locale, **room._where(None))
        status, body = await bot.post(activity)
        assert status == 200, (verb, data)
        assert body["type"] == "application/vnd.microsoft.activity.message" and body["value"] == t(key, lang), verb
    for dialog in ("nudge.edit", "nudge.create"):
        fetched = await room.bot.post(
            bot.channel.builder.task_fetch({"dialog": dialog, "nudge_id": junk}, locale=locale, **room._where(None))
        )
        assert fetched == (200, {"task": {"type": "message", "value": t("nudges.unknown", lang)}})
    [unchanged] = await bot.feature("nudges").service.in_conversation(room.conversation.id)
    assert unchanged.nudge_id == nudge.nudge_id and not unchanged.paused
