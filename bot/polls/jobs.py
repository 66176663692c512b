"""TEMPORARY: the poll wiring moved to `dialogs.polls_jobs`. This shim only keeps `bot/application.py`'s old import
(`from bot.polls.jobs import EXPORT_ROUTE, download_export, refresh_dirty_cards`) working until it is changed to
`from dialogs.polls_jobs import EXPORT_ROUTE, download_export, refresh_dirty_cards`; then delete this file.

The names are looked up lazily, so importing this module loads no HTTP or Teams code."""

from __future__ import annotations

from typing import Any

_MOVED = frozenset({"EXPORT_ROUTE", "download_export", "refresh_dirty_cards"})


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        import dialogs.polls_jobs

        return getattr(dialogs.polls_jobs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
