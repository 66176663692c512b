"""The application permissions (the token's `roles`) each emulated Graph request accepts, as Microsoft documents
them, and the 403 answers Graph gives without them."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from aiohttp import web

from .answers import error

READ_USERS = frozenset(
    {"User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
)
READ_MEMBERSHIPS = frozenset(
    {
        "GroupMember.ReadBasic.All",
        "GroupMember.Read.All",
        "GroupMember.ReadWrite.All",
        "Group.Read.All",
        "Group.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    }
)
# checkMemberGroups of a user: a user permission and a group permission together, or a directory-wide one.
CHECK_MEMBER_GROUPS = (
    frozenset({"User.Read.All", "GroupMember.Read.All"}),
    frozenset({"User.Read.All", "Group.Read.All"}),
    frozenset({"Directory.Read.All"}),
)
READ_CHANNELS = frozenset(
    {
        "Channel.ReadBasic.All",
        "ChannelSettings.Read.All",
        "ChannelSettings.ReadWrite.All",
        "Group.Read.All",
        "Group.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    }
)
# Install (and read installations of) any app for a user, or only the app whose bot is the caller ("Self").
MANAGE_ANY_APP = frozenset(
    {"TeamsAppInstallation.ReadWriteForUser.All", "TeamsAppInstallation.ReadWriteAndConsentForUser.All"}
)
MANAGE_OWN_APP = frozenset(
    {"TeamsAppInstallation.ReadWriteSelfForUser.All", "TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All"}
)
READ_ANY_APP = MANAGE_ANY_APP | {"TeamsAppInstallation.ReadForUser.All", "TeamsAppInstallation.Read.All"}

# What the emulator grants the bot's app unless a test says otherwise: the least privileged set bot.graph documents.
LEAST_PRIVILEGED = frozenset(
    {"User.Read.All", "GroupMember.Read.All", "Channel.ReadBasic.All", "TeamsAppInstallation.ReadWriteSelfForUser.All"}
)


def holds_any(roles: Collection[str], accepted: Iterable[str]) -> bool:
    return any(role in roles for role in accepted)


def holds_a_set(roles: Collection[str], sets: Iterable[frozenset[str]]) -> bool:
    return any(required <= set(roles) for required in sets)


def directory_denied() -> web.Response:
    """How the directory (users, groups) refuses a call without the permission."""
    return error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def teams_denied(accepted: Iterable[str], roles: Collection[str]) -> web.Response:
    """How Teams' Graph APIs refuse a call without the permission: they name the roles they accept."""
    return error(
        403,
        "Forbidden",
        f"Missing role permissions on the request. API requires one of '{', '.join(sorted(accepted))}'. "
        f"Roles on the request '{', '.join(sorted(roles))}'.",
    )
