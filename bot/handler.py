"""The Teams activity handler: turns activities into `Turn`s, asks the route table, carries out the outcome.

This is the only module where a feature's outcome meets botbuilder types. Install and uninstall are handled
here from the raw activity (botbuilder's stock members-added path calls the connector for every new member).
"""

from __future__ import annotations

import html
import logging
import uuid
from http import HTTPStatus
from typing import Any

from botbuilder.core import BotAdapter, InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, ActivityTypes, Attachment

from bot.conversations import ConversationDirectory, conversation_of, record_from_activity
from bot.i18n import language_of, t
from bot.languages import LanguagePreferences
from bot.permissions import Refusal
from bot.routes import InvokeBody, Notify, Outcome, Refresh, RouteTable, Say
from bot.sender import Sender
from bot.turn import Actor, Turn
from cards.base import CONTENT_TYPE, card_message
from cards.dialog import task_message
from cards.message import notice_card
from cards.welcome import welcome_card

log = logging.getLogger(__name__)

CARD_RESPONSE = "application/vnd.microsoft.card.adaptive"
MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"
INSTALL_ACTIONS = {"add", "add-upgrade"}
REMOVE_ACTIONS = {"remove", "remove-upgrade"}


def strip_bot_mention(activity: Activity) -> str:
    """The text without the `<at>Bot</at>` mention of this bot (channels and group chats prepend it)."""
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        props = (entity.additional_properties or {}) if entity is not None else {}
        mentioned, tag = props.get("mentioned"), props.get("text")
        if not isinstance(mentioned, dict) or not isinstance(tag, str) or not tag:
            continue  # not a mention Teams would send: leave the text as it is
        if str(entity.type or "").lower() == "mention" and mentioned.get("id") == bot_id:
            text = text.replace(tag, " ")
    return html.unescape(text).strip()


def locale_of(activity: Activity) -> str:
    """Teams puts the client's locale on the activity; older clients only in the clientInfo entity."""
    if activity.locale:
        return activity.locale
    for entity in activity.entities or []:
        if (entity.type or "").lower() == "clientinfo":
            locale = (entity.additional_properties or {}).get("locale")
            if locale:
                return str(locale)
    return "ja-JP"


