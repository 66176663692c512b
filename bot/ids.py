"""Ids of things people create, chosen so that doing the same thing twice makes the same thing once.

Teams re-sends an activity it got no answer for, and a turn that a crashed instance was running is run again
(`bot.claims`): a poll, nudge, idea or comment made by that turn must not be made twice. Its id is therefore
derived from what caused it — the conversation and activity id of the turn, or the key of a piece of timed work —
and stores insert it only if it is not there yet.
"""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("6f1c6a52-33e6-4c8e-9d0b-9a1c3f0e7b21")


def stable_id(*parts: str) -> str:
    """The same 32 hex characters for the same parts, always."""
    return uuid.uuid5(_NAMESPACE, "\x1f".join(parts)).hex


def fresh_id() -> str:
    """A new id for something no retry can repeat."""
    return uuid.uuid4().hex
