import asyncio

import pytest

from bot.store.batching import GroupCommit


async def test_concurrent_items_share_one_flush_and_results_keep_their_order() -> None:
    flushed: list[list[int]] = []

    async def flush(items: list[int]) -> list[int]:
        flushed.append(items)
        return [item * 10 for item in items]

    commit: GroupCommit[int, int] = GroupCommit(flush)
    assert await asyncio.gather(*(commit.submit(i) for i in range(5))) == [0, 10, 20, 30, 40]
    assert flushed == [[0, 1, 2, 3, 4]]


async def test_a_bad_item_fails_only_its_own_submitter() -> None:
    async def flush(items: list[int]) -> list[int]:
        if 3 in items:
            raise ValueError("item 3 is too long for the column")
        return items

    commit: GroupCommit[int, int] = GroupCommit(flush)
    results = await asyncio.gather(*(commit.submit(i) for i in range(5)), return_exceptions=True)
    assert results[:3] == [0, 1, 2] and results[4] == 4
    assert isinstance(results[3], ValueError)
    with pytest.raises(ValueError):
        await commit.submit(3)


async def test_a_flush_that_breaks_its_contract_fails_the_waiters_instead_of_hanging_them() -> None:
    async def flush(items: list[int]) -> list[int]:
        return []  # one result short

    commit: GroupCommit[int, int] = GroupCommit(flush)
    with pytest.raises(ValueError):
        await asyncio.wait_for(commit.submit(1), timeout=2)
