"""The idea box and デジタル改善ポスト: submit (dialog, feedback dialog, "turn this message into an idea"), see
similar ideas first, vote, comment, review, answer, and tell the submitter what happened — anonymous ones too.

Commands: 「アイデア」 (the box; 「アイデア 検索 …」, 「アイデア 投稿先」, 「アイデア 募集」, 「アイデア 書き出し」),
「改善」 (digital-service feedback), 「人気のアイデア」, 「自分のアイデア」, 「レビュー」 (reviewers).
Timed work: `ideas.post` puts a new idea's card into its idea channel, `ideas.notify` tells a submitter of a
review, `ideas.digest` is Monday's digest of an idea channel, `ideas.call_close` closes a themed call at its
deadline, `ideas.poll_result` brings a shortlist poll's result back to its ideas.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from pydantic import Field, field_validator

from bot.anonymity import purpose_key
from bot.card_updates import CardView
from bot.context import Context
from bot.feature import (
    EVERYWHERE,
    PERSONAL,
    ComposeAction,
    Feature,
    HttpRequest,
    HttpResponse,
    command,
    dialog,
    http,
    timed,
    verb,
)
from bot.i18n import DEFAULT_LANGUAGE, t
from bot.ideas.export import ideas_csv
from bot.ideas.model import (
    ANALOG,
    BODY_MAX,
    DEFAULT_CATEGORIES,
    SHORTLIST_MAX,
    Call,
    Draft,
    Idea,
    Kind,
    Status,
)
from bot.ideas.privacy import Keys, personal_data
from bot.ideas.service import IdeaService, ReviewError
from bot.ideas.store import IdeaStore
from bot.ideas.tables import idea_calls, idea_channels, idea_comments, idea_votes, ideas
from bot.links import signed_link, signed_params
from bot.permissions import Refusal, Role
from bot.polls.model import OPTION_MAX
from bot.polls.model import Draft as PollDraft
from bot.polls.model import Origin as PollOrigin
from bot.recurrence import Kind as RepeatKind
from bot.recurrence import Schedule, next_delivery
from bot.routes import InvokeBody, Notify, Outcome, Refresh, Say, normalize
from bot.settings import EnvSettings, comma_ids
from bot.text import scalar_text
from bot.timed import DueItem, RetryLater
from bot.turn import Turn
from cards import idea_forms as forms_cards
from cards import ideas as cards
from cards.base import card_message
from cards.dialog import task_form, task_message
from cards.download import download_card
from dialogs.ideas.forms import parse_answer, parse_call, parse_comment, parse_idea
from dialogs.polls import Polls

POST, NOTIFY, DIGEST, CALL_CLOSE, POLL_RESULT = (
    "ideas.post",
    "ideas.notify",
    "ideas.digest",
    "ideas.call_close",
    "ideas.poll_result",
)
DIGEST_AT = time(9, 0)
SHORTLIST_DAYS = 7
EXPORT_ROUTE = "/ideas/export.csv"
REVIEWERS = Role.REVIEWER | Role.ADMIN
OVERSIGHT = REVIEWERS | Role.MODERATOR  # who sees the queue
ORGANISATION_WORDS = frozenset({"全体", "ぜんたい", "organization", "organisation", "all"})
_LINE_BREAK = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


class IdeaSettings(EnvSettings):
    categories: tuple[str, ...] = Field(
        DEFAULT_CATEGORIES,
        alias="IDEA_CATEGORIES",
        description="comma-separated idea categories (アナログ規制 is always offered besides)",
    )
    reviewers: frozenset[str] = Field(
        frozenset(),
        alias="IDEA_REVIEWER_AAD_OBJECT_IDS",
        description="comma-separated Entra object ids of idea reviewers (admins review too)",
    )
    moderators: frozenset[str] = Field(
        frozenset(),
        alias="IDEA_MODERATOR_AAD_OBJECT_IDS",
        description="comma-separated Entra object ids of moderators, who may reveal a pseudonymous submitter "
        "(each reveal is audited)",
    )

    @field_validator("categories", mode="before")
    @classmethod
    def _categories(cls, value: Any) -> tuple[str, ...]:
        found = (
            value if isinstance(value, tuple) else tuple(part.strip() for part in str(value).split(",") if part.strip())
        )
        if not found:
            raise ValueError("name at least one category")
        return tuple(dict.fromkeys(found))

    @field_validator("reviewers", "moderators", mode="before")
    @classmethod
    def _people(cls, value: Any) -> frozenset[str]:
        return comma_ids(value)


def _scope_of(turn: Turn) -> str:
    """Where an idea from this turn goes: its team's idea channel if the team has one, else the organisation's."""
    return f"team:{turn.conversation.team_id}" if turn.conversation.team_id else f"tenant:{turn.conversation.tenant_id}"


def _reach(turn: Turn) -> dict[str, str]:
    """What the bot needs to message this person 1:1 later (sealed before it is stored)."""
    return {
        "user_key": turn.user_key,
        "aad": turn.actor.aad_object_id or "",
        "user_id": turn.actor.id,
        "tenant": turn.conversation.tenant_id or "",
        "service_url": turn.conversation.service_url,
        "conversation": turn.conversation.conversation_id if turn.personal else "",
        "lang": turn.lang,  # the language they will be told in
    }


class Ideas(Feature):
    name = "ideas"
    settings = IdeaSettings
    tables = (ideas, idea_votes, idea_comments, idea_calls, idea_channels)
    compose_actions = (
        ComposeAction(forms_cards.SUBMIT, "ideas.extension.title", "ideas.extension.description"),
        ComposeAction(forms_cards.FROM_MESSAGE, "ideas.message.title", "ideas.message.description", ("message",)),
    )

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        own = ctx.feature_settings(IdeaSettings)
        self.categories = own.categories
        ctx.policy.grant(Role.REVIEWER, own.reviewers)
        ctx.policy.grant(Role.MODERATOR, own.moderators)
        self.service = IdeaService(IdeaStore(ctx.engine), Keys(ctx.anonymity_key), ctx.tz)
        self.export_key = purpose_key(ctx.anonymity_key, "ideas-export")

    async def start_up(self) -> None:
        """Re-plan from the tables: every idea channel's digest, every open call's closing."""
        now = self.ctx.clock.now()
        for scope, _, _ in await self.service.store.channels():
            await self.ctx.timed.ensure(DIGEST, scope, self._next_digest(now))
        for call in await self.service.store.open_calls():
            await self.ctx.timed.ensure(CALL_CLOSE, call.call_id, call.deadline)

    # ---- small helpers ---------------------------------------------------------------------------------------
    async def _idea(self, turn: Turn) -> Idea:
        idea = await self.service.find(turn.data.get("idea_id"), turn.conversation.tenant_id)
        if idea is None:
            raise Refusal("ideas.unknown")
        return idea

    async def _require_reviewer(self, turn: Turn) -> None:
        await self.ctx.policy.require(turn, REVIEWERS, refusal="ideas.reviewers_only")

    def _card(self, idea: Idea, lang: str, call: Call | None = None, *, voted: bool = False) -> dict[str, Any]:
        return cards.idea_card(idea, lang, tz=self.ctx.tz, call_theme=call.theme if call else None, voted=voted)

    async def _call_of(self, idea: Idea) -> Call | None:
        return await self.service.store.call(idea.call_id) if idea.call_id else None

    def _update_card(self, idea: Idea, lang: str) -> None:
        """The shared card in the idea channel shows the idea's current state (coalesced like poll cards)."""
        if idea.conversation_id is None or idea.activity_id is None:
            return

        async def render() -> CardView:
            current = await self.service.store.get(idea.idea_id) or idea
            return CardView(self._card(current, lang, await self._call_of(current)))

        self.ctx.cards.request(idea.conversation_id, idea.activity_id, render)

    async def _channel_lang(self, idea: Idea) -> str:
        """The language of the idea channel its card is in (the card speaks the channel's language)."""
        for _, channel, lang in await self.service.store.channels():
            if channel == idea.conversation_id:
                return lang
        return DEFAULT_LANGUAGE

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
        found = await self.service.store.search(turn.conversation.tenant_id, words, cards.LISTED)
        title = t("ideas.search.title", turn.lang, words=" ".join(words))
        return Say(
            card=cards.list_card(turn.lang, title, found, tz=self.ctx.tz, empty=t("ideas.search.empty", turn.lang))
        )

    @command("アイデア 募集", "idea call", help="ideas.command.call", audience=REVIEWERS)
    async def call_command(self, turn: Turn) -> Outcome:
        await self._require_reviewer(turn)
        return Say(card=cards.call_entry_card(turn.lang))

    @command("改善", "feedback", help="ideas.command.feedback", offer=EVERYWHERE)
    async def feedback_command(self, turn: Turn) -> Outcome:
        return Say(card=cards.entry_card(turn.lang, feedback=True))

    @command("人気のアイデア", "top ideas", help="ideas.command.top", offer=EVERYWHERE)
    async def top_command(self, turn: Turn) -> Outcome:
        period = {"今週": "week", "今月": "month", "すべて": "all", "全部": "all"}.get(
            turn.text.strip(), normalize(turn.text)
        )
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

    @command("アイデア 投稿先", "idea channel", help="ideas.command.channel")
    async def set_channel(self, turn: Turn) -> Outcome:
        """This chat or channel receives the ideas of its team (a team owner or an admin may say so), or — with
        「全体」 — of the whole organisation (an admin)."""
        organisation = normalize(turn.text) in ORGANISATION_WORDS
        if turn.personal:
            raise Refusal("ideas.channel.not_personal")
        if organisation or not turn.conversation.team_id:
            await self.ctx.policy.require(turn, Role.ADMIN, refusal="ideas.channel.admins_only")
            scope, label = f"tenant:{turn.conversation.tenant_id}", t("ideas.channel.organisation", turn.lang)
        else:
            await self.ctx.policy.require(turn, Role.ADMIN | Role.TEAM_OWNER, refusal="ideas.channel.owners_only")
            scope, label = f"team:{turn.conversation.team_id}", t("ideas.channel.team", turn.lang)
        now = self.ctx.clock.now()
        await self.service.store.set_channel(scope, turn.place, turn.lang, turn.user_key, now)
        await self.ctx.timed.plan(DIGEST, scope, self._next_digest(now))
        return Say(card=cards.channel_card(turn.lang, label))

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
            turn.new_id("idea"), draft, turn.user_key, turn.actor.name, turn.conversation.tenant_id, _reach(turn), now
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
            call = await self.service.store.call(idea.call_id)
            if call is not None:
                return call.conversation_id, call.lang
        store = self.service.store
        return await store.channel(_scope_of(turn)) or await store.channel(f"tenant:{turn.conversation.tenant_id}")

    async def _back_instead(self, turn: Turn) -> Outcome:
        idea = await self._idea(turn)
        voted, votes = await self.service.vote(idea, turn.user_key, self.ctx.clock.now())
        if not voted:  # it was backed already: a second click must not withdraw it
            voted, votes = await self.service.vote(idea, turn.user_key, self.ctx.clock.now())
        self._update_card(idea, await self._channel_lang(idea))
        return InvokeBody(task_message(t("ideas.backed", turn.lang, votes=votes)))

    async def _open_call(self, call_id: object) -> Call | None:
        if not isinstance(call_id, str) or len(call_id) != 32:
            return None
        call = await self.service.store.call(call_id)
        return call if call is not None and call.is_open else None

    @timed(POST)
    async def post_due(self, item: DueItem) -> None:
        """Put a new idea's card into its idea channel (once)."""
        idea = await self.service.store.get(item.item)
        if idea is None or idea.activity_id is not None:
            return
        lang = str(item.payload.get("lang") or "ja")
        conversation = str(item.payload["conversation"])
        shown = card_message(self._card(idea, lang, await self._call_of(idea)))
        delivery = await self.ctx.sender.post(conversation, shown, once=f"{POST}:{idea.idea_id}")  # one card per idea
        if delivery.transient:
            raise RetryLater(f"idea card not posted: {delivery.error}")
        if delivery.sent and delivery.activity_id:
            await self.service.store.change(
                idea.idea_id, conversation_id=conversation, activity_id=delivery.activity_id
            )

    # ---- voting and comments ---------------------------------------------------------------------------------
    @verb("ideas.vote")
    async def vote(self, turn: Turn) -> Outcome:
        idea = await self._idea(turn)
        if idea.status not in (Status.NEW, Status.REVIEWING, Status.ADOPTED):
            raise Refusal("ideas.vote.closed")
        voted, _ = await self.service.vote(idea, turn.user_key, self.ctx.clock.now())
        current = await self.service.store.get(idea.idea_id) or idea
        self._update_card(current, turn.lang)
        if idea.activity_id is None or turn.reply_to_id != idea.activity_id:  # a list's row, not the idea's card
            return Notify(t("ideas.vote.done" if voted else "ideas.vote.withdrawn", turn.lang, votes=current.votes))
        return Refresh(self._card(current, turn.lang, await self._call_of(current), voted=voted))

    @dialog(forms_cards.COMMENTS, "fetch")
    async def open_comments(self, turn: Turn) -> Outcome:
        idea = await self._idea(turn)
        shown = forms_cards.comments_card(turn.lang, idea, await self.service.store.comments(idea.idea_id))
        return InvokeBody(task_form(shown, t("ideas.dialog.comments", turn.lang), height="large"))

    @dialog(forms_cards.COMMENTS, "submit")
    async def add_comment(self, turn: Turn) -> Outcome:
        idea = await self._idea(turn)
        text, error = parse_comment(turn.data, turn.lang)
        if text is None:
            typed = scalar_text(turn.data.get("comment")) or ""
            shown = forms_cards.comments_card(
                turn.lang, idea, await self.service.store.comments(idea.idea_id), error, typed=typed
            )
            return InvokeBody(task_form(shown, t("ideas.dialog.comments", turn.lang), height="large"))
        await self.service.comment(
            turn.new_id("comment"), idea, turn.user_key, turn.actor.name, text, self.ctx.clock.now()
        )
        current = await self.service.store.get(idea.idea_id) or idea
        self._update_card(current, await self._channel_lang(current))
        shown = forms_cards.comments_card(turn.lang, current, await self.service.store.comments(idea.idea_id))
        return InvokeBody(task_form(shown, t("ideas.dialog.comments", turn.lang), height="large"))

    # ---- review ----------------------------------------------------------------------------------------------
    @command("アイデア レビュー", "idea review", "レビュー", "review", help="ideas.command.review", audience=OVERSIGHT)
    @verb("ideas.queue")
    async def queue(self, turn: Turn) -> Outcome:
        """The queue: reviewers get each idea's review form, moderators the audited reveal of pseudonyms."""
        await self.ctx.policy.require(turn, OVERSIGHT, refusal="ideas.reviewers_only")
        waiting = await self.service.store.waiting(turn.conversation.tenant_id, cards.LISTED)
        reviewer = await self.ctx.policy.allows(turn, REVIEWERS)
        moderator = await self.ctx.policy.allows(turn, Role.MODERATOR)
        shown = cards.queue_card(turn.lang, waiting, tz=self.ctx.tz, reviewer=reviewer, moderator=moderator)
        return Refresh(shown) if turn.data else Say(card=shown)

    @verb("ideas.review")
    async def review(self, turn: Turn) -> Outcome:
        await self._require_reviewer(turn)
        idea = await self._idea(turn)
        chosen = scalar_text(turn.data.get(cards.review_input("status", idea.idea_id)))
        status = next((s for s in Status if s.value == chosen), None)
        answer, error = parse_answer(turn.data.get(cards.review_input("answer", idea.idea_id)), turn.lang)
        if status is None or answer is None:
            return Notify(error or t("ideas.review.not_allowed", turn.lang))
        try:
            changed = await self.service.review(idea, status, answer, self.ctx.clock.now())
        except ReviewError as refused:
            raise Refusal(str(refused)) from None
        # Recorded and planned so that the same click run again (a crash in between) records and tells once.
        await self.ctx.audit.record(
            self.name,
            "ideas.status",
            turn.user_key,
            turn.actor.name,
            idea.idea_id,
            {"from": idea.status, "to": changed.status, "title": idea.title},
            entry_id=turn.new_id("audit"),
        )
        self._update_card(changed, await self._channel_lang(changed))
        # One notice per change (a declined idea may be reconsidered and declined again: two notices).
        change = f"{idea.idea_id}:{changed.status}:{changed.status_changed_at.timestamp():.6f}"
        await self.ctx.timed.ensure(NOTIFY, change, self.ctx.clock.now())
        return Notify(t("ideas.review.saved", turn.lang, status=cards.status_text(changed.status, turn.lang)))

    @verb("ideas.reveal")
    async def reveal(self, turn: Turn) -> Outcome:
        """A moderator reveals who wrote a pseudonymous idea (harassment, personal data): audited, with a reason."""
        await self.ctx.policy.require(turn, Role.MODERATOR, refusal="ideas.reveal.moderators_only")
        idea = await self._idea(turn)
        reason = (scalar_text(turn.data.get(cards.review_input("reason", idea.idea_id))) or "").strip()
        if not reason:
            raise Refusal("ideas.reveal.reason_required")
        try:
            person = self.service.reveal(idea)
        except ReviewError as refused:
            raise Refusal(str(refused)) from None
        await self.ctx.audit.record(
            self.name, "ideas.reveal", turn.user_key, turn.actor.name, idea.idea_id, {"reason": reason[:500]}
        )
        return Refresh(cards.reveal_card(idea, str(person.get("name") or ""), turn.lang))

    @timed(NOTIFY)
    async def notify_due(self, item: DueItem) -> None:
        """Tell the submitter what became of their idea, in their 1:1 chat with the bot (anonymous ones too)."""
        idea = await self.service.store.get(item.item.partition(":")[0])
        if idea is None:
            return
        reach = self.service.reach(idea)
        conversation = await self._personal_chat(reach)
        if conversation is None:
            return  # no 1:1 chat and none can be opened: their "my ideas" still shows the answer
        delivery = await self.ctx.sender.post(
            conversation,
            card_message(cards.notification_card(idea, str(reach.get("lang") or DEFAULT_LANGUAGE))),
            once=f"{NOTIFY}:{item.item}",
        )
        if delivery.transient:
            raise RetryLater(f"submitter not notified: {delivery.error}")

    async def _personal_chat(self, reach: Mapping[str, Any]) -> str | None:
        if reach.get("conversation"):
            return str(reach["conversation"])
        aad, tenant = str(reach.get("aad") or ""), str(reach.get("tenant") or "")
        chats = await self.ctx.conversations.personal_chats([aad], tenant) if aad else {}
        return chats.get(aad)

    # ---- shortlist → quick poll ------------------------------------------------------------------------------
    @verb("ideas.shortlist")
    async def shortlist(self, turn: Turn) -> Outcome:
        """Put up to ten ideas to a quick poll here in one click; each idea shows the poll's result later."""
        await self._require_reviewer(turn)
        chosen = [idea_id for idea_id in (scalar_text(turn.data.get("ideas")) or "").split(",") if idea_id][
            :SHORTLIST_MAX
        ]
        found = [
            idea for idea in await self.service.store.many(chosen) if idea.tenant_id == turn.conversation.tenant_id
        ]
        if len(found) < 2:
            raise Refusal("ideas.shortlist.too_few")
        polls = self.ctx.feature(Polls)
        now = self.ctx.clock.now()
        deadline = datetime.combine(
            (now + timedelta(days=SHORTLIST_DAYS)).astimezone(self.ctx.tz).date(), time(17, 0), self.ctx.tz
        )
        options = tuple(idea.title[:OPTION_MAX] for idea in found)
        origin = PollOrigin(
            turn.user_key,
            turn.conversation.tenant_id,
            turn.conversation.conversation_id,
            turn.conversation.conversation_type,
            turn.conversation.service_url,
            turn.lang,
        )
        question = PollDraft(t("ideas.shortlist.question", turn.lang), options, deadline=deadline)
        poll = await polls.publish(origin, question, turn.new_id("shortlist"))
        if poll is None:
            raise Refusal("ideas.shortlist.not_posted")
        for option, idea in enumerate(found):
            changed = await self.service.store.change(
                idea.idea_id, poll_id=poll.poll_id, poll_option=option, updated_at=now
            )
            if changed is not None:
                self._update_card(changed, await self._channel_lang(changed))
        await self.ctx.timed.plan(POLL_RESULT, poll.poll_id, deadline + timedelta(minutes=1))
        return Notify(t("ideas.shortlist.posted", turn.lang, count=len(found)))

    @timed(POLL_RESULT)
    async def poll_result_due(self, item: DueItem) -> datetime | None:
        """The shortlist poll closed: each idea keeps its count (a reopened poll is looked at again later)."""
        polls = self.ctx.feature(Polls)
        poll = await polls.service.store.get(item.item)
        if poll is None:
            return None
        if poll.is_open:
            return (poll.deadline or self.ctx.clock.now() + timedelta(days=1)) + timedelta(minutes=1)
        tally = await polls.service.store.tally(poll)
        for idea in await self.service.store.in_poll(poll.poll_id):
            if idea.poll_option is not None and idea.poll_option < len(tally.counts):
                changed = await self.service.store.change(idea.idea_id, poll_votes=tally.counts[idea.poll_option])
                if changed is not None:
                    self._update_card(changed, await self._channel_lang(changed))
        return None

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
            else (await self.service.store.channel(f"tenant:{turn.conversation.tenant_id}") or ("", ""))[0]
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
            await self.service.store.change_call(call.call_id, activity_id=delivery.activity_id)
        await self.ctx.timed.plan(CALL_CLOSE, call.call_id, call.deadline)
        return InvokeBody(task_message(t("ideas.call.opened", turn.lang)))

    @verb("ideas.call.list")
    async def call_ideas(self, turn: Turn) -> Outcome:
        call_id = turn.data.get("call_id")
        call = await self.service.store.call(call_id) if isinstance(call_id, str) else None
        if call is None or (call.tenant_id or "") != (turn.conversation.tenant_id or ""):
            raise Refusal("ideas.unknown")
        found = await self.service.store.in_call(call.call_id)
        title = t("ideas.call.list_title", turn.lang, theme=call.theme)
        return Refresh(
            cards.list_card(turn.lang, title, found, tz=self.ctx.tz, empty=t("ideas.call.list_empty", turn.lang))
        )

    @timed(CALL_CLOSE)
    async def call_close_due(self, item: DueItem) -> None:
        """The deadline: close the call (later ideas go to the general box), summarise it for the organiser."""
        call = await self.service.store.call(item.item)
        if call is None or not call.is_open:
            return
        closed = await self.service.close_call(call)
        if closed is None:
            return
        found = await self.service.store.in_call(call.call_id)
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

    # ---- the weekly digest -----------------------------------------------------------------------------------
    def _next_digest(self, after: datetime) -> datetime:
        """Monday 9:00 Japan time, or the next working day when Monday is a holiday."""
        schedule = Schedule(RepeatKind.WEEKLY, DIGEST_AT, weekdays=(0,), working_days_only=True)
        following = next_delivery(schedule, after.astimezone(self.ctx.tz), quiet=None)
        assert following is not None
        return following

    @timed(DIGEST)
    async def digest_due(self, item: DueItem) -> datetime | None:
        channel = await self.service.store.channel(item.item)
        if channel is None:
            return None  # the scope has no idea channel any more
        conversation, lang = channel
        tenant = await self._tenant_of(item.item, conversation)
        since = item.occurrence - timedelta(days=7)
        store = self.service.store
        newest = await store.newest(tenant, since, 5)
        popular = await store.top(tenant, since, 5)
        shown = cards.digest_card(lang, await store.count_since(tenant, since), newest, popular, tz=self.ctx.tz)
        delivery = await self.ctx.sender.post(conversation, card_message(shown), once=item.key)
        if delivery.transient:
            raise RetryLater(f"digest not delivered: {delivery.error}")
        return self._next_digest(item.occurrence)

    async def _tenant_of(self, scope: str, conversation: str) -> str | None:
        if scope.startswith("tenant:"):
            return scope.removeprefix("tenant:") or None
        record = await self.ctx.conversations.get(conversation)
        return record.tenant_id if record is not None else None

    # ---- export ----------------------------------------------------------------------------------------------
    @command("アイデア 書き出し", "idea export", help="ideas.command.export", audience=REVIEWERS)
    async def export_link(self, turn: Turn) -> Outcome:
        await self._require_reviewer(turn)
        base = self.ctx.settings.browser_base_url
        if base is None:
            raise Refusal("ideas.export.unavailable")
        params = {
            "tenant": turn.conversation.tenant_id or "",
            "by": turn.user_key,
            "name": turn.actor.name,
            "lang": turn.lang,
        }
        link = signed_link(self.export_key, EXPORT_ROUTE, params, self.ctx.clock.now())
        title, note = t("ideas.export.title", turn.lang), t("ideas.export.hint", turn.lang)
        return Say(card=download_card(turn.lang, title, base + link, note))

    @http("GET", EXPORT_ROUTE)
    async def download_export(self, request: HttpRequest) -> HttpResponse:
        """The reviewer's signed, 10-minute download: every idea of the tenant, no identity of an anonymous one."""
        params = signed_params(self.export_key, EXPORT_ROUTE, request.query, self.ctx.clock.now())
        if params is None:
            return HttpResponse(403, t("ideas.export.link_expired", request.query.get("lang", DEFAULT_LANGUAGE)))
        tenant, lang = params["tenant"], params["lang"]
        found = await self.service.store.every(tenant or None)
        body = ideas_csv(found, self.service.fiscal_years(found), lambda key: t(f"ideas.{key}", lang), self.ctx.tz)
        await self.ctx.audit.record(
            self.name, "ideas.export", params["by"], params["name"], f"tenant:{tenant}", {"ideas": len(found)}
        )
        day = self.ctx.clock.now().astimezone(self.ctx.tz).strftime("%Y%m%d")
        headers = {"Content-Disposition": f'attachment; filename="ideas-{day}.csv"', "Cache-Control": "no-store"}
        return HttpResponse(200, body, "text/csv", headers)


def _message_text(payload: Mapping[str, Any]) -> str:
    """The plain text of a message a message extension was opened on (Teams sends its body as HTML)."""
    body = payload.get("body")
    if not isinstance(body, dict):
        body = {}
    content = str(body.get("content") or "")
    if str(body.get("contentType") or "").lower() == "html":
        content = html.unescape(_TAG.sub("", _LINE_BREAK.sub("\n", content)))
    return content.strip()[:BODY_MAX]
