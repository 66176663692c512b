"""`POST /api/messages`: validate, authenticate, dedupe, run the turn, answer — and the adapter under it.

Our own handler around `process_activity` (botbuilder's `CloudAdapter.process` answers 500 to every invoke
with a body and to every auth failure). The adapter subclass keeps botbuilder's turn semantics (TurnContext,
conversation references, reply-to ids, invoke responses) but builds no connector or user-token client per
turn: every outbound call goes through the one `Sender` on one pooled HTTP client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import uuid
from collections import OrderedDict
from typing import Any

from aiohttp import StreamReader, web
from botbuilder.core import Bot, InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse
from botframework.connector.auth import AuthenticateRequestResult, AuthenticationConstants, ClaimsIdentity

from bot.claims import ActivityClaims, Verdict
from bot.conversations import tenant_of
from bot.i18n import language_of, t
from bot.json_input import JsonRefused, load_json
from bot.sender import Sender
from bot.settings import Settings
from bot.wire import activity_from_json, activity_to_json

log = logging.getLogger(__name__)

_INVOKE_CACHE_SIZE = 512  # answers kept for Teams' retries (cards can be tens of KB each)
_INVOKE_CACHE_SECONDS = 300.0  # Teams retries within seconds; older answers are not needed
_AUTH_CACHE_SIZE = 4096
AUTH_LEEWAY_SECONDS = 300  # botbuilder's clock tolerance for channel tokens
DUPLICATE_WAIT_SECONDS = 4.0  # a retried invoke waits this long for the first delivery's answer (Teams: 5 s)


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"message": message}}, status=status)


class TeamsAdapter(CloudAdapter):
    """A CloudAdapter whose outbound calls go through the throttled sender instead of a per-turn client."""

    def __init__(self, authentication: Any, sender: Sender, *, dev_mode: bool) -> None:
        super().__init__(authentication)
        self._sender = sender
        self._dev_mode = dev_mode
        self._accepted: OrderedDict[tuple[str, str, str], tuple[float, AuthenticateRequestResult]] = OrderedDict()

    async def authenticate(self, activity: Activity, auth_header: str | None) -> AuthenticateRequestResult:
        """botbuilder's checks; any failure is a PermissionError (→ 401)."""
        if self._dev_mode:
            result = AuthenticateRequestResult()
            result.claims_identity = ClaimsIdentity({}, True, AuthenticationConstants.ANONYMOUS_AUTH_TYPE)
            result.audience = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
            return result
        if not auth_header:
            raise PermissionError("missing Authorization header")
        # The channel reuses one token for many requests; what botbuilder decided for this exact header, channel
        # and serviceUrl holds until the token expires (plus the same 5 min leeway botbuilder allows).
        key = (auth_header, activity.channel_id or "", activity.service_url or "")
        cached = self._accepted.get(key)
        if cached is not None and time.time() < cached[0]:
            return cached[1]
        try:
            result = await self.bot_framework_authentication.authenticate_request(activity, auth_header)
        except PermissionError:
            raise
        except Exception as error:  # botbuilder raises bare Exceptions, jwt errors, even IndexError
            raise PermissionError(f"{type(error).__name__}: {error}") from error
        expires = result.claims_identity.claims.get("exp") if result.claims_identity else None
        if isinstance(expires, int | float):
            self._accepted[key] = (float(expires) + AUTH_LEEWAY_SECONDS, result)
            while len(self._accepted) > _AUTH_CACHE_SIZE:
                self._accepted.popitem(last=False)
        return result

    async def process_activity(  # type: ignore[override]
        self, auth: AuthenticateRequestResult, activity: Activity, logic: Any
    ) -> InvokeResponse | None:
        activity.caller_id = auth.caller_id
        context = TurnContext(self, activity)
        context.turn_state[self.BOT_IDENTITY_KEY] = auth.claims_identity
        context.turn_state[self.BOT_CALLBACK_HANDLER_KEY] = logic
        context.turn_state[self.BOT_OAUTH_SCOPE_KEY] = auth.audience
        await self.run_pipeline(context, logic)
        return self._process_turn_results(context)

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        responses = []
        for activity in activities:
            activity.id = None
            if activity.type == ActivityTypes.invoke_response:
                context.turn_state[self._INVOKE_RESPONSE_KEY] = activity
            elif activity.type == "delay":
                await asyncio.sleep((activity.value or 1000) / 1000)
            elif activity.type != ActivityTypes.trace:
                responses.append(await self._post(activity))
                continue
            responses.append(ResourceResponse(id=""))
        return responses

    async def _post(self, activity: Activity) -> ResourceResponse:
        """An in-turn message: a threaded reply to the user's activity, as botbuilder sends it, or a new post."""
        body = activity_to_json(activity)
        conversation_id = activity.conversation.id
        if activity.reply_to_id:
            result = await self._sender.reply(activity.service_url, conversation_id, activity.reply_to_id, body)
        else:
            result = await self._sender.send(activity.service_url, conversation_id, body)
        return ResourceResponse(id=result.get("id", ""))

    async def update_activity(self, context: TurnContext, activity: Activity) -> ResourceResponse | None:
        result = await self._sender.update(
            activity.service_url, activity.conversation.id, activity.id, activity.serialize()
        )
        return ResourceResponse(id=result.get("id")) if result.get("id") else None

    async def delete_activity(self, context: TurnContext, reference: Any) -> None:
        await self._sender.delete(reference.service_url, reference.conversation.id, reference.activity_id)


