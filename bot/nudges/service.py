"""What a team lead can do with nudges, and the rules a due nudge obeys.

Each nudge keeps its next delivery in `next_run_at` (quiet hours and working days already applied, see
`bot.recurrence`); the feature keeps the timed work `nudges.post` of the nudge at that moment. A paused nudge
stays planned: its run posts nothing, so resuming needs no bookkeeping beyond planning from now.

Who may change a nudge (the feature's permission policy): its creator or a bot admin; pausing is the per-nudge
mute for a channel or group chat, which a team owner may use too. Snoozing is personal: for 7 days nothing is
posted into that person's 1:1 chat with the bot; nudges in channels are not affected (everyone shares them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.nudges.model import Nudge
from bot.nudges.store import NudgeStore, schedule_columns
from bot.places import place_id, same_place
from bot.recurrence import QUIET_HOURS, QuietHours, Schedule, delivery_time, may_post_at, next_delivery
from bot.store.preferences import Preferences

SNOOZE = timedelta(days=7)
SNOOZE_PREF = "nudges_snoozed_until"


@dataclass(frozen=True)
class Draft:
    """A checked nudge from the dialog: what to say and when."""

    text: str
    schedule: Schedule


@dataclass(frozen=True)
class Origin:
    """Who sets the nudge up, where, and in which language its card speaks."""

    user_key: str
    tenant_id: str | None
    conversation_id: str
    conversation_type: str
    lang: str


@dataclass(frozen=True)
class Due:
    """What a due run does: post now or not, and when the nudge is due next (None: a one-off is over)."""

    post: bool
    following: datetime | None


class NudgeService:
    def __init__(
        self, engine: AsyncEngine, preferences: Preferences, tz: ZoneInfo, *, quiet: QuietHours = QUIET_HOURS
    ) -> None:
        self._store = NudgeStore(engine)
        self._preferences = preferences
        self.tz = tz
        self.quiet = quiet

    # ---- a team lead's actions ------------------------------------------------------------------------------
    async def create(self, origin: Origin, draft: Draft, now: datetime, nudge_id: str) -> Nudge:
        """Store a new nudge and plan it; the same `nudge_id` again (the same turn run again) changes nothing."""
        nudge = await self._store.add(
            Nudge(
                nudge_id=nudge_id,
                tenant_id=origin.tenant_id,
                conversation_id=origin.conversation_id,
                place_id=place_id(origin.conversation_id),
                conversation_type=origin.conversation_type,
                creator_key=origin.user_key,
                lang=origin.lang,
                text=draft.text,
                paused=False,
                **schedule_columns(draft.schedule),
            )
        )
        return await self._plan(nudge, now)

    async def find(self, nudge_id: object, conversation_id: str, tenant_id: str | None) -> Nudge | None:
        """The nudge a button or form names, only if it belongs to the chat or channel (and tenant) it was
        clicked in: an id copied into another chat, tenant or a 1:1 finds nothing."""
        nudge = await self._store.get(nudge_id) if isinstance(nudge_id, str) else None
        if nudge is None or not same_place(nudge.place_id, nudge.tenant_id, conversation_id, tenant_id):
            return None
        return nudge

    async def nudge(self, nudge_id: str) -> Nudge | None:
        """The nudge its own timed work names, wherever it is (`find` is for ids that come from a click)."""
        return await self._store.get(nudge_id)

    async def in_conversation(self, conversation_id: str, tenant_id: str | None = None) -> list[Nudge]:
        """The nudges of the chat or channel (of that tenant, when given)."""
        found = await self._store.in_place(place_id(conversation_id))
        if tenant_id is None:
            return found
        return [nudge for nudge in found if same_place(nudge.place_id, nudge.tenant_id, conversation_id, tenant_id)]

    async def edit(self, nudge: Nudge, draft: Draft, now: datetime) -> Nudge | None:
        changed = await self._store.change(nudge.nudge_id, text=draft.text, **schedule_columns(draft.schedule))
        return None if changed is None else await self._plan(changed, now)

    async def set_paused(self, nudge: Nudge, paused: bool, now: datetime) -> Nudge | None:
        """Pause or resume; a resumed nudge is planned from now, so a long pause does not post a stale one."""
        changed = await self._store.change(nudge.nudge_id, paused=paused)
        return None if changed is None else await self._plan(changed, now)

    async def delete(self, nudge: Nudge) -> None:
        await self._store.remove(nudge.nudge_id)

    # ---- a member's snooze ----------------------------------------------------------------------------------
    async def snooze(self, user_key: str, tenant_id: str | None, now: datetime) -> datetime:
        until = (now + SNOOZE).astimezone(UTC)
        await self._preferences.update(user_key, tenant_id, **{SNOOZE_PREF: until.isoformat()})
        return until

    async def snoozed_until(self, user_key: str) -> datetime | None:
        stored = await self._preferences.get(user_key)
        value = stored.prefs.get(SNOOZE_PREF) if stored else None
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    # ---- when it is due -------------------------------------------------------------------------------------
    async def upcoming(self) -> list[Nudge]:
        """Every nudge with a next delivery: what start-up re-plans the timed work of."""
        return await self._store.planned()

    async def due(self, nudge: Nudge, now: datetime) -> Due:
        """The nudge's run came at `now`: post it or not, and when it is due next.

        Inside quiet hours (or on a day off for a working-days nudge) nothing is posted and the run moves to the
        next allowed moment; a paused nudge, or a personal one whose user snoozed, is skipped this time.
        """
        local = now.astimezone(self.tz)
        if not may_post_at(nudge.schedule, local, self.quiet):
            return Due(False, delivery_time(nudge.schedule, local, self.quiet))
        post = not nudge.paused and not await self._snoozed(nudge, now)
        return Due(post, next_delivery(nudge.schedule, local, self.quiet))

    async def planned(self, nudge: Nudge, following: datetime | None, *, sent_at: datetime | None = None) -> None:
        """Record the run's outcome: the next delivery (for the list card) and, if it was posted, when."""
        values: dict[str, object] = {"next_run_at": following}
        if sent_at is not None:
            values["last_sent_at"] = sent_at
        await self._store.change(nudge.nudge_id, **values)

    async def _snoozed(self, nudge: Nudge, now: datetime) -> bool:
        if nudge.conversation_type != "personal":
            return False
        until = await self.snoozed_until(nudge.creator_key)
        return until is not None and until > now

    async def _plan(self, nudge: Nudge, after: datetime) -> Nudge:
        following = next_delivery(nudge.schedule, after.astimezone(self.tz), self.quiet)
        return await self._store.change(nudge.nudge_id, next_run_at=following) or nudge
