"""Tip of the day: parsing the time a team asks for, and keeping subscription row and scheduler job together.

The row is what users see and what the job checks; the cron job (one per conversation, in the bot's time zone,
Monday to Friday) only wakes the job up. Holidays and 年末年始 are checked when it runs (`dialogs.tips_jobs`).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from bot.scheduler import JobInfo, Scheduler
from bot.tips.store import Subscription, TipStore

JOB_FUNCTION = "dialogs.tips_jobs:post_tip_of_the_day"
DEFAULT_TIME = (9, 0)
_TIME = re.compile(r"([0-9]{1,2})(?:[:時]([0-9]{1,2})?分?)?")  # after NFKC; ASCII digits only, see bot.numbers


def job_id(conversation_id: str) -> str:
    return f"tips:daily:{conversation_id}"


def parse_time(text: str) -> tuple[int, int] | None:
    """「8:30」「８：３０」「8時30分」「8時」「8」 → (8, 30) / (8, 0); None for anything that is not a real time."""
    typed = unicodedata.normalize("NFKC", text).strip()
    if not typed:
        return DEFAULT_TIME
    match = _TIME.fullmatch(typed)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    return (hour, minute) if hour < 24 and minute < 60 else None


async def subscribe(store: TipStore, scheduler: Scheduler, subscription: Subscription, now: datetime) -> JobInfo:
    """Store the subscription and (re)place its cron job."""
    await store.subscribe(subscription, now)
    return await scheduler.add_cron(
        job_id(subscription.conversation_id),
        JOB_FUNCTION,
        hour=subscription.hour,
        minute=subscription.minute,
        day_of_week="mon-fri",
        kwargs={"conversation_id": subscription.conversation_id},
    )


async def unsubscribe(store: TipStore, scheduler: Scheduler, conversation_id: str) -> bool:
    """Remove the row and the job; True if the conversation was subscribed."""
    await scheduler.remove(job_id(conversation_id))
    return await store.unsubscribe(conversation_id)