class MessagesEndpoint:
    """The aiohttp handler for `POST /api/messages`."""

    def __init__(self, settings: Settings, adapter: TeamsAdapter, bot: Bot, claims: ActivityClaims) -> None:
        self._settings = settings
        self._adapter = adapter
        self._bot = bot
        self._claims = claims
        self._invoke_answers: OrderedDict[tuple[str, str], tuple[float, int, Any]] = OrderedDict()
        self._in_progress: dict[tuple[str, str], asyncio.Event] = {}  # set when the turn has its answer

    async def __call__(self, request: web.Request) -> web.Response:
        if not _is_json(request):
            return _problem(415, "Content-Type must be application/json")
        limit = self._settings.max_body_bytes
        declared = request.content_length
        raw = None if declared is not None and declared > limit else await _read_body(request.content, limit)
        if raw is None:
            return _problem(413, f"request body over {limit} bytes")
        activity, error = _parse_activity(raw)
        if activity is None:
            return _problem(400, error)
        try:
            auth = await self._adapter.authenticate(activity, request.headers.get("Authorization"))
        except PermissionError as denied:
            log.warning("unauthorized request: %s", denied)
            return _problem(401, "unauthorized")
        allowed = self._settings.allowed_tenant_ids
        if allowed and tenant_of(activity) not in allowed:
            log.warning("activity from tenant %r ignored: not in ALLOWED_TENANT_IDS", tenant_of(activity))
            return _problem(403, "tenant not allowed")
        key = (activity.conversation.id, activity.id or "")
        if not activity.id:
            return await self._process(auth, activity, key)
        verdict = await self._claims.claim(key)
        if verdict is not Verdict.NEW:
            return await self._duplicate(activity, key, verdict)
        answered = self._in_progress[key] = asyncio.Event()
        try:
            return await self._process(auth, activity, key, claimed=True)
        finally:
            del self._in_progress[key]
            answered.set()

    async def _process(
        self, auth: AuthenticateRequestResult, activity: Activity, key: tuple[str, str], *, claimed: bool = False
    ) -> web.Response:
        """Run the turn; a claimed turn is marked done before Teams hears of it, or given back if it failed."""
        try:
            answer = await self._adapter.process_activity(auth, activity, self._bot.on_turn)
        except Exception:
            correlation_id = uuid.uuid4().hex[:12]
            log.exception("turn failed (correlation id %s, activity type %s)", correlation_id, activity.type)
            if claimed:
                await self._claims.release(key)
            return _problem(500, f"internal error, correlation id {correlation_id}")
        if claimed:
            await self._claims.finish(key)
        if activity.type == ActivityTypes.invoke:
            status, body = (answer.status, answer.body) if answer else (501, None)
            self._remember(key, status, body)
            return web.json_response(body, status=status, dumps=_dumps)
        return web.Response(status=200)

    async def _duplicate(self, activity: Activity, key: tuple[str, str], verdict: Verdict) -> web.Response:
        """Teams retried an activity we have: no second effect, and an invoke gets its answer again (waiting for
        it, within Teams' timeout, when the first delivery is still being answered here)."""
        log.info("duplicate activity %s ignored (%s)", key[1], verdict)
        if activity.type != ActivityTypes.invoke:
            return web.Response(status=200)
        first = self._in_progress.get(key)
        if first is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DUPLICATE_WAIT_SECONDS):
                    await first.wait()
        if key in self._invoke_answers:
            _, status, body = self._invoke_answers[key]
            return web.json_response(body, status=status, dumps=_dumps)
        text = t("invoke.duplicate", language_of(activity.locale))
        body = {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}
        return web.json_response(body, dumps=_dumps)

    def _remember(self, key: tuple[str, str], status: int, body: Any) -> None:
        now = time.monotonic()
        self._invoke_answers[key] = (now, status, body)
        answers = self._invoke_answers
        while answers and (
            len(answers) > _INVOKE_CACHE_SIZE or next(iter(answers.values()))[0] < now - _INVOKE_CACHE_SECONDS
        ):
            answers.popitem(last=False)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _is_json(request: web.Request) -> bool:
    """`application/json`, in any case, in UTF-8 if a charset is named (the only encoding JSON has on the wire).
    Anything else is 415, as Bot Framework's own adapters answer."""
    return request.content_type == "application/json" and (request.charset or "utf-8").lower() == "utf-8"


