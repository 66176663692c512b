"""Which delivery of an activity runs: the first, or a retry of one whose instance died before finishing it.

Claims are written in batches (group commit): at 09:00 hundreds of turns arrive together and each needs one. A
retry is a duplicate while the turn it repeats is done or still running on a live instance; the retry of a turn
that a dead instance held (kill -9, a crash, a lost node) is processed, so nothing the user did is lost.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from bot.instances import Instance
from bot.store.activities import DONE, RUNNING, Key, ProcessedActivities
from bot.store.batching import GroupCommit

log = logging.getLogger(__name__)


class Verdict(StrEnum):
    NEW = "new"  # process it
    DONE = "done"  # finished before: no second effect
    RUNNING = "running"  # a live instance is processing it right now


class ActivityClaims:
    def __init__(self, processed: ProcessedActivities, instance: Instance) -> None:
        self._processed = processed
        self._instance = instance
        self._claims: GroupCommit[Key, Verdict] = GroupCommit(self._claim_batch)
        self._finishes: GroupCommit[Key, None] = GroupCommit(self._finish_batch)

    async def claim(self, key: Key) -> Verdict:
        return await self._claims.submit(key)

    async def finish(self, key: Key) -> None:
        """Mark the turn done; if the database refuses, the claim stays ours (a retry is still a duplicate)."""
        try:
            await self._finishes.submit(key)
        except Exception as error:
            log.warning("activity %s processed but not marked done: %s", key[1], error)

    async def release(self, key: Key) -> None:
        await self._processed.release(*key)

    async def _finish_batch(self, keys: list[Key]) -> list[None]:
        await self._processed.finish_many(keys)
        return [None] * len(keys)

    async def _claim_batch(self, keys: list[Key]) -> list[Verdict]:
        me = self._instance.id
        claimed = await self._processed.claim_many(keys, me)
        holders = await self._processed.holders([key for key in keys if key not in claimed])
        verdicts: list[Verdict] = []
        for key in keys:
            if key in claimed:
                verdicts.append(Verdict.NEW)
                claimed.discard(key)  # the same id twice in one batch: only the first is processed
                continue
            state, owner = holders.get(key, (RUNNING, me))
            if state == DONE:
                verdicts.append(Verdict.DONE)
            elif (
                owner != me
                and not await self._instance.alive(owner)
                and await self._processed.take_over(key, owner, me)
            ):
                log.warning("activity %s: its turn died with instance %s; processing the retry", key[1], owner)
                holders[key] = (RUNNING, me)
                verdicts.append(Verdict.NEW)
            else:
                verdicts.append(Verdict.RUNNING)
        return verdicts
