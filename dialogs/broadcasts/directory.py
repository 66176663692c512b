"""What Teams and Graph know about people and places, for resolving audiences and offering them in the form.

Team names and channel lists come from the Bot Connector (the bot is in those teams; no Graph needed), rosters
from the connector's paged members, Entra groups from Graph (transitive). Names and channels change rarely: they
are kept for a while, and the form asks Teams for what it does not know within a budget, so opening the dialog
stays well inside Teams' time for an answer (a team that did not answer in time is offered by its General
channel, named by its id).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.broadcasts.audience import Chat, Member
from bot.broadcasts.model import AudienceKind, channel_choice
from bot.context import Context
from bot.store.conversations import TeamPlace
from cards.broadcast_forms import Choices

log = logging.getLogger(__name__)

KEEP_SECONDS = 600.0
FORM_BUDGET_SECONDS = 0.6  # of the dialog's answer, for asking Teams about teams it has not told us about yet


@dataclass(frozen=True)
class Team:
    """What Teams said of a team, until `until` (monotonic)."""

    name: str
    channels: tuple[tuple[str, str], ...]  # (channel id, name)
    until: float


class TeamsDirectory:
    """The `Directory` of one tenant, on the feature's context."""

    def __init__(self, ctx: Context, tenant_id: str | None, cache: dict[str, Team], *, general: str) -> None:
        """`general`: what to call a team's General channel (Teams names it null)."""
        self._ctx = ctx
        self._tenant = tenant_id
        self._cache = cache
        self._general = general
        self.can_install = ctx.graph is not None and bool(ctx.settings.teams_app_id)

    async def _places(self) -> dict[str, TeamPlace]:
        return {place.team_id: place for place in await self._ctx.conversations.teams(self._tenant)}

    async def _team(self, place: TeamPlace) -> Team:
        known = self._cache.get(place.team_id)
        if known is not None and known.until > time.monotonic():
            return known
        sender = self._ctx.sender
        details, channels = await asyncio.gather(
            sender.team_details(place.service_url, place.team_id),
            sender.team_channels(place.service_url, place.team_id),
        )
        name = str(details.get("name") or "") or place.team_id
        listed = tuple((str(c["id"]), str(c.get("name") or "")) for c in channels if c.get("id"))
        team = Team(name, listed or ((place.team_id, ""),), time.monotonic() + KEEP_SECONDS)
        self._cache[place.team_id] = team
        return team

    async def _known(self, team_id: str) -> Team:
        place = (await self._places()).get(team_id)
        if place is None:
            return Team(team_id, ((team_id, ""),), 0.0)
        return await self._team(place)

    # ---- the form --------------------------------------------------------------------------------------------
    async def choices(self, kinds: Sequence[AudienceKind], allowed_teams: Collection[str] | None) -> Choices:
        """The teams and channels to offer (within the form's time budget), limited to `allowed_teams`."""
        places = [
            place
            for place in (await self._places()).values()
            if allowed_teams is None or place.team_id.lower() in allowed_teams
        ]

        async def one(place: TeamPlace) -> Team:
            try:
                return await self._team(place)
            except Exception as error:
                log.warning("team %s not described by Teams: %s", place.team_id, error)
                return Team(place.team_id, ((place.team_id, ""),), 0.0)

        tasks = [asyncio.create_task(one(place)) for place in places]
        if tasks:
            await asyncio.wait(tasks, timeout=FORM_BUDGET_SECONDS)
        teams: list[tuple[str, str]] = []
        channels: list[tuple[str, str]] = []
        for place, task in zip(places, tasks, strict=True):
            team = task.result() if task.done() else Team(place.team_id, ((place.team_id, ""),), 0.0)
            teams.append((place.team_id, team.name))
            channels += [
                (channel_choice(place.team_id, channel), f"{team.name} / {name or self._general}")
                for channel, name in team.channels
            ]
        if not teams:  # the bot is in no team (the author may address): no channels or teams to offer
            kinds = [kind for kind in kinds if kind not in (AudienceKind.CHANNELS, AudienceKind.TEAMS)]
        return Choices(tuple(kinds), teams, channels)

    # ---- the Directory of bot.broadcasts.audience ------------------------------------------------------------
    async def chats(self, aad_ids: Collection[str] | None) -> list[Chat]:
        people = await self._ctx.conversations.people(self._tenant, aad_ids)
        return [Chat(p.aad_id, p.user_id, p.conversation_id, p.locale) for p in people]

    async def team_name(self, team_id: str) -> str:
        return (await self._known(team_id)).name

    async def channel_name(self, team_id: str, channel_id: str) -> str:
        names = dict((await self._known(team_id)).channels)
        return names.get(channel_id) or self._general

    async def team_members(self, team_id: str) -> list[Member]:
        place = (await self._places()).get(team_id)
        if place is None:
            return []
        members = await self._ctx.sender.members(place.service_url, team_id)
        return [
            Member(str(m["aadObjectId"]), m.get("id"), str(m.get("name") or ""))
            for m in members
            if m.get("aadObjectId")
        ]

    async def group_members(self, group_id: str) -> list[Member]:
        if self._ctx.graph is None:
            raise LookupError("no Graph: Entra groups can't be resolved")
        return [Member(user.id, None, user.display_name) for user in await self._ctx.graph.transitive_members(group_id)]

    async def language(self, user_key: str, locale: str | None) -> str:
        return await self._ctx.languages.language(user_key, locale)
