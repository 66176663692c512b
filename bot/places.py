"""Where a turn happens, as features compare it: a chat or channel, not a single thread of it.

Teams gives every channel thread its own conversation id (`19:…@thread.tacv2;messageid=…`), so a card posted
in a channel and clicked in a reply thread arrives with a different id. Features that tie data to a place
(nudges, polls) compare places, never raw conversation ids, and check the tenant as well.
"""

from __future__ import annotations

THREAD_SUFFIX = ";messageid="


def place_id(conversation_id: str) -> str:
    """The chat or channel a conversation id belongs to (a channel thread's `;messageid=…` removed)."""
    return conversation_id.split(THREAD_SUFFIX, 1)[0]


def same_place(
    stored_conversation_id: str, stored_tenant_id: str | None, conversation_id: str, tenant_id: str | None
) -> bool:
    """Whether a turn in (`conversation_id`, `tenant_id`) is in the place something was stored for."""
    return place_id(stored_conversation_id) == place_id(conversation_id) and (stored_tenant_id or "") == (
        tenant_id or ""
    )
