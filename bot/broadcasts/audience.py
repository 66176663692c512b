"""Who a broadcast reaches: an audience resolved into the frozen list of recipients, each once.

What Teams and Graph know (team rosters, channels, group members, who has a chat with the bot) comes through the
`Directory` the feature provides, so this stays free of Teams types. A person the bot has no chat with is still
on the list: reachable if a chat can be opened (the bot shares a team with them) or the app installed for them
(Graph), else reported "not installed" — never silently left out.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from bot.broadcasts.model import Audience, AudienceKind, Recipient


@dataclass(frozen=True)
class Member:
    aad_id: str
    user_id: str | None  # the 29: id, when Teams told it (team rosters)
    name: str


@dataclass(frozen=True)
class Chat:
    """A person's 1:1 chat with the bot."""

    aad_id: str
    user_id: str | None
    conversation_id: str
    locale: str | None


class Directory(Protocol):
    can_install: bool  # the bot may install itself for people (Graph)

    async def chats(self, aad_ids: Collection[str] | None) -> list[Chat]:
        """1:1 chats with the bot (everyone's when `aad_ids` is None)."""
        ...

    async def team_name(self, team_id: str) -> str: ...

    async def team_members(self, team_id: str) -> list[Member]: ...

    async def channel_name(self, team_id: str, channel_id: str) -> str: ...

    async def group_members(self, group_id: str) -> list[Member]: ...

    async def language(self, user_key: str, locale: str | None) -> str: ...


async def resolve(audience: Audience, directory: Directory) -> tuple[list[Recipient], str]:
    """The frozen list, and the audience in words (team, channel, group names) for cards."""
    if audience.kind == AudienceKind.CHANNELS:
        return await _channels(audience, directory)
    if audience.kind == AudienceKind.EVERYONE:
        return await _people([], directory, everyone=True), ""
    if audience.kind == AudienceKind.TEAMS:
        found: list[tuple[Member, str, str | None]] = []
        names = []
        for team_id in audience.teams:
            name = await directory.team_name(team_id)
            names.append(name)
            found += [(member, name, team_id) for member in await directory.team_members(team_id)]
        return await _people(found, directory), "、".join(names)
    members = await directory.group_members(audience.group)
    return await _people([(member, "", None) for member in members], directory), audience.group


async def _channels(audience: Audience, directory: Directory) -> tuple[list[Recipient], str]:
    recipients: dict[str, Recipient] = {}
    names = []
    sizes: dict[str, int] = {}
    for choice in audience.channels:
        team_id, _, channel_id = choice.partition("|")
        team = await directory.team_name(team_id)
        channel = await directory.channel_name(team_id, channel_id)
        if team_id not in sizes:
            sizes[team_id] = len(await directory.team_members(team_id))
        names.append(f"{team} / {channel}")
        key = f"channel:{channel_id}"
        recipients.setdefault(
            key,
            Recipient(
                key,
                "channel",
                channel_id,
                name=f"{team} / {channel}",
                segment=team,
                team_id=team_id,
                size=sizes[team_id],
            ),
        )
    return list(recipients.values()), "、".join(names)


async def _people(
    members: list[tuple[Member, str, str | None]], directory: Directory, *, everyone: bool = False
) -> list[Recipient]:
    """People (with the team they were found in) as recipients, each once: the first team is their segment.
    `everyone`: every person who has a chat with the bot instead."""
    chats = {
        chat.aad_id: chat
        for chat in await directory.chats(None if everyone else {member.aad_id for member, _, _ in members})
    }
    if everyone:
        members = [(Member(chat.aad_id, chat.user_id, ""), "", None) for chat in chats.values()]
    found: dict[str, Recipient] = {}
    for member, segment, team_id in members:
        key = f"person:{member.aad_id}"
        if key in found:
            continue
        chat = chats.get(member.aad_id)
        user_id = member.user_id or (chat.user_id if chat else None)
        found[key] = Recipient(
            key,
            "person",
            chat.conversation_id if chat else None,
            name=member.name,
            aad_id=member.aad_id,
            user_id=user_id,
            segment=segment,
            team_id=team_id,
            lang=await directory.language(member.aad_id, chat.locale if chat else None),
            reachable=chat is not None or user_id is not None or directory.can_install,
        )
    return list(found.values())
