"""Small helpers every feature's conversation uses."""

from __future__ import annotations

from bot.turn import Turn


def user_key(turn: Turn) -> str:
    """Who acted, as features store people: the Entra object id (stable across chats and apps), or the Teams id
    when Teams sent none."""
    return turn.actor.aad_object_id or turn.actor.id
