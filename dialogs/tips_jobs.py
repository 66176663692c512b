"""The wiring from the running services to the tips domain: the service per app, and the scheduled job that posts
the tip of the day into a subscribed chat or channel, on working days only.

Runs from the persistent job store, so it takes plain kwargs and reaches the running services through
`bot.scheduler.get_runtime`. `now` is injectable so tests can fire it on any date without sleeping.
"""

from __future__ import annotations

import logging
import weakref
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.scheduler import get_runtime
from bot.services import Services
from bot.tips.library import default_library
from bot.tips.service import TipService, conversation_audience
from bot.tips.store import TipStore
from bot.workdays import is_working_day
from cards.base import attachment
from cards.tips import tip_card

if TYPE_CHECKING:
    from bot.sender import Delivery

log = logging.getLogger(__name__)


# One service per running app, keyed by the Services object's identity (see `dialogs.nudges_jobs.nudge_service`).
_services: dict[int, tuple[weakref.ref[Services], TipService]] = {}


def tip_service(services: Services) -> TipService:
    """The tips domain on the app's store with the built-in library, built once per app (not per turn)."""
    key = id(services)
    cached = _services.get(key)
    if cached is not None and cached[0]() is services:
        return cached[1]
    service = TipService(TipStore(services.store.engine), default_library())
    _services[key] = (weakref.ref(services, lambda _gone: _services.pop(key, None)), service)
    return service


async def post_tip_of_the_day(conversation_id: str, now: datetime | None = None) -> Delivery | None:
    """Post one unseen tip; None when nothing was due (not a working day, unsubscribed, already posted today)."""
    services = get_runtime(Services)
    now = now or datetime.now(UTC)
    today = now.astimezone(ZoneInfo(services.settings.tz)).date()
    if not is_working_day(today):
        log.info("tip of the day for %s skipped: %s is not a working day", conversation_id, today)
        return None
    service = tip_service(services)
    store, library = service.store, service.library
    subscription = await store.subscription(conversation_id)
    if subscription is None or not await store.claim_day(conversation_id, today, now):
        return None
    tip = await service.next_tip(conversation_audience(conversation_id), now)
    card = tip_card(tip, library.category(tip.category), subscription.lang, daily=True)
    delivery = await services.sender.post(conversation_id, {"type": "message", "attachments": [attachment(card)]})
    log.info("tip of the day %s for %s: %s", tip.id, conversation_id, delivery.status)
    return delivery