async def _read_body(content: StreamReader, limit: int) -> bytes | None:
    """The whole body, however it was framed (Content-Length or chunked) and cut up on the way; None as soon as
    it is over `limit` bytes. (`content.read(n)` returns only what has arrived so far.)"""
    body = bytearray()
    while chunk := await content.readany():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


# Fields that reach the store, with the longest value Teams sends (and the columns hold). Anything longer is
# not from Teams: refusing it with 400 beats failing the turn in the database on every retry.
FIELD_LIMITS: dict[tuple[str, ...], int] = {
    ("id",): 512,
    ("channelId",): 64,
    ("serviceUrl",): 512,
    ("locale",): 32,
    ("conversation", "id"): 1024,
    ("conversation", "conversationType"): 32,
    ("conversation", "tenantId"): 128,
    ("from", "id"): 512,
    ("from", "aadObjectId"): 128,
    ("recipient", "id"): 256,
    ("recipient", "name"): 256,
    ("channelData", "tenant", "id"): 128,
    ("channelData", "team", "id"): 512,
}
_NUL = re.compile(rb"\\u0000")


def _field_problem(body: dict[str, Any]) -> str | None:
    for path, limit in FIELD_LIMITS.items():
        value: Any = body
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            continue
        name = ".".join(path)
        if not isinstance(value, str):
            return f"activity field {name!r} must be a string"
        if len(value) > limit:
            return f"activity field {name!r} is longer than {limit} characters"
    return None


def _parse_activity(raw: bytes) -> tuple[Activity | None, str]:
    """Parse and sanity-check an activity; (None, reason) for anything Teams would never send."""
    try:
        body = load_json(raw)
    except JsonRefused as refused:
        return None, str(refused)
    if not isinstance(body, dict):
        return None, "body must be a JSON object (an activity)"
    if not isinstance(body.get("type"), str) or not body["type"]:
        return None, "activity has no type"
    conversation = body.get("conversation")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str) or not conversation["id"]:
        return None, "activity has no conversation id"
    if not isinstance(body.get("serviceUrl"), str) or not body["serviceUrl"].startswith(("https://", "http://")):
        return None, "activity has no valid serviceUrl"
    for name in ("from", "recipient", "channelData"):
        if name in body and body[name] is not None and not isinstance(body[name], dict):
            return None, f"activity field {name!r} must be an object"
    problem = _field_problem(body) or (_NUL.search(raw) and "activity contains a NUL character")
    if problem:
        return None, problem
    try:
        activity = activity_from_json(body)
    except Exception as error:  # msrest raises DeserializationError and friends for bad shapes
        return None, f"activity could not be read: {type(error).__name__}"
    return activity, ""
