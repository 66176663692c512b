"""Who someone is in a team, asked of Teams when a rule depends on it (e.g. a channel owner may mute a nudge)."""

from __future__ import annotations

import logging

from bot.connector import BotConnector, ConnectorError
from bot.turn import Actor, Place

log = logging.getLogger(__name__)


async def is_team_owner(connector: BotConnector, place: Place, actor: Actor) -> bool:
    """True when Teams lists the actor as an owner of the team the channel belongs to.

    Teams reports `userRole` on team members (owner, user, guest). Outside a team, or when Teams can't be
    asked, the answer is no: the rule then falls back to the nudge's creator and the bot's admins.
    """
    if place.conversation_type != "channel" or not place.team_id:
        return False
    try:
        member = await connector.member(place.service_url, place.team_id, actor.id)
    except ConnectorError as error:
        log.warning("could not look up the role of %s in team %s: %s", actor.id, place.team_id, error)
        return False
    return str(member.get("userRole") or "").lower() == "owner"
