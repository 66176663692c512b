"""Themed calls for ideas (募集テーマ): opened by a reviewer, announced with a card, closed at the deadline (also
across a restart), summarised for the organiser."""

from __future__ import annotations

from bot.feature import (
    command,
    dialog,
    timed,
    verb,
)
from bot.i18n import t
from bot.permissions import Refusal
from bot.routes import InvokeBody, Outcome, Refresh, Say
from bot.text import scalar_text
from bot.timed import DueItem, RetryLater
from bot.turn import Turn
from cards import idea_forms as forms_cards
from cards import ideas as cards
from cards.base import card_message
from cards.dialog import task_form, task_message
from dialogs.ideas.base import (
    CALL_CLOSE,
    REVIEWERS,
    IdeasBase,
)
from dialogs.ideas.forms import parse_call


class Calls(IdeasBase):
    """Open, list and close themed calls."""

    @command("アイデア 募集", "idea call", help="ideas.command.call", audience=REVIEWERS)
    async def call_command(self, turn: Turn) -> Outcome:
        await self._require_reviewer(turn)
        return Say(card=cards.call_entry_card(turn.lang))

    # ---- themed calls ----------------------------------------------------------------------------------------
    @dialog(forms_cards.CALL, "fetch")
    async def open_call_form(self, turn: Turn) -> Outcome:
        await self._require_reviewer(turn)
        return InvokeBody(task_form(forms_cards.call_form_card(turn.lang, {}), t("ideas.dialog.call", turn.lang)))

    @dialog(forms_cards.CALL, "submit")
    async def submit_call(self, turn: Turn) -> Outcome:
        await self._require_reviewer(turn)
        now = self.ctx.clock.now()
        values = {
            name: text
            for name in ("theme", "description", "date", "time")
            if (text := scalar_text(turn.data.get(name)))
        }
        parsed, errors = parse_call(turn.data, turn.lang, now.astimezone(self.ctx.tz))
        if parsed is None:
            shown = forms_cards.call_form_card(turn.lang, values, errors)
            return InvokeBody(task_form(shown, t("ideas.dialog.call", turn.lang)))
        channel = (
            turn.place
            if not turn.personal
            else (await self.service.channel_of(f"tenant:{turn.conversation.tenant_id}") or ("", ""))[0]
        )
        if not channel:
            raise Refusal("ideas.call.no_channel")
        call = await self.service.open_call(
            turn.new_id("call"),
            turn.conversation.tenant_id,
            parsed["theme"],
            parsed["description"],
            parsed["deadline"],
            channel,
            turn.user_key,
            turn.actor.name,
            turn.lang,
            now,
        )
        delivery = await self.ctx.sender.post(
            channel,
            card_message(cards.call_card(call, 0, turn.lang, tz=self.ctx.tz)),
            once=f"{CALL_CLOSE}:{call.call_id}:card",
        )
        if delivery.sent and delivery.activity_id:
            await self.service.call_posted(call, delivery.activity_id)
        await self.ctx.timed.plan(CALL_CLOSE, call.call_id, call.deadline)
        return InvokeBody(task_message(t("ideas.call.opened", turn.lang)))

    @verb("ideas.call.list")
    async def call_ideas(self, turn: Turn) -> Outcome:
        call_id = turn.data.get("call_id")
        call = await self.service.call(call_id) if isinstance(call_id, str) else None
        if call is None or (call.tenant_id or "") != (turn.conversation.tenant_id or ""):
            raise Refusal("ideas.unknown")
        found = await self.service.in_call(call)
        title = t("ideas.call.list_title", turn.lang, theme=call.theme)
        return Refresh(
            cards.list_card(turn.lang, title, found, tz=self.ctx.tz, empty=t("ideas.call.list_empty", turn.lang))
        )

    @timed(CALL_CLOSE)
    async def call_close_due(self, item: DueItem) -> None:
        """The deadline: close the call (later ideas go to the general box), summarise it for the organiser."""
        call = await self.service.call(item.item)
        if call is None or not call.is_open:
            return
        closed = await self.service.close_call(call)
        if closed is None:
            return
        found = await self.service.in_call(call)
        if closed.activity_id:
            await self.ctx.sender.update_card(
                closed.conversation_id,
                closed.activity_id,
                cards.call_card(closed, len(found), closed.lang, tz=self.ctx.tz),
            )
        summary = card_message(cards.call_summary_card(closed, found, self.service.by_category(found), closed.lang))
        chats = await self.ctx.conversations.personal_chats([closed.organiser_key], closed.tenant_id)
        delivery = await self.ctx.sender.post(
            chats.get(closed.organiser_key, closed.conversation_id), summary, once=item.key
        )
        if delivery.transient:
            raise RetryLater(f"call summary not delivered: {delivery.error}")
