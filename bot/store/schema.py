"""The whole schema on one MetaData: the platform's tables and every feature's (what migrations must match).

Features keep their tables next to their domain code (`bot/<feature>/tables.py`); importing them here is what
puts them on the shared MetaData for Alembic and for the migration check.
"""

from __future__ import annotations

import bot.nudges.tables
import bot.polls.tables
import bot.tips.tables  # noqa: F401
from bot.store.tables import metadata

__all__ = ["metadata"]
