"""How poll cards and reminders reach Teams: posting a poll, keeping its shared card current, @mentioning or
messaging who has not voted. Everything goes out through the feature context's sender."""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.card_updates import CardView, update_card
from bot.context import Context
from bot.i18n import t
from bot.polls.model import Origin, Poll
from bot.polls.service import PollService
from bot.sender import Delivery
from cards.base import card_message
from cards.polls import poll_card, reminder_card

log = logging.getLogger(__name__)


class PollDelivery:
    def __init__(self, ctx: Context, service: PollService, threshold: int) -> None:
        self.ctx = ctx
        self.service = service
        self.threshold = threshold  # anonymous polls show no breakdown below this many ballots

    async def shared_card(self, poll: Poll) -> dict[str, Any]:
        """The card everybody in the conversation is sent, with the current totals."""
        tally = await self.service.tally(poll)
        refreshed_for = await self.service.refreshed_for(poll)
        return poll_card(poll, tally, threshold=self.threshold, tz=self.service.tz, refreshed_for=refreshed_for)

    async def post(self, origin: Origin, poll: Poll, *, once: str | None = None) -> Poll | None:
        """Post the new poll's card where it was made; None (poll forgotten) if Teams refused it."""
        card = await self.shared_card(poll)
        delivery = await self.ctx.sender.post(origin.conversation_id, card_message(card), once=once)
        if not delivery.sent:
            log.warning("poll %s not posted: %s", poll.poll_id, delivery.error)
            await self.service.discard(poll)
            return None
        return await self.service.posted(poll, delivery.activity_id)

    async def render(self, poll_id: str) -> CardView:
        """The shared card as the database has it now; once Teams has it, that version of the votes is shown."""
        poll = await self.service.poll(poll_id)
        if poll is None:
            raise LookupError(f"poll {poll_id} is gone")
        card = await self.shared_card(poll)
        version = poll.card_version

        async def shown() -> None:
            await self.service.card_shown(poll_id, version)

        return CardView(card, shown)

    def request_update(self, poll: Poll, gave_up: Callable[[], Awaitable[None]] | None = None) -> None:
        """Ask for the shared card to show the current totals (coalesced: at most one write per interval)."""
        if poll.activity_id is None:
            return

        async def render() -> CardView:
            return await self.render(poll.poll_id)

        self.ctx.cards.request(poll.conversation_id, poll.activity_id, render, gave_up)

    async def update_now(self, poll: Poll) -> Delivery:
        """Write the shared card at once (a retry planned after the coalesced updates gave up)."""
        assert poll.activity_id is not None
        return await update_card(
            self.ctx.sender, poll.conversation_id, poll.activity_id, lambda: self.render(poll.poll_id)
        )

    # ---- who has not voted ---------------------------------------------------------------------------------
    async def non_voters(self, poll: Poll) -> list[dict[str, Any]]:
        """Members of a named poll's chat who have not voted (the creator excluded)."""
        voted = await self.service.voted(poll)
        skip = voted | {poll.creator_key}
        members = await self.ctx.sender.members(poll.service_url, poll.place_id)
        return [m for m in members if m.get("aadObjectId") and m["aadObjectId"] not in skip]

    async def remind_in_thread(
        self, conversation_id: str, poll: Poll, people: list[dict[str, Any]], *, once: str | None = None
    ) -> Delivery:
        question = html.escape(poll.question, quote=False)  # typed markup stays text, not tags or a fake @mention
        activity = mention_activity(people, poll.lang, "polls.reminder.thread", question=question)
        return await self.ctx.sender.post(conversation_id, activity, once=once)

    async def remind_person(self, poll: Poll, aad_id: str, conversation_id: str, *, once: str) -> Delivery:
        """A 1:1 reminder, in the language that person chose (else the poll's); the card carries their ticket, so
        their vote from the 1:1 chat counts in the poll (and nobody else's would)."""
        tally = await self.service.tally(poll)
        ticket = self.service.ticket(poll.poll_id, aad_id)
        lang = await self.ctx.languages.language(aad_id, poll.lang)
        card = reminder_card(poll, tally, lang, ticket=ticket, threshold=self.threshold, tz=self.service.tz)
        return await self.ctx.sender.post(conversation_id, card_message(card), once=once)


def mention_activity(people: list[dict[str, Any]], lang: str, key: str, **params: str) -> dict[str, Any]:
    """One message that @mentions everyone in `people` (Teams' mention entities): the catalog sentence `key` with
    them as `{people}`, each named with さん (in English, plainly). It is XML: `params` must be escaped already, and
    names are escaped here (a `<` in a name would be read as a tag)."""
    tags = [f"<at>{html.escape(person.get('name') or '', quote=False)}</at>" for person in people]
    entities = [
        {"type": "mention", "text": tag, "mentioned": {"id": person["id"], "name": person.get("name") or ""}}
        for tag, person in zip(tags, people, strict=True)
    ]
    named = t("polls.reminder.separator", lang).join(t("polls.reminder.person", lang, name=tag) for tag in tags)
    return {"type": "message", "text": t(key, lang, people=named, **params), "textFormat": "xml", "entities": entities}
