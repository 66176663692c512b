"""The wiring from the running services to the poll domain: the service per app, posting and updating cards,
the scheduler's entry points, reminders, start-up recovery and the export download route."""

from __future__ import annotations

import html
import logging
import weakref
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.i18n import DEFAULT_LANGUAGE, t
from bot.polls.ballots import derive_key
from bot.polls.export import link_valid, poll_csv
from bot.polls.model import PRIVACY_THRESHOLD, Origin, Poll
from bot.polls.service import PollService
from bot.polls.store import PollStore
from bot.scheduler import get_runtime
from bot.sender import Delivery
from bot.services import Services
from bot.store import Store
from cards.base import attachment
from cards.message import notice_card
from cards.polls import poll_card, reminder_card

log = logging.getLogger(__name__)

MEMBERS_PAGE = 500  # the largest page Teams serves
EXPORT_LABELS = ("question", "ballots", "withheld", "option", "votes", "share", "voter")

# One service per app (it holds the vote batcher), keyed weakly by the app's store.
_services: weakref.WeakKeyDictionary[Store, PollService] = weakref.WeakKeyDictionary()


async def poll_service(services: Services) -> PollService:
    """The poll domain on the app's store and scheduler, with this installation's ballot key."""
    service = _services.get(services.store)
    if service is None:
        store = PollStore(services.store.engine)
        key = derive_key(services.settings.app_password, await store.installation_secret())
        service = PollService(store, services.scheduler, ZoneInfo(services.settings.tz), ballot_key=key)
        service = _services.setdefault(services.store, service)
    return service


# ---- cards in the conversation ----------------------------------------------------------------------------------
async def post_poll(services: Services, service: PollService, origin: Origin, poll: Poll) -> Poll | None:
    """Post the new poll's card where it was made and plan its jobs; None (poll forgotten) if Teams refused."""
    tally = await service.store.tally(poll)
    card = poll_card(poll, tally, threshold=services.settings.poll_privacy_threshold, tz=service.tz)
    activity = {"type": "message", "attachments": [attachment(card)]}
    delivery = await services.sender.post(origin.conversation_id, activity)
    if not delivery.sent:
        log.warning("poll %s not posted: %s", poll.poll_id, delivery.error)
        await service.discard(poll)
        return None
    return await service.posted(poll, delivery.activity_id)


def request_card_update(services: Services, service: PollService, poll: Poll) -> None:
    """Ask for the shared card to show the current totals (coalesced: at most one write per 3 s per chat)."""
    if poll.activity_id is None:
        return

    async def render() -> dict[str, Any]:
        await service.store.clean(poll.poll_id)  # cleared before reading: a vote after this sets it again
        current = await service.store.get(poll.poll_id) or poll
        tally = await service.store.tally(current)
        return poll_card(current, tally, threshold=services.settings.poll_privacy_threshold, tz=service.tz)

    services.card_refresher.request(poll.conversation_id, poll.activity_id, render)


async def refresh_dirty_cards(services: Services) -> int:
    """Start-up: close polls whose deadline passed while the bot was down and rewrite shared cards a crash left
    behind the database. Returns how many dirty cards were asked for."""
    service = await poll_service(services)
    now = datetime.now(UTC)
    for poll in await service.store.overdue(now):
        closed = await service.close(poll, now)
        if closed is not None:
            request_card_update(services, service, closed)
    dirty = await service.store.dirty()
    for poll in dirty:
        request_card_update(services, service, poll)
    return len(dirty)


# ---- members and reminders --------------------------------------------------------------------------------------
async def members(services: Services, poll: Poll) -> list[dict[str, Any]]:
    """Everyone in the poll's chat or channel, page by page."""
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = await services.sender.connector.paged_members(
            poll.service_url, poll.place_id, page_size=MEMBERS_PAGE, continuation_token=token
        )
        found += page.get("members") or []
        token = page.get("continuationToken")
        if not token:
            return found


async def non_voters(services: Services, service: PollService, poll: Poll) -> list[dict[str, Any]]:
    """Members of a named poll's chat who have not voted (the creator excluded)."""
    voted = await service.store.voter_keys(poll.poll_id)
    skip = voted | {poll.creator_aad_id}
    return [m for m in await members(services, poll) if m.get("aadObjectId") and m["aadObjectId"] not in skip]


def mention_activity(text: str, people: list[dict[str, Any]]) -> dict[str, Any]:
    """One message that @mentions everyone in `people` (Teams' mention entities). It is XML: `text` must be
    escaped already, and names are escaped here (a `<` in a name would be read as a tag)."""
    tags = [f"<at>{html.escape(person.get('name') or '', quote=False)}</at>" for person in people]
    entities = [
        {"type": "mention", "text": tag, "mentioned": {"id": person["id"], "name": person.get("name") or ""}}
        for tag, person in zip(tags, people, strict=True)
    ]
    return {"type": "message", "text": f"{text} {' '.join(tags)}", "textFormat": "xml", "entities": entities}