class OpenFlatBot(TeamsActivityHandler):
    def __init__(
        self,
        routes: RouteTable,
        conversations: ConversationDirectory,
        languages: LanguagePreferences,
        sender: Sender,
        introductions: tuple[str, ...] = (),
    ) -> None:
        self._routes = routes
        self._conversations = conversations
        self._languages = languages
        self._sender = sender
        self._introductions = introductions  # what the running features offer, for the welcome card

    async def on_turn(self, turn_context: TurnContext) -> None:
        """Invokes hand their answer straight to the adapter (what botbuilder's `send_activity` of an
        invokeResponse activity ends in), skipping a trip through the outgoing-activity pipeline."""
        if turn_context.activity.type != ActivityTypes.invoke:
            await super().on_turn(turn_context)
            return
        response = await self.on_invoke_activity(turn_context)
        answer = Activity(type=ActivityTypes.invoke_response, value=response)
        turn_context.turn_state.setdefault(BotAdapter._INVOKE_RESPONSE_KEY, answer)

    # ---- turns into Turn ------------------------------------------------------------------------------------
    async def _turn(self, context: TurnContext, *, text: str = "", data: dict[str, Any] | None = None) -> Turn:
        activity = context.activity
        locale = locale_of(activity)
        await self._conversations.observe(activity, locale)
        sender = activity.from_property
        actor = Actor(
            id=sender.id if sender else "",
            aad_object_id=getattr(sender, "aad_object_id", None) if sender else None,
            name=(sender.name or "") if sender else "",
        )
        lang = await self._languages.language(actor.aad_object_id or actor.id, locale)
        return Turn(
            actor=actor,
            conversation=conversation_of(activity),
            lang=lang,
            locale=locale,
            text=text,
            data=data or {},
            activity_id=activity.id,
            reply_to_id=activity.reply_to_id,
        )

    # ---- messages and Action.Submit -------------------------------------------------------------------------
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        value = activity.value if isinstance(activity.value, dict) else None
        if value is not None and isinstance(value.get("verb"), str):
            await self._submit(turn_context, value)
            return
        typed = strip_bot_mention(activity)
        match = self._routes.match_command(typed)
        if match is None:
            turn = await self._turn(turn_context, text=typed)
            await self._run(turn_context, turn, self._routes.fallback, typed=True)
            return
        command, argument = match
        turn = await self._turn(turn_context, text=argument)
        await self._run(turn_context, turn, command.handler, typed=True)

    async def _submit(self, context: TurnContext, value: dict[str, Any]) -> None:
        """Action.Submit, the fallback of every Action.Execute: same verb, same handler, answered by messages."""
        data = {k: v for k, v in value.items() if k != "verb"}
        turn = await self._turn(context, data=data)
        handler = self._routes.match_verb(value["verb"])
        if handler is None:
            await self._carry_out(context, turn, Notify(t("invoke.unknown_action", turn.lang)))
            return
        await self._run(context, turn, handler)

    # ---- invokes --------------------------------------------------------------------------------------------
    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        value = _object(activity.value)
        if activity.name == "adaptiveCard/action":
            action = _object(value.get("action"))
            data = _object(action.get("data"))
            turn = await self._turn(turn_context, data=data)
            handler = self._routes.match_verb(str(action.get("verb") or ""))
            if handler is None:
                return _invoke_message(t("invoke.unknown_action", turn.lang))
            outcome = await self._call(turn, handler)
            return await self._answer_invoke(turn_context, turn, outcome)
        dialog_step = _dialog_step(activity.name or "", value)
        if dialog_step is not None:
            name, phase, data = dialog_step
            dialog = self._routes.match_dialog(name)
            turn = await self._turn(turn_context, data=data)
            if dialog is None:
                return InvokeResponse(status=200, body=task_message(t("invoke.unknown_action", turn.lang)))
            handler = dialog.fetch if phase == "fetch" else dialog.submit
            outcome = await self._call(turn, handler)
            # A dialog shows text in its own frame: a Notify (e.g. the apology for a failure) becomes a task message.
            if isinstance(outcome, Notify):
                outcome = InvokeBody(task_message(outcome.text))
            if activity.name == "composeExtension/submitAction":
                outcome = [_extension_closing(item) for item in _as_list(outcome)]
            return await self._answer_invoke(turn_context, turn, outcome)
        handler = self._routes.match_invoke(activity.name or "")
        if handler is None:
            log.info("invoke %r has no route", activity.name)
            return InvokeResponse(status=int(HTTPStatus.OK), body={})
        turn = await self._turn(turn_context, data=value)
        outcome = await self._call(turn, handler)
        return await self._answer_invoke(turn_context, turn, outcome)

    async def _answer_invoke(self, context: TurnContext, turn: Turn, outcome: Any) -> InvokeResponse:
        """The first Refresh, Notify or InvokeBody answers the invoke; everything else is carried out. A click
        whose only result is a new message says so (Teams shows the answer's text under the card: empty, it is an
        empty bar)."""
        outcomes = _as_list(outcome)
        response: InvokeResponse | None = None
        for item in outcomes:
            if isinstance(item, Refresh) and response is None:
                response = InvokeResponse(
                    status=200, body={"statusCode": 200, "type": CARD_RESPONSE, "value": item.card}
                )
                if item.shared and turn.reply_to_id:  # the clicker got it in the answer; everyone else too
                    await self._replace(context, turn.reply_to_id, item.card)
            elif isinstance(item, Notify) and response is None:
                response = _invoke_message(item.text)
            elif isinstance(item, InvokeBody) and response is None:
                response = InvokeResponse(status=item.status, body=item.body)
            else:
                await self._carry_out(context, turn, item)
        if response is not None:
            return response
        posted = any(isinstance(item, Say) for item in outcomes)
        return _invoke_message(t("invoke.posted" if posted else "invoke.done", turn.lang))

    # ---- install / uninstall --------------------------------------------------------------------------------
    async def on_installation_update(self, turn_context: TurnContext) -> None:
        action = (turn_context.activity.action or "").lower()
        if action in INSTALL_ACTIONS:
            await self._installed(turn_context)
        elif action in REMOVE_ACTIONS:
            await self._removed(turn_context)

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if any(member is not None and member.id == bot_id for member in activity.members_added or []):
            await self._installed(turn_context)
        elif any(member is not None and member.id == bot_id for member in activity.members_removed or []):
            await self._removed(turn_context)

    async def _installed(self, context: TurnContext) -> None:
        """Teams sends both installationUpdate and conversationUpdate for one install: welcome exactly once, in the
        language the person who installed the app chose (else their client's)."""
        activity = context.activity
        record = record_from_activity(activity, locale_of(activity))
        if await self._conversations.install(record):
            installer = activity.from_property
            key = (getattr(installer, "aad_object_id", None) or installer.id) if installer else None
            lang = await self._languages.language(key, record.locale) if key else language_of(record.locale)
            await context.send_activity(_card_activity(welcome_card(lang, self._introductions)))

    async def _removed(self, context: TurnContext) -> None:
        await self._conversations.remove(context.activity.conversation.id)

    # ---- carrying out outcomes ------------------------------------------------------------------------------
    async def _call(self, turn: Turn, handler: Any, *, typed: bool = False) -> Outcome | list[Outcome] | None:
        """Run a feature handler; a refusal becomes its message (an answer to what was typed, or a notice for a
        click), a failure an apology with a reference the user can quote."""
        try:
            return await handler(turn)
        except Refusal as refusal:
            text = t(refusal.key, turn.lang, **refusal.params)
            return Say(text=text) if typed else Notify(text)
        except Exception:
            correlation_id = uuid.uuid4().hex[:12]
            log.exception(
                "handler %s failed (correlation id %s)", getattr(handler, "__name__", handler), correlation_id
            )
            return Notify(t("error.generic", turn.lang, correlation_id=correlation_id))

    async def _run(self, context: TurnContext, turn: Turn, handler: Any, *, typed: bool = False) -> None:
        await self._carry_out(context, turn, await self._call(turn, handler, typed=typed))

    async def _carry_out(self, context: TurnContext, turn: Turn, outcome: Outcome | list[Outcome] | None) -> None:
        for item in _as_list(outcome):
            if isinstance(item, Say):
                if item.card is not None:
                    await context.send_activity(_card_activity(item.card))
                if item.text:
                    await context.send_activity(Activity(type=ActivityTypes.message, text=item.text))
            elif isinstance(item, Refresh):
                await self._refresh_by_message(context, turn, item)
            elif isinstance(item, Notify):
                await context.send_activity(_card_activity(notice_card(item.text, turn.lang)))

    async def _replace(self, context: TurnContext, activity_id: str, card: dict[str, Any]) -> None:
        update = _card_activity(card)
        update.id = activity_id
        await context.update_activity(update)

    async def _refresh_by_message(self, context: TurnContext, turn: Turn, item: Refresh) -> None:
        """A Refresh reached through Action.Submit (older clients). Replacing the message would show it to
        everyone, so only a shared card, or any card in a 1:1 chat, does that; someone's own view in a chat or
        channel goes to their 1:1 chat with the bot, or they are told how to see it."""
        if item.shared or turn.personal:
            if turn.reply_to_id:
                await self._replace(context, turn.reply_to_id, item.card)
            else:
                await context.send_activity(_card_activity(item.card))
            return
        aad_id = turn.actor.aad_object_id
        chats = await self._conversations.personal_chats([aad_id] if aad_id else [], turn.conversation.tenant_id)
        if aad_id in chats:
            delivery = await self._sender.post(chats[aad_id], card_message(item.card))
            if delivery.sent:
                return
        await context.send_activity(Activity(type=ActivityTypes.message, text=t("invoke.personal_view", turn.lang)))


