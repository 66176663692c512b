"""Polls in the conversation: the 「投票」/poll command (entry card or one-line form), the create dialog (also
the compose box's `createPoll` message extension), votes, the creator's tools, and the poll's timed work.

The dialog checks every field and re-shows the form with what to fix under each field; a valid form shows a
preview first, and only "Post" stores the poll and has the bot post it. Buttons name a poll by id: an unknown
id, a closed poll, an option that does not exist or a non-creator using the creator's tools is refused with a
notice and changes nothing. Timed work: `polls.close` at the deadline, `polls.remind` before it, `polls.repeat`
for a recurring poll, `polls.remind_people` for 1:1 reminders (queued, so the click answers at once) and
`polls.card` when a shared card could not be written.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from bot.context import Context
from bot.feature import (
    EVERYWHERE,
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
from bot.ids import stable_id
from bot.links import signed_params
from bot.permissions import Refusal
from bot.polls.ballots import BallotKeys
from bot.polls.export import export_disposition, export_path, export_route, poll_csv
from bot.polls.model import Draft, Origin, Poll, Tally
from bot.polls.oneliner import split_oneliner
from bot.polls.service import PollService
from bot.polls.tables import poll_ballots, poll_choices, poll_secrets, polls
from bot.polls.validate import check
from bot.routes import InvokeBody, Notify, Outcome, Refresh, Say
from bot.settings import EnvSettings
from bot.text import has_controls, scalar_text, without_controls
from bot.timed import DueItem, RetryLater
from bot.turn import Turn
from cards import poll_repeat
from cards import polls as cards
from cards.base import card_message
from cards.dialog import task_form, task_message
from cards.message import notice_card
from dialogs.polls.delivery import PollDelivery
from dialogs.polls.forms import chosen_options, form_text, parse_form, parse_recurrence

CLOSE, REMIND, REPEAT = "polls.close", "polls.remind", "polls.repeat"
REMIND_PEOPLE, CARD = "polls.remind_people", "polls.card"
CARD_RETRY = timedelta(minutes=1)
FAN_OUT = 8  # 1:1 reminders in flight at once (the sender keeps them within the tenant's rate)
EXPORT_LABELS = ("question", "ballots", "withheld", "option", "votes", "share", "voter")


def _check_count(poll: Poll, choices: tuple[int, ...]) -> None:
    """Refuse a multi-select ballot with nothing ticked, or more ticked than the poll allows, saying exactly what to
    change; a single-select button always names one option (anything else was not sent by its card)."""
    if not poll.multi:
        if len(choices) != 1:
            raise Refusal("polls.vote.invalid")
        return
    if not choices:
        raise Refusal("polls.vote.none_chosen")
    if len(choices) > poll.limit:
        raise Refusal("polls.vote.too_many", max=poll.limit, count=len(choices), excess=len(choices) - poll.limit)


class PollSettings(EnvSettings):
    privacy_threshold: int = Field(
        5,
        alias="POLL_PRIVACY_THRESHOLD",
        ge=1,
        description="anonymous polls show no breakdown until this many people voted",
    )


class Polls(Feature):
    name = "polls"
    settings = PollSettings
    tables = (polls, poll_ballots, poll_choices, poll_secrets)
    compose_actions = (ComposeAction(cards.DIALOG, "polls.extension.title", "polls.extension.description"),)
    introduction = "polls.introduction"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.threshold = ctx.feature_settings(PollSettings).privacy_threshold
        keys = BallotKeys.from_anonymity_key(ctx.anonymity_key)
        self.service = PollService(ctx.engine, ctx.tz, keys=keys, anonymity_key=ctx.anonymity_key)
        self.delivery = PollDelivery(ctx, self.service, self.threshold)

    async def start_up(self) -> None:
        """Find the legacy ballot key (if any), and re-plan every poll's timed work from the polls table: deadlines
        that passed while the bot was down close now, and shared cards a crash left behind are written again."""
        await self.service.load_legacy_key(self.ctx.settings.app_password)
        timed, now = self.ctx.timed, self.ctx.clock.now()
        for poll in await self.service.open_with_deadline():
            await timed.ensure(CLOSE, poll.poll_id, poll.deadline)
            remind_at = self.service.remind_at(poll)
            if remind_at is not None and remind_at > now:
                await timed.ensure(REMIND, poll.poll_id, remind_at)
        for poll in await self.service.recurring():
            await timed.ensure(REPEAT, poll.poll_id, self.service.next_repeat(poll, now))
        for poll in await self.service.dirty():
            self._update_card(poll)

    # ---- helpers ---------------------------------------------------------------------------------------------
    def _origin(self, turn: Turn) -> Origin:
        return Origin(
            user_key=turn.user_key,
            tenant_id=turn.conversation.tenant_id,
            conversation_id=turn.conversation.conversation_id,
            conversation_type=turn.conversation.conversation_type,
            service_url=turn.conversation.service_url,
            lang=turn.lang,
        )

    def _form(self, turn: Turn, values: Mapping[str, str], errors: Mapping[str, str] | None = None) -> InvokeBody:
        """The form, re-shown with what was typed (control characters such as NUL removed: nobody can see them to
        delete them, so the form drops them and the error says why)."""
        shown = {name: without_controls(value) for name, value in values.items()}
        card = cards.form_card(turn.lang, shown, errors, tz=self.service.tz)
        return InvokeBody(task_form(card, t("polls.dialog.create", turn.lang), height="large"))

    def _update_card(self, poll: Poll) -> None:
        """Coalesced update of the shared card; if it keeps failing, a later try is planned as timed work."""

        async def later() -> None:
            await self.ctx.timed.plan(CARD, poll.poll_id, self.ctx.clock.now() + CARD_RETRY)

        self.delivery.request_update(poll, later)

    async def publish(self, origin: Origin, draft: Draft, poll_id: str) -> Poll | None:
        """Store the poll, post its card (once: the same `poll_id` again posts nothing new) and plan its deadline
        and reminder."""
        stored = await self.service.create(origin, draft, poll_id)
        if stored.activity_id is not None:
            return stored
        poll = await self.delivery.post(origin, stored, once=f"{CARD}:{poll_id}")
        if poll is not None and poll.deadline is not None:
            await self.ctx.timed.plan(CLOSE, poll.poll_id, poll.deadline)
            await self._plan_reminder(poll)
        return poll

    async def _plan_reminder(self, poll: Poll) -> None:
        """Plan the reminder if it is still ahead; a moment already passed is never planned (it would fire at
        once and @mention everyone)."""
        remind_at = self.service.remind_at(poll)
        if remind_at is not None and remind_at > self.ctx.clock.now():
            await self.ctx.timed.plan(REMIND, poll.poll_id, remind_at)

    # ---- creating --------------------------------------------------------------------------------------------
    @command("投票", "poll", help="polls.command.poll", offer=EVERYWHERE)
    async def start(self, turn: Turn) -> Outcome | None:
        """「投票」 alone: the entry card; 「投票 質問 / 選択肢1 / 選択肢2」: post that poll right away."""
        if not turn.text:
            return Say(card=cards.entry_card(turn.lang))
        if has_controls(turn.text):
            return Notify("\n\n".join([t("polls.oneliner.control", turn.lang), t("polls.oneliner.usage", turn.lang)]))
        question, options = split_oneliner(turn.text)
        problems = check(question, options, now=self.ctx.clock.now())
        if problems:
            lines = [t(key, turn.lang, **params) for key, params in problems.values()]
            return Notify("\n\n".join([*lines, t("polls.oneliner.usage", turn.lang)]))
        posted = await self.publish(self._origin(turn), Draft(question, tuple(options)), turn.new_id("poll"))
        return None if posted else Notify(t("polls.post_failed", turn.lang))

    @dialog(cards.DIALOG, "fetch")
    async def open_form(self, turn: Turn) -> Outcome:
        return self._form(turn, cards.NEW_FORM)

    @dialog(cards.DIALOG, "submit")
    async def submit_form(self, turn: Turn) -> Outcome:
        data = turn.data
        values = {name: form_text(data, name) for name in cards.FIELDS if scalar_text(data.get(name)) is not None}
        if data.get("step") == "edit":
            return self._form(turn, values)
        draft, errors = parse_form(data, turn.lang, self.ctx.clock.now().astimezone(self.service.tz))
        if draft is None:
            return self._form(turn, values, errors)
        origin = self._origin(turn)
        if data.get("step") != "post":
            sketch = self.service.sketch(origin, draft)
            empty = Tally((0,) * len(sketch.options), 0)
            preview = cards.preview_card(sketch, empty, values, threshold=self.threshold, tz=self.service.tz)
            return InvokeBody(task_form(preview, t("polls.dialog.preview", turn.lang), height="large"))
        posted = await self.publish(origin, draft, turn.new_id("poll"))
        return InvokeBody(task_message(t("polls.posted" if posted else "polls.post_failed", turn.lang)))

    # ---- voting ----------------------------------------------------------------------------------------------
    def _here(self, turn: Turn, poll: Poll) -> bool:
        """Whether the turn is in the poll's own chat or channel (any thread of it) and tenant."""
        return turn.place == poll.place_id and (poll.tenant_id or "") == (turn.conversation.tenant_id or "")

    def _ticketed(self, turn: Turn, poll: Poll) -> bool:
        """A click on a personal reminder: in the voter's 1:1 chat, same tenant, with the ticket sent to them."""
        return (
            turn.personal
            and (poll.tenant_id or "") == (turn.conversation.tenant_id or "")
            and self.service.ticket_valid(poll.poll_id, turn.user_key, turn.data.get("ticket"))
        )

    async def _poll(self, turn: Turn, *, ticketed: bool = False) -> Poll:
        """The poll a button names, only where it was posted (or, for votes, a person's own reminder): an id copied
        into another chat, channel, tenant or 1:1 is refused and changes nothing."""
        poll = await self.service.find(turn.data.get("poll_id"))
        if poll is None:
            raise Refusal("polls.vote.unknown")
        if not self._here(turn, poll) and not (ticketed and self._ticketed(turn, poll)):
            raise Refusal("polls.elsewhere")
        return poll

    def _personal_ticket(self, turn: Turn, poll: Poll) -> str | None:
        return None if self._here(turn, poll) else self.service.ticket(poll.poll_id, turn.user_key)

    def _own_view(self, turn: Turn, poll: Poll, tally: Tally, mine: tuple[int, ...]) -> Refresh:
        """The poll as this person sees it: their choice marked, the shared totals, the creator's buttons only for
        the creator (Teams shows a card answer to the clicker alone). Its `refresh` lists nobody: the shared card
        carries the list, and a vote storm should not read it once per vote."""
        card = cards.poll_card(
            poll,
            tally,
            turn.lang,
            mine=mine,
            threshold=self.threshold,
            ticket=self._personal_ticket(turn, poll),
            tz=self.service.tz,
            creator=self.service.is_creator(poll, turn.user_key),
        )
        return Refresh(card)

    @verb(cards.VOTE)
    async def vote(self, turn: Turn) -> Outcome | None:
        poll = await self._poll(turn, ticketed=True)
        choices = chosen_options(turn.data)
        if choices is None:
            raise Refusal("polls.vote.invalid")
        _check_count(poll, choices)
        now = self.ctx.clock.now()
        result = await self.service.vote(poll, turn.user_key, turn.actor.name, choices, now, teams_id=turn.actor.id)
        if result.problem is not None or result.poll is None or result.tally is None:
            raise Refusal(f"polls.vote.{result.problem}")
        self._update_card(result.poll)
        if turn.data.get("via") == "submit":
            return None  # an older client: a refreshed card would replace the shared one for everybody
        return self._own_view(turn, result.poll, result.tally, result.choices)

    @verb(cards.VIEW)
    async def view(self, turn: Turn) -> Outcome:
        """The poll as this person sees it (their own choices marked): Teams' automatic refresh of the shared
        card, 「自分の回答を表示」 and 「投票に戻る」."""
        poll = await self._poll(turn, ticketed=True)
        mine = await self.service.ballot_of(poll, turn.user_key)
        return self._own_view(turn, poll, await self.service.tally(poll), mine)

    # ---- the creator's tools ---------------------------------------------------------------------------------
    async def _creators(self, turn: Turn) -> Poll:
        poll = await self._poll(turn)
        if not self.service.is_creator(poll, turn.user_key):
            raise Refusal("polls.creator_only")
        return poll

    async def _tools(self, turn: Turn, poll: Poll, **extra: Any) -> Refresh:
        tally = await self.service.tally(poll)
        return Refresh(
            cards.creator_card(poll, tally, turn.lang, threshold=self.threshold, tz=self.service.tz, **extra)
        )

    @verb(cards.MANAGE)
    async def manage(self, turn: Turn) -> Outcome:
        return await self._tools(turn, await self._creators(turn))

    @verb(cards.DETAILS)
    async def details(self, turn: Turn) -> Outcome:
        poll = await self._creators(turn)
        if poll.anonymous:
            raise Refusal("polls.details.anonymous")
        return await self._tools(turn, poll, details=await self.service.named_ballots(poll))

    @verb(cards.CLOSE)
    async def close(self, turn: Turn) -> Outcome:
        poll = await self._creators(turn)
        closed = await self.service.close(poll, self.ctx.clock.now())
        if closed is None:
            raise Refusal("polls.already_closed")
        await self._closed(closed)
        return await self._tools(turn, closed)

    async def _closed(self, poll: Poll) -> None:
        await self.ctx.timed.cancel(CLOSE, poll.poll_id)
        await self.ctx.timed.cancel(REMIND, poll.poll_id)
        self._update_card(poll)

    @verb(cards.REOPEN)
    async def reopen(self, turn: Turn) -> Outcome:
        """Reopen a closed poll; a kept deadline gets its close back, and its reminder too while that is ahead."""
        poll = await self._creators(turn)
        reopened = await self.service.reopen(poll)
        if reopened is None:
            raise Refusal("polls.already_open")
        if reopened.deadline is not None:
            await self.ctx.timed.plan(CLOSE, poll.poll_id, reopened.deadline)
            await self._plan_reminder(reopened)
        self._update_card(reopened)
        return await self._tools(turn, reopened)

    async def _named_group_poll(self, turn: Turn) -> Poll:
        poll = await self._creators(turn)
        if poll.anonymous or poll.conversation_type == "personal":
            raise Refusal("polls.non_voters.unavailable")
        return poll

    @verb(cards.NON_VOTERS)
    async def show_non_voters(self, turn: Turn) -> Outcome:
        poll = await self._named_group_poll(turn)
        people = await self.delivery.non_voters(poll)
        return await self._tools(turn, poll, non_voters=[str(person.get("name") or "") for person in people])

    @verb(cards.REMIND_THREAD)
    async def remind_thread(self, turn: Turn) -> Outcome:
        """One message in the poll's thread that @mentions everyone who has not voted."""
        poll = await self._named_group_poll(turn)
        people = await self.delivery.non_voters(poll)
        if not people:
            raise Refusal("polls.reminded.nobody")
        delivery = await self.delivery.remind_in_thread(turn.conversation.conversation_id, poll, people)
        return Notify(
            t("polls.reminded.thread" if delivery.sent else "polls.post_failed", turn.lang, count=len(people))
        )

    @verb(cards.REMIND_PERSONAL)
    async def remind_personal(self, turn: Turn) -> Outcome:
        """A 1:1 reminder to each non-voter who has the bot: queued as timed work, so the click answers at once
        however many there are (Teams allows a few messages a second)."""
        poll = await self._named_group_poll(turn)
        people = [person["aadObjectId"] for person in await self.delivery.non_voters(poll)]
        reachable = await self.ctx.conversations.personal_chats(people, poll.tenant_id)
        if reachable:
            payload = {"chats": dict(reachable)}
            await self.ctx.timed.plan(
                REMIND_PEOPLE, f"{poll.poll_id}:{uuid.uuid4().hex}", self.ctx.clock.now(), payload
            )
        unreachable = len(people) - len(reachable)
        return Notify(t("polls.reminded.personal", turn.lang, sent=len(reachable), unreachable=unreachable))

    @verb(cards.EXPORT)
    async def export(self, turn: Turn) -> Outcome:
        poll = await self._creators(turn)
        base = self.ctx.settings.browser_base_url
        if base is None:
            raise Refusal("polls.export.unavailable")
        url = base + export_path(self.service.export_key, poll.poll_id, self.ctx.clock.now())
        return await self._tools(turn, poll, export_url=url)

    @verb(poll_repeat.REPEAT)
    async def repeat(self, turn: Turn) -> Outcome:
        poll = await self._creators(turn)
        recurrence = parse_recurrence(turn.data)
        if recurrence == "invalid":
            raise Refusal("polls.repeat.invalid")
        saved = await self.service.save_recurrence(poll, recurrence if isinstance(recurrence, dict) else None)
        following = self.service.next_repeat(saved or poll, self.ctx.clock.now()) if saved else None
        if following is None:
            await self.ctx.timed.cancel(REPEAT, poll.poll_id)
        else:
            await self.ctx.timed.plan(REPEAT, poll.poll_id, following)
        return await self._tools(turn, saved or poll)

    # ---- the export download ---------------------------------------------------------------------------------
    @http("GET", "/polls/{poll_id}/export.csv")
    async def download_export(self, request: HttpRequest) -> HttpResponse:
        """The creator's signed, 10-minute download link."""
        poll_id = request.path["poll_id"]
        query = request.query
        now = self.ctx.clock.now()
        if signed_params(self.service.export_key, export_route(poll_id), query, now) is None:
            known = await self.service.find(poll_id)  # the link's language is its poll's
            return HttpResponse(403, t("polls.export.link_expired", known.lang if known else DEFAULT_LANGUAGE))
        poll = await self.service.poll(poll_id)
        if poll is None:
            return HttpResponse(404, "not found")
        labels = {name: t(f"polls.export.{name}", poll.lang, threshold=self.threshold) for name in EXPORT_LABELS}
        named = [] if poll.anonymous else await self.service.named_ballots(poll)
        body = poll_csv(poll, await self.service.tally(poll), named, labels, self.threshold)
        headers = {"Content-Disposition": export_disposition(poll, self.service.tz), "Cache-Control": "no-store"}
        return HttpResponse(200, body, "text/csv", headers)

    # ---- timed work ------------------------------------------------------------------------------------------
    @timed(CLOSE)
    async def close_due(self, item: DueItem) -> None:
        """The deadline came (or passed while the bot was down): close, update the card."""
        poll = await self.service.poll(item.item)
        now = self.ctx.clock.now()
        if poll is None or not poll.is_open or poll.deadline is None or poll.deadline > now:
            return  # reopened without a deadline, closed by hand, or gone
        closed = await self.service.close(poll, now)
        if closed is not None:
            await self.ctx.timed.cancel(REMIND, poll.poll_id)
            self._update_card(closed)

    @timed(REMIND)
    async def remind_due(self, item: DueItem) -> None:
        """Named polls in a chat or channel @mention who has not voted; others get a note."""
        poll = await self.service.poll(item.item)
        if poll is None or not poll.is_open or poll.deadline is None:
            return
        if not poll.anonymous and poll.conversation_type != "personal":
            people = await self.delivery.non_voters(poll)
            delivery = None
            if people:
                delivery = await self.delivery.remind_in_thread(poll.conversation_id, poll, people, once=item.key)
        else:
            text = t("polls.reminder.deadline", poll.lang, question=poll.question)
            notice = card_message(notice_card(text, poll.lang))  # the question as typed, never as Markdown
            delivery = await self.ctx.sender.post(poll.conversation_id, notice, once=item.key)
        if delivery is not None and delivery.transient:
            raise RetryLater(f"poll reminder not delivered: {delivery.error}")

    @timed(REPEAT)
    async def repeat_due(self, item: DueItem) -> datetime | None:
        """Post a fresh copy of the poll where it was first posted (once per occurrence)."""
        template = await self.service.poll(item.item)
        if template is None or not template.recurrence:
            return None
        origin = Origin(
            user_key=template.creator_key,
            tenant_id=template.tenant_id,
            conversation_id=template.conversation_id,
            conversation_type=template.conversation_type,
            service_url=template.service_url,
            lang=template.lang,
        )
        await self.publish(origin, self.service.copy_draft(template, item.occurrence), stable_id(item.key))
        return self.service.next_repeat(template, item.occurrence)

    @timed(REMIND_PEOPLE)
    async def remind_people_due(self, item: DueItem) -> None:
        """The 1:1 reminders a creator asked for; each person once, however often this run is retried."""
        poll = await self.service.poll(item.item.partition(":")[0])
        if poll is None or not poll.is_open:
            return
        gate = asyncio.Semaphore(FAN_OUT)

        async def remind(aad_id: str, conversation_id: str) -> bool:
            async with gate:
                once = f"{item.key}:{aad_id}"
                return (await self.delivery.remind_person(poll, aad_id, conversation_id, once=once)).transient

        chats = dict(item.payload.get("chats") or {})
        failed = sum(await asyncio.gather(*(remind(aad, chat) for aad, chat in chats.items())))
        if failed:
            raise RetryLater(f"{failed} personal poll reminder(s) not delivered")

    @timed(CARD)
    async def card_due(self, item: DueItem) -> None:
        """Write a shared card that kept failing; until it lands, the poll stays marked dirty."""
        poll = await self.service.poll(item.item)
        if poll is None or poll.activity_id is None or not poll.card_dirty:
            return
        delivery = await self.delivery.update_now(poll)
        if delivery.transient:
            raise RetryLater(f"shared poll card not updated: {delivery.error}")
