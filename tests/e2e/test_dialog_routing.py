"""Teams dialogs (task modules) and message extension actions reach the dialog named in their data."""

from __future__ import annotations

from bot.routes import InvokeBody
from bot.turn import Turn
from cards.base import card, paragraph
from cards.dialog import task_form, task_message
from tests.support.bot import RunningBot


def _register_echo_dialog(bot: RunningBot) -> list[tuple[str, dict]]:
    seen: list[tuple[str, dict]] = []

    async def fetch(turn: Turn) -> InvokeBody:
        seen.append(("fetch", turn.data))
        return InvokeBody(task_form(card([paragraph("form")]), "Echo"))

    async def submit(turn: Turn) -> InvokeBody:
        seen.append(("submit", turn.data))
        return InvokeBody(task_message(f"got {turn.data.get('answer')}"))

    bot.platform.routes.dialog("test.echo", fetch=fetch, submit=submit)
    return seen


async def test_task_fetch_and_submit_reach_the_named_dialog(bot: RunningBot) -> None:
    seen = _register_echo_dialog(bot)
    b = bot.channel.builder
    status, body = await bot.post(b.task_fetch({"dialog": "test.echo"}))
    assert status == 200 and body["task"]["type"] == "continue" and body["task"]["value"]["title"] == "Echo"
    status, body = await bot.post(b.task_submit({"dialog": "test.echo", "answer": "42"}))
    assert status == 200 and body == {"task": {"type": "message", "value": "got 42"}}
    assert [phase for phase, _ in seen] == ["fetch", "submit"]


async def test_message_extension_action_is_routed_by_command_id(bot: RunningBot) -> None:
    seen = _register_echo_dialog(bot)
    b = bot.channel.builder
    value = {"commandId": "test.echo", "commandContext": "compose", "data": {"answer": "x"}}
    status, body = await bot.post(b.invoke("composeExtension/submitAction", value))
    assert status == 200 and body == {}  # the dialog's closing message becomes no response: the dialog closes
    assert seen[0][1]["commandContext"] == "compose" and seen[0][1]["answer"] == "x"


async def test_unknown_dialog_answers_with_a_message_not_an_error(bot: RunningBot) -> None:
    status, body = await bot.post(bot.channel.builder.task_fetch({"dialog": "nope"}))
    assert status == 200 and body["task"]["type"] == "message"
