"""Coalesced updates of shared cards (poll results, acknowledgement counts).

When hundreds of people vote at once, updating the shared card once per vote would blow through Teams'
per-conversation limits (7 per second, 60 per 30 s) and queue minutes of stale updates. Instead each card is
marked dirty, and one writer per conversation renders the *current* state at most once per `interval`; the
final state is always written, because a card marked dirty while an update is in flight is written again.

A render says what to do once Teams has the card (`CardView.shown`, e.g. clear the poll's dirty flag for the
version it showed): a feature's "needs an update" state is cleared only by a write that landed. A card that
still fails after a few tries is handed to `gave_up` (a feature plans a later retry as timed work).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.clock import SYSTEM_CLOCK, Clock
from bot.sender import Delivery, Sender

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 3.0  # per conversation: 20 updates a minute stay well inside Teams' 60 per 30 s


@dataclass(frozen=True)
class CardView:
    card: dict[str, Any]
    shown: Callable[[], Awaitable[None]] | None = None  # runs once Teams took this card


Render = Callable[[], Awaitable[CardView]]
GaveUp = Callable[[], Awaitable[None]]


MAX_FAILURES = 3  # consecutive failed writes of one card before it waits for the next change


class CardRefresher:
    def __init__(self, sender: Sender, *, interval: float = INTERVAL_SECONDS, clock: Clock = SYSTEM_CLOCK) -> None:
        self._sender = sender
        self._interval = interval
        self._clock = clock
        self._dirty: dict[str, dict[str, tuple[Render, GaveUp | None]]] = {}  # conversation → activity → how
        self._last_write: dict[str, float] = {}
        self._writers: dict[str, asyncio.Task[None]] = {}
        self._failures: dict[tuple[str, str], int] = {}
        self.writes = 0

    def request(self, conversation_id: str, activity_id: str, render: Render, gave_up: GaveUp | None = None) -> None:
        """Ask for the card to show its current state soon; cheap, never waits, safe to call per vote."""
        self._forget_quiet_conversations()
        self._dirty.setdefault(conversation_id, {})[activity_id] = (render, gave_up)
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
            if last is not None and (wait := last + self._interval - self._clock.monotonic()) > 0:
                await self._clock.sleep(wait)
            pending = self._dirty.pop(conversation_id, {})
            for activity_id, how in pending.items():
                delivery = await self._update(conversation_id, activity_id, how[0])
                self.writes += 1
                await self._after(conversation_id, activity_id, how, delivery)
            self._last_write[conversation_id] = self._clock.monotonic()

    async def _after(
        self, conversation_id: str, activity_id: str, how: tuple[Render, GaveUp | None], delivery: Delivery
    ) -> None:
        """A failed write is tried again at the next slot (a few times), then handed to `gave_up`."""
        key = (conversation_id, activity_id)
        if delivery.sent:
            self._failures.pop(key, None)
            return
        failures = self._failures.get(key, 0) + 1
        log.warning("card %s in %s not updated (%d): %s", activity_id, conversation_id, failures, delivery.error)
        if failures < MAX_FAILURES:
            self._failures[key] = failures
            self._dirty.setdefault(conversation_id, {}).setdefault(activity_id, how)
            return
        self._failures.pop(key, None)
        if how[1] is not None:
            try:
                await how[1]()
            except Exception:
                log.exception("card %s in %s: planning a later update failed", activity_id, conversation_id)

    def _forget_quiet_conversations(self) -> None:
        """Bound memory: conversations with no writer and no write within the interval need no bookkeeping."""
        if len(self._last_write) < 1024:
            return
        now = self._clock.monotonic()
        for conversation_id, last in list(self._last_write.items()):
            writer = self._writers.get(conversation_id)
            if last + self._interval < now and (writer is None or writer.done()):
                del self._last_write[conversation_id]
                self._writers.pop(conversation_id, None)

    async def _update(self, conversation_id: str, activity_id: str, render: Render) -> Delivery:
        return await update_card(self._sender, conversation_id, activity_id, render)


async def update_card(sender: Sender, conversation_id: str, activity_id: str, render: Render) -> Delivery:
    """Render the current state and write it; once Teams has it, run the view's `shown`."""
    try:
        view = await render()
    except Exception as error:
        log.exception("rendering card %s failed", activity_id)
        return Delivery("failed", error=str(error))
    delivery = await sender.update_card(conversation_id, activity_id, view.card)
    if delivery.sent and view.shown is not None:
        try:
            await view.shown()
        except Exception:  # the flag stays set: the next start or vote writes the card again (harmless)
            log.exception("card %s was updated but not marked as shown", activity_id)
    return delivery
