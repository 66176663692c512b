"""Reviewers and moderators: the queue, status changes and answers that reach the submitter, the audited reveal of a
pseudonym, the shortlist put to a quick poll, and the CSV export."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from bot.feature import (
    HttpRequest,
    HttpResponse,
    command,
    http,
    timed,
    verb,
)
from bot.i18n import DEFAULT_LANGUAGE, t
from bot.ideas.export import ideas_csv
from bot.ideas.model import (
    SHORTLIST_MAX,
    Status,
)
from bot.ideas.service import ReviewError
from bot.links import signed_link, signed_params
from bot.permissions import Refusal, Role
from bot.polls.model import OPTION_MAX
from bot.polls.model import Draft as PollDraft
from bot.polls.model import Origin as PollOrigin
from bot.routes import Notify, Outcome, Refresh, Say
from bot.text import scalar_text
from bot.timed import DueItem, RetryLater
from bot.turn import Turn
from cards import ideas as cards
from cards.base import card_message
from cards.download import download_card
from dialogs.broadcasts import Broadcasts
from dialogs.ideas.base import (
    NOTIFY,
    OVERSIGHT,
    POLL_RESULT,
    REVIEWERS,
    IdeasBase,
)
from dialogs.ideas.forms import parse_answer
from dialogs.polls import Polls

SHORTLIST_DAYS = 7
EXPORT_ROUTE = "/ideas/export.csv"


class Reviewing(IdeasBase):
    """Review, tell, reveal, shortlist, export."""

    # ---- review ----------------------------------------------------------------------------------------------
    @command("アイデア レビュー", "idea review", "レビュー", "review", help="ideas.command.review", audience=OVERSIGHT)
    @verb("ideas.queue")
    async def queue(self, turn: Turn) -> Outcome:
        """The queue: reviewers get each idea's review form, moderators the audited reveal of pseudonyms."""
        await self.ctx.policy.require(turn, OVERSIGHT, refusal="ideas.reviewers_only")
        waiting = await self.service.waiting(turn.conversation.tenant_id, cards.LISTED)
        reviewer = await self.ctx.policy.allows(turn, REVIEWERS)
        moderator = await self.ctx.policy.allows(turn, Role.MODERATOR)
        shown = cards.queue_card(turn.lang, waiting, tz=self.ctx.tz, reviewer=reviewer, moderator=moderator)
        return Refresh(shown) if turn.data else Say(card=shown)

    @verb("ideas.review")
    async def review(self, turn: Turn) -> Outcome | list[Outcome]:
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
        saved = Notify(t("ideas.review.saved", turn.lang, status=cards.status_text(changed.status, turn.lang)))
        if changed.status == Status.ADOPTED and await self._may_announce(turn):
            # The admin's own copy of the adopted idea, in their 1:1 chat: from there they may tell everyone.
            return [saved, Say(card=self._card(changed, turn.lang, await self._call_of(changed), announce=True))]
        return saved

    async def _may_announce(self, turn: Turn) -> bool:
        """An admin, in their 1:1 chat (where the broadcast dialog works and nobody else sees the button), of an
        app that broadcasts."""
        return turn.personal and Broadcasts.name in self.ctx.features and await self.ctx.policy.allows(turn, Role.ADMIN)

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
        idea = await self.service.idea(item.item.partition(":")[0])
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
        found = await self.service.shortlist(chosen, turn.conversation.tenant_id)
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
            changed = await self.service.put_to_poll(idea, poll.poll_id, option, now)
            if changed is not None:
                self._update_card(changed, await self._channel_lang(changed))
        await self.ctx.timed.plan(POLL_RESULT, poll.poll_id, deadline + timedelta(minutes=1))
        return Notify(t("ideas.shortlist.posted", turn.lang, count=len(found)))

    @timed(POLL_RESULT)
    async def poll_result_due(self, item: DueItem) -> datetime | None:
        """The shortlist poll closed: each idea keeps its count (a reopened poll is looked at again later)."""
        polls = self.ctx.feature(Polls)
        poll = await polls.service.poll(item.item)
        if poll is None:
            return None
        if poll.is_open:
            return (poll.deadline or self.ctx.clock.now() + timedelta(days=1)) + timedelta(minutes=1)
        tally = await polls.service.tally(poll)
        for idea in await self.service.in_poll(poll.poll_id):
            if idea.poll_option is not None and idea.poll_option < len(tally.counts):
                changed = await self.service.poll_result(idea, tally.counts[idea.poll_option])
                if changed is not None:
                    self._update_card(changed, await self._channel_lang(changed))
        return None

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
        found = await self.service.every(tenant or None)
        body = ideas_csv(found, self.service.fiscal_years(found), lambda key: t(f"ideas.{key}", lang), self.ctx.tz)
        await self.ctx.audit.record(
            self.name, "ideas.export", params["by"], params["name"], f"tenant:{tenant}", {"ideas": len(found)}
        )
        day = self.ctx.clock.now().astimezone(self.ctx.tz).strftime("%Y%m%d")
        headers = {"Content-Disposition": f'attachment; filename="ideas-{day}.csv"', "Cache-Control": "no-store"}
        return HttpResponse(200, body, "text/csv", headers)
