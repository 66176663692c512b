"""The pretend tenant behind the Graph emulator: users, groups (nested), teams and their channels, the Teams app
catalog and who has which app installed. Plain data; the service reads and changes it under its lock."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
USER_TYPE = "#microsoft.graph.user"
GROUP_TYPE = "#microsoft.graph.group"


@dataclass(frozen=True)
class DirectoryUser:
    id: str
    display_name: str
    user_principal_name: str

    def resource(self) -> JSON:
        """The user as Graph lists it among directory objects (v1.0 default properties)."""
        return {
            "@odata.type": USER_TYPE,
            "id": self.id,
            "displayName": self.display_name,
            "userPrincipalName": self.user_principal_name,
            "mail": self.user_principal_name,
            "givenName": None,
            "surname": None,
            "jobTitle": None,
            "businessPhones": [],
            "mobilePhone": None,
            "officeLocation": None,
            "preferredLanguage": "ja-JP",
        }


@dataclass
class DirectoryGroup:
    id: str
    display_name: str
    members: list[str] = field(default_factory=list)  # ids of users and groups

    def resource(self) -> JSON:
        nickname = self.display_name.replace(" ", "")
        return {
            "@odata.type": GROUP_TYPE,
            "id": self.id,
            "displayName": self.display_name,
            "description": None,
            "groupTypes": [],
            "mail": None,
            "mailEnabled": False,
            "mailNickname": nickname or self.id[:8],
            "securityEnabled": True,
        }


@dataclass
class Directory:
    users: dict[str, DirectoryUser] = field(default_factory=dict)
    groups: dict[str, DirectoryGroup] = field(default_factory=dict)
    channels: dict[str, list[JSON]] = field(default_factory=dict)  # team (= its group) id → channels
    catalog: dict[str, str] = field(default_factory=dict)  # Teams app id in the catalog → its bot's app id
    installations: dict[tuple[str, str], str] = field(default_factory=dict)  # (user id, teams app id) → id

    def transitive_members(self, group_id: str) -> list[JSON]:
        """Every member of the group and of its nested groups, each once, nested groups themselves included."""
        return [self._resource(member) for member in dict.fromkeys(self._walk(group_id, set()))]

    def _walk(self, group_id: str, seen: set[str]) -> Iterator[str]:
        seen.add(group_id)
        for member in self.groups[group_id].members:
            yield member
            if member in self.groups and member not in seen:  # nesting may loop in a directory: visit once
                yield from self._walk(member, seen)

    def _resource(self, object_id: str) -> JSON:
        return self.users[object_id].resource() if object_id in self.users else self.groups[object_id].resource()

    def member_groups(self, object_id: str, group_ids: list[str]) -> list[str]:
        """Those of `group_ids` the object belongs to, directly or through nesting (checkMemberGroups)."""
        return [
            group_id
            for group_id in group_ids
            if group_id in self.groups and object_id in set(self._walk(group_id, set()))
        ]


def installation_id(user_id: str, teams_app_id: str) -> str:
    """The shape Graph gives a user's app installation id: base64 of "<user id>##<teams app id>"."""
    return base64.b64encode(f"{user_id}##{teams_app_id}".encode()).decode()


def personal_chat_id(user_id: str, bot_app_id: str) -> str:
    """The id of the 1:1 chat of a user and a bot, as Teams forms it."""
    return f"19:{user_id}_{bot_app_id}@unq.gbl.spaces"


def new_id() -> str:
    return str(uuid.uuid4())
