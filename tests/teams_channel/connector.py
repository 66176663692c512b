"""The Bot Connector REST API (v3) as Teams serves it, with recording, faults and rate limits.

State lives behind one `threading.Lock`: handlers run on the emulator's loop thread while tests read
and configure from their own thread/loop.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import jwt
from aiohttp import web

from .identity import IdentityProvider
from .ratelimit import RateLimiter, retry_after_header

# Operations that Teams rate-limits per bot per conversation.
RATE_LIMITED = frozenset({"send", "reply", "update", "create_conversation"})
# Operations refused when the bot is blocked/removed in a conversation.
POSTING = frozenset({"send", "reply", "update", "create_conversation"})


@dataclass(frozen=True)
class ConnectorCall:
    """One request the bot made to the connector, as recorded after it was answered."""

    method: str
    path: str  # decoded path below the service URL, e.g. "v3/conversations/a:1x/activities"
    operation: str  # send | reply | update | delete | create_conversation | paged_members | ...
    conversation_id: str | None
    activity_id: str | None
    body: Any
    status: int
    time: float  # time.monotonic() when the answer was produced
    app_id: str | None = None
    arrived: float = 0.0  # time.monotonic() when the request arrived (what rate limits count)


@dataclass
class Injection:
    """A scripted failure for the next `count` matching calls."""

    status: int
    count: int = 1
    retry_after: float | None = None
    path_contains: str | None = None
    method: str | None = None
    body: Mapping[str, Any] | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path_contains is None or self.path_contains in path
        )


@dataclass
class _Route:
    operation: str
    conversation_id: str | None = None
    activity_id: str | None = None
    team_id: str | None = None
    member_id: str | None = None
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class ConnectorState:
    """Everything a test can configure or inspect; reset between tests."""

    calls: list[ConnectorCall] = field(default_factory=list)
    activities: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    current: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)
    injections: list[Injection] = field(default_factory=list)
    blocked: dict[str, str] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    members: list[dict[str, Any]] = field(default_factory=list)
    members_by_conversation: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    team_channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    teams: dict[str, dict[str, Any]] = field(default_factory=dict)  # team id → {name, aadGroupId}
    throttled: int = 0
    tenant_throttled: int = 0  # refused by the per-tenant ceiling (when one is set)
    injected: int = 0
    unauthorized: int = 0
    latency: float = 0.0


def _error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


def _parse(segments: list[str], method: str) -> _Route | None:
    """Map decoded path segments (below the service URL) to an operation."""
    if len(segments) < 2 or segments[0] != "v3":
        return None
    rest = segments[1:]
    if rest[0] == "teams" and len(rest) >= 2:
        if len(rest) == 2 and method == "GET":
            return _Route("team_details", team_id=rest[1])
        if len(rest) == 3 and rest[2] == "conversations" and method == "GET":
            return _Route("team_channels", team_id=rest[1])
        return None
    if rest[0] != "conversations":
        return None
    if len(rest) == 1:
        return _Route({"POST": "create_conversation", "GET": "list_conversations"}.get(method, "?"))
    cid, tail = rest[1], rest[2:]
    table: dict[tuple[int, str, str], str] = {
        (1, "activities", "POST"): "send",
        (2, "activities", "POST"): "reply",
        (2, "activities", "PUT"): "update",
        (2, "activities", "DELETE"): "delete",
        (1, "pagedmembers", "GET"): "paged_members",
        (1, "members", "GET"): "members",
        (2, "members", "GET"): "member",
        (2, "members", "DELETE"): "delete_member",
    }
    if not tail:
        return None
    operation = table.get((len(tail), tail[0], method))
    if operation is None:
        if len(tail) == 3 and tail[0] == "activities" and tail[2] == "members" and method == "GET":
            return _Route("activity_members", cid, tail[1])
        return None
    second = tail[1] if len(tail) == 2 else None
    if tail[0] == "members":
        return _Route(operation, cid, member_id=second)
    return _Route(operation, cid, activity_id=second)


class ConnectorService:
    """aiohttp handler for `<service_url>v3/...` plus the test-facing query/config API."""

    def __init__(self, identity: IdentityProvider, *, prefix: str = "/teams", enforce_rate_limits: bool = True):
        self.identity = identity
        self.prefix = prefix.rstrip("/")
        self.enforce_rate_limits = enforce_rate_limits
        self.base_url = ""  # set by the channel once the port is known: "http://127.0.0.1:P"
        self._lock = threading.Lock()
        self._state = ConnectorState()
        self._limiter = RateLimiter()
        self._tenant_limiter: RateLimiter | None = None  # off unless a test sets a per-tenant ceiling
        self._last_activity_ms = 0
        self._answering = threading.Event()  # cleared: requests are received and held unanswered (Teams is slow)
        self._answering.set()
        self._held = 0

    @property
    def service_url(self) -> str:
        return f"{self.base_url}{self.prefix}/"

    def routes(self) -> list[web.RouteDef]:
        return [web.route("*", self.prefix + "/{tail:.*}", self.handle)]

    # --- configuration (any thread) -----------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self._state = ConnectorState()
            self._limiter.reset()
            self._tenant_limiter = None

    def limit_tenant(self, per_second: int | None) -> None:
        """Refuse (429) any rate-limited call beyond `per_second` in any one second, all conversations together, as
        Teams does per app per tenant (this emulator serves one tenant); None turns the ceiling off."""
        with self._lock:
            self._tenant_limiter = None if per_second is None else RateLimiter(((1.0, per_second),))

    @property
    def latency(self) -> float:
        with self._lock:
            return self._state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        with self._lock:
            self._state.latency = seconds

    def hold(self) -> None:
        """Do what requests ask, but answer none until `release` (e.g. to kill a bot while all its posts are in
        Teams' hands: Teams has them, the bot does not know)."""
        self._answering.clear()

    def release(self) -> None:
        self._answering.set()

    @property
    def held(self) -> int:
        """Requests received and not yet answered because of `hold`."""
        with self._lock:
            return self._held

    def inject(self, injection: Injection) -> None:
        with self._lock:
            self._state.injections.append(injection)

    def block_conversation(self, conversation_id: str, code: str = "BotDisabledByAdmin") -> None:
        with self._lock:
            self._state.blocked[conversation_id] = code

    def missing_conversation(self, conversation_id: str) -> None:
        with self._lock:
            self._state.missing.add(conversation_id)

    def set_members(self, members: Sequence[Mapping[str, Any]], conversation_id: str | None = None) -> None:
        copied = [dict(m) for m in members]
        with self._lock:
            if conversation_id is None:
                self._state.members = copied
            else:
                self._state.members_by_conversation[conversation_id] = copied

    def set_team_channels(self, team_id: str, channels: Sequence[Mapping[str, Any]]) -> None:
        with self._lock:
            self._state.team_channels[team_id] = [dict(c) for c in channels]

    def set_team(self, team_id: str, name: str, aad_group_id: str | None = None) -> None:
        """What `GET /v3/teams/{id}` answers for the team."""
        with self._lock:
            self._state.teams[team_id] = {"name": name, "aadGroupId": aad_group_id}

    # --- queries (any thread) ----------------------------------------------------------------
    def calls(
        self,
        method: str | None = None,
        conversation_id: str | None = None,
        path_contains: str | None = None,
        operation: str | None = None,
        status: int | None = None,
    ) -> list[ConnectorCall]:
        with self._lock:
            snapshot = list(self._state.calls)
        return [
            c
            for c in snapshot
            if (method is None or c.method == method.upper())
            and (conversation_id is None or c.conversation_id == conversation_id)
            and (path_contains is None or path_contains in c.path)
            and (operation is None or c.operation == operation)
            and (status is None or c.status == status)
        ]

    def activities_in(self, conversation_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._state.activities.get(conversation_id, []))

    def activity(self, conversation_id: str, activity_id: str) -> dict[str, Any] | None:
        """The activity as it now stands (after updates); None if never posted or deleted."""
        with self._lock:
            return copy.deepcopy(self._state.current.get((conversation_id, activity_id)))

    def counters(self) -> dict[str, int]:
        with self._lock:
            s = self._state
            return {
                "calls": len(s.calls),
                "throttled": s.throttled,
                "tenant_throttled": s.tenant_throttled,
                "injected": s.injected,
                "unauthorized": s.unauthorized,
                "activities": sum(len(v) for v in s.activities.values()),
                "conversations": len(s.activities),
            }

    @property
    def throttled(self) -> int:
        with self._lock:
            return self._state.throttled

    # --- request handling (emulator loop) ---------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()  # what the rate limits count: the request's arrival, not when its body is read
        raw = request.rel_url.raw_path[len(self.prefix) :]
        # Ids such as "19:abc@thread.tacv2;messageid=1" arrive percent-encoded (msrest quotes with safe='').
        segments = [unquote(s) for s in raw.split("/") if s]
        path = "/".join(segments)
        method = request.method
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
        route = _parse(segments, method)
        if route is not None:
            route.query = dict(request.query)
        app_id: str | None = None
        try:
            claims = self._authenticate(request)
            app_id = claims.get("appid")
            if route is None:
                response = _error(404, "NotFound", f"No route for {method} /{path}")
            else:
                response = self._dispatch(route, method, path, body, app_id, arrived)
        except _Unauthorized:
            with self._lock:
                self._state.unauthorized += 1
            response = web.json_response({"message": "Authorization has been denied for this request."}, status=401)
        if not self._answering.is_set():  # Teams has done what was asked (and counted it); its answer is late
            with self._lock:
                self._held += 1
            await asyncio.to_thread(self._answering.wait)  # set from the test's thread
            with self._lock:
                self._held -= 1
        self._record(method, path, route, body, response, app_id, arrived)
        return response

    def _authenticate(self, request: web.Request) -> dict[str, Any]:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token:
            raise _Unauthorized
        try:
            return self.identity.verify_access_token(token)
        except jwt.InvalidTokenError as exc:
            raise _Unauthorized from exc

    def _record(
        self,
        method: str,
        path: str,
        route: _Route | None,
        body: Any,
        response: web.Response,
        app_id: str | None,
        arrived: float,
    ) -> None:
        conversation_id = route.conversation_id if route else None
        activity_id = route.activity_id if route else None
        if route and route.operation in ("send", "create_conversation") and response.status < 300 and response.text:
            answer = json.loads(response.text)
            conversation_id = conversation_id or answer.get("id")
            activity_id = answer.get("activityId") if route.operation == "create_conversation" else answer.get("id")
        call = ConnectorCall(
            method=method,
            path=path,
            operation=route.operation if route else "unknown",
            conversation_id=conversation_id,
            activity_id=activity_id,
            body=body,
            status=response.status,
            time=time.monotonic(),
            app_id=app_id,
            arrived=arrived,
        )
        with self._lock:
            self._state.calls.append(call)

    def _dispatch(
        self, route: _Route, method: str, path: str, body: Any, app_id: str | None, arrived: float
    ) -> web.Response:
        with self._lock:
            s = self._state
            for injection in s.injections:
                if injection.count > 0 and injection.matches(method, path):
                    injection.count -= 1
                    s.injected += 1
                    s.injections = [i for i in s.injections if i.count > 0]
                    return _injected_response(injection)
            conversation_id = route.conversation_id
            if route.operation == "create_conversation":
                conversation_id = self._conversation_id_for(body, app_id)
            if conversation_id is not None and conversation_id in s.missing:
                return _error(404, "ConversationNotFound", "Conversation not found.")
            if conversation_id is not None and route.operation in POSTING and conversation_id in s.blocked:
                code = s.blocked[conversation_id]
                return _error(403, code, _BLOCKED_MESSAGES.get(code, "The bot is not allowed in this conversation."))
            if self.enforce_rate_limits and route.operation in RATE_LIMITED and conversation_id is not None:
                refused = self._throttle((app_id, conversation_id), app_id, arrived)
                if refused is not None:
                    return refused
            return self._perform(route, conversation_id, body, app_id)

    # The following run under self._lock.
    def _throttle(
        self, conversation: tuple[str | None, str], app_id: str | None, arrived: float
    ) -> web.Response | None:
        """A 429 if the call breaks the per-conversation limits or the tenant's ceiling; else both count it."""
        s, tenant = self._state, self._tenant_limiter
        wait = self._limiter.wait(conversation)
        tenant_wait = tenant.wait(app_id, arrived) if tenant is not None else None
        if wait is None and tenant_wait is None:
            self._limiter.hit(conversation)
            if tenant is not None:
                tenant.hit(app_id, arrived)
            return None
        if wait is None:
            s.tenant_throttled += 1
        s.throttled += 1
        seconds = max(wait or 0.0, tenant_wait or 0.0)
        return _error(429, "TooManyRequests", "Too many requests.", {"Retry-After": retry_after_header(seconds)})

    def _perform(self, route: _Route, cid: str | None, body: Any, app_id: str | None) -> web.Response:
        op = route.operation
        if op in ("send", "reply"):
            assert cid is not None
            if not isinstance(body, dict):
                return _error(400, "BadArgument", "Activity body is required.")
            aid = self._store_activity(cid, body)
            return web.json_response({"id": aid}, status=201)
        if op == "update":
            assert cid is not None and route.activity_id is not None
            if not isinstance(body, dict):
                return _error(400, "BadArgument", "Activity body is required.")
            key = (cid, route.activity_id)
            if self._state.current.get(key) is None and key in self._state.current:
                return _error(404, "ActivityNotFound", "Activity not found.")
            self._state.current[key] = {**copy.deepcopy(body), "id": route.activity_id}
            return web.json_response({"id": route.activity_id}, status=200)
        if op == "delete":
            assert cid is not None and route.activity_id is not None
            self._state.current[(cid, route.activity_id)] = None
            return web.Response(status=200)
        if op == "create_conversation":
            return self._create_conversation(cid, body)
        if op == "paged_members":
            return self._paged_members(cid, route)
        if op in ("members", "activity_members"):
            return web.json_response(self._members_of(cid))
        if op == "member":
            for member in self._members_of(cid):
                if route.member_id in (member.get("id"), member.get("aadObjectId")):
                    return web.json_response(member)
            return _error(404, "MemberNotFoundInConversation", "The member was not found in the conversation.")
        if op == "team_channels":
            assert route.team_id is not None
            channels = self._state.team_channels.get(route.team_id, [{"id": route.team_id, "name": None}])
            return web.json_response({"conversations": channels})
        if op == "team_details":
            details = self._state.teams.get(route.team_id or "", {"name": None, "aadGroupId": None})
            return web.json_response({"id": route.team_id, **details})
        if op == "list_conversations":
            convs = [{"id": c, "members": []} for c in self._state.activities]
            return web.json_response({"conversations": convs, "continuationToken": None})
        return _error(405, "MethodNotAllowed", f"{op} is not supported")

    def _store_activity(self, cid: str, body: Mapping[str, Any]) -> str:
        now_ms = int(time.time() * 1000)
        self._last_activity_ms = max(self._last_activity_ms + 1, now_ms)
        aid = str(self._last_activity_ms)  # Teams activity ids are epoch milliseconds
        stored = {**copy.deepcopy(dict(body)), "id": aid}
        self._state.activities.setdefault(cid, []).append(stored)
        self._state.current[(cid, aid)] = stored
        return aid

    def _conversation_id_for(self, body: Any, app_id: str | None) -> str:
        """Deterministic ids: a 1:1 with the same member always maps to the same conversation, like Teams."""
        params = body if isinstance(body, dict) else {}
        channel = ((params.get("channelData") or {}).get("channel") or {}).get("id")
        if channel:
            return channel  # message id is appended once the activity is stored
        members = params.get("members") or []
        tenant = params.get("tenantId") or ((params.get("channelData") or {}).get("tenant") or {}).get("id") or ""
        if len(members) == 1 and not params.get("isGroup"):
            return opened_chat_id(app_id, tenant, members[0].get("id") or members[0].get("aadObjectId"))
        return f"19:{uuid.uuid4().hex}@thread.v2"

    def _create_conversation(self, cid: str | None, body: Any) -> web.Response:
        assert cid is not None
        params = body if isinstance(body, dict) else {}
        answer: dict[str, Any] = {"id": cid, "serviceUrl": self.service_url}
        activity = params.get("activity")
        if isinstance(activity, dict):
            aid = self._store_activity(cid, activity)
            answer["activityId"] = aid
            if ((params.get("channelData") or {}).get("channel") or {}).get("id"):
                # A new channel thread: the conversation is "<channel>;messageid=<root activity>".
                thread = f"{cid};messageid={aid}"
                self._state.activities[thread] = self._state.activities.pop(cid)
                self._state.current[(thread, aid)] = self._state.current.pop((cid, aid))
                answer["id"] = thread
        else:
            self._state.activities.setdefault(cid, [])
        return web.json_response(answer, status=201)

    def _members_of(self, cid: str | None) -> list[dict[str, Any]]:
        if cid is not None and cid in self._state.members_by_conversation:
            return copy.deepcopy(self._state.members_by_conversation[cid])
        return copy.deepcopy(self._state.members)

    def _paged_members(self, cid: str | None, route: _Route) -> web.Response:
        members = self._members_of(cid)
        query = route.query
        try:
            size = max(1, min(500, int(query.get("pageSize") or 200)))
            start = (
                int(base64.urlsafe_b64decode(query["continuationToken"]).decode())
                if query.get("continuationToken")
                else 0
            )
        except (ValueError, UnicodeDecodeError):
            return _error(400, "BadArgument", "Invalid pageSize or continuationToken.")
        page = members[start : start + size]
        nxt = start + size
        token = base64.urlsafe_b64encode(str(nxt).encode()).decode() if nxt < len(members) else None
        return web.json_response({"members": page, "continuationToken": token})


def opened_chat_id(app_id: str | None, tenant_id: str, member_id: str | None) -> str:
    """The id of the 1:1 chat a bot opens with a member (create conversation): always the same for them."""
    seed = f"{app_id}|{tenant_id}|{member_id}"
    digest = base64.urlsafe_b64encode(hashlib.sha256(seed.encode()).digest()).decode().rstrip("=")
    return f"a:1{digest[:40]}"


_BLOCKED_MESSAGES = {
    "BotDisabledByAdmin": "The tenant admin disabled this bot",
    "ConversationBlockedByUser": "User blocked the conversation with the bot.",
    "BotNotInConversationRoster": "The bot is not part of the conversation roster.",
}


class _Unauthorized(Exception):
    pass


def _injected_response(injection: Injection) -> web.Response:
    headers = {"Retry-After": retry_after_header(injection.retry_after)} if injection.retry_after is not None else None
    if injection.body is not None:
        return web.json_response(dict(injection.body), status=injection.status, headers=headers)
    codes = {
        429: "TooManyRequests",
        403: "Forbidden",
        404: "NotFound",
        412: "PreconditionFailed",
        500: "InternalServerError",
        502: "BadGateway",
        503: "ServiceUnavailable",
        504: "GatewayTimeout",
    }
    code = codes.get(injection.status, "Error")
    return _error(injection.status, code, f"Injected {injection.status}", headers)
