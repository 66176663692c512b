"""botbuilder `Storage` on the `bot_state` table, so turn and dialog state survive restarts and live beside the rest.

The only module of the store that imports botbuilder. Semantics follow botbuilder's MemoryStorage and BlobStorage:
items are dicts or objects (e.g. `StoreItem`, dialog state) serialized with jsonpickle like BlobStorage does; every
write stores a fresh e_tag, which `read` puts back on the item; writing an item whose e_tag differs from the stored
one raises `EtagConflict` (a `KeyError`, as MemoryStorage raises), `"*"` or no e_tag overwrites, `""` is an error.
A multi-key write is one transaction: a conflict on any key writes none of them. After a successful write, an item
that was written against a real e_tag carries the new one: BotState saves the same dict again later in the turn, and
that save must compare against our own write, not conflict with it.
The documents are unpickled on read, so the table must be as trusted as the code.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from botbuilder.core import Storage
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.store.engine import insert_for
from bot.store.tables import bot_state, utcnow

WILDCARD = "*"


class EtagConflict(KeyError):
    """The item changed since it was read (another turn of the same conversation wrote it first)."""


def _etag_of(item: Any) -> str | None:
    if isinstance(item, dict):
        return item.get("e_tag")
    return getattr(item, "e_tag", None)


def _to_document(item: Any) -> Any:
    document = Pickler(unpicklable=True, make_refs=False).flatten(item)
    if isinstance(document, dict):
        document.pop("e_tag", None)  # the etag column is the truth
    return document


def _from_document(document: Any, etag: str) -> Any:
    if isinstance(document, dict):
        document = {**document, "e_tag": etag}
    return Unpickler().restore(document)


class SqlStorage(Storage):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__()
        self._engine = engine
        self._insert = insert_for(engine)

    async def read(self, keys: Iterable[str] | None) -> dict[str, Any]:
        """The stored items among `keys`, each carrying its current e_tag; unknown keys are absent."""
        wanted = list(keys or ())
        if not wanted:
            return {}
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(bot_state).where(bot_state.c.key.in_(wanted)))).all()
        return {row.key: _from_document(row.document, row.etag) for row in rows}

    async def write(self, changes: Mapping[str, Any] | None) -> None:
        if changes is None:
            raise Exception("Changes are required when writing")  # botbuilder's wording and type
        if not changes:
            return
        written: list[tuple[Any, str]] = []
        async with self._engine.begin() as conn:
            for key, item in changes.items():
                written.append((item, await self._write_one(conn, key, item)))
        for item, etag in written:  # only once committed: a rolled-back write must leave the items as they were
            expected = _etag_of(item)
            if expected is None or expected == WILDCARD:
                continue
            if isinstance(item, dict):
                item["e_tag"] = etag
            else:
                item.e_tag = etag

    async def _write_one(self, conn: AsyncConnection, key: str, item: Any) -> str:
        """Write one item in the caller's transaction and return its new e_tag."""
        expected = _etag_of(item)
        if expected == "":
            raise Exception("sql_storage.write(): etag missing")
        values = {"etag": uuid.uuid4().hex, "document": _to_document(item), "updated_at": utcnow()}
        statement = self._insert(bot_state).values(key=key, **values)
        if expected is None or expected == WILDCARD:
            await conn.execute(statement.on_conflict_do_update(index_elements=["key"], set_=values))
            return values["etag"]
        # Compare-and-swap in the database: a read-then-write check would let two turns both pass it.
        swapped = await conn.execute(
            update(bot_state).where(bot_state.c.key == key, bot_state.c.etag == expected).values(values)
        )
        if swapped.rowcount != 1:
            # Like MemoryStorage, an e_tag on an item that was never stored (or was deleted) is not a conflict.
            inserted = await conn.execute(statement.on_conflict_do_nothing())
            if inserted.rowcount != 1:
                raise EtagConflict(f"Etag conflict on {key!r}: the item was written since e_tag {expected!r} was read")
        return values["etag"]

    async def delete(self, keys: Iterable[str] | None) -> None:
        wanted = list(keys or ())
        if not wanted:
            return
        async with self._engine.begin() as conn:
            await conn.execute(delete(bot_state).where(bot_state.c.key.in_(wanted)))
