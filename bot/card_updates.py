"""Coalesced updates of shared cards (poll results, acknowledgement counts).

When hundreds of people vote at once, updating the shared card once per vote would blow through Teams'
per-conversation limits (7 per second, 60 per 30 s) and queue minutes of stale updates. Instead each card is
marked dirty, and one writer per conversation renders the *current* state at most once per `interval`; the
final state is always written, because a card marked dirty while an update is in flight is written again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.sender import Delivery, Sender

log = logging.getLogger(__name__)

Render = Callable[[], Awaitable[dict[str, Any]]]


MAX_FAILURES = 3  # consecutive failed writes of one card before it waits for the next change


class CardRefresher:
    def __init__(
        self,
        sender: Sender,
        *,
        interval: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._sender = sender
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._dirty: dict[str, dict[str, Render]] = {}  # conversation -> activity -> how to render it now
        self._last_write: dict[str, float] = {}
        self._writers: dict[str, asyncio.Task[None]] = {}
        self._failures: dict[tuple[str, str], int] = {}
        self.writes = 0

    def request(self, conversation_id: str, activity_id: str, render: Render) -> None:
        """Ask for the card to show its current state soon; cheap, never waits, safe to call per vote."""
        self._forget_quiet_conversations()
        self._dirty.setdefault(conversation_id, {})[activity_id] = render
        writer = self._writers.get(conversation_id)
        if writer is None or writer.done():
            self._writers[conversation_id] = asyncio.create_task(self._write(conversation_id))

    async def flush(self) -> None:
        """Wait until every requested update is written (shutdown, tests)."""
        while self._writers:
            await asyncio.gather(*self._writers.values(), return_exceptions=True)
            self._writers = {c: w for c, w in self._writers.items() if not w.done()}

    async def _write(self, conversation_id: str) -> None:
        while self._dirty.get(conversation_id):
            last = self._last_write.get(conversation_id)
            if last is not None and (wait := last + self._interval - self._clock()) > 0:
                await self._sleep(wait)
            pending = self._dirty.pop(conversation_id, {})
            for activity_id, render in pending.items():
                delivery = await self._update(conversation_id, activity_id, render)
                self.writes += 1
                self._after(conversation_id, activity_id, render, delivery)
            self._last_write[conversation_id] = self._clock()

    def _after(self, conversation_id: str, activity_id: str, render: Render, delivery: Delivery) -> None:
        """A failed write is tried again at the next slot (a few times), so the final state still lands."""
        key = (conversation_id, activity_id)
        if delivery.sent:
            self._failures.pop(key, None)
            return
        failures = self._failures.get(key, 0) + 1
        log.warning("card %s in %s not updated (%d): %s", activity_id, conversation_id, failures, delivery.error)
        if failures < MAX_FAILURES:
            self._failures[key] = failures
            self._dirty.setdefault(conversation_id, {}).setdefault(activity_id, render)
        else:
            self._failures.pop(key, None)

    def _forget_quiet_conversations(self) -> None:
        """Bound memory: conversations with no writer and no write within the interval need no bookkeeping."""
        if len(self._last_write) < 1024:
            return
        now = self._clock()
        for conversation_id, last in list(self._last_write.items()):
            writer = self._writers.get(conversation_id)
            if last + self._interval < now and (writer is None or writer.done()):
                del self._last_write[conversation_id]
                self._writers.pop(conversation_id, None)

    async def _update(self, conversation_id: str, activity_id: str, render: Render) -> Delivery:
        try:
            card = await render()
        except Exception as error:
            log.exception("rendering card %s failed", activity_id)
            return Delivery("failed", error=str(error))
        return await self._sender.update_card(conversation_id, activity_id, card)
