"""Staff in the idea box: the commands that show ideas, the idea and feedback dialogs (similar ideas first, a
warning before personal data is posted), votes and comments."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from bot.feature import (
    EVERYWHERE,
    PERSONAL,
    command,
    dialog,
    verb,
)
from bot.i18n import t
from bot.ideas.model import (
    ANALOG,
    BODY_MAX,
    Call,
    Draft,
    Idea,
    Kind,
    Status,
)
from bot.ideas.privacy import personal_data
from bot.permissions import Refusal
from bot.routes import InvokeBody, Notify, Outcome, Refresh, Say, normalize
from bot.text import scalar_text
from bot.turn import Turn
from cards import idea_forms as forms_cards
from cards import ideas as cards
from cards.dialog import task_form, task_message
from dialogs.ideas.base import (
    POST,
    IdeasBase,
    reach_of,
    scope_of,
)
from dialogs.ideas.forms import parse_comment, parse_idea

_LINE_BREAK = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")

PERIOD_WORDS = {
    "week": frozenset({"今週", "こんしゅう", "week", "this week"}),
    "month": frozenset({"今月", "こんげつ", "month", "this month"}),
    "all": frozenset({"すべて", "全部", "全て", "ぜんぶ", "all", "all time", "ever"}),
}


class Submitting(IdeasBase):
    """Submit, find, vote, comment."""

    # ---- commands --------------------------------------------------------------------------------------------
    @command("アイデア", "idea", "ideas", help="ideas.command.idea", offer=EVERYWHERE)
    async def idea_command(self, turn: Turn) -> Outcome:
        """The box's buttons; 「アイデア ペーパーレス」 searches like 「アイデア 検索 ペーパーレス」."""
        if not turn.text.strip():
            return Say(card=cards.entry_card(turn.lang))
        return await self.search(turn)

    @command("アイデア 検索", "idea search", help="ideas.command.search")
    async def search(self, turn: Turn) -> Outcome:
        words = [word for word in normalize(turn.text).split() if word][:5]
        if not words:
            return Say(text=t("ideas.search.usage", turn.lang))
        found = await self.service.search(turn.conversation.tenant_id, words, cards.LISTED)
        title = t("ideas.search.title", turn.lang, words=" ".join(words))
        return Say(
            card=cards.list_card(turn.lang, title, found, tz=self.ctx.tz, empty=t("ideas.search.empty", turn.lang))
        )

    @command("改善", "feedback", help="ideas.command.feedback", offer=EVERYWHERE)
    async def feedback_command(self, turn: Turn) -> Outcome:
        return Say(card=cards.entry_card(turn.lang, feedback=True))

    @command("人気のアイデア", "top ideas", help="ideas.command.top", offer=EVERYWHERE)
    async def top_command(self, turn: Turn) -> Outcome:
        """「人気のアイデア 今月」 / `top ideas this month`: this week unless another period is named."""
        period = next((name for name, words in PERIOD_WORDS.items() if normalize(turn.text) in words), "week")
        return Say(card=await self._top_card(turn, period))

    @verb("ideas.top")
    async def top_button(self, turn: Turn) -> Outcome:
        return Refresh(await self._top_card(turn, scalar_text(turn.data.get("period")) or "week"))

    async def _top_card(self, turn: Turn, period_name: str) -> dict[str, Any]:
        period = self.service.period(period_name, self.ctx.clock.now())
        found = await self.service.top(turn.conversation.tenant_id, period)
        title = t("ideas.top.title", turn.lang, period=t(f"ideas.period.{period.name}", turn.lang))
        return cards.list_card(
            turn.lang, title, found, tz=self.ctx.tz, empty=t("ideas.top.empty", turn.lang), periods=True
        )

    @command("自分のアイデア", "my ideas", help="ideas.command.mine", offer=PERSONAL)
    @verb("ideas.mine")
    async def mine(self, turn: Turn) -> Outcome:
        """Only ever shown to the person asking (a 1:1 answer, or their own view of a click)."""
        found = await self.service.mine(turn.user_key)
        shown = cards.mine_card(turn.lang, found, tz=self.ctx.tz)
        if turn.data or turn.personal:
            return Refresh(shown) if turn.data else Say(card=shown)
        raise Refusal("ideas.mine.personal_only")

    # ---- submitting ------------------------------------------------------------------------------------------
    def _form(
        self,
        turn: Turn,
        kind: Kind,
        values: Mapping[str, str],
        errors: Mapping[str, str] | None = None,
        *,
        personal: tuple[str, ...] = (),
        call: Call | None = None,
    ) -> InvokeBody:
        form = forms_cards.form_card(
            turn.lang,
            kind,
            values,
            errors,
            categories=self.categories,
            analog=ANALOG,
            call_theme=call.theme if call else None,
            personal=personal,
        )
        title = "ideas.dialog.feedback" if kind == Kind.FEEDBACK else "ideas.dialog.submit"
        return InvokeBody(task_form(form, t(title, turn.lang), height="large"))

    @dialog(forms_cards.SUBMIT, "fetch")
    async def open_idea(self, turn: Turn) -> Outcome:
        call = await self._open_call(turn.data.get("call_id"))
        return self._form(turn, Kind.IDEA, {"call_id": call.call_id} if call else {}, call=call)

    @dialog(forms_cards.FROM_MESSAGE, "fetch")
    async def open_from_message(self, turn: Turn) -> Outcome:
        """ "Turn this message into an idea": the message's text becomes the description."""
        payload = turn.data.get("messagePayload")
        text = _message_text(payload if isinstance(payload, dict) else {})
        return self._form(turn, Kind.IDEA, {"body": text, "title": text.split("\n", 1)[0][:40]})

    @dialog(forms_cards.FEEDBACK, "fetch")
    async def open_feedback(self, turn: Turn) -> Outcome:
        return self._form(turn, Kind.FEEDBACK, {})

    @dialog(forms_cards.SUBMIT, "submit")
    @dialog(forms_cards.FROM_MESSAGE, "submit")
    async def submit_idea(self, turn: Turn) -> Outcome:
        return await self._submitted(turn, Kind.IDEA)

    @dialog(forms_cards.FEEDBACK, "submit")
    async def submit_feedback(self, turn: Turn) -> Outcome:
        return await self._submitted(turn, Kind.FEEDBACK)

    async def _submitted(self, turn: Turn, kind: Kind) -> Outcome:
        """check → (personal data warning) → similar ideas first → post; or back the similar idea instead."""
        data = turn.data
        fields = forms_cards.FEEDBACK_FIELDS if kind == Kind.FEEDBACK else forms_cards.IDEA_FIELDS
        values = {name: text for name in fields if (text := scalar_text(data.get(name))) is not None}
        step = scalar_text(data.get("step")) or "check"
        call = await self._open_call(values.get("call_id"))
        if step == "edit":
            return self._form(turn, kind, values, call=call)
        if step == "vote":
            return await self._back_instead(turn)
        draft, errors = parse_idea(data, turn.lang, self.categories, kind)
        if draft is None:
            return self._form(turn, kind, values, errors, call=call)
        personal = tuple(personal_data(f"{draft.title}\n{draft.body}"))
        if personal and scalar_text(data.get("personal_ok")) != "true":
            return self._form(turn, kind, values, personal=personal, call=call)
        if step != "post":
            similar = await self.service.similar(draft.text, turn.conversation.tenant_id)
            if similar:
                dialog_name = forms_cards.FEEDBACK if kind == Kind.FEEDBACK else forms_cards.SUBMIT
                shown = forms_cards.similar_card(turn.lang, dialog_name, {**values, "personal_ok": "true"}, similar)
                return InvokeBody(task_form(shown, t("ideas.dialog.similar", turn.lang), height="large"))
        return await self._post(turn, draft)

    async def _post(self, turn: Turn, draft: Draft) -> Outcome:
        now = self.ctx.clock.now()
        idea, _ = await self.service.submit(
            turn.new_id("idea"), draft, turn.user_key, turn.actor.name, turn.conversation.tenant_id, reach_of(turn), now
        )
        channel = await self._channel_for(turn, idea)
        if channel is not None and idea.activity_id is None:
            # `ensure`: the same turn run again (a crash after storing the idea) plans its card once.
            await self.ctx.timed.ensure(POST, idea.idea_id, now, {"conversation": channel[0], "lang": channel[1]})
        key = "ideas.posted" if channel is not None else "ideas.posted_no_channel"
        if draft.call_id and idea.call_id is None:
            key = "ideas.posted_late"
        return InvokeBody(task_message(t(key, turn.lang)))

    async def _channel_for(self, turn: Turn, idea: Idea) -> tuple[str, str] | None:
        if idea.call_id is not None:
            call = await self.service.call(idea.call_id)
            if call is not None:
                return call.conversation_id, call.lang
        tenant_wide = f"tenant:{turn.conversation.tenant_id}"
        return await self.service.channel_of(scope_of(turn)) or await self.service.channel_of(tenant_wide)

    async def _back_instead(self, turn: Turn) -> Outcome:
        idea = await self._idea(turn)
        voted, votes = await self.service.vote(idea, turn.user_key, self.ctx.clock.now())
        if not voted:  # it was backed already: a second click must not withdraw it
            voted, votes = await self.service.vote(idea, turn.user_key, self.ctx.clock.now())
        self._update_card(idea, await self._channel_lang(idea))
        return InvokeBody(task_message(t("ideas.backed", turn.lang, votes=votes)))

    # ---- voting and comments ---------------------------------------------------------------------------------
    @verb("ideas.vote")
    async def vote(self, turn: Turn) -> Outcome:
        idea = await self._idea(turn)
        if idea.status not in (Status.NEW, Status.REVIEWING, Status.ADOPTED):
            raise Refusal("ideas.vote.closed")
        voted, _ = await self.service.vote(idea, turn.user_key, self.ctx.clock.now())
        current = await self.service.idea(idea.idea_id) or idea
        self._update_card(current, turn.lang)
        if idea.activity_id is None or turn.reply_to_id != idea.activity_id:  # a list's row, not the idea's card
            return Notify(t("ideas.vote.done" if voted else "ideas.vote.withdrawn", turn.lang, votes=current.votes))
        return Refresh(self._card(current, turn.lang, await self._call_of(current), voted=voted))

    @dialog(forms_cards.COMMENTS, "fetch")
    async def open_comments(self, turn: Turn) -> Outcome:
        idea = await self._idea(turn)
        shown = forms_cards.comments_card(turn.lang, idea, await self.service.comments(idea))
        return InvokeBody(task_form(shown, t("ideas.dialog.comments", turn.lang), height="large"))

    @dialog(forms_cards.COMMENTS, "submit")
    async def add_comment(self, turn: Turn) -> Outcome:
        idea = await self._idea(turn)
        text, error = parse_comment(turn.data, turn.lang)
        if text is None:
            typed = scalar_text(turn.data.get("comment")) or ""
            shown = forms_cards.comments_card(turn.lang, idea, await self.service.comments(idea), error, typed=typed)
            return InvokeBody(task_form(shown, t("ideas.dialog.comments", turn.lang), height="large"))
        await self.service.comment(
            turn.new_id("comment"), idea, turn.user_key, turn.actor.name, text, self.ctx.clock.now()
        )
        current = await self.service.idea(idea.idea_id) or idea
        self._update_card(current, await self._channel_lang(current))
        shown = forms_cards.comments_card(turn.lang, current, await self.service.comments(idea))
        return InvokeBody(task_form(shown, t("ideas.dialog.comments", turn.lang), height="large"))


def _message_text(payload: Mapping[str, Any]) -> str:
    """The plain text of a message a message extension was opened on (Teams sends its body as HTML)."""
    body = payload.get("body")
    if not isinstance(body, dict):
        body = {}
    content = str(body.get("content") or "")
    if str(body.get("contentType") or "").lower() == "html":
        content = html.unescape(_TAG.sub("", _LINE_BREAK.sub("\n", content)))
    return content.strip()[:BODY_MAX]