async def remind_in_thread(
    services: Services, conversation_id: str, poll: Poll, people: list[dict[str, Any]]
) -> Delivery:
    question = html.escape(poll.question, quote=False)  # typed markup stays text, not tags or a fake @mention
    text = t("polls.reminder.thread", poll.lang, question=question)
    return await services.sender.post(conversation_id, mention_activity(text, people))


async def remind_personally(
    services: Services, service: PollService, poll: Poll, aad_ids: list[str]
) -> tuple[int, int]:
    """A 1:1 reminder to each person who has the bot installed; (sent, unreachable). Each card carries that
    person's ticket, so their vote from the 1:1 chat counts in the poll (and nobody else's would)."""
    chats = await services.store.conversations.personal_chats(aad_ids, poll.tenant_id)
    tally = await service.store.tally(poll)
    threshold = services.settings.poll_privacy_threshold
    sent = 0
    for aad_id, conversation_id in chats.items():
        ticket = service.ticket(poll.poll_id, aad_id)
        card = reminder_card(poll, tally, poll.lang, ticket=ticket, threshold=threshold, tz=service.tz)
        activity = {"type": "message", "attachments": [attachment(card)]}
        sent += (await services.sender.post(conversation_id, activity)).sent
    return sent, len(aad_ids) - sent


# ---- scheduler jobs ---------------------------------------------------------------------------------------------
async def close_poll(poll_id: str, now: datetime | None = None) -> None:
    """Job `poll-close:<id>`: the deadline came (or passed while the bot was down): close, update the card."""
    services = get_runtime(Services)
    service = await poll_service(services)
    moment = now or datetime.now(UTC)
    poll = await service.store.get(poll_id)
    if poll is None or not poll.is_open or poll.deadline is None or poll.deadline > moment:
        return  # reopened without a deadline, closed by hand, or gone
    closed = await service.close(poll, moment)
    if closed is not None:
        request_card_update(services, service, closed)


async def remind_before_deadline(poll_id: str) -> None:
    """Job `poll-remind:<id>`: named polls in a chat or channel @mention who has not voted; others get a note."""
    services = get_runtime(Services)
    service = await poll_service(services)
    poll = await service.store.get(poll_id)
    if poll is None or not poll.is_open or poll.deadline is None:
        return
    if not poll.anonymous and poll.conversation_type != "personal":
        people = await non_voters(services, service, poll)
        if people:
            await remind_in_thread(services, poll.conversation_id, poll, people)
        return
    text = t("polls.reminder.deadline", poll.lang, question=poll.question)
    notice = notice_card(text, poll.lang)  # the question as typed, never as Markdown
    await services.sender.post(poll.conversation_id, {"type": "message", "attachments": [attachment(notice)]})


async def repeat_poll(poll_id: str, now: datetime | None = None) -> None:
    """Job `poll-repeat:<id>` (cron): post a fresh copy of the poll where it was first posted."""
    services = get_runtime(Services)
    service = await poll_service(services)
    template = await service.store.get(poll_id)
    if template is None or template.recurrence is None:
        return
    moment = now or datetime.now(UTC)
    origin = Origin(
        user_key=template.creator_aad_id,
        tenant_id=template.tenant_id,
        conversation_id=template.conversation_id,
        conversation_type=template.conversation_type,
        service_url=template.service_url,
        lang=template.lang,
    )
    fresh = await service.create(origin, service.copy_draft(template, moment))
    await post_poll(services, service, origin, fresh)


# ---- export -----------------------------------------------------------------------------------------------------
EXPORT_ROUTE = "/polls/{poll_id}/export.csv"


async def download_export(services: Services, request: web.Request) -> web.StreamResponse:
    """GET /polls/{poll_id}/export.csv?expires=…&sig=… — the creator's signed, 10-minute download link."""
    service = await poll_service(services)
    poll_id = request.match_info["poll_id"]
    query = request.query
    if not link_valid(service.export_key, poll_id, query.get("expires", ""), query.get("sig", ""), datetime.now(UTC)):
        known = await service.find(poll_id)  # the link's language is its poll's
        lang = known.lang if known is not None else DEFAULT_LANGUAGE
        raise web.HTTPForbidden(text=t("polls.export.link_expired", lang))
    poll = await service.store.get(poll_id)
    if poll is None:
        raise web.HTTPNotFound()
    body = await export_csv(service, poll, services.settings.poll_privacy_threshold)
    headers = {"Content-Disposition": f'attachment; filename="poll-{poll_id}.csv"', "Cache-Control": "no-store"}
    return web.Response(body=body, content_type="text/csv", charset="utf-8", headers=headers)


async def export_csv(service: PollService, poll: Poll, threshold: int = PRIVACY_THRESHOLD) -> bytes:
    labels = {name: t(f"polls.export.{name}", poll.lang, threshold=threshold) for name in EXPORT_LABELS}
    named = [] if poll.anonymous else await service.store.named_ballots(poll.poll_id)
    return poll_csv(poll, await service.store.tally(poll), named, labels, threshold)
