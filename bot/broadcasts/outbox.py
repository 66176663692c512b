"""The outbox: what a worker does for a claimed row, and how each outcome is written back.

A row needs one of three things: to be posted (it was pending), its card updated to the version it should show
(an edit, the recall), or a reminder. A worker does one of them per claim; the row becomes claimable again if
more is to do. Failures that may pass are tried again later with growing pauses, up to `MAX_ATTEMPTS`; the last
one is reported with its reason — nothing is dropped silently.

At most once. A post to the Bot Connector carries no idempotency key, so a process that dies while a post is in
flight can't know whether Teams took it. The post goes through the sender's delivery ledger (`bot.store.ledger`),
keyed by broadcast and recipient, which is written just before the request leaves and completed after. A row an
instance died holding is pending again; its next try asks the ledger: a delivery that had begun is taken as sent
("unconfirmed": its card can't be edited or recalled, as its id is unknown), one that had not is sent. So a
recipient never gets a broadcast twice; one could miss it only if the process died in the millisecond between the
ledger's write and the request leaving — whereas at-least-once would send a duplicate whenever it died during the
~200 ms Teams takes to answer. A duplicate policy notice confuses thousands; the rare unconfirmed row is counted
in the report.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.broadcasts.model import MAX_ATTEMPTS, Remind, Row, RowState

FIRST_RETRY_SECONDS = 15.0
LAST_RETRY_SECONDS = 600.0
UNCONFIRMED = "unconfirmed"  # the reason of a row sent by an instance that died before Teams' answer arrived


class Action(StrEnum):
    POST = "post"
    UPDATE = "update"
    REMIND = "remind"


def action_of(row: Row) -> Action | None:
    """What a claimed row needs (None: nothing any more, e.g. its update was superseded)."""
    if row.state == RowState.SENDING:
        return Action.POST
    if row.state == RowState.SENT and row.activity_id and row.want > row.shown:
        return Action.UPDATE
    if row.remind == Remind.DUE:
        return Action.REMIND
    return None


def ledger_key(row: Row, action: Action) -> str:
    """What names one delivery for the sender's ledger: a broadcast to a recipient, or its reminder."""
    return f"broadcasts.{action.value}:{row.broadcast_id}:{row.recipient_key}"


def posted(version: int, activity_id: str | None, now: datetime, *, installed: bool = False) -> dict[str, Any]:
    return {
        "state": RowState.SENT.value,
        "activity_id": activity_id,
        "shown": version,
        "sent_at": now,
        "reason": None if activity_id else UNCONFIRMED,
        "attempts": 0,
        "installed": installed,
        "updated_at": now,
    }


def updated(version: int, now: datetime) -> dict[str, Any]:
    return {"shown": version, "attempts": 0, "updated_at": now}


def reminded(now: datetime) -> dict[str, Any]:
    return {"remind": Remind.SENT.value, "attempts": 0, "updated_at": now}


def ended(state: RowState, reason: str | None, now: datetime) -> dict[str, Any]:
    """Not sent, for good: failed, not installed, or cancelled by the recall."""
    return {"state": state.value, "reason": (reason or "")[:2000] or None, "attempts": 0, "updated_at": now}


def unchanged(now: datetime) -> dict[str, Any]:
    return {"updated_at": now}


def retry_delay(attempts: int, rng: random.Random | None = None) -> float:
    """15 s, 30 s, 1 min … capped at 10 min, ±20 % so many rows that failed together don't return together."""
    return min(FIRST_RETRY_SECONDS * 2**attempts, LAST_RETRY_SECONDS) * (rng or random).uniform(0.8, 1.2)


def later(row: Row, action: Action, reason: str, now: datetime, *, after: float | None = None) -> dict[str, Any]:
    """A failure that may pass: try again later; after MAX_ATTEMPTS give up and say why."""
    attempts = row.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        if action == Action.POST:
            return ended(RowState.FAILED, reason, now)
        if action == Action.REMIND:
            return {"remind": Remind.FAILED.value, "attempts": 0, "reason": reason[:2000], "updated_at": now}
        return {"shown": row.want, "attempts": 0, "reason": f"card not updated: {reason}"[:2000], "updated_at": now}
    values: dict[str, Any] = {
        "attempts": attempts,
        "due_at": now + timedelta(seconds=after if after is not None else retry_delay(row.attempts)),
        "reason": reason[:2000],
        "updated_at": now,
    }
    if action == Action.POST:
        values["state"] = RowState.PENDING.value
    return values
