"""What the bot asks Microsoft Graph, with the application permission each question needs.

| operation | Graph request | application permissions (least privileged) |
|---|---|---|
| `is_member` | `POST /users/{id}/checkMemberGroups` (transitive) | `User.Read.All` and `GroupMember.Read.All` |
| `transitive_members` | `GET /groups/{id}/transitiveMembers` | `GroupMember.Read.All` (`User.Read.All` for names) |
| `team_channels` | `GET /teams/{id}/channels` | `Channel.ReadBasic.All` |
| `install_app_for_user` | `POST /users/{id}/teamwork/installedApps` | `TeamsAppInstallation.ReadWriteSelfForUser.All` |
| `personal_chat_with_app` | `GET …/installedApps?$filter=…`, `GET …/installedApps/{id}/chat` | the same |

Without `User.Read.All`, Graph lists a group's users with their id only. The `…Self…` installation permission
installs only this app, and needs `webApplicationInfo.id` = the bot's app id in the Teams manifest.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from bot.graph.errors import GraphError, GraphNotFound
from bot.graph.transport import JSON, GraphTransport

MEMBERS_PAGE = 999  # the largest page Graph serves of directory objects
MEMBERSHIP_TTL_SECONDS = 300.0  # an admin removed from the group stops being one within this time
MEMBERSHIP_CACHE_SIZE = 10_000
USER_TYPE = "#microsoft.graph.user"


@dataclass(frozen=True)
class User:
    id: str  # the Entra object id (what Teams calls aadObjectId)
    display_name: str
    user_principal_name: str


@dataclass(frozen=True)
class Channel:
    id: str  # 19:…@thread.tacv2, the conversation id the bot posts into
    display_name: str
    membership_type: str  # standard | private | shared (bots are in standard and shared channels only)


def _segment(value: str) -> str:
    return quote(value, safe="")


def _literal(value: str) -> str:
    """An OData string literal ('…' with quotes doubled), so an id cannot change the filter."""
    return "'" + value.replace("'", "''") + "'"


class GraphClient:
    """The bot's Graph operations on one transport (one session, one MSAL app, one token)."""

    def __init__(
        self,
        transport: GraphTransport,
        *,
        membership_ttl: float = MEMBERSHIP_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self._membership_ttl = membership_ttl
        self._clock = clock
        self._memberships: OrderedDict[tuple[str, str], tuple[float, bool]] = OrderedDict()

    async def close(self) -> None:
        await self.transport.close()

    async def is_member(self, group_id: str, user_aad_id: str) -> bool:
        """Whether the user is in the group, directly or through nested groups; answers are kept for a while.

        A user Graph does not know is no member; other failures raise (the caller decides what a lookup that
        failed means: for the admin role, no)."""
        key = (group_id.lower(), user_aad_id.lower())
        cached = self._memberships.get(key)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        try:
            answer = await self.transport.call(
                "POST", f"users/{_segment(user_aad_id)}/checkMemberGroups", body={"groupIds": [group_id]}
            )
            member = group_id.lower() in {str(found).lower() for found in answer.get("value") or []}
        except GraphNotFound:
            member = False
        self._memberships[key] = (self._clock() + self._membership_ttl, member)
        self._memberships.move_to_end(key)
        while len(self._memberships) > MEMBERSHIP_CACHE_SIZE:
            self._memberships.popitem(last=False)
        return member

    async def transitive_members(self, group_id: str) -> list[User]:
        """The users in a group and its nested groups, each once (groups, devices and contacts left out)."""
        found = await self.transport.collect(
            f"groups/{_segment(group_id)}/transitiveMembers",
            {"$select": "id,displayName,userPrincipalName", "$top": str(MEMBERS_PAGE)},
        )
        users: dict[str, User] = {}
        for item in found:
            if item.get("@odata.type") == USER_TYPE and item.get("id"):
                users.setdefault(
                    item["id"], User(item["id"], item.get("displayName") or "", item.get("userPrincipalName") or "")
                )
        return list(users.values())

    async def team_channels(self, team_id: str) -> list[Channel]:
        """The channels of a team (its id is its Microsoft 365 group's id), for choosing where to post."""
        found = await self.transport.collect(
            f"teams/{_segment(team_id)}/channels", {"$select": "id,displayName,membershipType"}
        )
        return [
            Channel(item["id"], item.get("displayName") or "", item.get("membershipType") or "standard")
            for item in found
        ]

    async def install_app_for_user(self, user_aad_id: str, teams_app_id: str) -> bool:
        """Install the catalog app for the user (personal scope). True if this call installed it, False if it was
        installed already (Graph answers 409): either way it is there. 404: no such user or catalog app."""
        body = {"teamsApp@odata.bind": f"{self.transport.base_url}/appCatalogs/teamsApps/{_segment(teams_app_id)}"}
        try:
            await self.transport.call("POST", f"users/{_segment(user_aad_id)}/teamwork/installedApps", body=body)
        except GraphError as error:
            if error.status == 409:
                return False
            raise
        return True

    async def personal_chat_with_app(self, user_aad_id: str, teams_app_id: str) -> str | None:
        """The id of the 1:1 chat between the user and the app (19:…@unq.gbl.spaces), which the bot can post into as
        a conversation id; None while the app is not installed for the user."""
        installations = await self.transport.collect(
            f"users/{_segment(user_aad_id)}/teamwork/installedApps",
            {"$expand": "teamsApp", "$filter": f"teamsApp/id eq {_literal(teams_app_id)}"},
        )
        if not installations:
            return None
        path = f"users/{_segment(user_aad_id)}/teamwork/installedApps/{_segment(installations[0]['id'])}/chat"
        chat: JSON = await self.transport.call("GET", path, params={"$select": "id"})
        return str(chat["id"])
