"""The one way out: every message the bot sends, in a turn or on its own, goes through `Sender`.

It keeps Teams' limits (per conversation 7/1 s, 8/2 s, 60/30 s, 1800/h; a configurable per-tenant rate for
bot-initiated traffic, one budget for all instances: `bot.pacing`), waits out `Retry-After` on 429 (and slows the
tenant's bot-initiated traffic down with it), retries 412/502/503/504 with jittered backoff, and
records permanent failures (403: the app was removed or blocked; 404: the conversation is gone) on the stored
conversation instead of dropping them silently. Proactive posts never go to a conversation marked removed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.clock import SYSTEM_CLOCK, Clock
from bot.connector import JSON, BotConnector, ConnectorError
from bot.pacing import TenantBudget
from bot.ratelimit import Sleep, SlidingWindowLimiter, TeamsLimits, backoff_delays
from bot.store.conversations import ConversationRecord, ConversationStore
from bot.store.ledger import DeliveryLedger
from cards.base import Card, attachment

log = logging.getLogger(__name__)

RETRYABLE = frozenset({412, 429, 502, 503, 504})
PERMANENT = frozenset({403, 404})
NOT_SENT_ERRORS = frozenset({"ClientConnectorError"})  # the request never left: safe to retry a POST
IN_TURN_BUDGET_SECONDS = 3.0  # retries of an in-turn call end in time for the turn to answer within Teams' 5 s
MEMBERS_PAGE = 500  # the largest page of members Teams serves


class _Withdrawn(Exception):
    """Not a failure: the caller no longer wants this delivery (e.g. a broadcast recalled while it waited)."""


class _SentBefore(Exception):
    """Not a failure: the ledger says this delivery went out already."""

    def __init__(self, activity_id: str | None) -> None:
        super().__init__(activity_id)
        self.activity_id = activity_id


@dataclass(frozen=True)
class Delivery:
    """What became of one proactive message."""

    status: str  # sent | skipped | failed
    activity_id: str | None = None
    error: str | None = None
    conversation_id: str | None = None  # set when the delivery started a new conversation or thread
    code: int | None = None  # the Bot Connector's HTTP status of a failure (0: no answer at all)
    error_code: str | None = None  # its error code (for no answer: what went wrong, e.g. ClientConnectorError)
    repeated: bool = False  # sent before (the delivery ledger knew this key): not sent again

    @property
    def sent(self) -> bool:
        return self.status == "sent"

    @property
    def transient(self) -> bool:
        """A failure that may pass (no answer, 5xx, 429, 412 after the sender's own retries): try again later."""
        code = self.code or 0
        return self.status == "failed" and (code == 0 or code >= 500 or code in RETRYABLE or code == 408)


class Sender:
    def __init__(
        self,
        connector: BotConnector,
        conversations: ConversationStore,
        ledger: DeliveryLedger,
        *,
        tenant_rate_per_second: float = 50.0,
        tenant_budget: TenantBudget | None = None,
        limits: TeamsLimits | None = None,
        max_attempts: int = 6,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        limits = limits or TeamsLimits()
        self.connector = connector
        self._conversations = conversations
        self._ledger = ledger
        self._per_conversation: SlidingWindowLimiter = limits.conversation_limiter()
        self._per_tenant = tenant_budget or TenantBudget(tenant_rate_per_second, clock=limits.clock, sleep=limits.sleep)
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._clock = clock

    # ---- in-turn: answers to what a user just did (per-conversation limits only: the user is waiting) ------
    async def reply(self, service_url: str, conversation_id: str, reply_to_id: str, activity: JSON) -> JSON:
        return await self._deliver(
            conversation_id,
            None,
            lambda: self.connector.reply(service_url, conversation_id, reply_to_id, activity),
            budget=IN_TURN_BUDGET_SECONDS,
        )

    async def send(self, service_url: str, conversation_id: str, activity: JSON) -> JSON:
        return await self._deliver(
            conversation_id,
            None,
            lambda: self.connector.send(service_url, conversation_id, activity),
            budget=IN_TURN_BUDGET_SECONDS,
        )

    async def update(self, service_url: str, conversation_id: str, activity_id: str, activity: JSON) -> JSON:
        return await self._deliver(
            conversation_id,
            None,
            lambda: self.connector.update(service_url, conversation_id, activity_id, activity),
            budget=IN_TURN_BUDGET_SECONDS,
        )

    async def delete(self, service_url: str, conversation_id: str, activity_id: str) -> None:
        await self._deliver(
            conversation_id, None, lambda: self.connector.delete(service_url, conversation_id, activity_id)
        )

    # ---- reads: who is in a chat (same limits and retries as a send) ----------------------------------------
    async def member(self, service_url: str, conversation_id: str, member_id: str) -> JSON:
        """One member of a chat or team (Teams answers with their `userRole`: user, guest or owner)."""
        return await self._deliver(
            conversation_id, None, lambda: self.connector.member(service_url, conversation_id, member_id)
        )

    async def members(self, service_url: str, conversation_id: str) -> list[JSON]:
        """Everyone in a chat or channel, page by page."""
        found: list[JSON] = []
        token: str | None = None
        while True:

            async def page_after(token: str | None = token) -> JSON:
                return await self.connector.paged_members(
                    service_url, conversation_id, page_size=MEMBERS_PAGE, continuation_token=token
                )

            page = await self._deliver(conversation_id, None, page_after)
            found += page.get("members") or []
            token = page.get("continuationToken")
            if not token:
                return found

    async def team_details(self, service_url: str, team_id: str) -> JSON:
        """A team's name and Entra group id."""
        return await self._deliver(team_id, None, lambda: self.connector.team_details(service_url, team_id))

    async def team_channels(self, service_url: str, team_id: str) -> list[JSON]:
        """A team's channels ({id, name}; the General channel's name is null)."""
        answer = await self._deliver(team_id, None, lambda: self.connector.team_channels(service_url, team_id))
        return list(answer.get("conversations") or [])

    # ---- bot-initiated -------------------------------------------------------------------------------------
    async def post(
        self,
        conversation_id: str,
        activity: JSON,
        *,
        once: str | None = None,
        wanted: Callable[[], Awaitable[bool]] | None = None,
    ) -> Delivery:
        """Post into a stored conversation; skipped (never sent) if the bot was removed from it or blocked.

        `once` names the delivery (timed work: work, item, occurrence[, recipient]): the ledger is written just
        before the request leaves, and a delivery it already has is not sent again (see `bot.store.ledger`).
        `wanted` (with `once`) is asked when the rate limits let the post go: False skips it ("withdrawn")."""
        record = await self._deliverable(conversation_id)
        if isinstance(record, Delivery):
            return record
        body = {**activity, "conversation": {"id": conversation_id}, "from": {"id": record.bot_id}}
        if once is None:
            return await self._attempt(
                conversation_id,
                record.tenant_id,
                lambda: self.connector.send(record.service_url, conversation_id, body),
            )
        return await self._post_once(once, conversation_id, record, body, wanted)

    async def _post_once(
        self,
        once: str,
        conversation_id: str,
        record: ConversationRecord,
        body: JSON,
        wanted: Callable[[], Awaitable[bool]] | None,
    ) -> Delivery:
        async def begin() -> None:  # after the rate limits let it go: the ledger row and the request leave together
            if wanted is not None and not await wanted():
                raise _Withdrawn
            done, activity_id = await self._ledger.begin(once, self._clock.now())
            if done:
                raise _SentBefore(activity_id)

        async def send() -> JSON:
            try:
                return await self.connector.send(record.service_url, conversation_id, body)
            except ConnectorError as error:
                if error.status != 0 or error.code in NOT_SENT_ERRORS:
                    # Teams answered no (a 429 among them), or the request never left: it certainly did not
                    # arrive. Forget it before any wait for a retry, so a process that dies meanwhile loses nothing.
                    await self._ledger.forget(once)
                raise

        try:
            delivery = await self._attempt(
                conversation_id,
                record.tenant_id,
                send,
                prepare=begin,
            )
        except _SentBefore as before:
            return Delivery("sent", activity_id=before.activity_id, repeated=True)
        except _Withdrawn:
            return Delivery("skipped", error="withdrawn")
        if delivery.sent:
            await self._ledger.sent(once, delivery.activity_id)
        return delivery

    async def update_card(self, conversation_id: str, activity_id: str, card: Card) -> Delivery:
        """Replace a card the bot posted earlier (poll results, acknowledgement counts)."""
        record = await self._deliverable(conversation_id)
        if isinstance(record, Delivery):
            return record
        body = {"type": "message", "id": activity_id, "attachments": [attachment(card)]}
        return await self._attempt(
            conversation_id,
            record.tenant_id,
            lambda: self.connector.update(record.service_url, conversation_id, activity_id, body),
        )

    async def open_personal_chat(self, *, service_url: str, tenant_id: str, bot_id: str, user_id: str) -> str:
        """The 1:1 chat with a user who has the app (Teams answers 403 for one who hasn't: never silent)."""
        parameters = {
            "bot": {"id": bot_id},
            "members": [{"id": user_id}],
            "isGroup": False,
            "tenantId": tenant_id,
            "channelData": {"tenant": {"id": tenant_id}},
        }
        result = await self.create_conversation(service_url, tenant_id, parameters)
        return str(result["id"])

    async def start_channel_thread(
        self, *, service_url: str, tenant_id: str, bot_id: str, channel_id: str, activity: JSON
    ) -> Delivery:
        """Post a new top-level message (a new thread) into a team channel."""
        parameters = {
            "isGroup": True,
            "bot": {"id": bot_id},
            "tenantId": tenant_id,
            "channelData": {"channel": {"id": channel_id}, "tenant": {"id": tenant_id}},
            "activity": activity,
        }
        return await self._attempt(
            channel_id, tenant_id, lambda: self.connector.create_conversation(service_url, parameters)
        )

    async def create_conversation(self, service_url: str, tenant_id: str, parameters: JSON) -> JSON:
        """Start a 1:1 chat or a new channel thread (Teams answers with the conversation id)."""
        key = f"create:{tenant_id}"
        return await self._deliver(key, tenant_id, lambda: self.connector.create_conversation(service_url, parameters))

    # ---- the machinery ---------------------------------------------------------------------------------------
    async def _deliverable(self, conversation_id: str) -> ConversationRecord | Delivery:
        """The stored conversation if the bot may post there, else the reason it is skipped."""
        record = await self._conversations.get(conversation_id)
        if record is None:
            return Delivery("skipped", error="unknown conversation")
        if not record.installed or record.status != "active":
            return Delivery("skipped", error=f"conversation is {record.status}")
        return record

    async def _attempt(
        self,
        key: str,
        tenant_id: str | None,
        call: Callable[[], Awaitable[JSON]],
        *,
        prepare: Callable[[], Awaitable[None]] | None = None,
    ) -> Delivery:
        """A bot-initiated call as a Delivery: failures are reported (and recorded), never raised or dropped."""
        try:
            result = await self._deliver(key, tenant_id, call, prepare=prepare)
        except ConnectorError as error:
            return Delivery("failed", error=str(error), code=error.status, error_code=error.code)
        started = result.get("activityId") is not None
        activity_id = result.get("activityId") if started else result.get("id")
        return Delivery("sent", activity_id=activity_id, conversation_id=result.get("id") if started else None)

    async def _deliver(
        self,
        conversation_id: str,
        tenant_id: str | None,
        call: Callable[[], Awaitable[Any]],
        *,
        budget: float | None = None,
        prepare: Callable[[], Awaitable[None]] | None = None,
    ) -> Any:
        """Run one connector call within the limits, retrying what Teams asks us to retry.

        `budget` bounds the seconds spent retrying: a user is waiting on in-turn calls (Teams gives an invoke 5 s),
        so those give up in time for the turn to fail and Teams to retry it; bot-initiated calls keep trying.
        `prepare` runs whenever the limits let the call go (the delivery ledger's row): right before the request,
        so a crash between the two is as unlikely as can be.
        """
        attempt = 0
        give_up_at = time.monotonic() + budget if budget is not None else None
        while True:
            await self._per_conversation.acquire(conversation_id)
            slot = await self._tenant_slot(tenant_id)
            if prepare is not None:
                await prepare()
                if slot is not None and tenant_id is not None and self._per_tenant.late(slot):
                    await self._tenant_slot(tenant_id)  # prepare stalled (a busy database): that slot has passed
            try:
                return await call()
            except ConnectorError as error:
                attempt += 1
                if error.status in PERMANENT:
                    await self._record_failure(conversation_id, error)
                    raise
                retryable = (
                    error.status in RETRYABLE
                    or (error.status == 0 and error.code in NOT_SENT_ERRORS)
                    or (error.status == 401 and attempt == 1)  # token refused: the connector dropped it, fetch anew
                )
                delay = error.retry_after if error.retry_after is not None else backoff_delays(attempt - 1)
                out_of_time = give_up_at is not None and time.monotonic() + delay > give_up_at
                if not retryable or attempt >= self._max_attempts or out_of_time:
                    log.error("giving up on %s after %d attempt(s): %s", conversation_id, attempt, error)
                    raise
                if error.status == 429:
                    self._per_conversation.penalize(conversation_id, delay)
                    if tenant_id is not None:  # one 429 slows the whole tenant down (every instance): bot.pacing
                        await self._per_tenant.back_off(tenant_id, delay)
                log.warning("retrying %s in %.2fs after %s", conversation_id, delay, error.status)
                await self._sleep(delay)

    async def _tenant_slot(self, tenant_id: str | None) -> float | None:
        """Wait for the tenant's next slot, then for this instance's spacing (`bot.pacing`); the slot's time."""
        if tenant_id is None:
            return None
        slot = await self._per_tenant.acquire(tenant_id)
        await self._per_tenant.depart(tenant_id)
        return slot

    async def _record_failure(self, conversation_id: str, error: ConnectorError) -> None:
        if error.status == 404 and error.code not in {"ConversationNotFound", "BotNotInConversationRoster"}:
            return  # a missing activity, not a missing conversation
        log.warning("conversation %s marked undeliverable: %s %s", conversation_id, error.status, error.code)
        await self._conversations.mark_failed(conversation_id, error.status, f"{error.code} {error.message}".strip())
