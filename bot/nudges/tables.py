"""Tables of the nudges feature, on the bot's one MetaData (see bot.store.schema)."""

from __future__ import annotations

from bot.store.tables import metadata

__all__ = ["metadata"]
