"""What a team lead can do with nudges, and the rules a firing nudge obeys.

Each nudge has one scheduler job, `nudge:<id>`, a one-off job always set to the nudge's next delivery (quiet
hours and working days already applied, see `bot.nudges.schedule`); each run plans the next one. A paused nudge
keeps its job: the job runs and posts nothing, so resuming needs no bookkeeping beyond planning from now.

Who may change a nudge: its creator, or a bot admin (`ADMIN_AAD_OBJECT_IDS`). Pausing is the per-nudge mute for
a channel or group chat. Snoozing is personal: for 7 days nothing is posted into that person's 1:1 chat with
the bot; nudges in channels are not affected (everyone there shares them).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.nudges.schedule import QUIET_HOURS, QuietHours, Schedule, delivery_time, may_post_at, next_delivery
from bot.nudges.store import Nudge, NudgeStore, schedule_columns
from bot.places import place_id, same_place
from bot.store.preferences import Preferences

if TYPE_CHECKING:
    from bot.scheduler import Scheduler

JOB_FUNCTION = "dialogs.nudges_jobs:fire"
SNOOZE = timedelta(days=7)
SNOOZE_PREF = "nudges_snoozed_until"


def job_id(nudge_id: str) -> str:
    return f"nudge:{nudge_id}"


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


class NudgeService:
    def __init__(
        self,
        store: NudgeStore,
        scheduler: Scheduler,
        preferences: Preferences,
        tz: ZoneInfo,
        *,
        quiet: QuietHours = QUIET_HOURS,
        admins: frozenset[str] = frozenset(),
    ) -> None:
        self.store = store
        self._scheduler = scheduler
        self._preferences = preferences
        self.tz = tz
        self.quiet = quiet
        self._admins = admins

    # ---- a team lead's actions ------------------------------------------------------------------------------
    async def create(self, origin: Origin, draft: Draft, now: datetime) -> Nudge:
        nudge = await self.store.add(
            Nudge(
                nudge_id=uuid.uuid4().hex,
                tenant_id=origin.tenant_id,
                conversation_id=origin.conversation_id,
                place_id=place_id(origin.conversation_id),
                conversation_type=origin.conversation_type,
                creator_aad_id=origin.user_key,
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
        nudge = await self.store.get(nudge_id) if isinstance(nudge_id, str) else None
        if nudge is None or not same_place(nudge.place_id, nudge.tenant_id, conversation_id, tenant_id):
            return None
        return nudge

    def may_change(self, nudge: Nudge, user_key: str) -> bool:
        return user_key == nudge.creator_aad_id or user_key.lower() in self._admins

    async def in_conversation(self, conversation_id: str, tenant_id: str | None = None) -> list[Nudge]:
        """The nudges of the chat or channel (of that tenant, when given)."""
        found = await self.store.in_place(place_id(conversation_id))
        if tenant_id is None:
            return found
        return [nudge for nudge in found if same_place(nudge.place_id, nudge.tenant_id, conversation_id, tenant_id)]

    async def edit(self, nudge: Nudge, draft: Draft, now: datetime) -> Nudge | None:
        changed = await self.store.change(nudge.nudge_id, text=draft.text, **schedule_columns(draft.schedule))
        return None if changed is None else await self._plan(changed, now)

    async def set_paused(self, nudge: Nudge, paused: bool, now: datetime) -> Nudge | None:
        """Pause or resume; a resumed nudge is planned from now, so a long pause does not post a stale one."""
        changed = await self.store.change(nudge.nudge_id, paused=paused)
        return None if changed is None else await self._plan(changed, now)

    async def delete(self, nudge: Nudge) -> None:
        await self.store.remove(nudge.nudge_id)
        await self._scheduler.remove(job_id(nudge.nudge_id))

    # ---- a member's snooze ----------------------------------------------------------------------------------
    async def snooze(self, user_key: str, tenant_id: str | None, now: datetime) -> datetime:
        until = (now + SNOOZE).astimezone(UTC)
        await self._preferences.update(user_key, tenant_id, **{SNOOZE_PREF: until.isoformat()})
        return until

    async def snoozed_until(self, user_key: str) -> datetime | None:
        stored = await self._preferences.get(user_key)
        value = stored.prefs.get(SNOOZE_PREF) if stored else None
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    # ---- the job --------------------------------------------------------------------------------------------
    async def due(self, nudge_id: str, now: datetime) -> Nudge | None:
        """The job ran at `now`: plan the next run and return the nudge if it is to be posted now.

        Inside quiet hours (or on a day off for a working-days nudge) nothing is posted and the job moves to the
        next allowed moment; a paused nudge, or a personal one whose user snoozed, is skipped this time.
        """
        nudge = await self.store.get(nudge_id)
        if nudge is None:
            await self._scheduler.remove(job_id(nudge_id))
            return None
        local = now.astimezone(self.tz)
        if not may_post_at(nudge.schedule, local, self.quiet):
            await self._plan_at(nudge, delivery_time(nudge.schedule, local, self.quiet))
            return None
        post = not nudge.paused and not await self._snoozed(nudge, now)
        await self._plan(nudge, now)
        return nudge if post else None

    async def sent(self, nudge: Nudge, now: datetime) -> None:
        await self.store.change(nudge.nudge_id, last_sent_at=now)

    # ---- planning -------------------------------------------------------------------------------------------
    async def _snoozed(self, nudge: Nudge, now: datetime) -> bool:
        if nudge.conversation_type != "personal":
            return False
        until = await self.snoozed_until(nudge.creator_aad_id)
        return until is not None and until > now

    async def _plan(self, nudge: Nudge, after: datetime) -> Nudge:
        return await self._plan_at(nudge, next_delivery(nudge.schedule, after.astimezone(self.tz), self.quiet))

    async def _plan_at(self, nudge: Nudge, when: datetime | None) -> Nudge:
        """Point the nudge's job at `when` (None: a one-off nudge is over, so no job)."""
        jobs = self._scheduler
        planned = await self.store.change(nudge.nudge_id, next_run_at=when) or nudge
        if when is None:
            await jobs.remove(job_id(nudge.nudge_id))
        else:
            await jobs.add_at(job_id(nudge.nudge_id), JOB_FUNCTION, when, {"nudge_id": nudge.nudge_id})
        return planned

