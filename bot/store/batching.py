"""Group commit: concurrent single-item writes from many turns become one transaction.

At 09:00 hundreds of turns each want one tiny write (claim an activity id, refresh a conversation). One
transaction per write costs a database round trip (and, on SQLite, a turn at the single write lock) each;
`GroupCommit` lets whatever arrived while the previous batch was being written go together in the next one.
Under light load a batch is one item and nothing waits longer than before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    def __init__(self, flush: Callable[[list[T]], Awaitable[Sequence[R]]], *, max_batch: int = 500) -> None:
        """`flush(items)` writes a batch in one transaction and returns one result per item, in order."""
        self._flush = flush
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # how many transactions were written (for tests and metrics)

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        return await future

    async def _write_all(self) -> None:
        while self._pending:
            await asyncio.sleep(0)  # let the turns already scheduled on this loop join the batch
            batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
            try:
                await self._write_batch(batch)
            except asyncio.CancelledError:  # shutting down: the waiting turns fail now rather than hang
                _fail_all(batch, RuntimeError("write cancelled"))
                raise
            except Exception as error:  # a flush that broke its contract (wrong number of results)
                _fail_all(batch, error)

    async def _write_batch(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._flush([item for item, _ in batch])
        except Exception:
            # One bad item must not fail the turns it happened to share a transaction with: write each alone.
            await self._write_one_by_one(batch)
            return
        finally:
            self.batches += 1
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def _write_one_by_one(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        for item, future in batch:
            try:
                [result] = await self._flush([item])
            except Exception as error:  # this turn learns of its own failure; none is left hanging
                if not future.done():
                    future.set_exception(error)
            else:
                if not future.done():
                    future.set_result(result)


def _fail_all(batch: list[tuple[T, asyncio.Future[R]]], error: Exception) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(error)
