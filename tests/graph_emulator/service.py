"""The Microsoft Graph REST API (v1.0) as far as the bot uses it: token checks (401), application permissions (403),
paging, faults, and a record of every call.

State lives behind one `threading.Lock`: handlers run on the emulator's loop thread while tests configure and
read from their own thread/loop.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlencode

import jwt
from aiohttp import web

from tests.teams_channel.connector import Injection
from tests.teams_channel.entra import EntraTokenService
from tests.teams_channel.ratelimit import retry_after_header

from .answers import DEFAULT_CODES, error
from .directory import (
    JSON,
    USER_TYPE,
    Directory,
    DirectoryGroup,
    DirectoryUser,
    installation_id,
    new_id,
    personal_chat_id,
)
from .permissions import (
    CHECK_MEMBER_GROUPS,
    MANAGE_ANY_APP,
    MANAGE_OWN_APP,
    READ_ANY_APP,
    READ_CHANNELS,
    READ_MEMBERSHIPS,
    READ_USERS,
    directory_denied,
    holds_a_set,
    holds_any,
    teams_denied,
)

VERSION_PREFIX = "/v1.0"
DEFAULT_PAGE, LARGEST_PAGE = 100, 999  # of directory objects
MOST_GROUPS_CHECKED = 20  # checkMemberGroups takes at most this many group ids
APP_FILTER = re.compile(r"^teamsApp/id eq '((?:[^']|'')*)'$")

# (method, path pattern with "*" for an id) → operation
ROUTES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("POST", ("users", "*", "checkmembergroups"), "check_member_groups"),
    ("GET", ("groups", "*", "transitivemembers"), "transitive_members"),
    ("GET", ("teams", "*", "channels"), "channels"),
    ("POST", ("users", "*", "teamwork", "installedapps"), "install_app"),
    ("GET", ("users", "*", "teamwork", "installedapps"), "installed_apps"),
    ("GET", ("users", "*", "teamwork", "installedapps", "*", "chat"), "installation_chat"),
)


@dataclass(frozen=True)
class GraphCall:
    """One request the client made, as recorded after it was answered."""

    method: str
    path: str  # decoded, below the version, e.g. "groups/<id>/transitiveMembers"
    operation: str  # one of ROUTES' operations, or "unknown"
    query: dict[str, str]
    body: Any
    status: int
    time: float  # time.monotonic() when the answer was produced
    app_id: str | None = None


@dataclass
class GraphState:
    """Everything a test can configure or inspect; reset between tests."""

    directory: Directory = field(default_factory=Directory)
    calls: list[GraphCall] = field(default_factory=list)
    injections: list[Injection] = field(default_factory=list)
    injected: int = 0
    latency: float = 0.0


@dataclass(frozen=True)
class _Request:
    ids: tuple[str, ...]
    roles: frozenset[str]
    app_id: str
    query: Mapping[str, str]
    body: Any


def _route(method: str, segments: Sequence[str]) -> tuple[str, tuple[str, ...]] | None:
    """The operation and the ids in the path (Graph's path segments are case-insensitive)."""
    for route_method, pattern, operation in ROUTES:
        if method == route_method and len(pattern) == len(segments):
            pairs = list(zip(pattern, segments, strict=True))
            if all(part == "*" or part == segment.lower() for part, segment in pairs):
                return operation, tuple(segment for part, segment in pairs if part == "*")
    return None


def _select(item: JSON, query: Mapping[str, str]) -> JSON:
    """`$select`: the chosen properties (null when the object has none), plus its type and id."""
    chosen = [name for name in query.get("$select", "").split(",") if name]
    if not chosen:
        return item
    kept = {key: item[key] for key in ("@odata.type", "id") if key in item}
    return kept | {name: item.get(name) for name in chosen}


def _limited(item: JSON) -> JSON:
    """A user as an app without permission to read users sees it among members: its type and id only."""
    return {key: (value if key in ("@odata.type", "id") else None) for key, value in item.items()}


def _not_found(object_id: str) -> web.Response:
    return error(
        404,
        "Request_ResourceNotFound",
        f"Resource '{object_id}' does not exist or one of its queried reference-property objects are not present.",
    )


class _Unauthorized(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.response = error(401, "InvalidAuthenticationToken", message)


class GraphService:
    """aiohttp handler for `/v1.0/...` plus the test-facing configuration and query API."""

    def __init__(self, entra: EntraTokenService, tenant_id: str) -> None:
        self.entra = entra
        self.tenant_id = tenant_id
        self.base_url = ""  # set once the port is known: "http://127.0.0.1:P/v1.0"
        self._lock = threading.Lock()
        self._state = GraphState()

    def routes(self) -> list[web.RouteDef]:
        return [web.route("*", VERSION_PREFIX + "/{tail:.*}", self.handle)]

    # --- the tenant (any thread) -----------------------------------------------------------------
    def add_user(self, display_name: str, user_principal_name: str | None = None, user_id: str | None = None) -> str:
        user_id = user_id or new_id()
        upn = user_principal_name or f"{user_id[:8]}@contoso.onmicrosoft.com"
        with self._lock:
            self._state.directory.users[user_id] = DirectoryUser(user_id, display_name, upn)
        return user_id

    def add_users(self, count: int, name: str = "職員") -> list[str]:
        return [self.add_user(f"{name} {n:05d}", f"staff{n:05d}@contoso.onmicrosoft.com") for n in range(count)]

    def add_group(self, members: Iterable[str], display_name: str = "Group", group_id: str | None = None) -> str:
        """A security group of users and groups (nesting allowed); returns its id."""
        group_id = group_id or new_id()
        with self._lock:
            directory = self._state.directory
            listed = list(members)
            unknown = [m for m in listed if m not in directory.users and m not in directory.groups and m != group_id]
            if unknown:
                raise KeyError(f"no such users or groups: {unknown}")
            directory.groups[group_id] = DirectoryGroup(group_id, display_name, listed)
        return group_id

    def add_team(
        self,
        members: Iterable[str] = (),
        channels: Sequence[str | Mapping[str, Any]] = ("General",),
        name: str = "Team",
    ) -> str:
        """A team: its Microsoft 365 group (the team's id) and its channels (names, or channel objects)."""
        team_id = self.add_group(members, name)
        listed = [self._channel(team_id, c) if isinstance(c, str) else dict(c) for c in channels]
        with self._lock:
            self._state.directory.channels[team_id] = listed
        return team_id

    def _channel(self, team_id: str, name: str) -> JSON:
        channel_id = f"19:{new_id().replace('-', '')}@thread.tacv2"
        return {
            "id": channel_id,
            "createdDateTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "displayName": name,
            "description": None,
            "isFavoriteByDefault": None,
            "email": "",
            "webUrl": f"https://teams.microsoft.com/l/channel/{quote(channel_id, safe='')}/{quote(name)}"
            f"?groupId={team_id}&tenantId={self.tenant_id}",
            "membershipType": "standard",
        }

    def publish_app(self, bot_app_id: str, teams_app_id: str | None = None) -> str:
        """Put an app in the tenant's catalog (its bot is `bot_app_id`); returns its catalog id."""
        teams_app_id = teams_app_id or new_id()
        with self._lock:
            self._state.directory.catalog[teams_app_id] = bot_app_id
        return teams_app_id

    def install(self, user_id: str, teams_app_id: str) -> None:
        """The user has the app already (installed by themselves or a policy)."""
        with self._lock:
            self._state.directory.installations[(user_id, teams_app_id)] = installation_id(user_id, teams_app_id)

    def installed(self, user_id: str, teams_app_id: str) -> bool:
        with self._lock:
            return (user_id, teams_app_id) in self._state.directory.installations

    # --- faults and latency (any thread) ------------------------------------------------------------
    def inject(
        self,
        status: int,
        *,
        count: int = 1,
        retry_after: float | None = None,
        path_contains: str | None = None,
        method: str | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        """The next `count` matching calls with a valid token answer `status` (Retry-After when given)."""
        with self._lock:
            self._state.injections.append(Injection(status, count, retry_after, path_contains, method, body))

    @property
    def latency(self) -> float:
        with self._lock:
            return self._state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        with self._lock:
            self._state.latency = seconds

    def reset(self) -> None:
        """An empty tenant: no users, groups, teams, apps, calls, faults or latency."""
        with self._lock:
            self._state = GraphState()

    # --- queries (any thread) ---------------------------------------------------------------------
    def calls(
        self,
        operation: str | None = None,
        *,
        method: str | None = None,
        status: int | None = None,
        path_contains: str | None = None,
    ) -> list[GraphCall]:
        with self._lock:
            snapshot = list(self._state.calls)
        return [
            c
            for c in snapshot
            if (operation is None or c.operation == operation)
            and (method is None or c.method == method.upper())
            and (status is None or c.status == status)
            and (path_contains is None or path_contains in c.path)
        ]

    def counters(self) -> dict[str, int]:
        with self._lock:
            calls, injected = list(self._state.calls), self._state.injected

        def count(predicate: Callable[[GraphCall], bool]) -> int:
            return sum(1 for c in calls if predicate(c))

        return {
            "calls": len(calls),
            "unauthorized": count(lambda c: c.status == 401),
            "forbidden": count(lambda c: c.status == 403),
            "throttled": count(lambda c: c.status == 429),
            "injected": injected,
            "installs": count(lambda c: c.operation == "install_app" and c.status == 201),
        }

    # --- request handling (emulator loop) ------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        segments = [unquote(s) for s in request.rel_url.raw_path[len(VERSION_PREFIX) :].split("/") if s]
        query = dict(request.query)
        body: Any = None
        if request.can_read_body:
            text = await request.text()
            try:
                body = json.loads(text) if text else None
            except json.JSONDecodeError:
                body = text
        latency = self.latency
        if latency > 0:
            await asyncio.sleep(latency)
        route = _route(request.method, segments)
        app_id: str | None = None
        try:
            claims = self._authenticate(request)
        except _Unauthorized as refusal:
            response = refusal.response
        else:
            app_id = str(claims["appid"])
            response = self._answer(request.method, segments, route, claims, query, body)
        call = GraphCall(
            request.method,
            "/".join(segments),
            route[0] if route else "unknown",
            query,
            body,
            response.status,
            time.monotonic(),
            app_id,
        )
        with self._lock:
            self._state.calls.append(call)
        return response

    def _authenticate(self, request: web.Request) -> dict[str, Any]:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _Unauthorized("Access token is empty.")
        try:
            return self.entra.verify_access_token(token)
        except jwt.ExpiredSignatureError as exc:
            raise _Unauthorized("Lifetime validation failed, the token is expired.") from exc
        except jwt.InvalidAudienceError as exc:
            raise _Unauthorized("Access token validation failure. Invalid audience.") from exc
        except jwt.InvalidTokenError as exc:
            raise _Unauthorized("Access token validation failure.") from exc

    def _answer(
        self,
        method: str,
        segments: Sequence[str],
        route: tuple[str, tuple[str, ...]] | None,
        claims: Mapping[str, Any],
        query: Mapping[str, str],
        body: Any,
    ) -> web.Response:
        path = "/".join(segments)
        with self._lock:
            for injection in self._state.injections:
                if injection.count > 0 and injection.matches(method, path):
                    injection.count -= 1
                    self._state.injected += 1
                    self._state.injections = [i for i in self._state.injections if i.count > 0]
                    return _injected(injection)
            if route is None:
                last = segments[-1] if segments else ""
                return error(400, "BadRequest", f"Resource not found for the segment '{last}'.")
            operation, ids = route
            roles = frozenset(str(role) for role in claims.get("roles") or ())
            handler: Callable[[_Request], web.Response] = getattr(self, f"_{operation}")
            return handler(_Request(ids, roles, str(claims["appid"]), query, body))

    # The operations run under self._lock.
    def _check_member_groups(self, request: _Request) -> web.Response:
        if not holds_a_set(request.roles, CHECK_MEMBER_GROUPS):
            return directory_denied()
        (user_id,) = request.ids
        directory = self._state.directory
        if user_id not in directory.users:
            return _not_found(user_id)
        group_ids = request.body.get("groupIds") if isinstance(request.body, dict) else None
        if not isinstance(group_ids, list) or not 0 < len(group_ids) <= MOST_GROUPS_CHECKED:
            return error(400, "Request_BadRequest", "groupIds must list 1 to 20 group ids.")
        return web.json_response(
            {
                "@odata.context": f"{self.base_url}/$metadata#Collection(Edm.String)",
                "value": directory.member_groups(user_id, [str(g) for g in group_ids]),
            }
        )

    def _transitive_members(self, request: _Request) -> web.Response:
        if not holds_any(request.roles, READ_MEMBERSHIPS):
            return directory_denied()
        (group_id,) = request.ids
        directory = self._state.directory
        if group_id not in directory.groups:
            return _not_found(group_id)
        query = request.query
        raw_top = query.get("$top", str(DEFAULT_PAGE))
        if not raw_top.isdigit() or not 1 <= int(raw_top) <= LARGEST_PAGE:
            return error(
                400, "Request_BadRequest", f"Invalid page size specified: '{raw_top}'. Must be between 1 and 999."
            )
        try:
            start = int(base64.urlsafe_b64decode(query["$skiptoken"]).decode()) if "$skiptoken" in query else 0
        except (ValueError, UnicodeDecodeError, binascii.Error):
            return error(400, "Request_BadRequest", "The specified page token value has expired or is invalid.")
        members = directory.transitive_members(group_id)
        page = members[start : start + int(raw_top)]
        readable = holds_any(request.roles, READ_USERS)
        value = [_select(m if readable or m["@odata.type"] != USER_TYPE else _limited(m), query) for m in page]
        selected = query.get("$select")
        answer: JSON = {
            "@odata.context": f"{self.base_url}/$metadata#directoryObjects" + (f"({selected})" if selected else ""),
            "value": value,
        }
        if start + len(page) < len(members):
            following = {k: v for k, v in query.items() if k != "$skiptoken"}
            following["$skiptoken"] = base64.urlsafe_b64encode(str(start + len(page)).encode()).decode()
            answer["@odata.nextLink"] = (
                f"{self.base_url}/groups/{group_id}/transitiveMembers?{urlencode(following, safe='$,')}"
            )
        return web.json_response(answer)

    def _channels(self, request: _Request) -> web.Response:
        if not holds_any(request.roles, READ_CHANNELS):
            return teams_denied(READ_CHANNELS, request.roles)
        (team_id,) = request.ids
        channels = self._state.directory.channels.get(team_id)
        if channels is None:
            return error(404, "NotFound", f"No team found with Group Id {team_id}")
        return web.json_response(
            {
                "@odata.context": f"{self.base_url}/$metadata#teams('{team_id}')/channels",
                "@odata.count": len(channels),
                "value": [_select(channel, request.query) for channel in channels],
            }
        )

    def _install_app(self, request: _Request) -> web.Response:
        if not holds_any(request.roles, MANAGE_ANY_APP | MANAGE_OWN_APP):
            return teams_denied(MANAGE_ANY_APP | MANAGE_OWN_APP, request.roles)
        (user_id,) = request.ids
        directory = self._state.directory
        bind = request.body.get("teamsApp@odata.bind") if isinstance(request.body, dict) else None
        if not isinstance(bind, str) or "/appCatalogs/teamsApps/" not in bind:
            return error(400, "BadRequest", "Bind property teamsApp@odata.bind must name an app of the catalog.")
        teams_app_id = unquote(bind.rsplit("/appCatalogs/teamsApps/", 1)[1]).strip("/")
        if user_id not in directory.users:
            return error(404, "NotFound", f"User {user_id} was not found.")
        if teams_app_id not in directory.catalog:
            return error(404, "NotFound", f"App {teams_app_id} was not found in the tenant's app catalog.")
        if not self._manages(request, teams_app_id):
            return teams_denied(MANAGE_ANY_APP, request.roles)
        if (user_id, teams_app_id) in directory.installations:
            return error(409, "Conflict", "The app is already installed for the user.")
        directory.installations[(user_id, teams_app_id)] = installation_id(user_id, teams_app_id)
        return web.Response(status=201)

    def _manages(self, request: _Request, teams_app_id: str, accepted: frozenset[str] = MANAGE_ANY_APP) -> bool:
        """Any app with an "any app" permission; with a "Self" one only the app whose bot is the caller."""
        own = self._state.directory.catalog.get(teams_app_id) == request.app_id
        return holds_any(request.roles, accepted) or (own and holds_any(request.roles, MANAGE_OWN_APP))

    def _installed_apps(self, request: _Request) -> web.Response:
        if not holds_any(request.roles, READ_ANY_APP | MANAGE_OWN_APP):
            return teams_denied(READ_ANY_APP | MANAGE_OWN_APP, request.roles)
        (user_id,) = request.ids
        directory = self._state.directory
        if user_id not in directory.users:
            return error(404, "NotFound", f"User {user_id} was not found.")
        wanted: str | None = None
        if "$filter" in request.query:
            match = APP_FILTER.match(request.query["$filter"])
            if match is None:
                return error(400, "BadRequest", f"Invalid filter clause: {request.query['$filter']}")
            wanted = match.group(1).replace("''", "'")
        expand = "teamsApp" in request.query.get("$expand", "")
        value = [
            {"id": installation} | ({"teamsApp": self._catalog_entry(app)} if expand else {})
            for (user, app), installation in directory.installations.items()
            if user == user_id and wanted in (None, app) and self._manages(request, app, READ_ANY_APP)
        ]
        return web.json_response(
            {"@odata.context": f"{self.base_url}/$metadata#users('{user_id}')/teamwork/installedApps", "value": value}
        )

    def _catalog_entry(self, teams_app_id: str) -> JSON:
        return {
            "id": teams_app_id,
            "externalId": self._state.directory.catalog[teams_app_id],
            "displayName": "オープン&フラットBot",
            "distributionMethod": "organization",
        }

    def _installation_chat(self, request: _Request) -> web.Response:
        if not holds_any(request.roles, READ_ANY_APP | MANAGE_OWN_APP):
            return teams_denied(READ_ANY_APP | MANAGE_OWN_APP, request.roles)
        user_id, wanted = request.ids
        directory = self._state.directory
        found = [app for (user, app), i in directory.installations.items() if user == user_id and i == wanted]
        if user_id not in directory.users or not found:
            return error(404, "NotFound", f"No app installation {wanted} for user {user_id}.")
        if not self._manages(request, found[0], READ_ANY_APP):
            return teams_denied(READ_ANY_APP, request.roles)
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        chat_id = personal_chat_id(user_id, directory.catalog[found[0]])
        chat = {
            "id": chat_id,
            "topic": None,
            "createdDateTime": now,
            "lastUpdatedDateTime": now,
            "chatType": "oneOnOne",
            "webUrl": f"https://teams.microsoft.com/l/chat/{quote(chat_id, safe='')}/0?tenantId={self.tenant_id}",
            "tenantId": self.tenant_id,
        }
        return web.json_response(
            {"@odata.context": f"{self.base_url}/$metadata#chats/$entity"} | _select(chat, request.query)
        )


def _injected(injection: Injection) -> web.Response:
    headers = {"Retry-After": retry_after_header(injection.retry_after)} if injection.retry_after is not None else None
    if injection.body is not None:
        return web.json_response(dict(injection.body), status=injection.status, headers=headers)
    code = DEFAULT_CODES.get(injection.status, "UnknownError")
    return error(injection.status, code, f"Injected {injection.status}.", headers)
