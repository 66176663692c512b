"""One permission policy for every feature, and one way for a handler to refuse.

Who may do what is a set of roles: the person a thing belongs to (its creator, or whoever subscribed a place to
it), a bot admin (`ADMIN_AAD_OBJECT_IDS`, or a member of the Entra group `ADMIN_GROUP_ID`, asked of Graph), the
owner of the team a channel belongs to (asked of Teams), and roles features configure (reviewers, moderators). A
handler states what it needs —

    await policy.require(turn, Role.CREATOR | Role.ADMIN, owner=nudge.creator_key, refusal="nudges.not_allowed")

— and a person without it gets the refusal in their language; handlers don't thread `X | Notify` unions around.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import Flag, auto
from typing import Any

from bot.turn import Actor, Conversation, Turn

log = logging.getLogger(__name__)

MemberLookup = Callable[[str, str, str], Awaitable[dict[str, Any]]]  # (service url, team id, user id) → member
GroupCheck = Callable[[str], Awaitable[bool]]  # Entra object id → in the admin group (nested groups count)


class Refusal(Exception):
    """The user may not do this (or it can't be done): tell them `key` of the catalog, with `params`."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class Role(Flag):
    CREATOR = auto()  # the person the thing belongs to: who made the poll or nudge
    SUBSCRIBER = auto()  # the person who subscribed a place to something (the daily tip)
    ADMIN = auto()  # ADMIN_AAD_OBJECT_IDS, or in the group ADMIN_GROUP_ID
    TEAM_OWNER = auto()  # owner of the team the channel belongs to
    REVIEWER = auto()  # configured by a feature (ideas)
    MODERATOR = auto()  # configured by a feature (ideas: may reveal a pseudonym)


OWNERSHIP = Role.CREATOR | Role.SUBSCRIBER


class Policy:
    def __init__(self, admins: frozenset[str], member: MemberLookup, admin_group: GroupCheck | None = None) -> None:
        self._configured: dict[Role, frozenset[str]] = {Role.ADMIN: frozenset(a.lower() for a in admins)}
        self._member = member
        self._admin_group = admin_group

    def grant(self, role: Role, aad_object_ids: frozenset[str]) -> None:
        """Give a configured role (reviewers, moderators) to these Entra object ids."""
        self._configured[role] = frozenset(a.lower() for a in aad_object_ids)

    def has(self, actor: Actor, role: Role) -> bool:
        """Whether the actor holds a configured role (admin, reviewer, moderator)."""
        aad = (actor.aad_object_id or "").lower()
        return bool(aad) and aad in self._configured.get(role, frozenset())

    async def is_admin(self, actor: Actor) -> bool:
        """Listed in ADMIN_AAD_OBJECT_IDS, or a member of the admin group; when Graph can't be asked, no."""
        if self.has(actor, Role.ADMIN):
            return True
        if self._admin_group is None or not actor.aad_object_id:
            return False
        try:
            return await self._admin_group(actor.aad_object_id)
        except Exception as error:
            log.warning("could not ask Graph whether %s is in the admin group: %s", actor.aad_object_id, error)
            return False

    async def holds_any(self, actor: Actor, roles: Role) -> bool:
        """Whether the actor holds any of the roles among `roles` that belong to a person, not to a place or a
        thing (admin, reviewer, moderator)."""
        if roles & Role.ADMIN and await self.is_admin(actor):
            return True
        return any(roles & role and self.has(actor, role) for role in (Role.REVIEWER, Role.MODERATOR))

    async def is_team_owner(self, place: Conversation, actor: Actor) -> bool:
        """True when Teams lists the actor as an owner of the team the channel belongs to; outside a team, or when
        Teams can't be asked, no (the other roles still apply)."""
        if place.conversation_type != "channel" or not place.team_id:
            return False
        try:
            member = await self._member(place.service_url, place.team_id, actor.id)
        except Exception as error:
            log.warning("could not look up the role of %s in team %s: %s", actor.id, place.team_id, error)
            return False
        return str(member.get("userRole") or "").lower() == "owner"

    async def allows(self, turn: Turn, roles: Role, *, owner: str | None = None) -> bool:
        if roles & OWNERSHIP and owner is not None and owner == turn.user_key:
            return True
        if await self.holds_any(turn.actor, roles):
            return True
        return bool(roles & Role.TEAM_OWNER) and await self.is_team_owner(turn.conversation, turn.actor)

    async def require(self, turn: Turn, roles: Role, *, owner: str | None = None, refusal: str) -> None:
        """Return if the turn's person holds one of `roles`; else refuse with the catalog message `refusal`."""
        if not await self.allows(turn, roles, owner=owner):
            raise Refusal(refusal)
