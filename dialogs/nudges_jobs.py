"""The scheduler's entry point for nudges, and the wiring from the running services to the nudge domain."""

from __future__ import annotations

import logging
import weakref
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.nudges.schedule import QuietHours
from bot.nudges.service import NudgeService
from bot.nudges.store import NudgeStore
from bot.scheduler import get_runtime
from bot.services import Services
from cards.base import attachment
from cards.nudges import nudge_card

log = logging.getLogger(__name__)


# One service per running app (built on its first turn, not on every one), keyed by the Services object's
# identity; the weak reference drops the entry with the app and guards against a reused id.
_services: dict[int, tuple[weakref.ref[Services], NudgeService]] = {}


def nudge_service(services: Services) -> NudgeService:
    """The nudge domain on the app's store and scheduler, with the deployment's quiet hours (one per app)."""
    key = id(services)
    cached = _services.get(key)
    if cached is not None and cached[0]() is services:
        return cached[1]
    service = NudgeService(
        NudgeStore(services.store.engine),
        services.scheduler,
        services.store.preferences,
        ZoneInfo(services.settings.tz),
        quiet=QuietHours.parse(services.settings.quiet_hours),
        admins=services.settings.admin_aad_object_ids,
    )
    _services[key] = (weakref.ref(services, lambda _gone: _services.pop(key, None)), service)
    return service


async def fire(nudge_id: str, now: datetime | None = None) -> None:
    """Job `nudge:<id>`: post the nudge if its rules allow it now, and plan its next run. `now` is for tests."""
    services = get_runtime(Services)
    nudges = nudge_service(services)
    moment = now or datetime.now(UTC)
    nudge = await nudges.due(nudge_id, moment)
    if nudge is None:
        return
    activity = {"type": "message", "attachments": [attachment(nudge_card(nudge))]}
    delivery = await services.sender.post(nudge.conversation_id, activity)
    if delivery.sent:
        await nudges.sent(nudge, moment)
    else:
        log.warning("nudge %s not delivered to %s: %s", nudge_id, nudge.conversation_id, delivery.error)
