"""One contract for the store, run on both backends: every test takes `store`/`database_url`, which are parametrized
over SQLite and a real PostgreSQL (tests/fixtures_db.py). The concurrency tests are the point: the database, not a
Python-side check, must decide which of several simultaneous writers wins."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import StatementError

from bot.store import ConversationRecord, Store
from bot.store.engine import create_engine
from bot.store.migrate import alembic_config, migrate
from bot.store.tables import metadata
from dialogs import FEATURES

JAPANESE = "オープン&フラット 日本語テスト 🎌"
OWNER = "instance-1"


async def claim(store: Store, conversation_id: str, activity_id: str) -> bool:
    return (conversation_id, activity_id) in await store.activities.claim_many([(conversation_id, activity_id)], OWNER)


async def touch(store: Store, record: ConversationRecord) -> None:
    await store.conversations.touch_many([record])


def conversation(conversation_id: str = "a:1personal", **overrides: Any) -> ConversationRecord:
    values: dict[str, Any] = {
        "conversation_id": conversation_id,
        "conversation_type": "personal",
        "service_url": "https://smba.trafficmanager.net/jp/",
        "bot_id": "28:bot-app-id",
        "bot_name": "Open & Flat Bot",
        "tenant_id": "tenant-1",
        "user_id": "29:user",
        "user_aad_id": "aad-user-1",
        "locale": "ja-JP",
        "reference": {"conversation": {"id": conversation_id}, "serviceUrl": "https://smba.trafficmanager.net/jp/"},
    }
    return ConversationRecord(**(values | overrides))


# --- migrations ----------------------------------------------------------------------------------------------------


async def test_migrate_is_idempotent_and_matches_tables(database_url: str) -> None:
    await migrate(database_url)
    await migrate(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
            # The hand-written migration and tables.py must describe the same schema.
            diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
    finally:
        await engine.dispose()
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert {"conversations", "processed_activities", "user_preferences", "timed_work", "delivery_ledger"} <= tables
    declared = {table.name for feature in FEATURES for table in feature.tables}
    assert declared <= tables  # every table a feature declares is migrated
    assert tables == set(metadata.tables) | {"alembic_version"}
    assert diff == []


async def test_ping(store: Store) -> None:
    assert await store.ping() is True


async def test_ping_reports_an_unreachable_database() -> None:
    unreachable = Store.open("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")
    try:
        assert await unreachable.ping() is False
    finally:
        await unreachable.close()


# --- conversations -------------------------------------------------------------------------------------------------


async def test_install_is_true_only_the_first_time(store: Store) -> None:
    assert await store.conversations.install(conversation()) is True
    assert await store.conversations.install(conversation(service_url="https://smba.example/new/")) is False

    stored = await store.conversations.get("a:1personal")
    assert stored is not None
    assert (stored.installed, stored.status, stored.channel_id) == (True, "active", "msteams")
    assert stored.service_url == "https://smba.example/new/"  # the refresh still happened
    assert stored.reference == conversation().reference
    assert stored.created_at is not None and stored.created_at.tzinfo is not None
    assert stored.updated_at is not None and stored.updated_at >= stored.created_at
    assert abs(datetime.now(UTC) - stored.created_at) < timedelta(minutes=1)
    assert await store.conversations.get("a:unknown") is None


async def test_install_after_remove_is_true_again(store: Store) -> None:
    await store.conversations.install(conversation())
    assert await store.conversations.remove("a:1personal") is True
    assert await store.conversations.remove("a:1personal") is False
    assert await store.conversations.remove("a:unknown") is False
    removed = await store.conversations.get("a:1personal")
    assert removed is not None and (removed.installed, removed.status) == (False, "removed")

    assert await store.conversations.install(conversation()) is True
    again = await store.conversations.get("a:1personal")
    assert again is not None and (again.installed, again.status) == (True, "active")


async def test_concurrent_installs_yield_exactly_one_true(store: Store) -> None:
    results = await asyncio.gather(*(store.conversations.install(conversation()) for _ in range(20)))
    assert results.count(True) == 1

    await store.conversations.remove("a:1personal")
    results = await asyncio.gather(*(store.conversations.install(conversation()) for _ in range(20)))
    assert results.count(True) == 1


async def test_touch_refreshes_the_reference_without_reinstalling(store: Store) -> None:
    await touch(store, conversation("19:new@thread.v2", conversation_type="groupChat"))
    new = await store.conversations.get("19:new@thread.v2")
    assert new is not None and (new.installed, new.status) == (True, "active")

    await store.conversations.install(conversation())
    await store.conversations.remove("a:1personal")
    await touch(store, conversation(service_url="https://smba.example/moved/", locale=None))
    touched = await store.conversations.get("a:1personal")
    assert touched is not None
    assert (touched.installed, touched.status) == (False, "removed")
    assert touched.service_url == "https://smba.example/moved/"
    assert touched.locale == "ja-JP"  # an activity without a locale keeps the known one
    # ...and the next real install still counts as new.
    assert await store.conversations.install(conversation()) is True


async def test_mark_failed_keeps_the_row_and_blocks_on_403_404(store: Store) -> None:
    await store.conversations.install(conversation("a:blocked"))
    await store.conversations.install(conversation("a:flaky"))
    await store.conversations.mark_failed("a:blocked", 403, "The bot is blocked by the user")
    await store.conversations.mark_failed("a:flaky", 502, "Bad gateway")

    blocked = await store.conversations.get("a:blocked")
    assert blocked is not None
    assert (blocked.installed, blocked.status) == (True, "blocked")
    assert (blocked.failure_code, blocked.failure_reason) == (403, "The bot is blocked by the user")
    flaky = await store.conversations.get("a:flaky")
    assert flaky is not None and (flaky.status, flaky.failure_code) == ("active", 502)
    assert (await store.conversations.get("a:flaky")).installed  # type: ignore[union-attr]

    # The user wrote to the bot again, so the conversation is reachable.
    await touch(store, conversation("a:blocked"))
    unblocked = await store.conversations.get("a:blocked")
    assert unblocked is not None and unblocked.status == "active"


async def test_unicode_and_a_1kb_conversation_id(store: Store) -> None:
    long_id = ("19:" + "x" * 1100 + "@thread.tacv2;messageid=1")[-1024:]
    assert len(long_id) == 1024
    record = conversation(long_id, bot_name=JAPANESE, reference={"user": {"name": JAPANESE}, "id": long_id})
    assert await store.conversations.install(record) is True
    stored = await store.conversations.get(long_id)
    assert stored is not None
    assert stored.bot_name == JAPANESE and stored.reference == record.reference
    assert await claim(store, long_id, "1700000000000") is True


# --- processed activities ------------------------------------------------------------------------------------------


async def test_claim_once(store: Store) -> None:
    assert await claim(store, "a:1", "activity-1") is True
    assert await claim(store, "a:1", "activity-1") is False
    assert await claim(store, "a:2", "activity-1") is True  # ids are per conversation


async def test_concurrent_claims_yield_exactly_one_true(store: Store) -> None:
    results = await asyncio.gather(*(claim(store, "a:1", "retried") for _ in range(50)))
    assert results.count(True) == 1


async def test_purge_removes_only_old_claims(store: Store) -> None:
    await claim(store, "a:1", "old")
    await asyncio.sleep(0.01)
    cutoff = datetime.now(UTC)
    await asyncio.sleep(0.01)
    await claim(store, "a:1", "new")

    assert await store.activities.purge(cutoff) == 1
    assert await claim(store, "a:1", "old") is True  # forgotten
    assert await claim(store, "a:1", "new") is False  # still remembered
    # Any timezone works: the same instant in JST is the same cutoff; a naive one is refused, not guessed.
    assert await store.activities.purge(cutoff.astimezone(ZoneInfo("Asia/Tokyo"))) == 0
    with pytest.raises(StatementError, match="naive datetime"):
        await store.activities.purge(datetime.now())


# --- preferences ---------------------------------------------------------------------------------------------------


async def test_preferences_round_trip(store: Store) -> None:
    assert await store.preferences.get("aad-1") is None
    await store.preferences.set_locale("aad-1", "tenant-1", "ja-JP")
    prefs = await store.preferences.get("aad-1")
    assert prefs is not None
    assert (prefs.user_aad_id, prefs.tenant_id, prefs.locale, prefs.prefs) == ("aad-1", "tenant-1", "ja-JP", {})

    updated = await store.preferences.update("aad-1", None, digest=True, nickname=JAPANESE)
    assert updated.prefs == {"digest": True, "nickname": JAPANESE}
    assert updated.tenant_id == "tenant-1"  # unknown tenant keeps the known one
    await store.preferences.update("aad-1", "tenant-1", digest=False)
    await store.preferences.set_locale("aad-1", "tenant-1", None)
    final = await store.preferences.get("aad-1")
    assert final is not None
    assert final.prefs == {"digest": False, "nickname": JAPANESE}
    assert final.locale is None
    assert final.updated_at is not None and final.updated_at.tzinfo is not None


async def test_concurrent_preference_updates_all_survive(store: Store) -> None:
    await asyncio.gather(*(store.preferences.update("aad-1", "tenant-1", **{f"k{i}": i}) for i in range(10)))
    prefs = await store.preferences.get("aad-1")
    assert prefs is not None and prefs.prefs == {f"k{i}": i for i in range(10)}


# --- botbuilder Storage (mirrors botbuilder's StorageBaseTests and MemoryStorage) ----------------------------------


async def test_claim_many_returns_only_the_first_sightings(store: Store) -> None:
    assert await claim(store, "c1", "a1")
    claimed = await store.activities.claim_many([("c1", "a1"), ("c1", "a2"), ("c2", "a1"), ("c1", "a2")], OWNER)
    assert claimed == {("c1", "a2"), ("c2", "a1")}
    assert await store.activities.claim_many([], OWNER) == set()


async def test_release_lets_a_failed_turn_be_claimed_again(store: Store) -> None:
    assert await claim(store, "c1", "a1")
    await store.activities.release("c1", "a1")
    assert await claim(store, "c1", "a1")


async def test_touch_many_upserts_in_one_go_and_keeps_the_latest_of_a_conversation(store: Store) -> None:
    await store.conversations.install(conversation("a:1removed"))
    await store.conversations.remove("a:1removed")
    await store.conversations.touch_many(
        [
            conversation("a:1new", locale="ja-JP"),
            conversation("a:1new", locale="en-US"),
            conversation("a:1removed", locale="en-US"),
        ]
    )
    new = await store.conversations.get("a:1new")
    removed = await store.conversations.get("a:1removed")
    assert new is not None and new.installed and new.locale == "en-US"
    assert removed is not None and not removed.installed and removed.locale == "en-US"