def _object(value: Any) -> dict[str, Any]:
    """A JSON object from an activity, or an empty one for anything else (a list, a string, null…)."""
    return value if isinstance(value, dict) else {}


def _dialog_step(name: str, value: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    """(dialog name, fetch|submit, form data) of a task module or message extension action invoke."""
    data = _object(value.get("data"))
    if name in {"task/fetch", "task/submit"}:
        return str(data.get("dialog") or ""), name.removeprefix("task/"), data
    if name in {"composeExtension/fetchTask", "composeExtension/submitAction"}:
        phase = "fetch" if name.endswith("fetchTask") else "submit"
        # "Turn this message into …" actions also get the message they were opened on.
        context = {
            "commandContext": value.get("commandContext"),
            "messagePayload": _object(value.get("messagePayload")),
        }
        return str(value.get("commandId") or ""), phase, {**data, **context}
    return None


def _extension_closing(outcome: Outcome) -> Outcome:
    """A message extension's dialog has no "message" step: Microsoft lists no response, a card, or another dialog
    as a submitAction's answers. A dialog's closing message therefore becomes no response (`{}`), which closes it
    (the bot's own post is the result people see)."""
    if isinstance(outcome, InvokeBody) and isinstance(outcome.body, dict):
        task = outcome.body.get("task")
        if isinstance(task, dict) and task.get("type") == "message":
            return InvokeBody({})
    return outcome


def _as_list(outcome: Outcome | list[Outcome] | None) -> list[Outcome]:
    if outcome is None:
        return []
    return outcome if isinstance(outcome, list) else [outcome]


def _card_activity(card: dict[str, Any]) -> Activity:
    return Activity(type=ActivityTypes.message, attachments=[Attachment(content_type=CONTENT_TYPE, content=card)])


def _invoke_message(text: str) -> InvokeResponse:
    return InvokeResponse(status=200, body={"statusCode": 200, "type": MESSAGE_RESPONSE, "value": text})
